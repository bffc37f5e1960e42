//! Where the version tag is stored, and the read and write functions of each layout.

use std::borrow::Cow;
use std::io;

use serde_json::Value;

use crate::read::Input;
use crate::{Decode, Error, Header, Versioned, write};

/// Where a record's version tag is stored.
///
/// - envelope (the default): `{"kind":"user","version":3,"data":{...}}`; other envelope
///   fields (ids, timestamps) are metadata that steps can see;
/// - inline: a field of the record itself, `{"schema_version":2,"name":...}`; a record
///   without it is its kind's `untagged` version.
///
/// The third layout, external, keeps the version outside the data (a column, a message
/// header): see [`from_slice_at`](crate::from_slice_at).
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
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Layout {
    tag_field: Option<Cow<'static, str>>,
}

impl Layout {
    /// The envelope layout: `{"kind":...,"version":...,"data":...}`.
    ///
    /// ```
    /// assert_eq!(upcast::Layout::envelope(), upcast::Layout::default());
    /// ```
    pub const fn envelope() -> Self {
        Layout { tag_field: None }
    }

    /// The inline layout, with the version tag in `field`.
    ///
    /// ```
    /// assert_eq!(upcast::Layout::inline("v").tag_field(), Some("v"));
    /// ```
    pub fn inline(field: impl Into<Cow<'static, str>>) -> Self {
        Layout {
            tag_field: Some(field.into()),
        }
    }

    /// The field that holds the tag in the inline layout; `None` for the envelope.
    ///
    /// ```
    /// assert_eq!(upcast::Layout::envelope().tag_field(), None);
    /// ```
    pub fn tag_field(&self) -> Option<&str> {
        self.tag_field.as_deref()
    }

    pub(crate) fn input<'a>(&'a self, bytes: &'a [u8]) -> Input<'a> {
        match self.tag_field() {
            Some(field) => Input::inline(field, bytes),
            None => Input::envelope(bytes),
        }
    }

    /// Reads a record of any version as `T`.
    ///
    /// See the example on [`Layout`].
    pub fn from_slice<T: Decode>(&self, bytes: &[u8]) -> Result<T, Error> {
        T::__decode(self.input(bytes))
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
        self.from_slice(text.as_bytes())
    }

    /// Reads a record of any version as `T` from a reader, which is read to its end first.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.layout.reader", version = 1)]
    /// # struct Note { text: String }
    /// let bytes: &[u8] = br#"{"v":1,"text":"hi"}"#;
    /// let note: Note = upcast::Layout::inline("v").from_reader(bytes)?;
    /// assert_eq!(note.text, "hi");
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_reader<T: Decode, R: io::Read>(&self, mut reader: R) -> Result<T, Error> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        self.from_slice(&bytes)
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
        T::__decode(match self.tag_field() {
            Some(field) => Input::inline_value(field, value),
            None => Input::envelope_value(value),
        })
    }

    /// The kind and version tag of a stored record, without decoding its data.
    ///
    /// See [`Header`].
    pub fn header(&self, bytes: &[u8]) -> Result<Header, Error> {
        self.input(bytes).header()
    }

    /// Writes `value` with its version tag.
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
        match self.tag_field() {
            Some(field) => write::inline(writer, field, value),
            None => write::envelope(writer, value),
        }
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
        match self.tag_field() {
            Some(field) => write::inline_value(field, value),
            None => write::envelope_value(value),
        }
    }
}
