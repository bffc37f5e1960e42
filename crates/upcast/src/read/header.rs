//! What a stored record says about itself, read without decoding its data.

use super::opened::Stamp;
use crate::{Error, Version};

/// The kind and version a stored record carries, read without decoding its data: for
/// statistics, routing, or deciding whether a record needs rewriting.
///
/// ```
/// let header = upcast::header(br#"{"kind":"user","version":"2.1","data":{"name":"Ada"}}"#)?;
/// assert_eq!(header.kind(), Some("user"));
/// assert_eq!(header.tag(), Some("2.1"));
/// assert_eq!(header.version(), Some(&upcast::Version::new(2, 1, 0)));
///
/// let legacy = upcast::Layout::inline("schema_version").header(br#"{"name":"Ada"}"#)?;
/// assert!(legacy.is_untagged() && legacy.kind().is_none());
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    kind: Option<String>,
    tag: Option<(String, Version)>,
}

impl Header {
    pub(crate) fn new(kind: Option<String>, stamp: &Stamp<'_>) -> Result<Self, Error> {
        let tag = match (stamp.written(), stamp.version()?) {
            (Some(written), Some(version)) => Some((written, version)),
            _ => None,
        };
        Ok(Header { kind, tag })
    }

    /// The stored kind; `None` in the inline and external layouts, which store none.
    ///
    /// See the example on [`Header`].
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }

    /// The version tag as written (`2`, `"2.1"` is `2.1`); `None` for an untagged record.
    ///
    /// See the example on [`Header`].
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_ref().map(|(text, _)| text.as_str())
    }

    /// The stored version; `None` for an untagged record.
    ///
    /// See the example on [`Header`].
    pub fn version(&self) -> Option<&Version> {
        self.tag.as_ref().map(|(_, version)| version)
    }

    /// Whether the record carries no version tag.
    ///
    /// See the example on [`Header`].
    pub fn is_untagged(&self) -> bool {
        self.tag.is_none()
    }
}
