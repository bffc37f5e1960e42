//! Lazy migration: a read that upcasts also hands back the record re-encoded at the
//! current version, for the caller to write back.

use crate::read::{Body, Input, Opening, envelope_members};
use crate::{Error, Layout, Reader, Version, Versioned, write};

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
/// assert_eq!(read.stored, Some(upcast::Version::new(1, 0, 0)));
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
    /// The version it was stored at; `None` for a record with no version tag.
    pub stored: Option<Version>,
    /// The record re-encoded at that version, when it was stored at another one; `None`
    /// when it is stored exactly as the type writes it. Envelope fields (ids, timestamps)
    /// are kept in their order.
    pub rewrite: Option<Vec<u8>>,
}

impl Reader<'_> {
    /// Reads a record of any version as `T`, and re-encodes it when it was stored at
    /// another version than `T`'s, so the caller can write it back. A record already at
    /// `T`'s version costs what [`Reader::from_slice`] costs.
    ///
    /// See [`Migrated`].
    pub fn from_slice_migrating<T: Versioned>(&self, bytes: &[u8]) -> Result<Migrated<T>, Error> {
        let env = self.env();
        let input = Input::new(self.layout(), Body::Bytes(bytes), None, env)?;
        let record = match input.open_for::<T>()? {
            Opening::Read { value, untagged } => {
                let stored = if untagged {
                    None
                } else {
                    Some(T::VERSION.version()?)
                };
                return Ok(Migrated {
                    value,
                    stored,
                    rewrite: None,
                });
            }
            Opening::Opened(record) => record,
        };
        let stored = record.stamp.version()?;
        let members = match record.source.envelope() {
            Some(envelope) => envelope_members(envelope).map_err(Error::Json)?,
            None => Vec::new(),
        };
        let (value, set_aside) = env.registry.get()?.read_keeping::<T>(record, env.options)?;
        let head = write::Head {
            members: &members,
            set_aside: set_aside.as_deref(),
            ..write::Head::new(T::KIND, T::VERSION)
        };
        let mut rewrite = Vec::with_capacity(bytes.len() + 16);
        write::record(self.layout(), &mut rewrite, &head, &value)?;
        Ok(Migrated {
            value,
            stored,
            rewrite: Some(rewrite),
        })
    }
}

impl Layout {
    /// [`Reader::from_slice_migrating`] over the global registry.
    ///
    /// See [`Migrated`].
    pub fn from_slice_migrating<T: Versioned>(&self, bytes: &[u8]) -> Result<Migrated<T>, Error> {
        self.reader().from_slice_migrating(bytes)
    }
}

/// [`Layout::from_slice_migrating`] for envelopes: reads a record of any version as `T`,
/// with the re-encoded envelope when it was stored at another version.
///
/// See [`Migrated`].
pub fn from_slice_migrating<T: Versioned>(bytes: &[u8]) -> Result<Migrated<T>, Error> {
    crate::layout::ENVELOPE.from_slice_migrating(bytes)
}
