//! Opening a record: finding its kind and version tag, before decoding its data.

use std::any::Any;
use std::borrow::Cow;

use serde::de::{self, Deserialize, Unexpected};
use serde_json::{Map, Value};

use super::header::Header;
use super::keys::Key;
use super::opened::{Opened, Stamp};
use super::source::{Source, decode_at};
use super::tag::StoredTag;
use super::{scan, sniff};
use crate::registry::Registries;
use crate::{Error, Layout, Version, Versioned};

/// A read request: the layout, the bytes or value, and what the read runs with. Built by
/// the read functions.
#[doc(hidden)]
pub struct Input<'a> {
    layout: &'a Layout,
    /// The version the caller supplies, in the external layout only.
    external: Option<External<'a>>,
    body: Body<'a>,
    pub(crate) env: Env<'a>,
}

/// The version of an external-layout record, as the caller supplies it.
#[derive(Clone, Copy)]
pub(crate) enum External<'a> {
    /// Parsed.
    Known(&'a Version),
    /// As kept beside the record (a column's text), which keeps its written form.
    Column(&'a str),
}

/// What a read runs with besides the record: the registry and the caller's options.
#[derive(Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) registry: Registries<'a>,
    pub(crate) options: Option<&'a (dyn Any + Sync)>,
}

/// The stored record, as bytes or as a parsed JSON value.
pub(crate) enum Body<'a> {
    Bytes(&'a [u8]),
    Value(Value),
}

impl<'a> Input<'a> {
    /// A request to read `body` in `layout`; `external` is the version supplied by the
    /// caller, which the external layout needs and the others refuse.
    #[inline]
    pub(crate) fn new(
        layout: &'a Layout,
        body: Body<'a>,
        external: Option<External<'a>>,
        env: Env<'a>,
    ) -> Result<Self, Error> {
        match (layout, external.is_some()) {
            (Layout::Envelope | Layout::Inline { .. }, false) | (Layout::External { .. }, true) => {
            }
            (Layout::External { .. }, false) => {
                return Err(Error::layout_mismatch(
                    layout,
                    "keeps the version outside the record: pass it with a `*_at` read function",
                ));
            }
            (_, true) => {
                return Err(Error::layout_mismatch(
                    layout,
                    "reads the version from the record: use a read function without `_at`",
                ));
            }
        }
        Ok(Input {
            layout,
            external,
            body,
            env,
        })
    }

    /// Finds the kind and version tag. `kind` is the kind being read, if a type was named;
    /// the inline and external layouts store no kind and take it from there, or from the
    /// layout.
    pub fn open(self, kind: Option<&'a str>) -> Result<Opened<'a>, Error> {
        let layout = self.layout.name();
        let kind = kind.or(self.layout.kind());
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
                    "the {layout} layout stores no kind: name the type to read, or the kind \
                     with `Layout::with_kind`"
                ))));
            }
        };
        Ok(Opened {
            kind,
            stamp: located.stamp,
            source: located.source,
            metadata: located.metadata,
            set_aside: located.set_aside,
        })
    }

    /// Opens the record to read it as `T`, and reads it at once when `T` itself wrote it:
    /// the path of current records, with no registry and no boxing.
    pub(crate) fn open_for<T: Versioned>(self) -> Result<Opening<'a, T>, Error> {
        if let (Layout::Envelope, Body::Bytes(bytes)) = (self.layout, &self.body)
            && let Some(header) = sniff::envelope(bytes)
            && header.kind == T::KIND.as_bytes()
        {
            let exact = header.tag.is(T::VERSION);
            if exact && let Some(value) = decode_at::<T>(bytes, &header.data) {
                return Ok(Opening::Read {
                    value,
                    untagged: false,
                });
            }
            if !exact && let Some(tag) = header.tag.stored() {
                return Ok(Opening::Opened(Opened {
                    kind: Cow::Borrowed(T::KIND),
                    stamp: Stamp::Tag(tag),
                    source: Source::EnvelopeAt {
                        bytes,
                        data: header.data,
                    },
                    metadata: Map::new(),
                    set_aside: None,
                }));
            }
        }
        let record = self.open(Some(T::KIND))?;
        if record.is_exactly(T::VERSION, T::UNTAGGED) {
            let untagged = matches!(record.stamp, Stamp::Untagged);
            let value = record.decode::<T>()?;
            return Ok(Opening::Read { value, untagged });
        }
        Ok(Opening::Opened(record))
    }

    /// The kind and version tag, without decoding the data.
    pub(crate) fn header(self) -> Result<Header, Error> {
        let located = self.locate(None)?;
        Header::new(located.kind.map(Cow::into_owned), &located.stamp)
    }

    /// Finds the kind (envelopes only) and the version tag. `expected` is the kind being
    /// read, if known, which spares checking a stored kind that equals it.
    fn locate(self, expected: Option<&'a str>) -> Result<Located<'a>, Error> {
        let stamp = match self.external {
            Some(External::Known(version)) => Stamp::Known(version),
            Some(External::Column(text)) => Stamp::Column(text),
            None => Stamp::Untagged,
        };
        let (stamp, source, set_aside) = match (self.layout, self.body) {
            (Layout::Envelope, Body::Bytes(bytes)) => return locate_envelope(bytes, expected),
            (Layout::Envelope, Body::Value(value)) => return locate_envelope_value(value),
            (Layout::Inline { field, .. }, Body::Bytes(bytes)) => {
                let (stamp, source) = locate_inline(field, bytes)?;
                (stamp, source, None)
            }
            (Layout::Inline { field, .. }, Body::Value(value)) => {
                locate_inline_value(field, value)?
            }
            (Layout::External { .. }, Body::Bytes(bytes)) => (stamp, Source::Bare(bytes), None),
            (Layout::External { .. }, Body::Value(value)) => (stamp, Source::Value(value), None),
        };
        Ok(Located {
            kind: None,
            stamp,
            source,
            metadata: Map::new(),
            set_aside,
        })
    }
}

