//! Reading an object's last members from its end.
//!
//! Writers that sort keys put an envelope's `data` first and its `kind` and `version` last
//! (`{"data":{...},"kind":"user","version":3}`: PostgreSQL's `jsonb`, `sort_keys=True`), and
//! may put an inline record's tag last. Walking back over those few plain members finds
//! where the data ends, or the tag, without passing over the data at all. The walk only
//! proposes: whatever it finds is checked by a forward parse, and anything it cannot read
//! plainly (escapes, nested values) gives `None` and the caller skims forward instead.

/// How many plain members the walk passes at most.
const MEMBERS: usize = 8;

/// Where the value that precedes the object's trailing plain members ends: for
/// `{"data":{...},"kind":"k","version":3}`, the index just past the data's `}`. `None`
/// unless that value is an object or an array that ends after `start`.
pub(crate) fn value_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut walk = Back {
        bytes,
        at: bytes.len(),
        floor: start,
    };
    walk.punct(b'}')?;
    for _ in 0..MEMBERS {
        walk.member()?;
        walk.punct(b',')?;
        if matches!(walk.peek()?, b'}' | b']') {
            return Some(walk.at);
        }
    }
    None
}

/// The last member of an object: its key and where its value starts, for an inline tag
/// stored last.
pub(crate) fn last_member(bytes: &[u8]) -> Option<(&[u8], usize)> {
    let mut walk = Back {
        bytes,
        at: bytes.len(),
        floor: 0,
    };
    walk.punct(b'}')?;
    walk.member()
}

/// A position walked backwards: `at` is one past the next byte to look at.
struct Back<'a> {
    bytes: &'a [u8],
    at: usize,
    floor: usize,
}

impl<'a> Back<'a> {
    /// The byte before `at`, past whitespace.
    fn peek(&mut self) -> Option<u8> {
        while self.at > self.floor {
            let byte = *self.bytes.get(self.at - 1)?;
            if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(byte);
            }
            self.at -= 1;
        }
        None
    }

    fn punct(&mut self, expected: u8) -> Option<()> {
        (self.peek()? == expected).then(|| self.at -= 1)
    }

    /// `"key": value` with a plain key and a plain scalar value: the key, and where the
    /// value starts.
    fn member(&mut self) -> Option<(&'a [u8], usize)> {
        self.scalar()?;
        let value = self.at;
        self.punct(b':')?;
        let key = self.string()?;
        Some((key, value))
    }

    /// A string with no escapes or control characters: its contents.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.punct(b'"')?;
        let end = self.at;
        let contents = self.bytes.get(self.floor..end)?;
        let open = contents
            .iter()
            .rposition(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        let open = self.floor + open;
        (self.bytes.get(open) == Some(&b'"')).then_some(())?;
        self.at = open;
        self.bytes.get(open + 1..end)
    }

    /// A plain string, number, `true`, `false` or `null`.
    fn scalar(&mut self) -> Option<()> {
        if self.peek()? == b'"' {
            return self.string().map(|_| ());
        }
        let end = self.at;
        while self.at > self.floor
            && self
                .bytes
                .get(self.at - 1)
                .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
        {
            self.at -= 1;
        }
        (self.at < end).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_data_before_kind_and_version() {
        let json = br#"{"data":{"a":"},"},"kind":"user", "version" : 3 }"#;
        let end = value_end(json, 8).unwrap();
        assert_eq!(&json[8..end], br#"{"a":"},"}"#);
        let more = br#"{"id":1,"data":[1,2],"kind":"k","version":"2.1","created_at":17}"#;
        assert_eq!(&more[15..value_end(more, 15).unwrap()], b"[1,2]");
    }

    #[test]
    fn gives_up_on_what_it_cannot_read_plainly() {
        for json in [
            &br#"{"data":{},"kind":"k\"","version":3}"#[..],
            br#"{"data":{},"meta":{"x":1}}"#,
            br#"{"kind":"k","data":{}}"#,
            br#"{"data":5,"kind":"k"}"#,
            br#"{"data":{},"kind":"k""#,
            b"",
        ] {
            assert_eq!(
                value_end(json, 8),
                None,
                "{}",
                String::from_utf8_lossy(json)
            );
        }
    }

    #[test]
    fn the_walk_stays_after_the_start() {
        let json = br#"{"data":{},"kind":"k","version":3}"#;
        assert_eq!(value_end(json, 12), None);
    }

    #[test]
    fn reads_the_last_member() {
        let (key, at) = last_member(br#"{"a":{"b":1},"v":"2.1"}"#).unwrap();
        assert_eq!((key, at), (&b"v"[..], 17));
        assert_eq!(last_member(br#"{"a":[1]}"#), None);
    }
}
