//! Opening a record: finding its kind and version tag, before decoding its data.

use std::borrow::Cow;

use serde::de::{self, Deserialize, Unexpected};
use serde_json::{Map, Value};

use super::header::Header;
use super::keys::Key;
use super::source::{DecodeError, Source, decode, decode_at};
use super::tag::StoredTag;
use super::{scan, sniff};
use crate::{Error, Tag, Version, Versioned};

/// A read request: the layout and the bytes or value. Built by the read functions.
#[doc(hidden)]
pub struct Input<'a> {
    shape: Shape<'a>,
    body: Body<'a>,
}

enum Shape<'a> {
    Envelope,
    Inline(&'a str),
    External(&'a Version),
}

enum Body<'a> {
    Bytes(&'a [u8]),
    Value(Value),
}

impl<'a> Input<'a> {
    pub(crate) fn envelope(bytes: &'a [u8]) -> Self {
        Input {
            shape: Shape::Envelope,
            body: Body::Bytes(bytes),
        }
    }

    pub(crate) fn envelope_value(value: Value) -> Self {
        Input {
            shape: Shape::Envelope,
            body: Body::Value(value),
        }
    }

    pub(crate) fn inline(field: &'a str, bytes: &'a [u8]) -> Self {
        Input {
            shape: Shape::Inline(field),
            body: Body::Bytes(bytes),
        }
    }

    pub(crate) fn inline_value(field: &'a str, value: Value) -> Self {
        Input {
            shape: Shape::Inline(field),
            body: Body::Value(value),
        }
    }

    pub(crate) fn external(version: &'a Version, bytes: &'a [u8]) -> Self {
        Input {
            shape: Shape::External(version),
            body: Body::Bytes(bytes),
        }
    }

    pub(crate) fn external_value(version: &'a Version, value: Value) -> Self {
        Input {
            shape: Shape::External(version),
            body: Body::Value(value),
        }
    }

    /// Finds the kind and version tag. `kind` is the kind being read, if a type was named;
    /// the inline and external layouts store no kind and take it from there.
    pub fn open(self, kind: Option<&'a str>) -> Result<Opened<'a>, Error> {
        let layout = self.layout_name();
        let located = self.locate(kind)?;
        let kind = match (located.kind, kind) {
            (Some(found), Some(expected)) if found != expected => {
                return Err(Error::KindMismatch {
                    expected: expected.to_owned(),
                    found: found.into_owned(),
                });
            }
            (Some(found), _) => found,
            (None, Some(expected)) => Cow::Borrowed(expected),
            (None, None) => {
                return Err(Error::Json(de::Error::custom(format_args!(
                    "the {layout} layout stores no kind: name the type to read"
                ))));
            }
        };
        Ok(Opened {
            kind,
            stamp: located.stamp,
            source: located.source,
            metadata: located.metadata,
        })
    }

    /// Opens the record to read it as `T`, and reads it at once when `T` itself wrote it:
    /// the path of current records, with no registry and no boxing.
    pub(crate) fn open_for<T: Versioned>(self) -> Result<Opening<'a, T>, Error> {
        if let (Shape::Envelope, Body::Bytes(bytes)) = (&self.shape, &self.body)
            && let Some(header) = sniff::envelope(bytes)
            && header.kind == T::KIND.as_bytes()
        {
            let exact = header.tag.is(T::VERSION);
            if exact && let Some(value) = decode_at::<T>(bytes, header.data_at) {
                return Ok(Opening::Read(value));
            }
            if !exact && let Some(tag) = header.tag.stored() {
                let source = Source::EnvelopeAt {
                    bytes,
                    data: header.data_at,
                };
                let kind = Cow::Borrowed(T::KIND);
                let metadata = Map::new();
                return Ok(Opening::Opened(Opened {
                    kind,
                    stamp: Stamp::Tag(tag),
                    source,
                    metadata,
                }));
            }
        }
        let record = self.open(Some(T::KIND))?;
        if record.is_exactly(Candidate::of::<T>()) {
            return record.decode::<T>().map(Opening::Read);
        }
        Ok(Opening::Opened(record))
    }

    /// The kind and version tag, without decoding the data.
    pub(crate) fn header(self) -> Result<Header, Error> {
        let located = self.locate(None)?;
        Header::new(located.kind.map(Cow::into_owned), &located.stamp)
    }

    fn layout_name(&self) -> &'static str {
        match self.shape {
            Shape::Envelope => "envelope",
            Shape::Inline(_) => "inline",
            Shape::External(_) => "external",
        }
    }

    /// Finds the kind (envelopes only) and the version tag. `expected` is the kind being
    /// read, if known, which spares checking a stored kind that equals it.
    fn locate(self, expected: Option<&'a str>) -> Result<Located<'a>, Error> {
        let (stamp, source) = match (self.shape, self.body) {
            (Shape::Envelope, Body::Bytes(bytes)) => return locate_envelope(bytes, expected),
            (Shape::Envelope, Body::Value(value)) => return locate_envelope_value(value),
            (Shape::Inline(field), Body::Bytes(bytes)) => locate_inline(field, bytes)?,
            (Shape::Inline(field), Body::Value(value)) => locate_inline_value(field, value)?,
            (Shape::External(version), Body::Bytes(bytes)) => {
                (Stamp::Known(version), Source::Bare(bytes))
            }
            (Shape::External(version), Body::Value(value)) => {
                (Stamp::Known(version), Source::Value(value))
            }
        };
        Ok(Located {
            kind: None,
            stamp,
            source,
            metadata: Map::new(),
        })
    }
}

/// What opening a record for a type found.
pub(crate) enum Opening<'a, T> {
    /// The type itself wrote the record, which is read already.
    Read(T),
    /// Another version, still to decode.
    Opened(Opened<'a>),
}

/// What the layout says of a record: the kind only envelopes store.
struct Located<'a> {
    kind: Option<Cow<'a, str>>,
    stamp: Stamp<'a>,
    source: Source<'a>,
    metadata: Map<String, Value>,
}

