//! Where a record's data is, and the one generic function that decodes it.

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed};
use serde_json::{Map, Value};

use super::seed::{EnvelopeSeed, InlineSeed};

/// A record's data, once its version is known.
#[doc(hidden)]
pub enum Source<'a> {
    /// A whole envelope; the data is under `data`.
    Envelope(&'a [u8]),
    /// A record with its version tag in `field`.
    Inline { bytes: &'a [u8], field: &'a str },
    /// The record alone, its version kept elsewhere.
    Bare(&'a [u8]),
    /// The record alone, already parsed (tag and envelope removed).
    Value(Value),
}

/// Why decoding failed: the envelope around the data, or the data itself.
pub(crate) enum DecodeError {
    Envelope(serde_json::Error),
    Data(serde_json::Error),
}

/// Decodes the data of `source` as `V` in one pass. For envelopes, the fields other than
/// `kind`, `version` and `data` go to `metadata` when it is given.
pub(crate) fn decode<V: DeserializeOwned>(
    source: Source<'_>,
    metadata: Option<&mut Map<String, Value>>,
) -> Result<V, DecodeError> {
    match source {
        Source::Envelope(bytes) => decode_envelope(bytes, metadata),
        Source::Inline { bytes, field } => {
            let seed = InlineSeed::<V> {
                field,
                marker: PhantomData,
            };
            decode_whole(bytes, seed).map_err(DecodeError::Data)
        }
        Source::Bare(bytes) => serde_json::from_slice(bytes).map_err(DecodeError::Data),
        Source::Value(value) => V::deserialize(value).map_err(DecodeError::Data),
    }
}

fn decode_envelope<V: DeserializeOwned>(
    bytes: &[u8],
    metadata: Option<&mut Map<String, Value>>,
) -> Result<V, DecodeError> {
    let mut data_failed = false;
    let seed = EnvelopeSeed::<V> {
        metadata,
        data_failed: &mut data_failed,
        marker: PhantomData,
    };
    decode_whole(bytes, seed).map_err(|error| match data_failed {
        true => DecodeError::Data(error),
        false => DecodeError::Envelope(error),
    })
}

fn decode_whole<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Point {
        x: i32,
        y: i32,
    }

    fn point(source: Source<'_>) -> Result<Point, DecodeError> {
        decode(source, None)
    }

    #[test]
    fn envelope_keeps_metadata_on_request() {
        let json = br#"{"id":"e1","kind":"p","version":1,"data":{"x":1,"y":2},"at":5}"#;
        let mut metadata = Map::new();
        let read: Result<Point, _> = decode(Source::Envelope(json), Some(&mut metadata));
        assert!(matches!(read, Ok(Point { x: 1, y: 2 })));
        assert_eq!(
            Value::Object(metadata),
            serde_json::json!({"id": "e1", "at": 5})
        );
    }

    #[test]
    fn envelope_errors_say_whose_fault() {
        let bad_data = br#"{"kind":"p","version":1,"data":{"x":1}}"#;
        assert!(matches!(
            point(Source::Envelope(bad_data)),
            Err(DecodeError::Data(_))
        ));
        let bad_envelope = br#"{"kind":"p","version":1,"data":{"x":1,"y":2},"data":1}"#;
        assert!(matches!(
            point(Source::Envelope(bad_envelope)),
            Err(DecodeError::Envelope(_))
        ));
    }

    #[test]
    fn inline_hides_the_tag_from_strict_types() {
        let json = br#"{"x":1,"v":"2","y":2}"#;
        let read = point(Source::Inline {
            bytes: json,
            field: "v",
        });
        assert!(matches!(read, Ok(Point { x: 1, y: 2 })));
        let escaped = br#"{"\u0078":1,"v":"2","y":2}"#;
        assert!(
            point(Source::Inline {
                bytes: escaped,
                field: "v"
            })
            .is_ok()
        );
    }
}
