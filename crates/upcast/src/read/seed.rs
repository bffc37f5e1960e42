//! The single pass that reads a record's data into its version's type.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StringDeserializer};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::keys::{Key, Seen, Text};

/// Reads a whole envelope, deserializing `data` straight into `V`. The kind and version
/// were read before and are skipped, like the metadata (read lazily, if a step asks).
pub(crate) struct EnvelopeSeed<'m, V> {
    /// Set when the error came from inside `data`, to tell the caller whom to blame.
    pub(crate) data_failed: &'m mut bool,
    pub(crate) marker: PhantomData<V>,
}

impl<'de, V: Deserialize<'de>> DeserializeSeed<'de> for EnvelopeSeed<'_, V> {
    type Value = V;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, V: Deserialize<'de>> Visitor<'de> for EnvelopeSeed<'_, V> {
    type Value = V;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an upcast envelope {\"kind\": ..., \"version\": ..., \"data\": ...}")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<V, A::Error> {
        let (mut data, mut seen) = (None, Seen::default());
        while let Some(key) = map.next_key::<Key>()? {
            seen.first(&key)?;
            match key {
                Key::Data => data = Some(self.data(&mut map)?),
                Key::Kind | Key::Version | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        data.ok_or_else(|| de::Error::missing_field(Key::DATA))
    }
}

impl<V> EnvelopeSeed<'_, V> {
    fn data<'de, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<V, A::Error>
    where
        V: Deserialize<'de>,
    {
        let data = map.next_value::<V>();
        *self.data_failed = data.is_err();
        data
    }
}

/// Reads an inline record into `V`, hiding the tag field from `V`'s own deserializer (which
/// may deny unknown fields).
pub(crate) struct InlineSeed<'f, V> {
    pub(crate) field: &'f str,
    pub(crate) marker: PhantomData<V>,
}

impl<'de, V: Deserialize<'de>> DeserializeSeed<'de> for InlineSeed<'_, V> {
    type Value = V;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, V: Deserialize<'de>> Visitor<'de> for InlineSeed<'_, V> {
    type Value = V;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record: a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V, A::Error> {
        let mut without_tag = WithoutTag {
            map,
            field: self.field,
            tag_seen: false,
        };
        let record = V::deserialize(RecordDeserializer(&mut without_tag))?;
        // An externally tagged enum reads one entry and stops: a tag after it is still
        // there, and anything else would be serde_json's trailing input too.
        match without_tag.next_key::<Text<'de>>()? {
            None => Ok(record),
            Some(Text(key)) => Err(de::Error::custom(format_args!(
                "unexpected field `{key}` after the record"
            ))),
        }
    }
}

/// The record as a map, answering as serde_json does: a newtype record
/// (`struct Doc(Map<String, Value>)`) is handed the record itself, an externally tagged enum
/// reads its one key as the variant, everything else sees the map.
struct RecordDeserializer<A>(A);

impl<'de, A: MapAccess<'de>> Deserializer<'de> for RecordDeserializer<A> {
    type Error = A::Error;

    fn deserialize_any<W: Visitor<'de>>(self, visitor: W) -> Result<W::Value, A::Error> {
        visitor.visit_map(self.0)
    }

    fn deserialize_newtype_struct<W: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: W,
    ) -> Result<W::Value, A::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<W: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, A::Error> {
        MapAccessDeserializer::new(self.0).deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A map with one key taken out.
struct WithoutTag<'f, A> {
    map: A,
    field: &'f str,
    /// Whether the tag was met: a second one is an error, as the two could disagree.
    tag_seen: bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WithoutTag<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(Text(key)) = self.map.next_key::<Text<'de>>()? else {
                return Ok(None);
            };
            if key == self.field {
                if std::mem::replace(&mut self.tag_seen, true) {
                    return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                }
                self.map.next_value::<IgnoredAny>()?;
                continue;
            }
            if key == Key::SET_ASIDE {
                self.map.next_value::<IgnoredAny>()?;
                continue;
            }
            return match key {
                std::borrow::Cow::Borrowed(key) => {
                    seed.deserialize(BorrowedStrDeserializer::new(key))
                }
                std::borrow::Cow::Owned(key) => seed.deserialize(StringDeserializer::new(key)),
            }
            .map(Some);
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}