/// A record whose kind and version tag are known and whose data is still undecoded.
#[doc(hidden)]
pub struct Opened<'a> {
    pub(crate) kind: Cow<'a, str>,
    pub(crate) stamp: Stamp<'a>,
    pub(crate) source: Source<'a>,
    pub(crate) metadata: Map<String, Value>,
}

/// How the stored version is known.
pub(crate) enum Stamp<'a> {
    /// From a tag in the data.
    Tag(StoredTag<'a>),
    /// Given by the caller (external layout).
    Known(&'a Version),
    /// The record carries no tag.
    Untagged,
}

impl Stamp<'_> {
    /// The stored version as written; `None` for an untagged record.
    pub(crate) fn written(&self) -> Option<String> {
        match self {
            Stamp::Tag(tag) => Some(tag.to_string()),
            Stamp::Known(version) => Some(version.to_string()),
            Stamp::Untagged => None,
        }
    }
}

/// What a reader needs to know of one version to pick it: its tag and whether it reads
/// untagged records.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Candidate {
    tag: Tag,
    untagged: bool,
}

impl Candidate {
    /// The candidate for the version `V`.
    pub const fn of<V: Versioned>() -> Self {
        Candidate {
            tag: V::VERSION,
            untagged: V::UNTAGGED,
        }
    }
}

impl Opened<'_> {
    /// Whether the record is exactly at `candidate`'s version, as its writer wrote it.
    pub(crate) fn is_exactly(&self, candidate: Candidate) -> bool {
        match &self.stamp {
            Stamp::Tag(tag) => tag.is(candidate.tag),
            Stamp::Known(version) => candidate.tag.is(version),
            Stamp::Untagged => candidate.untagged,
        }
    }

    /// Picks the candidate whose version reads this record: first by its exact tag, then by
    /// semver range. `None` when none does.
    pub fn select(&self, candidates: &[Candidate]) -> Result<Option<usize>, Error> {
        if let Some(exact) = candidates.iter().position(|c| self.is_exactly(*c)) {
            return Ok(Some(exact));
        }
        let stored = match &self.stamp {
            Stamp::Tag(tag) => tag.version()?,
            Stamp::Known(version) => (*version).clone(),
            Stamp::Untagged => return Ok(None),
        };
        for (index, candidate) in candidates.iter().enumerate() {
            if candidate.tag.version()?.reads(&stored) {
                return Ok(Some(index));
            }
        }
        Ok(None)
    }

    /// The error for a record none of `candidates` reads.
    pub fn unknown_version(&self, candidates: &[Candidate]) -> Error {
        let known: Result<Vec<Version>, Error> =
            candidates.iter().map(|c| c.tag.version()).collect();
        let stored = match &self.stamp {
            Stamp::Tag(tag) => tag.version(),
            Stamp::Known(version) => Ok((*version).clone()),
            Stamp::Untagged => return self.missing_version(),
        };
        match (stored, known) {
            (Ok(version), Ok(known)) => unknown_version(&self.kind, &self.stamp, version, known),
            (Err(error), _) | (_, Err(error)) => error,
        }
    }

    pub(crate) fn missing_version(&self) -> Error {
        let field = match &self.source {
            Source::Inline { field, .. } => (*field).to_owned(),
            _ => Key::VERSION.to_owned(),
        };
        Error::MissingVersion {
            kind: self.kind.clone().into_owned(),
            field,
        }
    }

    /// Decodes the data as `V`, with no steps.
    pub fn decode<V: Versioned>(self) -> Result<V, Error> {
        let Opened {
            kind,
            stamp,
            source,
            ..
        } = self;
        decode::<V>(source).map_err(|error| decode_error(&kind, &stamp, V::VERSION, error))
    }
}

