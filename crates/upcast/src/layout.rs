//! Where the version tag is stored, and the read and write functions of each layout over
//! the global registry.

use std::borrow::Cow;
use std::io;

use serde_json::Value;

use crate::{Decode, Error, Header, Reader, Registry, Version, Versioned, write};

/// Where a record's version tag is stored.
///
/// - [envelope](Layout::envelope) (the default): `{"kind":"user","version":3,"data":{...}}`;
///   other envelope fields (ids, timestamps) are metadata that steps can see;
/// - [inline](Layout::inline): a field of the record itself,
///   `{"schema_version":2,"name":...}`; a record without it is its kind's `untagged` version;
/// - [external](Layout::external): the version is kept outside the data (a column, a
///   message header, a file name) and supplied with each record (the `*_at` functions).
///
/// The inline and external layouts store no kind: a typed read takes it from the type, a
/// dynamic read ([`Registry::convert`](crate::Registry::convert)) from
/// [`Layout::with_kind`].
///
/// The read functions here use the global registry; [`Layout::reader`] and
/// [`Registry::reader`](crate::Registry::reader) give the same functions with the caller's
/// options or another registry.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// #[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.layout.user", version = 2)]
/// struct User { name: String }
///
/// let inline = upcast::Layout::inline("schema_version");
/// let bytes = inline.to_vec(&User { name: "Ada".into() })?;
/// assert_eq!(bytes, br#"{"schema_version":2,"name":"Ada"}"#);
/// assert_eq!(inline.from_slice::<User>(&bytes)?, User { name: "Ada".into() });
///
/// let external = upcast::Layout::external();
/// let bytes = external.to_vec(&User { name: "Ada".into() })?; // the version goes elsewhere
/// let user: User = external.from_slice_at(&"2".parse()?, &bytes)?;
/// assert_eq!(user.name, "Ada");
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// `{"kind":...,"version":...,"data":...}`.
    #[default]
    Envelope,
    /// The version tag in a field of the record.
    #[non_exhaustive]
    Inline {
        /// The field that holds the tag.
        field: Cow<'static, str>,
        /// The kind of the records, for dynamic reads.
        kind: Option<Cow<'static, str>>,
    },
    /// The version kept outside the record and supplied with each one.
    #[non_exhaustive]
    External {
        /// The kind of the records, for dynamic reads.
        kind: Option<Cow<'static, str>>,
    },
}

/// The layouts of the free functions.
pub(crate) static ENVELOPE: Layout = Layout::Envelope;
pub(crate) static EXTERNAL: Layout = Layout::External { kind: None };

impl Layout {
    /// The envelope layout: `{"kind":...,"version":...,"data":...}`.
    ///
    /// ```
    /// assert_eq!(upcast::Layout::envelope(), upcast::Layout::default());
    /// ```
    pub const fn envelope() -> Self {
        Layout::Envelope
    }

    /// The inline layout, with the version tag in `field`.
    ///
    /// ```
    /// assert_eq!(upcast::Layout::inline("v").tag_field(), Some("v"));
    /// ```
    pub fn inline(field: impl Into<Cow<'static, str>>) -> Self {
        Layout::Inline {
            field: field.into(),
            kind: None,
        }
    }

    /// The external layout: the version is supplied with each record.
    ///
    /// ```
    /// assert_eq!(upcast::Layout::external().tag_field(), None);
    /// ```
    pub const fn external() -> Self {
        Layout::External { kind: None }
    }

    /// The same layout for records of `kind`, which the inline and external layouts do not
    /// store: needed by dynamic reads, which name no type. An envelope names its own kind,
    /// so this changes nothing there.
    ///
    /// ```
    /// let orders = upcast::Layout::inline("schema_version").with_kind("order");
    /// assert_eq!(orders.kind(), Some("order"));
    /// assert_eq!(upcast::Layout::envelope().with_kind("order").kind(), None);
    /// ```
    pub fn with_kind(self, kind: impl Into<Cow<'static, str>>) -> Self {
        match self {
            Layout::Envelope => Layout::Envelope,
            Layout::Inline { field, .. } => Layout::Inline {
                field,
                kind: Some(kind.into()),
            },
            Layout::External { .. } => Layout::External {
                kind: Some(kind.into()),
            },
        }
    }

