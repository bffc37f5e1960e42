//! The full serde pass that finds a record's kind and version tag wherever they are.
//!
//! Used when the sniff cannot tell (fields in another order, escapes, bad input). It skims
//! the data without building it, and its errors carry serde_json's line and column.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::keys::{Key, Seen, Text};
use super::tag::StoredTag;

/// The kind and version tag of an envelope, wherever they are.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    pub(crate) kind: Cow<'a, str>,
    pub(crate) tag: Option<StoredTag<'a>>,
}

/// The header of an envelope, checking its shape: one `kind`, at most one `version`, one
/// `data`.
pub(crate) fn envelope(bytes: &[u8]) -> Result<Header<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let header = de.deserialize_map(EnvelopeHeader)?;
    de.end()?;
    Ok(header)
}

/// The tag of an inline record, `None` when the record has no `field`.
pub(crate) fn inline_tag<'a>(
    bytes: &'a [u8],
    field: &str,
) -> Result<Option<StoredTag<'a>>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let tag = InlineTag { field }.deserialize(&mut de)?;
    de.end()?;
    Ok(tag)
}

struct EnvelopeHeader;

impl<'de> Visitor<'de> for EnvelopeHeader {
    type Value = Header<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an upcast envelope {\"kind\": ..., \"version\": ..., \"data\": ...}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut tag, mut seen) = (None, None, Seen::default());
        while let Some(key) = map.next_key::<Key>()? {
            seen.first(&key)?;
            match key {
                Key::Kind => kind = Some(map.next_value::<Text<'de>>()?.0),
                Key::Version => tag = Some(map.next_value::<StoredTag<'de>>()?),
                Key::Data | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        seen.require_data()?;
        let kind = kind.ok_or_else(|| de::Error::missing_field(Key::KIND))?;
        Ok(Header { kind, tag })
    }
}

/// A field of an envelope other than `kind`, `version` and `data`, as stored: its name and
/// its value's JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Member<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) value: Cow<'a, str>,
}

/// The fields of an envelope other than `kind`, `version` and `data`, in their stored
/// order, values as they are written: what a rewrite of the envelope keeps.
pub(crate) fn members(bytes: &[u8]) -> Result<Vec<Member<'_>>, serde_json::Error> {
    match super::sniff::members(bytes) {
        Some(members) => Ok(members),
        None => serde_json::Deserializer::from_slice(bytes).deserialize_map(EnvelopeMembers),
    }
}

pub(super) struct EnvelopeMembers;

impl<'de> Visitor<'de> for EnvelopeMembers {
    type Value = Vec<Member<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an upcast envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if Key::is_reserved(&key) {
                map.next_value::<IgnoredAny>()?;
            } else {
                let value = map.next_value::<&'de RawValue>()?;
                members.push(Member {
                    key,
                    value: Cow::Borrowed(value.get()),
                });
            }
        }
        Ok(members)
    }
}

/// The member `name` of the JSON object in `bytes`, the others skipped.
pub(crate) fn member(bytes: &[u8], name: &str) -> Result<Option<Value>, serde_json::Error> {
    serde_json::Deserializer::from_slice(bytes).deserialize_map(OneMember { name })
}

struct OneMember<'n> {
    name: &'n str,
}

impl<'de> Visitor<'de> for OneMember<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if key == self.name {
                found = Some(map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The fields of an envelope other than `kind`, `version` and `data`: the metadata steps
/// see. Read only when a step asks for it.
pub(crate) fn metadata(bytes: &[u8]) -> Result<Map<String, Value>, serde_json::Error> {
    members(bytes)?
        .into_iter()
        .map(|member| {
            Ok((
                member.key.into_owned(),
                serde_json::from_str(&member.value)?,
            ))
        })
        .collect()
}

struct InlineTag<'f> {
    field: &'f str,
}

impl<'de> DeserializeSeed<'de> for InlineTag<'_> {
    type Value = Option<StoredTag<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for InlineTag<'_> {
    type Value = Option<StoredTag<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record: a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut tag = None;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if key != self.field {
                map.next_value::<IgnoredAny>()?;
            } else if tag.is_some() {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            } else {
                tag = Some(map.next_value::<StoredTag<'de>>()?);
            }
        }
        Ok(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_header_after_the_data() {
        let json = br#"{"data":{"a":[1,2]},"id":7,"version":"2.1","kind":"user"}"#;
        let header = envelope(json).unwrap();
        assert_eq!(header.kind, "user");
        assert_eq!(header.tag, Some(StoredTag::Text("2.1".into())));
    }

    #[test]
    fn a_missing_version_is_untagged() {
        assert_eq!(envelope(br#"{"kind":"user","data":{}}"#).unwrap().tag, None);
    }

    #[test]
    fn refuses_bad_envelopes_with_positions() {
        let cases: [(&[u8], &str); 5] = [
            (br#"{"kind":"user","version":1}"#, "missing field `data`"),
            (br#"{"version":1,"data":{}}"#, "missing field `kind`"),
            (
                br#"{"kind":"user","version":1,"version":2,"data":{}}"#,
                "duplicate field `version`",
            ),
            (
                br#"{"kind":"user","version":1,"data":{}} x"#,
                "trailing characters",
            ),
            (b"[1]", "expected an upcast envelope"),
        ];
        for (json, message) in cases {
            let error = envelope(json).unwrap_err().to_string();
            assert!(
                error.contains(message) && error.contains("column"),
                "{error}"
            );
        }
    }

    #[test]
    fn metadata_is_every_other_field() {
        let json = br#"{"id":1,"kind":"k","data":{"id":2},"version":1,"at":"now"}"#;
        let metadata = metadata(json).unwrap();
        assert_eq!(
            Value::Object(metadata),
            serde_json::json!({"id": 1, "at": "now"})
        );
    }

    #[test]
    fn inline_tag_anywhere_or_none() {
        let later = inline_tag(br#"{"name":"x","v":3}"#, "v").unwrap();
        assert_eq!(later, Some(StoredTag::Number(3)));
        assert_eq!(inline_tag(br#"{"name":"x"}"#, "v").unwrap(), None);
        assert!(inline_tag(br#"{"v":1,"v":2}"#, "v").is_err());
    }
}