/// What opening a record for a type found.
pub(crate) enum Opening<'a, T> {
    /// The type itself wrote the record (or it is untagged and the type reads such
    /// records), which is read already.
    Read { value: T, untagged: bool },
    /// Another version, still to decode.
    Opened(Opened<'a>),
}

/// What the layout says of a record: the kind only envelopes store.
struct Located<'a> {
    kind: Option<Cow<'a, str>>,
    stamp: Stamp<'a>,
    source: Source<'a>,
    metadata: Map<String, Value>,
    set_aside: Option<Value>,
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
                    data: header.data,
                },
                metadata: Map::new(),
                set_aside: None,
            });
        }
    }
    let header = scan::envelope(bytes).map_err(Error::Json)?;
    Ok(Located {
        kind: Some(header.kind),
        stamp: header.tag.map_or(Stamp::Untagged, Stamp::Tag),
        source: Source::Envelope(bytes),
        metadata: Map::new(),
        set_aside: None,
    })
}

fn locate_envelope_value(value: Value) -> Result<Located<'static>, Error> {
    let fields = into_object(value, "an upcast envelope")?;
    let ([kind, tag, data, set_aside], metadata) =
        take_fields(fields, [Key::KIND, Key::VERSION, Key::DATA, Key::SET_ASIDE]);
    let kind = match kind {
        Some(Value::String(kind)) => kind,
        Some(other) => return Err(invalid_type(&other, "a kind: a string")),
        None => return Err(Error::Json(de::Error::missing_field(Key::KIND))),
    };
    let data = data.ok_or_else(|| Error::Json(de::Error::missing_field(Key::DATA)))?;
    Ok(Located {
        kind: Some(Cow::Owned(kind)),
        stamp: stamp_of(tag)?,
        source: Source::Value(data),
        metadata,
        set_aside,
    })
}

/// The values of `names` taken out of `fields`, and the rest in its order (serde_json's
/// `remove` would swap the last key into the gap under `preserve_order`).
fn take_fields<const N: usize>(
    fields: Map<String, Value>,
    names: [&str; N],
) -> ([Option<Value>; N], Map<String, Value>) {
    let mut taken = [const { None }; N];
    let mut rest = Map::new();
    for (key, value) in fields {
        match names.iter().position(|name| *name == key) {
            Some(index) => taken[index] = Some(value),
            None => {
                rest.insert(key, value);
            }
        }
    }
    (taken, rest)
}

fn stamp_of(tag: Option<Value>) -> Result<Stamp<'static>, Error> {
    match tag {
        Some(tag) => Ok(Stamp::Tag(
            StoredTag::deserialize(tag).map_err(Error::Json)?,
        )),
        None => Ok(Stamp::Untagged),
    }
}

fn locate_inline<'a>(field: &'a str, bytes: &'a [u8]) -> Result<(Stamp<'a>, Source<'a>), Error> {
    let tag = match sniff::inline_tag(bytes, field) {
        Some(tag) => tag,
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
) -> Result<(Stamp<'static>, Source<'static>, Option<Value>), Error> {
    let fields = into_object(value, "a record: a JSON object")?;
    let ([tag, set_aside], rest) = take_fields(fields, [field, Key::SET_ASIDE]);
    Ok((
        stamp_of(tag)?,
        Source::Value(Value::Object(rest)),
        set_aside,
    ))
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
