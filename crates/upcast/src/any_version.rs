//! Versioned-schema mode: read a record as its original version, handle each version in
//! its own code, and convert to the current one when wanted.

use crate::{Decode, Error, Tag, Versioned};

/// An enum with one variant per version of a kind, implemented by
/// `#[derive(upcast::AnyVersion)]`.
///
/// Reading it (with any read function and any layout) picks the variant by the stored
/// version with static dispatch: no registry lookup, no boxing. The variants are listed
/// oldest first, each step's `Next` being the following variant's type; the last variant is
/// the current version.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.any.user", version = 1)]
/// struct UserV1 { name: String }
///
/// #[derive(Debug, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.any.user", version = 2)]
/// struct User { name: String, admin: bool }
///
/// #[upcast::register]
/// impl From<UserV1> for User {
///     fn from(v1: UserV1) -> Self { User { name: v1.name, admin: false } }
/// }
///
/// #[derive(upcast::AnyVersion)]
/// enum AnyUser { V1(UserV1), V2(User) }
///
/// let any: AnyUser = upcast::from_str(r#"{"kind":"doc.any.user","version":1,"data":{"name":"Ada"}}"#)?;
/// match &any {
///     AnyUser::V1(v1) => assert_eq!(v1.name, "Ada"),
///     AnyUser::V2(_) => unreachable!("stored as version 1"),
/// }
/// assert_eq!(any.version(), upcast::Tag::Number(1));
/// let user: User = any.into_current()?;
/// assert!(!user.admin);
/// # Ok::<(), upcast::Error>(())
/// ```
pub trait AnyVersion: Decode {
    /// The current version: the last variant's type.
    type Current: Versioned;

    /// The declared version of the variant held.
    fn version(&self) -> Tag;

    /// Runs the remaining steps to the current version. The steps see the kind and the
    /// held variant's version; envelope metadata is not kept in the enum.
    ///
    /// The enum holds the decoded value alone, not the version the record was stored at,
    /// so the steps' [`Context::stored_version`](crate::Context::stored_version) and a
    /// failing step's [`Error::Step`] name the held variant's declared version as the
    /// stored one. A `2.3.0` record read into a variant declared `2.6.0` fails
    /// ``cannot upcast `doc` from 2.6.0 to 3.1.0: ...``, where reading the current type
    /// directly (`upcast::from_slice::<Current>`, the same steps) says
    /// ``from 2.3.0 (read as 2.6.0) to 3.1.0``. To name the stored version, read the
    /// current type directly, or keep the tag of [`header`](crate::header) beside the enum.
    fn into_current(self) -> Result<Self::Current, Error>;
}
