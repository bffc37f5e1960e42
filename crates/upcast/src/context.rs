//! What a step can see of the read it is part of.

use std::cell::OnceCell;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::Version;
use crate::read::envelope_metadata;

/// The read a step is part of: the record's kind, the version it was stored with, and the
/// envelope's extra fields (ids, timestamps) as metadata.
///
/// ```
/// use serde_json::{Map, json};
/// use upcast::{Context, Version};
///
/// let mut metadata = Map::new();
/// metadata.insert("id".into(), json!("evt-7"));
/// let stored = Version::new(1, 0, 0);
/// let cx = Context::new("user", &stored).with_metadata(&metadata);
/// assert_eq!(cx.kind(), "user");
/// assert_eq!(cx.stored_version(), &stored);
/// assert_eq!(cx.metadata()["id"], "evt-7");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    kind: &'a str,
    stored: &'a Version,
    untagged: bool,
    metadata: Metadata<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Metadata<'a> {
    Ready(&'a Map<String, Value>),
    Lazy(&'a LazyMetadata<'a>),
}

/// An envelope's metadata, parsed the first time a step asks for it: most steps never do,
/// and their reads then cost nothing for it.
#[derive(Debug)]
pub(crate) struct LazyMetadata<'a> {
    envelope: &'a [u8],
    parsed: OnceCell<Map<String, Value>>,
}

impl<'a> LazyMetadata<'a> {
    pub(crate) fn new(envelope: &'a [u8]) -> Self {
        LazyMetadata {
            envelope,
            parsed: OnceCell::new(),
        }
    }

    fn get(&self) -> &Map<String, Value> {
        // The envelope was read successfully before: parsing it again cannot fail.
        self.parsed
            .get_or_init(|| envelope_metadata(self.envelope).unwrap_or_default())
    }
}

impl<'a> Context<'a> {
    /// A context for a record of `kind` stored at `stored`, with no metadata. Reads build
    /// their own; this is for calling steps directly, as in tests.
    ///
    /// ```
    /// let stored = upcast::Version::new(2, 0, 0);
    /// let cx = upcast::Context::new("user", &stored);
    /// assert!(cx.metadata().is_empty());
    /// ```
    pub fn new(kind: &'a str, stored: &'a Version) -> Self {
        Context {
            kind,
            stored,
            untagged: false,
            metadata: Metadata::Ready(empty_map()),
        }
    }

    /// The same context with the envelope's extra fields as metadata.
    ///
    /// ```
    /// let meta = serde_json::Map::from_iter([("at".to_string(), serde_json::json!(1700000000))]);
    /// let stored = upcast::Version::new(2, 0, 0);
    /// let cx = upcast::Context::new("user", &stored).with_metadata(&meta);
    /// assert_eq!(cx.metadata().len(), 1);
    /// ```
    pub fn with_metadata(self, metadata: &'a Map<String, Value>) -> Self {
        Context {
            metadata: Metadata::Ready(metadata),
            ..self
        }
    }

    pub(crate) fn with_lazy_metadata(self, metadata: &'a LazyMetadata<'a>) -> Self {
        Context {
            metadata: Metadata::Lazy(metadata),
            ..self
        }
    }

    pub(crate) fn untagged(self, untagged: bool) -> Self {
        Context { untagged, ..self }
    }

    /// The stable name of the record type being read.
    ///
    /// ```
    /// let stored = upcast::Version::new(2, 0, 0);
    /// assert_eq!(upcast::Context::new("user", &stored).kind(), "user");
    /// ```
    pub fn kind(&self) -> &'a str {
        self.kind
    }

    /// The version the record was stored with (for a record with no tag, the kind's
    /// `untagged` version). It stays the same through every step of one read.
    ///
    /// ```
    /// let stored = upcast::Version::new(2, 0, 0);
    /// assert_eq!(upcast::Context::new("user", &stored).stored_version().major(), 2);
    /// ```
    pub fn stored_version(&self) -> &'a Version {
        self.stored
    }

    /// Whether the record was stored with no version tag at all.
    ///
    /// ```
    /// let stored = upcast::Version::new(1, 0, 0);
    /// assert!(!upcast::Context::new("user", &stored).is_untagged());
    /// ```
    pub fn is_untagged(&self) -> bool {
        self.untagged
    }

    /// The envelope's fields other than `kind`, `version` and `data`. Empty for the inline
    /// and external layouts.
    ///
    /// ```
    /// let stored = upcast::Version::new(1, 0, 0);
    /// assert!(upcast::Context::new("user", &stored).metadata().get("id").is_none());
    /// ```
    pub fn metadata(&self) -> &'a Map<String, Value> {
        match self.metadata {
            Metadata::Ready(map) => map,
            Metadata::Lazy(lazy) => lazy.get(),
        }
    }
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    EMPTY.get_or_init(Map::new)
}
