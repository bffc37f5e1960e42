//! What a step knows about the read it is part of.

use std::any::Any;
use std::cell::OnceCell;
use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::read::envelope_metadata;
use crate::{Error, Metadata, SetAside, Version};

/// The read a step is part of: the record's kind, the version it was stored with, the
/// fields stored beside its data (an envelope's ids and timestamps) as [`Metadata`], and the
/// caller's own options, in every layout.
///
/// ```
/// use upcast::{Context, Metadata, Version};
///
/// struct Tenant { currency: &'static str }
///
/// let mut metadata = Metadata::new();
/// metadata.insert("id", "evt-7")?;
/// let stored = Version::new(1, 0, 0);
/// let tenant = Tenant { currency: "EUR" };
/// let cx = Context::new("user", &stored).with_metadata(&metadata).with_options(&tenant);
/// assert_eq!(cx.kind(), "user");
/// assert_eq!(cx.stored_version(), &stored);
/// assert_eq!(cx.metadata().get_str("id"), Some("evt-7"));
/// assert_eq!(cx.options::<Tenant>().map(|t| t.currency), Some("EUR"));
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Context<'a> {
    kind: &'a str,
    stored: &'a Version,
    untagged: bool,
    metadata: MetadataRef<'a>,
    options: Option<&'a (dyn Any + Sync)>,
    /// The step being run, `(from, to)`: `to` is older in a downcast.
    step: Option<(&'a Version, &'a Version)>,
    set_aside: Option<&'a SetAside<'a>>,
}

#[derive(Clone, Copy, Debug)]
enum MetadataRef<'a> {
    Ready(&'a Metadata),
    Lazy(&'a LazyMetadata<'a>),
}

/// An envelope's metadata, parsed the first time a step asks for it: most steps never do,
/// and their reads then cost nothing for it.
#[derive(Debug)]
pub(crate) struct LazyMetadata<'a> {
    envelope: &'a [u8],
    parsed: OnceCell<Metadata>,
}

impl<'a> LazyMetadata<'a> {
    pub(crate) fn new(envelope: &'a [u8]) -> Self {
        LazyMetadata {
            envelope,
            parsed: OnceCell::new(),
        }
    }

    fn get(&self) -> &Metadata {
        // The envelope was read successfully before: parsing it again cannot fail.
        self.parsed.get_or_init(|| {
            envelope_metadata(self.envelope)
                .map(Metadata::from)
                .unwrap_or_default()
        })
    }
}

impl<'a> Context<'a> {
    /// A context for a record of `kind` stored at `stored`, with no metadata and no
    /// options. Reads build their own; this is for calling steps directly, as in tests.
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
            metadata: MetadataRef::Ready(empty_metadata()),
            options: None,
            step: None,
            set_aside: None,
        }
    }

    /// The same context with the fields stored beside the data.
    ///
    /// See the example on [`Context`].
    pub fn with_metadata(self, metadata: &'a Metadata) -> Self {
        Context {
            metadata: MetadataRef::Ready(metadata),
            ..self
        }
    }

    /// The same context with the caller's options, which steps read with
    /// [`Context::options`]. Reads pass them with
    /// [`Reader::with_options`](crate::Reader::with_options).
    ///
    /// See the example on [`Context`].
    pub fn with_options<O: Any + Sync>(self, options: &'a O) -> Self {
        Context {
            options: Some(options),
            ..self
        }
    }

    /// The same context with a place for set-aside values: the record's, in reads and
    /// writes; one of the caller's, for calling steps directly.
    ///
    /// See the example on [`SetAside`].
    pub fn with_set_aside(self, set_aside: &'a SetAside<'a>) -> Self {
        Context {
            set_aside: Some(set_aside),
            ..self
        }
    }

    /// The same context for the step from `from` to `to` (a downcast when `to` is older).
    /// Reads and writes set it for each step they run; this is for calling steps directly.
    ///
    /// See the example on [`SetAside`].
    pub fn for_step<'s>(self, from: &'s Version, to: &'s Version) -> Context<'s>
    where
        'a: 's,
    {
        Context {
            step: Some((from, to)),
            ..self
        }
    }

    /// In a downcast, keeps `value` under `name` in the record, for the upcast step that
    /// undoes this downcast to [take back](Context::take_back): what the older version has no
    /// field for is not lost.
    ///
    /// An error outside a downcast, or where the record has no place for it.
    ///
    /// See [`Downcast`](crate::Downcast) for an example.
    pub fn set_aside<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<(), Error> {
        match (self.step, self.set_aside) {
            (Some((from, to)), Some(store)) if to < from => store.insert(from, name, value),
            (Some((from, to)), None) if to < from => Err(Error::SetAside {
                kind: self.kind.to_owned(),
                name: name.to_owned(),
                reason: "this context has no place for it: give it one with `with_set_aside`",
            }),
            _ => Err(Error::SetAside {
                kind: self.kind.to_owned(),
                name: name.to_owned(),
                reason: "only a downcast sets values aside",
            }),
        }
    }

    /// In an upcast step, the value `name` that the downcast this step undoes set aside,
    /// read as `T`: `Ok(None)` when there is none (the record was never written by an older
    /// writer, or nothing was set aside under that name).
    ///
    /// See [`Downcast`](crate::Downcast) for an example.
    pub fn take_back<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        match (self.step, self.set_aside) {
            (Some((from, to)), Some(store)) if to > from => store.get(to, name),
            _ => Ok(None),
        }
    }

    pub(crate) fn with_options_dyn(self, options: Option<&'a (dyn Any + Sync)>) -> Self {
        Context { options, ..self }
    }

    pub(crate) fn with_lazy_metadata(self, metadata: &'a LazyMetadata<'a>) -> Self {
        Context {
            metadata: MetadataRef::Lazy(metadata),
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

    /// The fields stored beside the data: an envelope's fields other than `kind`,
    /// `version` and `data`. Empty for the inline and external layouts.
    ///
    /// ```
    /// let stored = upcast::Version::new(1, 0, 0);
    /// assert!(upcast::Context::new("user", &stored).metadata().get_str("id").is_none());
    /// ```
    pub fn metadata(&self) -> &'a Metadata {
        match self.metadata {
            MetadataRef::Ready(metadata) => metadata,
            MetadataRef::Lazy(lazy) => lazy.get(),
        }
    }

    /// The caller's options of type `O`, when the read was given some of that type: a
    /// tenant's defaults, a converter's switches.
    ///
    /// See the example on [`Context`].
    pub fn options<O: Any>(&self) -> Option<&'a O> {
        self.options.and_then(|options| {
            let options: &'a dyn Any = options;
            options.downcast_ref::<O>()
        })
    }
}

impl fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("kind", &self.kind)
            .field("stored", &self.stored)
            .field("untagged", &self.untagged)
            .field("metadata", &self.metadata)
            .field("options", &self.options.map(|_| ".."))
            .field("step", &self.step)
            .field("set_aside", &self.set_aside)
            .finish()
    }
}

fn empty_metadata() -> &'static Metadata {
    static EMPTY: OnceLock<Metadata> = OnceLock::new();
    EMPTY.get_or_init(Metadata::new)
}
