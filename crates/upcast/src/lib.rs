//! Read data written under any past version of a record type.
//!
//! Stored data keeps the version it was written with. At read time upcast finds the stored
//! version, deserializes the data once into that version's own type, and moves it through
//! the registered steps to the type you asked for. A record already at the current version
//! is deserialized straight into the current type, as plain `serde_json` would.
//!
//! ## Example
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
//! #[versioned(kind = "crate.user", version = 1, untagged)]
//! struct UserV1 { name: String }
//!
//! #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
//! #[versioned(kind = "crate.user", version = 2)]
//! struct UserV2 { first: String, last: String }
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
//! #[versioned(kind = "crate.user", version = "3.1.0")] // reads 3.0.0 and 3.1.0 data directly
//! struct User { first: String, last: String, #[serde(default)] email: Option<String> }
//!
//! #[upcast::register] // an infallible step, from an ordinary From impl
//! impl From<UserV1> for UserV2 {
//!     fn from(v1: UserV1) -> Self {
//!         let (first, last) = v1.name.split_once(' ').unwrap_or((&v1.name, ""));
//!         UserV2 { first: first.into(), last: last.into() }
//!     }
//! }
//!
//! #[upcast::register] // a fallible step, which sees the read's context
//! impl upcast::Upcast for UserV2 {
//!     type Next = User;
//!     fn upcast(self, cx: &upcast::Context) -> Result<User, upcast::UpcastError> {
//!         let email = cx.metadata().get_str("email").map(String::from);
//!         Ok(User { first: self.first, last: self.last, email })
//!     }
//! }
//!
//! let stored = br#"{"kind":"crate.user","version":1,"data":{"name":"Ada Lovelace"}}"#;
//! let user: User = upcast::from_slice(stored)?;
//! assert_eq!(user, User { first: "Ada".into(), last: "Lovelace".into(), email: None });
//!
//! let bytes = upcast::to_vec(&user)?; // written as "3.1.0", the form User declared
//! assert!(bytes.starts_with(br#"{"kind":"crate.user","version":"3.1.0","data":"#));
//!
//! let inline = upcast::Layout::inline("schema_version"); // a record with no tag is UserV1
//! let legacy: User = inline.from_slice(br#"{"name":"Grace Hopper"}"#)?;
//! assert_eq!(legacy.last, "Hopper");
//! # Ok::<(), upcast::Error>(())
//! ```
//!
//! ## Details
//!
//! - **kind** is the stable stored name of a record type, never derived from the Rust name.
//! - **version** is semver ([`Version`]); `2` means `2.0.0`. A type declared `3.1.0` reads
//!   all `3.x` data up to `3.1.0` (minor versions must stay backward compatible); a major
//!   bump needs a step; a pre-release (`2.0.0-rc1`) is its own version.
//! - **layouts**: one [`Layout`] value: the envelope `{"kind","version","data"}` (the free
//!   functions), an [inline](Layout::inline) tag field, or an [external](Layout::external)
//!   version ([`from_slice_at`]).
//! - **readers**: [`Registry::reader`] reads through a registry of one's own and hands the
//!   caller's options to steps ([`Reader::with_options`], [`Context::options`]);
//!   [`Registry::convert`] converts any stored record without naming a type.
//! - **steps** are [`Upcast`] impls registered with `#[upcast::register]`; the
//!   [`Registry`] is built once and refuses kinds whose versions do not form one path to
//!   the newest.
//! - **versioned-schema mode**: an enum deriving [`AnyVersion`] reads a record as its
//!   original version.
//! - **lazy migration**: [`from_slice_migrating`] also returns the record re-encoded at the
//!   current version when it was stored at an older one, for the caller to write back.
//! - **the CI check** ([`check()`], feature `check`, on by default): every version reaches
//!   the newest, frozen JSON Schemas did not change, minor versions stay backward
//!   compatible by Confluent Schema Registry's rules ([`compat`]), samples still upcast.
//! - A crate that only defines records is dropped by the linker unless used: write
//!   `use records as _;` in the binary.
//!
//! The macros misused give a compile error that says the fix:
//!
//! ```compile_fail
//! #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
//! #[versioned(version = 1)] // error: missing `kind`
//! struct User { name: String }
//! ```

#![warn(missing_docs)]

mod any_version;
mod api;
#[cfg(feature = "check")]
pub mod check;
/// The schema compatibility checker, [upcast-compat](upcast_compat): JSON Schema changes by
/// Confluent Schema Registry's rules.
#[cfg(feature = "check")]
pub use upcast_compat as compat;

mod context;
mod error;
pub mod format;
mod layout;
mod metadata;
mod migrate;
mod read;
mod reader;
mod registry;
mod set_aside;
mod upcast_error;
mod version;
mod versioned;
mod write;
mod writer;

#[doc(hidden)]
pub mod __private;

pub use any_version::AnyVersion;
#[cfg(feature = "check")]
pub use check::check;

pub use api::{
    from_reader, from_reader_at, from_slice, from_slice_at, from_str, from_str_at, from_value,
    from_value_at, header, to_string, to_string_at, to_value, to_value_at, to_vec, to_vec_at,
    to_writer, to_writer_at,
};
pub use context::Context;
pub use error::Error;
pub use layout::Layout;
pub use metadata::Metadata;
pub use migrate::{Migrated, from_slice_migrating};
pub use read::{Decode, Header};
pub use reader::Reader;
pub use registry::{Converted, Problem, Registry, RegistryBuilder, Stored};
pub use set_aside::SetAside;
pub use upcast_error::UpcastError;
pub use version::{Tag, Version};
pub use versioned::{Downcast, Upcast, Versioned, kind_id};
pub use writer::{WRITE_AT_VAR, Writer};

#[cfg(feature = "derive")]
pub use upcast_derive::{AnyVersion, Versioned, register};

/// The README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
