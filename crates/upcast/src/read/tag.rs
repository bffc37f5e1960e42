//! A version tag as found in stored data, before it is parsed.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::{Error, Tag, Version};

/// The stored form of a version tag: a JSON integer or a JSON string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StoredTag<'a> {
    Number(u64),
    Text(Cow<'a, str>),
}

impl StoredTag<'_> {
    /// Whether the stored tag is exactly the declared one, byte for byte: the fast path
    /// for records written by the type that reads them.
    pub(crate) fn is(&self, declared: Tag) -> bool {
        match (self, declared) {
            (StoredTag::Number(stored), Tag::Number(declared)) => *stored == declared,
            (StoredTag::Text(stored), Tag::Text(declared)) => stored == declared,
            _ => false,
        }
    }

    pub(crate) fn version(&self) -> Result<Version, Error> {
        match self {
            StoredTag::Number(major) => Ok(Version::new(*major, 0, 0)),
            StoredTag::Text(text) => Version::parse(text),
        }
    }
}

impl fmt::Display for StoredTag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoredTag::Number(major) => write!(f, "{major}"),
            StoredTag::Text(text) => f.write_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for StoredTag<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StoredTagVisitor)
    }
}

struct StoredTagVisitor;

impl<'de> Visitor<'de> for StoredTagVisitor {
    type Value = StoredTag<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a version tag: a non-negative integer or a string")
    }

    fn visit_u64<E: de::Error>(self, major: u64) -> Result<Self::Value, E> {
        Ok(StoredTag::Number(major))
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(StoredTag::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(StoredTag::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(StoredTag::Text(Cow::Owned(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_match_needs_the_declared_form() {
        assert!(StoredTag::Number(2).is(Tag::Number(2)));
        assert!(!StoredTag::Number(2).is(Tag::Text("2")));
        assert!(StoredTag::Text("3.1.0".into()).is(Tag::Text("3.1.0")));
        assert!(!StoredTag::Text("3.1".into()).is(Tag::Text("3.1.0")));
    }

    #[test]
    fn floats_and_negatives_are_not_tags() {
        let float = serde_json::from_str::<StoredTag<'_>>("2.5").unwrap_err();
        assert!(
            float.to_string().contains("expected a version tag"),
            "{float}"
        );
        assert!(serde_json::from_str::<StoredTag<'_>>("-1").is_err());
        assert!(serde_json::from_str::<StoredTag<'_>>("null").is_err());
    }
}