/// The error for a record stored at `version` that no registered or listed version reads.
pub(crate) fn unknown_version(
    kind: &str,
    stamp: &Stamp<'_>,
    version: Version,
    mut known: Vec<Version>,
) -> Error {
    known.sort();
    let written = stamp.written().unwrap_or_else(|| version.to_string());
    match known.last() {
        Some(newest) if version > *newest => Error::NewerVersion {
            kind: kind.to_owned(),
            version: written,
            newest: newest.clone(),
        },
        _ => Error::UnknownVersion {
            kind: kind.to_owned(),
            version: written,
            known,
        },
    }
}

pub(crate) fn decode_error(
    kind: &str,
    stamp: &Stamp<'_>,
    read_as: Tag,
    error: DecodeError,
) -> Error {
    match error {
        DecodeError::Envelope(source) => Error::Json(source),
        DecodeError::Data(source) => Error::Data {
            kind: kind.to_owned(),
            version: stamp.written().unwrap_or_else(|| read_as.to_string()),
            source,
        },
    }
}

fn locate_envelope<'a>(bytes: &'a [u8], expected: Option<&'a str>) -> Result<Located<'a>, Error> {
    if let Some(header) = sniff::envelope(bytes) {
        let kind = match expected {
            Some(expected) if expected.as_bytes() == header.kind => Some(expected),
            _ => std::str::from_utf8(header.kind).ok(),
        };
        if let (Some(kind), Some(tag)) = (kind, header.tag.stored()) {
            return Ok(Located {
                kind: Some(Cow::Borrowed(kind)),
                stamp: Stamp::Tag(tag),
                source: Source::EnvelopeAt {
                    bytes,
                    data: header.data_at,
                },
                metadata: Map::new(),
            });
        }
    }
    let header = scan::envelope(bytes).map_err(Error::Json)?;
    Ok(Located {
        kind: Some(header.kind),
        stamp: header.tag.map_or(Stamp::Untagged, Stamp::Tag),
        source: Source::Envelope(bytes),
        metadata: Map::new(),
    })
}

fn locate_envelope_value(value: Value) -> Result<Located<'static>, Error> {
    let mut fields = into_object(value, "an upcast envelope")?;
    let kind = match fields.remove(Key::KIND) {
        Some(Value::String(kind)) => kind,
        Some(other) => return Err(invalid_type(&other, "a kind: a string")),
        None => return Err(Error::Json(de::Error::missing_field(Key::KIND))),
    };
    let stamp = match fields.remove(Key::VERSION) {
        Some(tag) => Stamp::Tag(StoredTag::deserialize(tag).map_err(Error::Json)?),
        None => Stamp::Untagged,
    };
    let data = fields
        .remove(Key::DATA)
        .ok_or_else(|| Error::Json(de::Error::missing_field(Key::DATA)))?;
    Ok(Located {
        kind: Some(Cow::Owned(kind)),
        stamp,
        source: Source::Value(data),
        metadata: fields,
    })
}

fn locate_inline<'a>(field: &'a str, bytes: &'a [u8]) -> Result<(Stamp<'a>, Source<'a>), Error> {
    let tag = match sniff::inline_tag(bytes, field) {
        Some(tag) => Some(tag),
        None => scan::inline_tag(bytes, field).map_err(Error::Json)?,
    };
    Ok((
        tag.map_or(Stamp::Untagged, Stamp::Tag),
        Source::Inline { bytes, field },
    ))
}

fn locate_inline_value(
    field: &str,
    value: Value,
) -> Result<(Stamp<'static>, Source<'static>), Error> {
    let mut fields = into_object(value, "a record: a JSON object")?;
    let stamp = match fields.remove(field) {
        Some(tag) => Stamp::Tag(StoredTag::deserialize(tag).map_err(Error::Json)?),
        None => Stamp::Untagged,
    };
    Ok((stamp, Source::Value(Value::Object(fields))))
}

fn into_object(value: Value, expected: &str) -> Result<Map<String, Value>, Error> {
    match value {
        Value::Object(fields) => Ok(fields),
        other => Err(invalid_type(&other, expected)),
    }
}

fn invalid_type(value: &Value, expected: &str) -> Error {
    let unexpected = match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, f) => Unexpected::Float(f.unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    };
    Error::Json(de::Error::invalid_type(unexpected, &expected))
}
