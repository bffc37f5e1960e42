//! The free functions over the global registry: the envelope layout, named like
//! serde_json's, and the external layout (`*_at`), where the caller supplies the version.

use std::io;

use serde_json::Value;

use crate::layout::{ENVELOPE, EXTERNAL};
use crate::{Decode, Error, Header, Version, Versioned};

/// Reads an envelope of any registered version as `T`.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.api.user", version = 1)]
/// struct UserV1 { name: String }
///
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.api.user", version = 2)]
/// struct User { first: String, last: String }
///
/// #[upcast::register]
/// impl From<UserV1> for User {
///     fn from(v1: UserV1) -> Self {
///         let (first, last) = v1.name.split_once(' ').unwrap_or((&v1.name, ""));
///         User { first: first.into(), last: last.into() }
///     }
/// }
///
/// let user: User = upcast::from_slice(br#"{"kind":"doc.api.user","version":1,"data":{"name":"Ada Lovelace"}}"#)?;
/// assert_eq!((user.first.as_str(), user.last.as_str()), ("Ada", "Lovelace"));
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_slice<T: Decode>(bytes: &[u8]) -> Result<T, Error> {
    ENVELOPE.from_slice(bytes)
}

/// Reads an envelope of any registered version as `T`.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.str", version = 1)]
/// # struct Note { text: String }
/// let note: Note = upcast::from_str(r#"{"kind":"doc.api.str","version":1,"data":{"text":"hi"}}"#)?;
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_str<T: Decode>(text: &str) -> Result<T, Error> {
    ENVELOPE.from_str(text)
}

/// Reads an envelope of any registered version as `T` from a reader, read to its end first.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.reader", version = 1)]
/// # struct Note { text: String }
/// let file: &[u8] = br#"{"kind":"doc.api.reader","version":1,"data":{"text":"hi"}}"#;
/// let note: Note = upcast::from_reader(file)?;
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_reader<T: Decode, R: io::Read>(reader: R) -> Result<T, Error> {
    ENVELOPE.from_reader(reader)
}

/// Reads an envelope of any registered version as `T` from a parsed JSON value.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.value", version = 1)]
/// # struct Note { text: String }
/// let value = serde_json::json!({"kind": "doc.api.value", "version": 1, "data": {"text": "hi"}});
/// let note: Note = upcast::from_value(value)?;
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_value<T: Decode>(value: Value) -> Result<T, Error> {
    ENVELOPE.from_value(value)
}

/// The kind and version tag of an envelope, without decoding its data. See [`Header`].
///
/// ```
/// let header = upcast::header(br#"{"kind":"user","version":3,"data":{}}"#)?;
/// assert_eq!((header.kind(), header.tag()), (Some("user"), Some("3")));
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn header(bytes: &[u8]) -> Result<Header, Error> {
    ENVELOPE.header(bytes)
}

/// Writes `value` in an envelope with its kind and version tag.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.to_vec", version = "3.1.0")]
/// # struct Note { text: String }
/// let bytes = upcast::to_vec(&Note { text: "hi".into() })?;
/// assert_eq!(bytes, br#"{"kind":"doc.api.to_vec","version":"3.1.0","data":{"text":"hi"}}"#);
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_vec<T: Versioned>(value: &T) -> Result<Vec<u8>, Error> {
    ENVELOPE.to_vec(value)
}

/// Writes `value` in an envelope with its kind and version tag.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.to_string", version = 5)]
/// # struct Note { text: String }
/// let text = upcast::to_string(&Note { text: "hi".into() })?;
/// assert_eq!(text, r#"{"kind":"doc.api.to_string","version":5,"data":{"text":"hi"}}"#);
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_string<T: Versioned>(value: &T) -> Result<String, Error> {
    ENVELOPE.to_string(value)
}

/// Writes `value` in an envelope with its kind and version tag to `writer`.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.to_writer", version = 1)]
/// # struct Note { text: String }
/// let mut out = Vec::new();
/// upcast::to_writer(&mut out, &Note { text: "hi".into() })?;
/// assert!(out.starts_with(br#"{"kind":"doc.api.to_writer","version":1,"#));
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_writer<W: io::Write, T: Versioned>(writer: W, value: &T) -> Result<(), Error> {
    ENVELOPE.to_writer(writer, value)
}

/// Writes `value` in an envelope with its kind and version tag as a JSON value.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.to_value", version = 1)]
/// # struct Note { text: String }
/// let value = upcast::to_value(&Note { text: "hi".into() })?;
/// assert_eq!(value["version"], 1);
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_value<T: Versioned>(value: &T) -> Result<Value, Error> {
    ENVELOPE.to_value(value)
}

