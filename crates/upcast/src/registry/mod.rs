//! The registry: every registered version and step, validated, looked up at read time.

mod build;
mod chain;
mod convert;
mod entry;
mod moving;
mod problem;
mod read;
mod table;

use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use convert::{Converted, Stored};
pub(crate) use entry::DeserializeFn;
pub use entry::{StepEntry, VersionEntry};
pub use problem::Problem;
use table::KindTable;

use crate::read::{Stamp, unknown_version};
use crate::{Downcast, Error, Layout, Reader, Upcast, Version, Versioned};

/// Every registered version and step, validated so each kind forms one path to its newest
/// version.
///
/// `#[derive(Versioned)]` and `#[upcast::register]` register with `inventory` at link
/// time; the global registry is built from them once, on first use. A crate that only
/// defines records is dropped by the linker unless something in the binary uses it: add
/// `use records as _;` next to `main`.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// use serde_json::json;
///
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.registry.note", version = 1)]
/// struct NoteV1 { text: String }
///
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.registry.note", version = 2)]
/// struct Note { text: String, pinned: bool }
///
/// #[upcast::register]
/// impl From<NoteV1> for Note {
///     fn from(v1: NoteV1) -> Self { Note { text: v1.text, pinned: false } }
/// }
///
/// let old = json!({"kind": "doc.registry.note", "version": 1, "id": 7, "data": {"text": "hi"}});
/// let current = upcast::Registry::global().upcast_value(old)?;
/// assert_eq!(current, json!({
///     "kind": "doc.registry.note", "version": 2, "id": 7,
///     "data": {"text": "hi", "pinned": false},
/// }));
/// # Ok::<(), upcast::Error>(())
/// ```
pub struct Registry {
    kinds: BTreeMap<&'static str, KindTable>,
}

static GLOBAL: OnceLock<Result<Registry, Vec<Problem>>> = OnceLock::new();

/// The registry a read uses: one given by the caller, or (`None`) the global one, found
/// only when the read needs it (a record its type wrote needs none). A pointer wide, as it
/// travels with every read.
#[derive(Clone, Copy)]
pub(crate) struct Registries<'r>(Option<&'r Registry>);

impl<'r> Registries<'r> {
    pub(crate) const GLOBAL: Registries<'static> = Registries(None);

    pub(crate) fn given(registry: &'r Registry) -> Self {
        Registries(Some(registry))
    }

    pub(crate) fn is_global(self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn get(self) -> Result<&'r Registry, Error> {
        match self.0 {
            None => Registry::try_global(),
            Some(registry) => Ok(registry),
        }
    }
}

