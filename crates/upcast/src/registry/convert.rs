//! The dynamic entry point: any stored record of any registered kind, converted to a chosen
//! version (the newest by default) without naming a Rust type.

use std::any::Any;

use serde_json::Value;

use super::read::{no_path, with_origin};
use super::table::KindTable;
use super::{Registry, chain};
use crate::read::{Body, External, Input, Opened, envelope_members};
use crate::{Error, Layout, Reader, Tag, Version, write};

/// A stored record handed to [`Reader::convert`]: its bytes and, in the external layout,
/// the version kept beside them as text (a column, a message header).
///
/// ```
/// let envelope = upcast::Stored::new(br#"{"kind":"user","version":1,"data":{}}"#);
/// let row = upcast::Stored::at("2.1", br#"{"name":"Ada"}"#);
/// assert_eq!(row.version(), Some("2.1"));
/// assert_eq!(envelope.version(), None);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Stored<'a> {
    bytes: &'a [u8],
    version: Option<&'a str>,
}

impl<'a> Stored<'a> {
    /// A record whose version is inside it (envelope and inline layouts).
    ///
    /// See the example on [`Stored`].
    pub fn new(bytes: &'a [u8]) -> Self {
        Stored {
            bytes,
            version: None,
        }
    }

    /// A record of the external layout, stored at `version` as written beside it (`"2"`,
    /// `"2.1.0"`).
    ///
    /// See the example on [`Stored`].
    pub fn at(version: &'a str, bytes: &'a [u8]) -> Self {
        Stored {
            bytes,
            version: Some(version),
        }
    }

    /// The stored bytes.
    ///
    /// ```
    /// assert_eq!(upcast::Stored::new(b"{}").bytes(), b"{}");
    /// ```
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The version kept beside the record, if any.
    ///
    /// See the example on [`Stored`].
    pub fn version(&self) -> Option<&'a str> {
        self.version
    }
}

/// What [`Reader::convert`] made of a stored record.
///
/// See [`Registry::convert`] for an example.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Converted {
    /// The record's kind.
    pub kind: String,
    /// The version it was stored at; `None` for a record with no version tag.
    pub stored: Option<Version>,
    /// The stored tag as written (`2`, `2.1`); `None` for a record with no version tag.
    pub stored_tag: Option<String>,
    /// The version it was converted to.
    pub version: Version,
    /// That version's tag as its type writes it: what a version column of the external
    /// layout gets.
    pub tag: Tag,
    /// The record written in the same layout at [`version`](Converted::version), envelope
    /// fields kept in their order; `None` when it is stored exactly as that version's type
    /// writes it, so the stored bytes stand as they are.
    pub bytes: Option<Vec<u8>>,
    /// How many steps ran.
    pub steps: usize,
}

impl Converted {
    /// Whether the record must be written back: it was not stored exactly as the target
    /// version writes it.
    ///
    /// See [`Registry::convert`] for an example.
    pub fn is_rewritten(&self) -> bool {
        self.bytes.is_some()
    }
}

impl Registry {
    /// Converts a stored record of any registered kind in `layout` to its kind's newest
    /// version: [`Reader::convert`] on this registry.
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.convert.note", version = 1)]
    /// # struct NoteV1 { text: String }
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.convert.note", version = "2.0.0")]
    /// # struct Note { text: String, pinned: bool }
    /// # #[upcast::register]
    /// # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text, pinned: false } } }
    /// use upcast::{Layout, Registry, Stored, Version};
    ///
    /// let stored = br#"{"data":{"text":"hi"},"id":7,"kind":"doc.convert.note","version":1}"#;
    /// let out = Registry::global().convert(&Layout::envelope(), Stored::new(stored))?;
    /// assert_eq!((out.kind.as_str(), out.stored, out.steps), ("doc.convert.note", Some(Version::new(1, 0, 0)), 1));
    /// assert_eq!(
    ///     out.bytes.as_deref(),
    ///     Some(&br#"{"kind":"doc.convert.note","version":"2.0.0","id":7,"data":{"text":"hi","pinned":false}}"#[..])
    /// );
    ///
    /// let again = Registry::global().convert(&Layout::envelope(), Stored::new(out.bytes.as_deref().unwrap()))?;
    /// assert!(!again.is_rewritten(), "a current record stands as it is");
    ///
    /// // Every record is read, current or not: one its type cannot read is an error.
    /// let broken = br#"{"kind":"doc.convert.note","version":"2.0.0","data":{"text":"hi"}}"#;
    /// assert!(Registry::global().convert(&Layout::envelope(), Stored::new(broken)).is_err());
    ///
    /// let rows = Layout::external().with_kind("doc.convert.note");
    /// let row = Registry::global().convert(&rows, Stored::at("1", br#"{"text":"hi"}"#))?;
    /// assert_eq!((row.tag.to_string(), row.bytes.unwrap()), ("2.0.0".into(), br#"{"text":"hi","pinned":false}"#.to_vec()));
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn convert(&self, layout: &Layout, record: Stored<'_>) -> Result<Converted, Error> {
        self.reader(layout).convert(record)
    }

