//! A fast look at the first bytes of a record for its kind, its version tag and where its
//! data starts.
//!
//! Covers envelopes with their fields in any order (the form upcast writes,
//! `{"kind":"user","version":3,"data":{...}}`, by literal compares; `data` first, as `jsonb`
//! and sorted-key writers store it, by one skim that remembers where the data is) and inline
//! records with the tag anywhere, with keys and strings free of escapes. Anything else
//! returns `None` and the caller falls back to a full serde pass, which also produces the
//! error messages: the sniff never reports errors itself.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use super::keys::Key;
use super::scan::Member;
use super::tag::StoredTag;
use super::{skim, tail};
use crate::Tag;

/// An envelope's kind, version tag and where its data is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// The kind, as stored (not yet checked to be UTF-8).
    pub(crate) kind: &'a [u8],
    pub(crate) tag: RawTag<'a>,
    pub(crate) data: DataAt,
}

/// Where an envelope's data is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DataAt {
    /// `kind` and `version` came first; the data starts here and runs to the closing
    /// brace, or to fields after it that are still to check.
    Start(usize),
    /// The data came before `kind` or `version`: the skim found its bytes and checked every
    /// other field and the envelope's end.
    Span(std::ops::Range<usize>),
}

/// A version tag as found by the sniff: a string's bytes are not yet checked to be UTF-8,
/// which the exact comparison with a declared tag does not need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawTag<'a> {
    Number(u64),
    Text(&'a [u8]),
}

impl<'a> RawTag<'a> {
    pub(crate) fn is(self, declared: Tag) -> bool {
        match (self, declared) {
            (RawTag::Number(stored), Tag::Number(declared)) => stored == declared,
            (RawTag::Text(stored), Tag::Text(declared)) => stored == declared.as_bytes(),
            _ => false,
        }
    }

    /// The tag as the rest of the reader knows it; `None` for text that is not UTF-8.
    pub(crate) fn stored(self) -> Option<StoredTag<'a>> {
        match self {
            RawTag::Number(major) => Some(StoredTag::Number(major)),
            RawTag::Text(text) => std::str::from_utf8(text)
                .ok()
                .map(|t| StoredTag::Text(Cow::Borrowed(t))),
        }
    }
}

/// The header of an envelope with a `kind` and a `version`, in any order.
pub(crate) fn envelope(bytes: &[u8]) -> Option<Header<'_>> {
    canonical(bytes).or_else(|| general(bytes))
}

/// Exactly the bytes upcast writes, `{"kind":"k","version":V,"data":`, checked as literals.
fn canonical(bytes: &[u8]) -> Option<Header<'_>> {
    let rest = bytes.strip_prefix(b"{\"kind\":\"")?;
    let kind_len = rest.iter().position(|&b| b == b'"')?;
    let kind = rest.get(..kind_len)?;
    if kind.iter().any(|&b| b == b'\\' || b < 0x20) {
        return None;
    }
    let rest = rest.get(kind_len + 1..)?.strip_prefix(b",\"version\":")?;
    let mut cursor = Cursor {
        bytes: rest,
        pos: 0,
    };
    let tag = cursor.tag()?;
    let rest = rest.get(cursor.pos..)?.strip_prefix(b",\"data\":")?;
    rest.first()?;
    let data = DataAt::Start(bytes.len() - rest.len());
    Some(Header { kind, tag, data })
}

/// Any order of fields, with whitespace. Once `kind` and `version` are known, the data
/// starts where they end; data met before them is skimmed and its span kept, and the rest
/// of the envelope checked to its end.
fn general(bytes: &[u8]) -> Option<Header<'_>> {
    let mut cursor = Cursor { bytes, pos: 0 };
    cursor.punct(b'{')?;
    let (mut kind, mut tag, mut data) = (None, None, None);
    loop {
        match cursor.key()? {
            b"data" if data.is_none() => {
                cursor.peek()?;
                if let (Some(kind), Some(tag)) = (kind, tag) {
                    let data = DataAt::Start(cursor.pos);
                    return Some(Header { kind, tag, data });
                }
                // Sorted keys put `kind` and `version` last: walk back over them to the
                // data's end, then check the rest forward; else skim the data.
                let start = cursor.pos;
                match tail::value_end(bytes, start) {
                    Some(end) => cursor.pos = end,
                    None => cursor.skim_value()?,
                }
                data = Some(start..cursor.pos);
            }
            b"kind" if kind.is_none() => kind = Some(cursor.string()?),
            b"version" if tag.is_none() => tag = Some(cursor.tag()?),
            b"kind" | b"version" | b"data" => return None,
            _ => cursor.skip_value()?,
        }
        if cursor.punct(b'}').is_some() {
            cursor.peek().is_none().then_some(())?;
            let data = DataAt::Span(data?);
            return Some(Header {
                kind: kind?,
                tag: tag?,
                data,
            });
        }
        cursor.punct(b',')?;
    }
}

/// Whether what follows the data at `pos` closes the envelope properly: more fields other
/// than the envelope's own, then `}` and nothing but whitespace.
pub(crate) fn envelope_tail(bytes: &[u8], pos: usize) -> bool {
    Cursor { bytes, pos }.close_envelope().is_some()
}