    /// The field that holds the tag in the inline layout; `None` for the others.
    ///
    /// ```
    /// assert_eq!(upcast::Layout::envelope().tag_field(), None);
    /// ```
    pub fn tag_field(&self) -> Option<&str> {
        match self {
            Layout::Inline { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The kind given with [`Layout::with_kind`]; `None` for the envelope, which stores
    /// its own.
    ///
    /// See [`Layout::with_kind`].
    pub fn kind(&self) -> Option<&str> {
        match self {
            Layout::Envelope => None,
            Layout::Inline { kind, .. } | Layout::External { kind } => kind.as_deref(),
        }
    }

    /// The name of the layout in messages.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Layout::Envelope => "envelope",
            Layout::Inline { .. } => "inline",
            Layout::External { .. } => "external",
        }
    }

    /// The read functions of this layout over the global registry, to add options.
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.reader", version = 1)]
    /// # struct Note { text: String }
    /// struct Strict;
    /// let envelope = upcast::Layout::envelope();
    /// let reader = envelope.reader().with_options(&Strict);
    /// let note: Note = reader.from_slice(br#"{"kind":"doc.layout.reader","version":1,"data":{"text":"hi"}}"#)?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    #[inline]
    pub fn reader(&self) -> Reader<'_> {
        Reader::global(self)
    }

    /// Reads a record of any version as `T`.
    ///
    /// See the example on [`Layout`].
    pub fn from_slice<T: Decode>(&self, bytes: &[u8]) -> Result<T, Error> {
        self.reader().from_slice(bytes)
    }

    /// Reads a record of any version as `T`.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.str", version = 1)]
    /// # struct Note { text: String }
    /// let note: Note = upcast::Layout::inline("v").from_str(r#"{"v":1,"text":"hi"}"#)?;
    /// assert_eq!(note.text, "hi");
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_str<T: Decode>(&self, text: &str) -> Result<T, Error> {
        self.reader().from_str(text)
    }

    /// Reads a record of any version as `T` from a reader, which is read to its end first.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.from_reader", version = 1)]
    /// # struct Note { text: String }
    /// let bytes: &[u8] = br#"{"v":1,"text":"hi"}"#;
    /// let note: Note = upcast::Layout::inline("v").from_reader(bytes)?;
    /// assert_eq!(note.text, "hi");
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_reader<T: Decode, R: io::Read>(&self, reader: R) -> Result<T, Error> {
        self.reader().from_reader(reader)
    }

    /// Reads a record of any version as `T` from a parsed JSON value.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.value", version = 1)]
    /// # struct Note { text: String }
    /// let value = serde_json::json!({"v": 1, "text": "hi"});
    /// let note: Note = upcast::Layout::inline("v").from_value(value)?;
    /// assert_eq!(note.text, "hi");
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_value<T: Decode>(&self, value: Value) -> Result<T, Error> {
        self.reader().from_value(value)
    }

    /// Reads a record stored at `version` in the external layout as `T`.
    ///
    /// See the example on [`Layout`].
    pub fn from_slice_at<T: Decode>(&self, version: &Version, bytes: &[u8]) -> Result<T, Error> {
        self.reader().from_slice_at(version, bytes)
    }

    /// The kind and version tag of a stored record, without decoding its data.
    ///
    /// See [`Header`].
    pub fn header(&self, bytes: &[u8]) -> Result<Header, Error> {
        self.reader().header(bytes)
    }