    /// Upcasts an envelope of any registered kind, as a JSON value, to the kind's newest
    /// version. The other envelope fields (ids, timestamps) are kept in their order; steps
    /// see them as metadata.
    ///
    /// See the example on [`Registry`].
    pub fn upcast_value(&self, value: Value) -> Result<Value, Error> {
        self.convert_value(value, None)
    }

    /// Converts an envelope of any registered kind, as a JSON value, to `version`, older or
    /// newer: the counterpart of [`Registry::upcast_value`] for tools writing at an older
    /// version. Values the older version has no place for are set aside in the envelope.
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.downcast_value", version = 1)]
    /// # struct NoteV1 { text: String }
    /// # #[derive(Clone, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.downcast_value", version = 2)]
    /// # struct Note { text: String, pinned: bool }
    /// # #[upcast::register]
    /// # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text, pinned: false } } }
    /// # #[upcast::register(downcast)]
    /// # impl From<Note> for NoteV1 { fn from(note: Note) -> Self { NoteV1 { text: note.text } } }
    /// use serde_json::json;
    ///
    /// let current = json!({"kind": "doc.downcast_value", "version": 2, "data": {"text": "hi", "pinned": false}});
    /// let old = upcast::Registry::global().downcast_value(current, &upcast::Version::new(1, 0, 0))?;
    /// assert_eq!(old, json!({"kind": "doc.downcast_value", "version": 1, "data": {"text": "hi"}}));
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn downcast_value(&self, value: Value, version: &Version) -> Result<Value, Error> {
        self.convert_value(value, Some(version))
    }

    fn convert_value(&self, value: Value, to: Option<&Version>) -> Result<Value, Error> {
        let bytes = serde_json::to_vec(&value).map_err(Error::Json)?;
        let reader = self.reader(&crate::layout::ENVELOPE);
        let converted = reader.convert_to_index(Stored::new(&bytes), to)?;
        match converted.bytes {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(Error::Json),
            None => Ok(value),
        }
    }
}