/// The tag of an inline record, in its field `field` wherever it is: `Some(None)` for a
/// record without one. The other fields are only skimmed: decoding the record checks them.
pub(crate) fn inline_tag<'a>(bytes: &'a [u8], field: &str) -> Option<Option<StoredTag<'a>>> {
    let field = field.as_bytes();
    let mut cursor = Cursor { bytes, pos: 0 };
    cursor.punct(b'{')?;
    if cursor.punct(b'}').is_some() {
        return Some(None);
    }
    // The rest is the decoder's to check, a second tag included.
    let first = cursor.key();
    if first == Some(field) {
        return cursor.stored_tag();
    }
    // Not first, as upcast writes it: perhaps last, as sorted keys put it.
    if let Some((key, value)) = tail::last_member(bytes)
        && key == field
    {
        return Cursor { bytes, pos: value }.stored_tag();
    }
    first?;
    loop {
        cursor.skim_value()?;
        if cursor.punct(b'}').is_some() {
            return Some(None);
        }
        cursor.punct(b',')?;
        if cursor.key()? == field {
            return cursor.stored_tag();
        }
    }
}

/// The fields of an envelope other than its own, in order, values as written: the fast
/// form of [`scan::members`](super::scan::members) for plain keys. The data is only skimmed
/// (it was read already); the other values are checked as they are passed.
pub(crate) fn members(bytes: &[u8]) -> Option<Vec<Member<'_>>> {
    let mut cursor = Cursor { bytes, pos: 0 };
    cursor.punct(b'{')?;
    let mut members = Vec::new();
    if cursor.punct(b'}').is_some() {
        return Some(members);
    }
    loop {
        let key = cursor.key()?;
        cursor.peek()?;
        let start = cursor.pos;
        if key == Key::DATA.as_bytes() {
            cursor.skim_value()?;
        } else {
            cursor.skip_value()?;
        }
        let key = std::str::from_utf8(key).ok()?;
        if !Key::is_reserved(key) {
            let value = std::str::from_utf8(bytes.get(start..cursor.pos)?).ok()?;
            members.push(Member {
                key: Cow::Borrowed(key),
                value: Cow::Borrowed(value.trim_end()),
            });
        }
        if cursor.punct(b'}').is_some() {
            return Some(members);
        }
        cursor.punct(b',')?;
    }
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

    fn key(&mut self) -> Option<&'a [u8]> {
        let key = self.string()?;
        self.punct(b':')?;
        Some(key)
    }

    /// The bytes of a string with no escapes and no control characters.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.punct(b'"')?;
        let rest = self.bytes.get(self.pos..)?;
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.pos += len + 1;
        rest.get(..len)
    }

    /// A tag as the rest of the reader knows it, for an inline record.
    fn stored_tag(&mut self) -> Option<Option<StoredTag<'a>>> {
        self.tag()?.stored().map(Some)
    }

    fn tag(&mut self) -> Option<RawTag<'a>> {
        match self.peek()? {
            b'"' => self.string().map(RawTag::Text),
            b'0'..=b'9' => self.integer().map(RawTag::Number),
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
        if (len > 1 && digits.first() == Some(&b'0'))
            || matches!(rest.get(len), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        let mut number: u64 = 0;
        for digit in digits {
            number = number
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
        }
        self.pos += len;
        Some(number)
    }

    fn close_envelope(&mut self) -> Option<()> {
        loop {
            match self.peek()? {
                b'}' => {
                    self.pos += 1;
                    return self.peek().is_none().then_some(());
                }
                b',' => {
                    self.pos += 1;
                    let key = self.key()?;
                    if [Key::KIND, Key::VERSION, Key::DATA]
                        .iter()
                        .any(|own| own.as_bytes() == key)
                    {
                        return None;
                    }
                    self.skip_value()?;
                }
                _ => return None,
            }
        }
    }

    /// Skips one JSON value; an object or an array only by its brackets, which whoever
    /// decodes it checks.
    fn skim_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' | b'[' => {
                self.pos += skim::container(self.bytes.get(self.pos..)?)?;
                Some(())
            }
            _ => self.skip_value(),
        }
    }

    /// Skips one JSON value with serde_json, which knows where it ends and checks it.
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
        let json = r#"{"kind":"user","version":3,"data":{}}"#;
        let found = header(json).unwrap();
        assert_eq!((found.kind, found.tag), (&b"user"[..], RawTag::Number(3)));
        assert_eq!(found.data, DataAt::Start(34));
        let spaced =
            header(" {\n \"version\" : \"3.1.0\" , \"kind\":\"a.b\", \"data\": 1}").unwrap();
        assert_eq!(spaced.tag, RawTag::Text(b"3.1.0"));
        assert!(spaced.tag.is(Tag::Text("3.1.0")) && !spaced.tag.is(Tag::Number(3)));
    }

    #[test]
    fn skips_metadata_before_data() {
        let json = r#"{"id":{"n":[1,"}"]},"kind":"user","at":1.5e3,"version":2,"data":{}}"#;
        assert_eq!(header(json).unwrap().tag, RawTag::Number(2));
    }

    fn span(json: &str) -> &str {
        match header(json).map(|found| found.data) {
            Some(DataAt::Span(span)) => &json[span],
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn data_first_is_found_and_its_span_kept() {
        let sorted = r#"{"data":{"a":"}"},"kind":"user","version":3}"#;
        assert_eq!(span(sorted), r#"{"a":"}"}"#, "walked back from the end");
        let nested_last = r#"{"data":{"a":"}"},"kind":"user","version":3,"meta":{"b":[]}}"#;
        assert_eq!(span(nested_last), r#"{"a":"}"}"#, "skimmed");
        let between = r#"{"kind":"k","data":[1],"version":"2.1"} "#;
        assert_eq!(span(between), "[1]");
        let found = header(sorted).unwrap();
        assert_eq!((found.kind, found.tag), (&b"user"[..], RawTag::Number(3)));
    }

    #[test]
    fn a_nested_field_between_data_and_its_tags_lengthens_the_span() {
        // The walk back proposes the longest plain tail; decoding the span then fails and
        // the read takes the full pass, which reads such envelopes (`tests/layouts.rs`).
        let json = r#"{"data":{},"id":[1],"kind":"user","version":3}"#;
        assert_eq!(span(json), r#"{},"id":[1]"#);
    }

    #[test]
    fn leaves_everything_else_to_serde() {
        for json in [
            r#"{"data":{},"kind":"user"}"#,
            r#"{"data":{},"kind":"user","version":3} x"#,
            r#"{"data":{},"kind":"user","version":3,"data":{}}"#,
            r#"{"data":{},"kind":"user","version":3"#,
            r#"{"data":{"a":1,"kind":"user","version":3}"#,
            r#"{"kind":"user","data":{}}"#,
            r#"{"kind":"us\"er","version":3,"data":{}}"#,
            r#"{"kind":"user","version":3.0,"data":{}}"#,
            r#"{"kind":"user","version":03,"data":{}}"#,
            r#"{"kind":"user","version":-3,"data":{}}"#,
            r#"{"kind":"user","version":99999999999999999999,"data":{}}"#,
            r#"{"kind":"user","kind":"user","version":3,"data":{}}"#,
            r#"{"kind":"user","version":3,"data":"#,
            r#"{"kind":"user","version":3"#,
            "[]",
            "",
        ] {
            assert_eq!(header(json), None, "{json}");
        }
    }

    #[test]
    fn tails_close_the_envelope_once() {
        let json = br#"{"kind":"k","version":1,"data":{} , "id": [1] }  "#;
        assert!(envelope_tail(json, 33));
        for bad in [
            &br#"{"kind":"k","version":1,"data":{}}x"#[..],
            br#"{"kind":"k","version":1,"data":{},"data":{}}"#,
            br#"{"kind":"k","version":1,"data":{},"version":2}"#,
            br#"{"kind":"k","version":1,"data":{}"#,
            br#"{"kind":"k","version":1,"data":{} "id":1}"#,
        ] {
            assert!(!envelope_tail(bad, 33), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn members_match_the_serde_reading() {
        use serde::Deserializer as _;
        for json in [
            r#"{"id":7,"kind":"k","version":1,"data":{"a":"}"},"at" : [1, {"b":null}] }"#,
            r#"{"data":{"x":[1,2]},"kind":"k","version":"1.2","note":"a\"b"}"#,
            r#"{"kind":"k","version":1,"data":{}}"#,
            "{}",
        ] {
            let serde = serde_json::Deserializer::from_slice(json.as_bytes())
                .deserialize_map(super::super::scan::EnvelopeMembers)
                .unwrap();
            assert_eq!(members(json.as_bytes()).unwrap(), serde, "{json}");
        }
        let escaped_key = br#"{"n\u0061me":1,"kind":"k","version":1,"data":{}}"#;
        assert_eq!(members(escaped_key), None, "left to serde");
    }

    #[test]
    fn inline_tag_anywhere_or_none() {
        let first = br#"{"schema_version":2,"name":"x"}"#;
        let tag = Some(Some(StoredTag::Number(2)));
        assert_eq!(inline_tag(first, "schema_version"), tag);
        let later = br#"{"name":{"a":[1,"}"]},"n":2.5,"schema_version":2}"#;
        assert_eq!(inline_tag(later, "schema_version"), tag);
        assert_eq!(inline_tag(br#"{"name":"x"}"#, "v"), Some(None));
        assert_eq!(inline_tag(b" { } ", "v"), Some(None));
        let escaped = br#"{"n\u0061me":1,"v":2}"#;
        assert_eq!(
            inline_tag(escaped, "v"),
            tag,
            "the last field, walked back to"
        );
        for unsure in [
            &br#"{"v":1.5}"#[..],
            br#"{"n\u0061me":1,"v":2,"x":3}"#,
            b"[1]",
            b"{",
        ] {
            assert_eq!(inline_tag(unsure, "v"), None);
        }
    }
}