    /// Writes `value` with its version tag (in the external layout, the data alone: the
    /// caller keeps `T::VERSION` elsewhere).
    ///
    /// See the example on [`Layout`].
    pub fn to_vec<T: Versioned>(&self, value: &T) -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::with_capacity(128);
        self.to_writer(&mut bytes, value)?;
        Ok(bytes)
    }

    /// Writes `value` with its version tag.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.string", version = "1.2")]
    /// # struct Note { text: String }
    /// let text = upcast::Layout::envelope().to_string(&Note { text: "hi".into() })?;
    /// assert_eq!(text, r#"{"kind":"doc.layout.string","version":"1.2","data":{"text":"hi"}}"#);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_string<T: Versioned>(&self, value: &T) -> Result<String, Error> {
        let bytes = self.to_vec(value)?;
        // serde_json writes UTF-8 only; the conversion cannot fail.
        String::from_utf8(bytes).map_err(|error| Error::Io(io::Error::other(error)))
    }

    /// Writes `value` with its version tag to `writer` (unbuffered: wrap files in a
    /// `BufWriter`).
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.writer", version = 3)]
    /// # struct Note { text: String }
    /// let mut out = Vec::new();
    /// upcast::Layout::inline("v").to_writer(&mut out, &Note { text: "hi".into() })?;
    /// assert_eq!(out, br#"{"v":3,"text":"hi"}"#);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_writer<W: io::Write, T: Versioned>(&self, writer: W, value: &T) -> Result<(), Error> {
        write::record(self, writer, &write::Head::new(T::KIND, T::VERSION), value)
    }

    /// Writes `value` with its version tag as a JSON value.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.to_value", version = 3)]
    /// # struct Note { text: String }
    /// let value = upcast::Layout::inline("v").to_value(&Note { text: "hi".into() })?;
    /// assert_eq!(value, serde_json::json!({"v": 3, "text": "hi"}));
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_value<T: Versioned>(&self, value: &T) -> Result<Value, Error> {
        write::record_value(self, T::KIND, T::VERSION, value)
    }

    /// Writes `value` at `version`, an older (or newer) registered version of its kind,
    /// through the registered downcasts (or steps): for writers that must stay readable by
    /// services still on an older version. What the older version cannot hold is set aside
    /// in the record. A [`Writer`](crate::Writer) picks the version per kind at run time.
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.at", version = 1)]
    /// # struct NoteV1 { text: String }
    /// # #[derive(Clone, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.at", version = 2)]
    /// # struct Note { text: String, pinned: bool }
    /// # #[upcast::register]
    /// # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text, pinned: false } } }
    /// # #[upcast::register(downcast)]
    /// # impl From<Note> for NoteV1 { fn from(note: Note) -> Self { NoteV1 { text: note.text } } }
    /// let note = Note { text: "hi".into(), pinned: false };
    /// let bytes = upcast::Layout::inline("v").to_vec_at(&note, &upcast::Version::new(1, 0, 0))?;
    /// assert_eq!(bytes, br#"{"v":1,"text":"hi"}"#);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_vec_at<T: Versioned + Clone>(
        &self,
        value: &T,
        version: &Version,
    ) -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::with_capacity(128);
        self.to_writer_at(&mut bytes, value, version)?;
        Ok(bytes)
    }

    /// Writes `value` at `version`. See [`Layout::to_vec_at`].
    ///
    /// ```
    /// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.string_at", version = 1)]
    /// # struct Note { text: String }
    /// let text = upcast::Layout::envelope().to_string_at(&Note { text: "hi".into() }, &upcast::Version::new(1, 0, 0))?;
    /// assert_eq!(text, r#"{"kind":"doc.layout.string_at","version":1,"data":{"text":"hi"}}"#);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_string_at<T: Versioned + Clone>(
        &self,
        value: &T,
        version: &Version,
    ) -> Result<String, Error> {
        let bytes = self.to_vec_at(value, version)?;
        // serde_json writes UTF-8 only; the conversion cannot fail.
        String::from_utf8(bytes).map_err(|error| Error::Io(io::Error::other(error)))
    }

    /// Writes `value` at `version` to `writer`. See [`Layout::to_vec_at`].
    ///
    /// ```
    /// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.writer_at", version = 1)]
    /// # struct Note { text: String }
    /// let mut out = Vec::new();
    /// upcast::Layout::envelope().to_writer_at(&mut out, &Note { text: "hi".into() }, &upcast::Version::new(1, 0, 0))?;
    /// assert!(out.starts_with(br#"{"kind":"doc.layout.writer_at","version":1,"#));
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_writer_at<W: io::Write, T: Versioned + Clone>(
        &self,
        writer: W,
        value: &T,
        version: &Version,
    ) -> Result<(), Error> {
        if T::VERSION.is(version) {
            return self.to_writer(writer, value);
        }
        crate::writer::write_at(Registry::try_global()?, self, writer, value, version)
    }

    /// Writes `value` at `version` as a JSON value. See [`Layout::to_vec_at`].
    ///
    /// ```
    /// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.value_at", version = 1)]
    /// # struct Note { text: String }
    /// let value = upcast::Layout::envelope().to_value_at(&Note { text: "hi".into() }, &upcast::Version::new(1, 0, 0))?;
    /// assert_eq!(value["version"], 1);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_value_at<T: Versioned + Clone>(
        &self,
        value: &T,
        version: &Version,
    ) -> Result<Value, Error> {
        serde_json::from_slice(&self.to_vec_at(value, version)?).map_err(Error::Json)
    }
}
