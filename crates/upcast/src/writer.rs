//! Writing at a version chosen at run time: through downcasts to an older version (a
//! rollout, a rollback), or through steps to a newer one.

use std::collections::BTreeMap;
use std::fmt;
use std::io;

use serde_json::Value;

use crate::registry::Registries;
use crate::{Error, Layout, Registry, Version, Versioned, write};

/// The environment variable [`Writer::from_env`] reads: `kind=version` pairs separated by
/// commas, such as `user=2,order=1.1.0`.
pub const WRITE_AT_VAR: &str = "UPCAST_WRITE_AT";

/// Writes each kind at a version pinned at run time, and at its current version otherwise:
/// the switch of a rolling deploy. Pin writes at the old version while readers of the new
/// one roll out, unpin once they all have, and pin again to roll back.
///
/// A pinned write runs the registered downcasts (or steps) from the value's version to the
/// pinned one; what an older version cannot hold is [set aside](crate::SetAside) in the
/// record, so the next upcast takes it back.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// # use upcast::{Context, Downcast, UpcastError};
/// # #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.writer.user", version = 1)]
/// # struct UserV1 { name: String }
/// # #[derive(Clone, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.writer.user", version = 2)]
/// # struct User { name: String, admin: bool }
/// # #[upcast::register]
/// # impl From<UserV1> for User { fn from(v1: UserV1) -> Self { User { name: v1.name, admin: false } } }
/// # #[upcast::register(downcast)]
/// # impl From<User> for UserV1 { fn from(user: User) -> Self { UserV1 { name: user.name } } }
/// use upcast::{Layout, Writer};
///
/// // In the service: `Writer::from_env()?`, with UPCAST_WRITE_AT=doc.writer.user=1 set.
/// let writer = Writer::new(Layout::envelope()).pins("doc.writer.user=1")?;
/// let bytes = writer.to_vec(&User { name: "Ada".into(), admin: false })?;
/// assert_eq!(bytes, br#"{"kind":"doc.writer.user","version":1,"data":{"name":"Ada"}}"#);
///
/// let unpinned = writer.unpin("doc.writer.user");
/// assert!(unpinned.to_vec(&User { name: "Ada".into(), admin: false })?.starts_with(br#"{"kind":"doc.writer.user","version":2,"#));
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone)]
pub struct Writer<'r> {
    layout: Layout,
    registry: Registries<'r>,
    pins: BTreeMap<String, Version>,
}

impl Writer<'static> {
    /// A writer in `layout` over the global registry, with no pins.
    ///
    /// See the example on [`Writer`].
    pub fn new(layout: Layout) -> Self {
        Writer {
            layout,
            registry: Registries::GLOBAL,
            pins: BTreeMap::new(),
        }
    }

    /// A writer of envelopes over the global registry, pinned by the `UPCAST_WRITE_AT`
    /// environment variable (`user=2,order=1.1.0`; unset or empty: no pins). Every pin is
    /// checked at once: a kind or version that is not registered, a current version with
    /// no downcast path to its pin, or a value that is not UTF-8, is an error here rather
    /// than at the first write.
    ///
    /// ```
    /// let writer = upcast::Writer::from_env()?; // UPCAST_WRITE_AT is not set here
    /// assert_eq!(writer.pinned("user"), None);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        let spec = match std::env::var(WRITE_AT_VAR) {
            Ok(spec) => spec,
            Err(std::env::VarError::NotPresent) => String::new(),
            // Ignoring it would write every kind at its current version, silently.
            Err(std::env::VarError::NotUnicode(spec)) => {
                return Err(invalid_pin(
                    &spec.to_string_lossy(),
                    "`UPCAST_WRITE_AT` is not valid UTF-8",
                ));
            }
        };
        Writer::new(Layout::envelope()).pins(&spec)
    }
}

impl<'r> Writer<'r> {
    pub(crate) fn with_registry(registry: &'r Registry, layout: Layout) -> Self {
        Writer {
            layout,
            registry: Registries::given(registry),
            pins: BTreeMap::new(),
        }
    }

    /// The same writer with `kind` pinned at `version`, after checking that `version` is a
    /// registered version of `kind` that its newest version reaches through downcasts (or
    /// is the newest).
    ///
    /// ```
    /// let writer = upcast::Writer::new(upcast::Layout::envelope());
    /// let error = writer.pin("no.such.kind", &upcast::Version::new(1, 0, 0)).unwrap_err();
    /// assert!(error.to_string().starts_with("unknown kind `no.such.kind`"));
    /// ```
    pub fn pin(mut self, kind: &str, version: &Version) -> Result<Self, Error> {
        self.registry.get()?.check_pin(kind, version)?;
        self.pins.insert(kind.to_owned(), version.clone());
        Ok(self)
    }

