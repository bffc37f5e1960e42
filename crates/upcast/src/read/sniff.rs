//! A fast look at the first bytes of a record for its kind and version tag.
//!
//! Covers the form upcast writes (`{"kind":"user","version":3,"data":{...}}`, or an inline
//! record whose first field is the tag) with keys and strings free of escapes. Anything else
//! returns `None` and the caller falls back to a full serde pass, which also produces the
//! error messages: the sniff never reports errors itself.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use super::tag::StoredTag;

/// The kind and version tag of an envelope, read before its data.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub(crate) kind: Cow<'a, str>,
    pub(crate) tag: Option<StoredTag<'a>>,
}

/// The header of an envelope whose `kind` and `version` both come before `data`.
pub(crate) fn envelope(bytes: &[u8]) -> Option<Header<'_>> {
    let mut cursor = Cursor { bytes, pos: 0 };
    cursor.punct(b'{')?;
    let (mut kind, mut tag) = (None, None);
    loop {
        match cursor.key()? {
            "data" => {
                return Some(Header {
                    kind: Cow::Borrowed(kind?),
                    tag: Some(tag?),
                });
            }
            "kind" if kind.is_none() => kind = Some(cursor.string()?),
            "version" if tag.is_none() => tag = Some(cursor.tag()?),
            "kind" | "version" => return None,
            _ => cursor.skip_value()?,
        }
        cursor.punct(b',')?;
    }
}

/// The tag of an inline record whose first field is `field`.
pub(crate) fn inline_tag<'a>(bytes: &'a [u8], field: &str) -> Option<StoredTag<'a>> {
    let mut cursor = Cursor { bytes, pos: 0 };
    cursor.punct(b'{')?;
    if cursor.key()? != field {
        return None;
    }
    cursor.tag()
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&mut self) -> Option<u8> {
        while let Some(&byte) = self.bytes.get(self.pos) {
            if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(byte);
            }
            self.pos += 1;
        }
        None
    }

    fn punct(&mut self, expected: u8) -> Option<()> {
        (self.peek()? == expected).then(|| self.pos += 1)
    }

    fn key(&mut self) -> Option<&'a str> {
        let key = self.string()?;
        self.punct(b':')?;
        Some(key)
    }

    /// A string with no escapes and no control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.punct(b'"')?;
        let rest = self.bytes.get(self.pos..)?;
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        let text = std::str::from_utf8(rest.get(..len)?).ok()?;
        self.pos += len + 1;
        Some(text)
    }

    fn tag(&mut self) -> Option<StoredTag<'a>> {
        match self.peek()? {
            b'"' => self
                .string()
                .map(|text| StoredTag::Text(Cow::Borrowed(text))),
            b'1'..=b'9' | b'0' => self.integer().map(StoredTag::Number),
            _ => None,
        }
    }

    /// A non-negative JSON integer that fits `u64`; a fraction or exponent is no tag.
    fn integer(&mut self) -> Option<u64> {
        let rest = self.bytes.get(self.pos..)?;
        let len = rest
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(rest.len());
        let digits = rest.get(..len)?;
        if (digits.len() > 1 && digits.first() == Some(&b'0'))
            || matches!(rest.get(len), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let number = std::str::from_utf8(digits).ok()?.parse().ok()?;
        self.pos += len;
        Some(number)
    }

    /// Skips one JSON value with serde_json, which knows where it ends.
    fn skip_value(&mut self) -> Option<()> {
        let rest = self.bytes.get(self.pos..)?;
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<IgnoredAny>();
        values.next()?.ok()?;
        self.pos += values.byte_offset();
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Option<Header<'_>> {
        envelope(json.as_bytes())
    }

    #[test]
    fn reads_the_written_form() {
        let found = header(r#"{"kind":"user","version":3,"data":{}}"#).unwrap();
        assert_eq!(found.kind, "user");
        assert_eq!(found.tag, Some(StoredTag::Number(3)));
        let spaced =
            header(" {\n \"version\" : \"3.1.0\" , \"kind\":\"a.b\", \"data\":1}").unwrap();
        assert_eq!(spaced.tag, Some(StoredTag::Text("3.1.0".into())));
    }

    #[test]
    fn skips_metadata_before_data() {
        let json = r#"{"id":{"n":[1,"}"]},"kind":"user","at":1.5e3,"version":2,"data":{}}"#;
        assert_eq!(header(json).unwrap().tag, Some(StoredTag::Number(2)));
    }

    #[test]
    fn leaves_everything_else_to_serde() {
        for json in [
            r#"{"data":{},"kind":"user","version":3}"#,
            r#"{"kind":"user","data":{}}"#,
            r#"{"kind":"us\"er","version":3,"data":{}}"#,
            r#"{"kind":"user","version":3.0,"data":{}}"#,
            r#"{"kind":"user","version":03,"data":{}}"#,
            r#"{"kind":"user","version":-3,"data":{}}"#,
            r#"{"kind":"user","version":99999999999999999999,"data":{}}"#,
            r#"{"kind":"user","kind":"user","version":3,"data":{}}"#,
            r#"{"kind":"user","version":3"#,
            "[]",
            "",
        ] {
            assert_eq!(header(json), None, "{json}");
        }
    }

    #[test]
    fn inline_tag_must_be_the_first_field() {
        let first = br#"{"schema_version":2,"name":"x"}"#;
        assert_eq!(
            inline_tag(first, "schema_version"),
            Some(StoredTag::Number(2))
        );
        let later = br#"{"name":"x","schema_version":2}"#;
        assert_eq!(inline_tag(later, "schema_version"), None);
    }
}