/// Reads the record `bytes`, stored at `version` (kept outside the data: a column, a
/// message header, a file name), as `T`.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.at.user", version = 1)]
/// # struct UserV1 { name: String }
/// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.at.user", version = 2)]
/// # struct User { name: String, admin: bool }
/// # #[upcast::register]
/// # impl From<UserV1> for User {
/// #     fn from(v1: UserV1) -> Self { User { name: v1.name, admin: false } }
/// # }
/// let column = "1";
/// let user: User = upcast::from_slice_at(&column.parse()?, br#"{"name":"Ada"}"#)?;
/// assert!(!user.admin);
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_slice_at<T: Decode>(version: &Version, bytes: &[u8]) -> Result<T, Error> {
    EXTERNAL.from_slice_at(version, bytes)
}

/// Reads the record `text`, stored at `version`, as `T`. See [`from_slice_at`].
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.str_at", version = "1.1")]
/// # struct Note { text: String }
/// let note: Note = upcast::from_str_at(&upcast::Version::new(1, 0, 0), r#"{"text":"hi"}"#)?;
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_str_at<T: Decode>(version: &Version, text: &str) -> Result<T, Error> {
    from_slice_at(version, text.as_bytes())
}

/// Reads the record from `reader` (read to its end first), stored at `version`, as `T`.
/// See [`from_slice_at`].
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.reader_at", version = 1)]
/// # struct Note { text: String }
/// let file: &[u8] = br#"{"text":"hi"}"#;
/// let note: Note = upcast::from_reader_at(&upcast::Version::new(1, 0, 0), file)?;
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_reader_at<T: Decode, R: io::Read>(version: &Version, reader: R) -> Result<T, Error> {
    EXTERNAL.reader().from_reader_at(version, reader)
}

/// Reads the parsed record `value`, stored at `version`, as `T`. See [`from_slice_at`].
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.value_at", version = 1)]
/// # struct Note { text: String }
/// let note: Note = upcast::from_value_at(&upcast::Version::new(1, 0, 0), serde_json::json!({"text": "hi"}))?;
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_value_at<T: Decode>(version: &Version, value: Value) -> Result<T, Error> {
    EXTERNAL.reader().from_value_at(version, value)
}

/// Writes `value` in an envelope at `version`, an older (or newer) registered version of its
/// kind, through the registered downcasts (or steps). See [`Layout::to_vec_at`](crate::Layout::to_vec_at).
///
/// ```
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.to_vec_at", version = 1)]
/// # struct Note { text: String }
/// let bytes = upcast::to_vec_at(&Note { text: "hi".into() }, &upcast::Version::new(1, 0, 0))?;
/// assert!(bytes.starts_with(br#"{"kind":"doc.api.to_vec_at","version":1,"#));
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_vec_at<T: Versioned + Clone>(value: &T, version: &Version) -> Result<Vec<u8>, Error> {
    ENVELOPE.to_vec_at(value, version)
}

/// Writes `value` in an envelope at `version`. See [`to_vec_at`].
///
/// ```
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.to_string_at", version = 1)]
/// # struct Note { text: String }
/// let text = upcast::to_string_at(&Note { text: "hi".into() }, &upcast::Version::new(1, 0, 0))?;
/// assert!(text.starts_with(r#"{"kind":"doc.api.to_string_at","version":1,"#));
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_string_at<T: Versioned + Clone>(value: &T, version: &Version) -> Result<String, Error> {
    ENVELOPE.to_string_at(value, version)
}

/// Writes `value` in an envelope at `version` to `writer`. See [`to_vec_at`].
///
/// ```
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.to_writer_at", version = 1)]
/// # struct Note { text: String }
/// let mut out = Vec::new();
/// upcast::to_writer_at(&mut out, &Note { text: "hi".into() }, &upcast::Version::new(1, 0, 0))?;
/// assert!(out.ends_with(br#""data":{"text":"hi"}}"#));
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_writer_at<W: io::Write, T: Versioned + Clone>(
    writer: W,
    value: &T,
    version: &Version,
) -> Result<(), Error> {
    ENVELOPE.to_writer_at(writer, value, version)
}

/// Writes `value` in an envelope at `version` as a JSON value. See [`to_vec_at`].
///
/// ```
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.api.to_value_at", version = 1)]
/// # struct Note { text: String }
/// let value = upcast::to_value_at(&Note { text: "hi".into() }, &upcast::Version::new(1, 0, 0))?;
/// assert_eq!(value["data"]["text"], "hi");
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_value_at<T: Versioned + Clone>(value: &T, version: &Version) -> Result<Value, Error> {
    ENVELOPE.to_value_at(value, version)
}