impl Reader<'_> {
    /// Converts a stored record of any registered kind to its kind's newest version,
    /// without naming a Rust type: for tools, stores and migrations. The kind comes from the
    /// envelope, or from [`Layout::with_kind`] in the other layouts.
    ///
    /// See [`Registry::convert`].
    pub fn convert(&self, record: Stored<'_>) -> Result<Converted, Error> {
        self.convert_to_index(record, None)
    }

    /// Converts a stored record to `version`, a registered version of its kind: through the
    /// steps when it is newer than the stored one, through the downcasts when it is older
    /// ([`Error::MissingDowncast`] when a version on the way back has none).
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.convert_to.n", version = 1)]
    /// # struct N1 { a: u8 }
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.convert_to.n", version = 2)]
    /// # struct N2 { a: u8, b: u8 }
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.convert_to.n", version = 3)]
    /// # struct N3 { a: u8, b: u8, c: u8 }
    /// # #[upcast::register]
    /// # impl From<N1> for N2 { fn from(n: N1) -> Self { N2 { a: n.a, b: 0 } } }
    /// # #[upcast::register]
    /// # impl From<N2> for N3 { fn from(n: N2) -> Self { N3 { a: n.a, b: n.b, c: 0 } } }
    /// let envelope = upcast::Layout::envelope();
    /// let reader = envelope.reader();
    /// let stored = upcast::Stored::new(br#"{"kind":"doc.convert_to.n","version":1,"data":{"a":1}}"#);
    /// let out = reader.convert_to(stored, &upcast::Version::new(2, 0, 0))?;
    /// assert_eq!(out.bytes.unwrap(), br#"{"kind":"doc.convert_to.n","version":2,"data":{"a":1,"b":0}}"#);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn convert_to(&self, record: Stored<'_>, version: &Version) -> Result<Converted, Error> {
        self.convert_to_index(record, Some(version))
    }

    fn convert_to_index(
        &self,
        record: Stored<'_>,
        to: Option<&Version>,
    ) -> Result<Converted, Error> {
        let registry = self.env().registry.get()?;
        let stamp = record.version.map(External::Column);
        let input = Input::new(self.layout(), Body::Bytes(record.bytes), stamp, self.env())?;
        let opened = input.open(None)?;
        let table = registry.table(&opened.kind)?;
        let (origin, stored) = table.resolve(&opened)?;
        let target = match to {
            Some(version) => table.index_of(version)?,
            None => table.nodes.len().saturating_sub(1),
        };
        let entry = *table.entry_at(target)?;
        let mut converted = Converted {
            kind: opened.kind.clone().into_owned(),
            stored: opened.stamp.version()?,
            stored_tag: opened.stamp.written(),
            version: table.version_at(target),
            tag: entry.tag,
            bytes: None,
            steps: table.steps_between(origin, target),
        };
        if origin == target && opened.is_exactly(entry.tag, entry.untagged) {
            // Read all the same: a record that stands as it is must still be readable.
            let options = self.env().options;
            with_origin(table, origin, opened, &stored, options, |_, _, _| Ok(()))?;
            return Ok(converted);
        }
        let members = match opened.source.envelope() {
            Some(envelope) => envelope_members(envelope).map_err(Error::Json)?,
            None => Vec::new(),
        };
        let (value, set_aside) = run(table, origin, target, opened, &stored, self.env().options)?;
        let head = write::Head {
            members: &members,
            set_aside: set_aside.as_deref(),
            ..write::Head::new(&converted.kind, entry.tag)
        };
        converted.bytes = Some(encode(self.layout(), &head, &*value, entry)?);
        Ok(converted)
    }
}

/// Decodes the record at `origin` and runs the steps (or downcasts) to `target`; also the
/// set-aside values a record written at `target` keeps.
fn run(
    table: &KindTable,
    origin: usize,
    target: usize,
    record: Opened<'_>,
    stored: &Version,
    options: Option<&(dyn Any + Sync)>,
) -> Result<(Box<dyn Any>, Option<String>), Error> {
    if !table.leads_to(origin, target) {
        return Err(no_path(table, stored, origin, target));
    }
    let written = table.version_at(target);
    with_origin(
        table,
        origin,
        record,
        stored,
        options,
        |value, cx, set_aside| {
            let value = chain::run_boxed(table, origin, target, value, cx)?;
            Ok((value, set_aside.for_record(&written)))
        },
    )
}

/// The converted value written in `layout`.
fn encode(
    layout: &Layout,
    head: &write::Head<'_>,
    value: &dyn Any,
    entry: super::VersionEntry,
) -> Result<Vec<u8>, Error> {
    let data = (entry.to_json)(value)
        .ok_or_else(|| internal("a value of another type"))?
        .map_err(Error::Json)?;
    let mut bytes = Vec::with_capacity(data.len() + 128);
    write::record(layout, &mut bytes, head, &write::Raw(&data))?;
    Ok(bytes)
}

#[cold]
fn internal(what: &str) -> Error {
    Error::Json(serde::de::Error::custom(format_args!(
        "internal error: a step produced {what}"
    )))
}