    /// The same writer with the pins of `spec`: `kind=version` pairs separated by commas,
    /// the form of `UPCAST_WRITE_AT`. Spaces around the parts are ignored; an empty spec pins
    /// nothing.
    ///
    /// ```
    /// let writer = upcast::Writer::new(upcast::Layout::envelope());
    /// let error = writer.pins("user").unwrap_err();
    /// assert_eq!(error.to_string(), "invalid write pin `user`: expected `kind=version`, like `user=2,order=1.1.0`");
    /// ```
    pub fn pins(self, spec: &str) -> Result<Self, Error> {
        let mut writer = self;
        for pin in spec.split(',').map(str::trim).filter(|pin| !pin.is_empty()) {
            let Some((kind, version)) = pin.split_once('=') else {
                return Err(invalid_pin(
                    pin,
                    "expected `kind=version`, like `user=2,order=1.1.0`",
                ));
            };
            let (kind, version) = (kind.trim(), version.trim());
            if kind.is_empty() {
                return Err(invalid_pin(pin, "the kind is empty"));
            }
            let version = Version::parse(version).map_err(|error| match error {
                Error::InvalidVersion { reason, .. } => Error::InvalidPin {
                    pin: pin.to_owned(),
                    reason: format!("invalid version `{version}`: {reason}"),
                },
                other => other,
            })?;
            writer = writer.pin(kind, &version)?;
        }
        Ok(writer)
    }

    /// The same writer with `kind` written at its current version again.
    ///
    /// See the example on [`Writer`].
    pub fn unpin(mut self, kind: &str) -> Self {
        self.pins.remove(kind);
        self
    }

    /// The version `kind` is pinned at, if it is.
    ///
    /// ```
    /// assert_eq!(upcast::Writer::new(upcast::Layout::envelope()).pinned("user"), None);
    /// ```
    pub fn pinned(&self, kind: &str) -> Option<&Version> {
        self.pins.get(kind)
    }

    /// Writes `value` at its kind's pinned version, or as its type writes it.
    ///
    /// See the example on [`Writer`].
    pub fn to_vec<T: Versioned + Clone>(&self, value: &T) -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::with_capacity(128);
        self.to_writer(&mut bytes, value)?;
        Ok(bytes)
    }

    /// Writes `value` at its kind's pinned version, or as its type writes it.
    ///
    /// ```
    /// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.writer.string", version = 1)]
    /// # struct Note { text: String }
    /// let text = upcast::Writer::new(upcast::Layout::envelope()).to_string(&Note { text: "hi".into() })?;
    /// assert_eq!(text, r#"{"kind":"doc.writer.string","version":1,"data":{"text":"hi"}}"#);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_string<T: Versioned + Clone>(&self, value: &T) -> Result<String, Error> {
        let bytes = self.to_vec(value)?;
        // serde_json writes UTF-8 only; the conversion cannot fail.
        String::from_utf8(bytes).map_err(|error| Error::Io(io::Error::other(error)))
    }

    /// Writes `value` at its kind's pinned version, or as its type writes it, to `writer`.
    ///
    /// ```
    /// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.writer.writer", version = 1)]
    /// # struct Note { text: String }
    /// let mut out = Vec::new();
    /// upcast::Writer::new(upcast::Layout::inline("v")).to_writer(&mut out, &Note { text: "hi".into() })?;
    /// assert_eq!(out, br#"{"v":1,"text":"hi"}"#);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_writer<W: io::Write, T: Versioned + Clone>(
        &self,
        writer: W,
        value: &T,
    ) -> Result<(), Error> {
        match self.pins.get(T::KIND) {
            Some(version) if !T::VERSION.is(version) => {
                write_at(self.registry.get()?, &self.layout, writer, value, version)
            }
            _ => self.layout.to_writer(writer, value),
        }
    }

    /// Writes `value` at its kind's pinned version, or as its type writes it, as a JSON
    /// value.
    ///
    /// ```
    /// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.writer.value", version = 1)]
    /// # struct Note { text: String }
    /// let value = upcast::Writer::new(upcast::Layout::envelope()).to_value(&Note { text: "hi".into() })?;
    /// assert_eq!(value["version"], 1);
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn to_value<T: Versioned + Clone>(&self, value: &T) -> Result<Value, Error> {
        serde_json::from_slice(&self.to_vec(value)?).map_err(Error::Json)
    }
}

impl fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("layout", &self.layout)
            .field("global", &self.registry.is_global())
            .field("pins", &self.pins)
            .finish()
    }
}

impl Registry {
    /// A [`Writer`] in `layout` over this registry, with no pins.
    ///
    /// ```
    /// let registry = upcast::Registry::builder().build()?;
    /// let writer = registry.writer(upcast::Layout::envelope());
    /// assert!(writer.pin("user", &upcast::Version::new(1, 0, 0)).is_err(), "no such kind here");
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn writer(&self, layout: Layout) -> Writer<'_> {
        Writer::with_registry(self, layout)
    }
}

/// Writes `value` at `version` of its kind, through the registry's downcasts or steps.
pub(crate) fn write_at<W: io::Write, T: Versioned + Clone>(
    registry: &Registry,
    layout: &Layout,
    writer: W,
    value: &T,
    version: &Version,
) -> Result<(), Error> {
    if T::VERSION.is(version) {
        return layout.to_writer(writer, value);
    }
    let moved = registry.move_to(value, version)?;
    let data = (moved.entry.to_json)(&*moved.value)
        .ok_or_else(|| Error::Unregistered {
            kind: T::KIND.to_owned(),
            version: version.to_string(),
            type_name: std::any::type_name::<T>(),
        })?
        .map_err(Error::Json)?;
    let head = write::Head {
        set_aside: moved.set_aside.as_deref(),
        ..write::Head::new(T::KIND, moved.entry.tag)
    };
    write::record(layout, writer, &head, &write::Raw(&data))
}

fn invalid_pin(pin: &str, reason: &str) -> Error {
    Error::InvalidPin {
        pin: pin.to_owned(),
        reason: reason.to_owned(),
    }
}
