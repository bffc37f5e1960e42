//! Where a record's data is, and the one generic function that decodes it.

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed};
use serde_json::Value;

use super::seed::{EnvelopeSeed, InlineSeed};
use super::sniff::{self, DataAt};

/// A record's data, once its version is known.
#[doc(hidden)]
pub enum Source<'a> {
    /// A whole envelope; the data is under `data`, somewhere.
    Envelope(&'a [u8]),
    /// A whole envelope whose data is at `data` and whose fields before it were checked
    /// already.
    EnvelopeAt { bytes: &'a [u8], data: DataAt },
    /// A record with its version tag in `field`.
    Inline { bytes: &'a [u8], field: &'a str },
    /// The record alone, its version kept elsewhere.
    Bare(&'a [u8]),
    /// The record alone, already parsed (tag and envelope removed).
    Value(Value),
}

impl<'a> Source<'a> {
    /// The envelope's bytes, where its metadata can be read.
    pub(crate) fn envelope(&self) -> Option<&'a [u8]> {
        match self {
            Source::Envelope(bytes) | Source::EnvelopeAt { bytes, .. } => Some(bytes),
            _ => None,
        }
    }

    /// The JSON object that holds the record's own members besides its data (the envelope,
    /// or the inline record itself), where set-aside values are kept.
    pub(crate) fn record(&self) -> Option<&'a [u8]> {
        match self {
            Source::Envelope(bytes)
            | Source::EnvelopeAt { bytes, .. }
            | Source::Inline { bytes, .. } => Some(bytes),
            Source::Bare(_) | Source::Value(_) => None,
        }
    }
}

/// Why decoding failed: the envelope around the data, or the data itself.
pub(crate) enum DecodeError {
    Envelope(serde_json::Error),
    Data(serde_json::Error),
}

/// Decodes the data of `source` as `V`, in one pass over the data.
pub(crate) fn decode<V: DeserializeOwned>(source: Source<'_>) -> Result<V, DecodeError> {
    match source {
        Source::EnvelopeAt { bytes, data } => match decode_at(bytes, &data) {
            Some(value) => Ok(value),
            // Bad data or an odd tail: the full pass finds the error and its position.
            None => decode_envelope(bytes),
        },
        Source::Envelope(bytes) => decode_envelope(bytes),
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

/// Deserializes the data value at `data` straight into `V`; `None` when it is not valid or
/// the envelope does not close properly after it.
pub(crate) fn decode_at<V: DeserializeOwned>(bytes: &[u8], data: &DataAt) -> Option<V> {
    let at = match data {
        DataAt::Span(span) => return serde_json::from_slice(bytes.get(span.clone())?).ok(),
        DataAt::Start(at) => *at,
    };
    let rest = bytes.get(at..)?;
    // upcast writes `data` last, so the value runs to the envelope's closing brace and is
    // read by `serde_json::from_slice` itself: the very code of the payload-only floor.
    if let Some(data) = before_closing_brace(rest)
        && let Ok(value) = serde_json::from_slice(data)
    {
        return Some(value);
    }
    // Fields after `data` (other writers): read the value where it is, then the rest.
    let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<V>();
    let value = values.next()?.ok()?;
    sniff::envelope_tail(bytes, at + values.byte_offset()).then_some(value)
}

/// `rest` without its last `}` and the whitespace after it.
fn before_closing_brace(rest: &[u8]) -> Option<&[u8]> {
    let end = rest.iter().rposition(|b| !b.is_ascii_whitespace())?;
    (rest.get(end) == Some(&b'}'))
        .then(|| rest.get(..end))
        .flatten()
}

fn decode_envelope<V: DeserializeOwned>(bytes: &[u8]) -> Result<V, DecodeError> {
    let mut data_failed = false;
    let seed = EnvelopeSeed::<V> {
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
        decode(source)
    }

    #[test]
    fn envelope_at_reads_the_data_in_place() {
        let json = br#"{"kind":"p","version":1,"data":{"x":1,"y":2},"at":5}"#;
        let read = point(Source::EnvelopeAt {
            bytes: json,
            data: DataAt::Start(31),
        });
        assert!(matches!(read, Ok(Point { x: 1, y: 2 })));
        let first = br#"{"data":{"x":1,"y":2},"kind":"p","version":1}"#;
        let read = point(Source::EnvelopeAt {
            bytes: first,
            data: DataAt::Span(8..21),
        });
        assert!(matches!(read, Ok(Point { x: 1, y: 2 })));
    }

    #[test]
    fn envelope_at_falls_back_for_positioned_errors() {
        let json = br#"{"kind":"p","version":1,"data":{"x":1}}"#;
        let Err(DecodeError::Data(error)) = point(Source::EnvelopeAt {
            bytes: json,
            data: DataAt::Start(31),
        }) else {
            panic!("expected a data error");
        };
        assert_eq!((error.line(), error.column()), (1, 38));
        let twice = br#"{"kind":"p","version":1,"data":{"x":1,"y":2},"data":{}}"#;
        let read = point(Source::EnvelopeAt {
            bytes: twice,
            data: DataAt::Start(31),
        });
        assert!(matches!(read, Err(DecodeError::Envelope(_))));
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
        let twice = br#"{"v":1,"x":1,"v":2,"y":2}"#;
        assert!(
            point(Source::Inline {
                bytes: twice,
                field: "v"
            })
            .is_err()
        );
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
