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

/// A key of an envelope object.
pub(crate) enum Key<'de> {
    Kind,
    Version,
    Data,
    Other(Cow<'de, str>),
}

impl Key<'_> {
    pub(crate) const KIND: &'static str = "kind";
    pub(crate) const VERSION: &'static str = "version";
    pub(crate) const DATA: &'static str = "data";
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Text(name) = Text::deserialize(deserializer)?;
        Ok(match name.as_ref() {
            Key::KIND => Key::Kind,
            Key::VERSION => Key::Version,
            Key::DATA => Key::Data,
            _ => Key::Other(name),
        })
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
    pub(crate) fn first<E: de::Error>(&mut self, key: &Key<'_>) -> Result<(), E> {
        let (flag, name) = match key {
            Key::Kind => (&mut self.kind, Key::KIND),
            Key::Version => (&mut self.version, Key::VERSION),
            Key::Data => (&mut self.data, Key::DATA),
            Key::Other(_) => return Ok(()),
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