impl Registry {
    /// The registry of everything registered in this binary.
    ///
    /// # Panics
    ///
    /// When the registered versions and steps are inconsistent, with the full list of
    /// problems: that is a bug in the program, not in its input. Use
    /// [`Registry::try_global`] to get the problems as an error instead.
    ///
    /// ```
    /// let kinds: Vec<&str> = upcast::Registry::global().kinds().collect();
    /// assert!(kinds.windows(2).all(|pair| pair[0] < pair[1]));
    /// ```
    pub fn global() -> &'static Registry {
        match Registry::try_global() {
            Ok(registry) => registry,
            Err(error) => panic!("{error}"),
        }
    }

    /// The registry of everything registered in this binary, or every problem with it.
    ///
    /// ```
    /// assert!(upcast::Registry::try_global().is_ok());
    /// ```
    pub fn try_global() -> Result<&'static Registry, Error> {
        let built = GLOBAL.get_or_init(|| {
            let versions: Vec<VersionEntry> = inventory::iter::<VersionEntry>().copied().collect();
            let steps: Vec<StepEntry> = inventory::iter::<StepEntry>().copied().collect();
            build::tables(&versions, &steps).map(|kinds| Registry { kinds })
        });
        built
            .as_ref()
            .map_err(|problems| Error::InvalidRegistry(problems.clone()))
    }

    /// Checks everything registered in this binary: duplicate versions, two types in one
    /// compatible range, steps from or to unregistered versions, two steps from one
    /// version, steps that do not go forward, versions with no path to the newest.
    ///
    /// ```
    /// // in a test of the crate that defines the records
    /// upcast::Registry::validate()?;
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn validate() -> Result<(), Error> {
        Registry::try_global().map(|_| ())
    }

    /// A builder for a registry of exactly the listed versions and steps, ignoring what is
    /// registered at link time. For tests, and for tools that hold several registries.
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// use upcast::{Context, Registry, Tag, Upcast, UpcastError, Versioned};
    ///
    /// #[derive(Serialize, Deserialize, JsonSchema)]
    /// struct A;
    /// impl Versioned for A { const KIND: &'static str = "doc.builder"; const VERSION: Tag = Tag::Number(1); }
    ///
    /// #[derive(Serialize, Deserialize, JsonSchema)]
    /// struct B;
    /// impl Versioned for B { const KIND: &'static str = "doc.builder"; const VERSION: Tag = Tag::Number(2); }
    ///
    /// impl Upcast for A {
    ///     type Next = B;
    ///     fn upcast(self, _: &Context) -> Result<B, UpcastError> { Ok(B) }
    /// }
    ///
    /// assert!(Registry::builder().version::<A>().version::<B>().step::<A>().build().is_ok());
    /// let missing_step = Registry::builder().version::<A>().version::<B>().build();
    /// assert!(missing_step.is_err());
    /// ```
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder {
            versions: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// The read functions of `layout` over this registry: typed reads that see only this
    /// registry's versions and steps, and the dynamic [`Reader::convert`].
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// use upcast::{Layout, Registry, Tag, Versioned};
    ///
    /// // Implemented by hand: registered nowhere but in the registry built below.
    /// #[derive(Serialize, Deserialize, JsonSchema)]
    /// struct Note { text: String }
    /// impl Versioned for Note { const KIND: &'static str = "doc.private"; const VERSION: Tag = Tag::Number(1); }
    ///
    /// let registry = Registry::builder().version::<Note>().build()?;
    /// let inline = Layout::inline("v");
    /// let note: Note = registry.reader(&inline).from_slice(br#"{"v":1,"text":"hi"}"#)?;
    /// assert_eq!(note.text, "hi");
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn reader<'a>(&'a self, layout: &'a Layout) -> Reader<'a> {
        Reader::new(self, layout)
    }

    /// The registered kinds, in order.
    ///
    /// ```
    /// for kind in upcast::Registry::global().kinds() {
    ///     assert!(!kind.is_empty());
    /// }
    /// ```
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.kinds.keys().copied()
    }

    /// The registered versions of `kind`, oldest first; empty for an unknown kind.
    ///
    /// ```
    /// assert!(upcast::Registry::global().versions("no.such.kind").is_empty());
    /// ```
    pub fn versions(&self, kind: &str) -> Vec<Version> {
        self.kinds
            .get(kind)
            .map(KindTable::versions)
            .unwrap_or_default()
    }

    /// The versions a record of `kind` stored at `stored` passes through on its way to the
    /// newest version, starting with the version whose type reads it (`stored` itself, or
    /// the release of its compatible range). `None` stands for an untagged record. The
    /// number of steps it still needs is one less than the length.
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.path.note", version = 1, untagged)]
    /// # struct NoteV1 { text: String }
    /// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.path.note", version = "2.1")]
    /// # struct Note { text: String }
    /// # #[upcast::register]
    /// # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text } } }
    /// use upcast::{Registry, Version};
    ///
    /// let registry = Registry::global();
    /// let path = registry.path("doc.path.note", None)?;
    /// assert_eq!(path, [Version::new(1, 0, 0), Version::new(2, 1, 0)]);
    /// assert_eq!(registry.path("doc.path.note", Some(&"2.0".parse()?))?.len(), 1);
    /// assert!(registry.path("doc.path.note", Some(&Version::new(9, 0, 0))).is_err());
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn path(&self, kind: &str, stored: Option<&Version>) -> Result<Vec<Version>, Error> {
        let table = self.table(kind)?;
        let from = match stored {
            Some(version) => table.reading(version).ok_or_else(|| {
                unknown_version(
                    table.kind,
                    &Stamp::Known(version),
                    version.clone(),
                    table.versions(),
                )
            })?,
            None => table.untagged.ok_or_else(|| Error::MissingVersion {
                kind: table.kind.to_owned(),
                field: "version".to_owned(),
            })?,
        };
        Ok(table.path_from(from))
    }

    /// Every registered version: its kind, its version and its entry, kinds in order and
    /// versions oldest first.
    #[cfg(feature = "check")]
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'static str, &Version, &VersionEntry)> {
        self.kinds.values().flat_map(|table| {
            table
                .nodes
                .iter()
                .map(move |node| (table.kind, &node.version, &node.entry))
        })
    }

    /// The newest registered version of `kind` and its entry.
    #[cfg(feature = "check")]
    pub(crate) fn newest(&self, kind: &str) -> Option<(&Version, &VersionEntry)> {
        let node = self.kinds.get(kind)?.nodes.last()?;
        Some((&node.version, &node.entry))
    }

    /// The older versions the newest type of `kind` can be written at, walking its
    /// downcasts back, newest first.
    #[cfg(feature = "check")]
    pub(crate) fn writable_at(&self, kind: &str) -> Vec<Version> {
        let Some(table) = self.kinds.get(kind) else {
            return Vec::new();
        };
        let mut at = table.nodes.len().saturating_sub(1);
        let mut versions = Vec::new();
        while let Some((next, _)) = table.nodes.get(at).and_then(|node| node.down) {
            versions.push(table.version_at(next));
            at = next;
        }
        versions
    }

    /// Whether some registered type of `kind` reads data stored at `version`.
    #[cfg(feature = "check")]
    pub(crate) fn reads(&self, kind: &str, version: &Version) -> bool {
        self.kinds
            .get(kind)
            .is_some_and(|table| table.reading(version).is_some())
    }

    /// The kind whose id is `id` ([`Versioned::KIND_ID`]), if one is registered.
    pub(crate) fn kind_of_id(&self, id: u32) -> Option<&'static str> {
        self.kinds
            .values()
            .find(|table| {
                table
                    .nodes
                    .first()
                    .is_some_and(|node| node.entry.kind_id == id)
            })
            .map(|table| table.kind)
    }

    pub(crate) fn table(&self, kind: &str) -> Result<&KindTable, Error> {
        self.kinds.get(kind).ok_or_else(|| self.unknown_kind(kind))
    }

    pub(crate) fn unknown_kind(&self, kind: &str) -> Error {
        Error::UnknownKind {
            kind: kind.to_owned(),
            known: self.kinds.keys().map(|known| (*known).to_owned()).collect(),
        }
    }
}

