//! Map keys, borrowed from the input whenever serde_json can.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A string that borrows from the input when it has no escapes.
pub(crate) struct Text<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor).map(Text)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(text))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text))
    }
}

/// A key of an envelope object; the names of other keys are not kept.
pub(crate) enum Key {
    Kind,
    Version,
    Data,
    Other,
}

impl Key {
    pub(crate) const KIND: &'static str = "kind";
    pub(crate) const VERSION: &'static str = "version";
    pub(crate) const DATA: &'static str = "data";
    /// Values set aside by downcasts (see [`SetAside`](crate::SetAside)).
    pub(crate) const SET_ASIDE: &'static str = crate::set_aside::MEMBER;

    /// Whether `name` is one of the envelope's own fields rather than metadata.
    pub(crate) fn is_reserved(name: &str) -> bool {
        [Key::KIND, Key::VERSION, Key::DATA, Key::SET_ASIDE].contains(&name)
    }

    fn of(name: &[u8]) -> Key {
        match name {
            b"kind" => Key::Kind,
            b"version" => Key::Version,
            b"data" => Key::Data,
            _ => Key::Other,
        }
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // As bytes: serde_json then skips the UTF-8 check our three ASCII names do not need.
        deserializer.deserialize_bytes(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_bytes<E: de::Error>(self, name: &[u8]) -> Result<Key, E> {
        Ok(Key::of(name))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(Key::of(name.as_bytes()))
    }
}

/// Remembers which of the envelope's own fields were seen, to refuse duplicates: a second
/// `version` could otherwise be read by one pass and not by the other.
#[derive(Default)]
pub(crate) struct Seen {
    kind: bool,
    version: bool,
    data: bool,
}

impl Seen {
    pub(crate) fn first<E: de::Error>(&mut self, key: &Key) -> Result<(), E> {
        let (flag, name) = match key {
            Key::Kind => (&mut self.kind, Key::KIND),
            Key::Version => (&mut self.version, Key::VERSION),
            Key::Data => (&mut self.data, Key::DATA),
            Key::Other => return Ok(()),
        };
        if std::mem::replace(flag, true) {
            return Err(E::duplicate_field(name));
        }
        Ok(())
    }

    pub(crate) fn require_data<E: de::Error>(&self) -> Result<(), E> {
        if self.data {
            Ok(())
        } else {
            Err(E::missing_field(Key::DATA))
        }
    }
}
