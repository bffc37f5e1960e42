//! Lazy migration: a read that upcasts also hands back the record re-encoded at the
//! current version, for the caller to write back.

use crate::read::{Opening, envelope_metadata};
use crate::{Error, Layout, Registry, Versioned, write};

/// A record read for lazy migration.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.migrate.note", version = 1)]
/// # struct NoteV1 { text: String }
/// # #[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.migrate.note", version = 2)]
/// # struct Note { text: String, pinned: bool }
/// # #[upcast::register]
/// # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text, pinned: false } } }
/// let stored = br#"{"kind":"doc.migrate.note","version":1,"id":"n-1","data":{"text":"hi"}}"#;
/// let read = upcast::from_slice_migrating::<Note>(stored)?;
/// assert_eq!(read.value.text, "hi");
/// let rewrite = read.rewrite.expect("an old record comes back re-encoded");
/// assert_eq!(rewrite, br#"{"kind":"doc.migrate.note","version":2,"id":"n-1","data":{"text":"hi","pinned":false}}"#);
///
/// let again = upcast::from_slice_migrating::<Note>(&rewrite)?;
/// assert!(again.rewrite.is_none(), "a current record needs no rewrite");
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Migrated<T> {
    /// The record, at the requested type's version.
    pub value: T,
    /// The record re-encoded at that version, when it was stored at another one; `None`
    /// when it is stored exactly as the type writes it. Envelope fields (ids, timestamps)
    /// are kept.
    pub rewrite: Option<Vec<u8>>,
}

impl Layout {
    /// Reads a record of any version as `T`, and re-encodes it when it was stored at
    /// another version than `T`'s, so the caller can write it back. A record already at
    /// `T`'s version costs what [`Layout::from_slice`] costs.
    ///
    /// See [`Migrated`].
    pub fn from_slice_migrating<T: Versioned>(&self, bytes: &[u8]) -> Result<Migrated<T>, Error> {
        let record = match self.input(bytes).open_for::<T>()? {
            Opening::Read(value) => {
                return Ok(Migrated {
                    value,
                    rewrite: None,
                });
            }
            Opening::Opened(record) => record,
        };
        let envelope = record.source.envelope();
        let value = Registry::try_global()?.read_into::<T>(record)?;
        let mut rewrite = Vec::with_capacity(bytes.len() + 16);
        match (self.tag_field(), envelope) {
            (Some(field), _) => write::inline(&mut rewrite, field, &value)?,
            (None, Some(envelope)) => {
                let metadata = envelope_metadata(envelope).map_err(Error::Json)?;
                write::envelope_with(&mut rewrite, &metadata, &value)?;
            }
            (None, None) => write::envelope(&mut rewrite, &value)?,
        }
        Ok(Migrated {
            value,
            rewrite: Some(rewrite),
        })
    }
}

/// [`Layout::from_slice_migrating`] for envelopes: reads a record of any version as `T`,
/// with the re-encoded envelope when it was stored at another version.
///
/// See [`Migrated`].
pub fn from_slice_migrating<T: Versioned>(bytes: &[u8]) -> Result<Migrated<T>, Error> {
    Layout::envelope().from_slice_migrating(bytes)
}