/// Builds a [`Registry`] of exactly the listed versions and steps. See [`Registry::builder`].
pub struct RegistryBuilder {
    versions: Vec<VersionEntry>,
    steps: Vec<StepEntry>,
}

impl RegistryBuilder {
    /// Adds the version `V`.
    ///
    /// See [`Registry::builder`].
    pub fn version<V: Versioned>(mut self) -> Self {
        self.versions.push(VersionEntry::of::<V>());
        self
    }

    /// Adds the step `S -> S::Next` (not the versions themselves).
    ///
    /// See [`Registry::builder`].
    pub fn step<S: Upcast>(mut self) -> Self {
        self.steps.push(StepEntry::of::<S>());
        self
    }

    /// Adds the downcast `S -> S::Prev` (not the versions themselves).
    ///
    /// ```
    /// # use schemars::JsonSchema;
    /// # use serde::{Deserialize, Serialize};
    /// use upcast::{Context, Downcast, Registry, Tag, Upcast, UpcastError, Versioned};
    ///
    /// #[derive(Serialize, Deserialize, JsonSchema)]
    /// struct A;
    /// impl Versioned for A { const KIND: &'static str = "doc.builder.down"; const VERSION: Tag = Tag::Number(1); }
    /// #[derive(Serialize, Deserialize, JsonSchema)]
    /// struct B;
    /// impl Versioned for B { const KIND: &'static str = "doc.builder.down"; const VERSION: Tag = Tag::Number(2); }
    /// impl Upcast for A { type Next = B; fn upcast(self, _: &Context) -> Result<B, UpcastError> { Ok(B) } }
    /// impl Downcast for B { type Prev = A; fn downcast(self, _: &Context) -> Result<A, UpcastError> { Ok(A) } }
    ///
    /// let registry = Registry::builder().version::<A>().version::<B>().step::<A>().downcast::<B>().build();
    /// assert!(registry.is_ok());
    /// ```
    pub fn downcast<S: Downcast>(mut self) -> Self {
        self.steps.push(StepEntry::downcast::<S>());
        self
    }

    /// Validates and builds the registry; the error lists every problem.
    ///
    /// See [`Registry::builder`].
    pub fn build(self) -> Result<Registry, Error> {
        build::tables(&self.versions, &self.steps)
            .map(|kinds| Registry { kinds })
            .map_err(Error::InvalidRegistry)
    }
}
