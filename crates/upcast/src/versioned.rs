//! The traits a record type implements: [`Versioned`] for every version, [`Upcast`] for
//! every step between versions, [`Downcast`] for every step back.

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Context, Tag, UpcastError};

/// One version of a record type, as stored under a stable `kind`.
///
/// Implemented by `#[derive(upcast::Versioned)]`, which also registers the version (its
/// decoder and its JSON Schema) so the registry can find it at read time.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::{Deserialize, Serialize};
/// use upcast::{Tag, Versioned};
///
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.user", version = "3.1.0")]
/// struct User {
///     name: String,
/// }
///
/// assert_eq!(User::KIND, "doc.user");
/// assert_eq!(User::VERSION, Tag::Text("3.1.0"));
/// ```
///
/// Implementing it by hand registers nothing: such a type is only known to registries
/// built with [`Registry::builder`](crate::Registry::builder).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a versioned record type",
    label = "not `upcast::Versioned`",
    note = "derive it: #[derive(upcast::Versioned)] #[versioned(kind = \"...\", version = 1)]"
)]
pub trait Versioned: Serialize + DeserializeOwned + JsonSchema + 'static {
    /// The stable name of the record type as stored, such as `"user"` or `"order.placed"`.
    const KIND: &'static str;
    /// The version this type reads and writes, in the form it is written.
    const VERSION: Tag;
    /// Whether records stored with no version tag (data from before versioning) are this
    /// version. At most one version of a kind may say so.
    const UNTAGGED: bool = false;
    /// The kind as a number, for the compact binary header ([`crate::format`]): declared
    /// with `#[versioned(id = 7)]`, else derived from [`KIND`](Self::KIND) by
    /// [`kind_id`].
    const KIND_ID: u32 = kind_id(Self::KIND);
    /// The binary formats the kind is stored in (`#[versioned(formats = ["postcard"])]`),
    /// by [`Format::NAME`](crate::format::Format::NAME): the check proves every version's
    /// samples survive them, and that no version of a format that does not describe its
    /// fields is read by another version's type.
    const FORMATS: &'static [&'static str] = &[];
}

/// The 32-bit id of a kind name: FNV-1a of its bytes, the same on every machine and in
/// every version of upcast.
///
/// ```
/// assert_eq!(upcast::kind_id("customer"), upcast::kind_id("customer"));
/// assert_ne!(upcast::kind_id("customer"), upcast::kind_id("product"));
/// ```
pub const fn kind_id(kind: &str) -> u32 {
    let bytes = kind.as_bytes();
    let mut hash: u32 = 0x811c_9dc5;
    let mut at = 0;
    while at < bytes.len() {
        hash ^= bytes[at] as u32;
        hash = hash.wrapping_mul(0x0100_0193);
        at += 1;
    }
    hash
}

/// A step from one version of a record to the next one.
///
/// `#[upcast::register]` on this impl adds it to the registry. A step written as
/// `impl From<Old> for New` gets this impl from `#[upcast::register]`, infallible.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// use upcast::{Context, Upcast, UpcastError};
///
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.price", version = 1)]
/// struct PriceV1 { amount: String }
///
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.price", version = 2)]
/// struct Price { cents: u64 }
///
/// #[upcast::register]
/// impl Upcast for PriceV1 {
///     type Next = Price;
///
///     fn upcast(self, cx: &Context) -> Result<Price, UpcastError> {
///         let cents = self.amount.replace('.', "").parse()?;
///         Ok(Price { cents })
///     }
/// }
///
/// let stored = upcast::Version::new(1, 0, 0);
/// let cx = Context::new("doc.price", &stored);
/// assert_eq!(PriceV1 { amount: "12.50".into() }.upcast(&cx)?.cents, 1250);
/// assert!(PriceV1 { amount: "twelve".into() }.upcast(&cx).is_err());
/// # Ok::<(), UpcastError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "no upcast step from `{Self}`",
    label = "no step registered from this version",
    note = "register one: #[upcast::register] impl From<{Self}> for <the next version's type>",
    note = "an AnyVersion enum lists its versions oldest first, the current one last"
)]
pub trait Upcast: Versioned {
    /// The version this step produces.
    type Next: Versioned;

    /// Converts this version into the next one. `cx` describes the read: the kind, the
    /// version the record was stored with, and the envelope's metadata.
    fn upcast(self, cx: &Context<'_>) -> Result<Self::Next, UpcastError>;
}

/// A step back from one version of a record to the previous one: the mirror of an
/// [`Upcast`] step, so writers can stay on an older version during a rollout and readers
/// on an older type can read newer records.
///
/// `#[upcast::register]` on this impl adds it to the registry;
/// `#[upcast::register(downcast)]` on `impl From<New> for Old` (or `TryFrom`) does the same
/// for an ordinary conversion. A downcast undoes one step: it goes from a version to the
/// version whose step leads to it.
///
/// What the older version cannot hold, a downcast sets aside with
/// [`Context::set_aside`]; the record keeps it, and the next upcast step takes it back with
/// [`Context::take_back`], so a round trip through an older writer loses nothing.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// use upcast::{Context, Downcast, Upcast, UpcastError};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.down.user", version = 1)]
/// struct UserV1 { name: String }
///
/// #[derive(Debug, PartialEq, Clone, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.down.user", version = 2)]
/// struct User { name: String, email: Option<String> }
///
/// #[upcast::register]
/// impl Upcast for UserV1 {
///     type Next = User;
///     fn upcast(self, cx: &Context) -> Result<User, UpcastError> {
///         Ok(User { name: self.name, email: cx.take_back("email")? })
///     }
/// }
///
/// #[upcast::register]
/// impl Downcast for User {
///     type Prev = UserV1;
///     fn downcast(self, cx: &Context) -> Result<UserV1, UpcastError> {
///         cx.set_aside("email", &self.email)?;
///         Ok(UserV1 { name: self.name })
///     }
/// }
///
/// let user = User { name: "Ada".into(), email: Some("ada@example.com".into()) };
/// let v1 = upcast::to_vec_at(&user, &upcast::Version::new(1, 0, 0))?;
/// assert!(v1.starts_with(br#"{"kind":"doc.down.user","version":1,"#));
/// assert_eq!(upcast::from_slice::<User>(&v1)?, user, "nothing lost on the way");
/// assert_eq!(upcast::from_slice::<UserV1>(&upcast::to_vec(&user)?)?.name, "Ada");
/// # Ok::<(), upcast::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "no downcast from `{Self}`",
    label = "no step back registered from this version",
    note = "register one: #[upcast::register(downcast)] impl From<{Self}> for <the previous version's type>"
)]
pub trait Downcast: Versioned {
    /// The version this step goes back to.
    type Prev: Versioned;

    /// Converts this version into the previous one. `cx` describes the write or read it is
    /// part of; values the previous version has no place for go to [`Context::set_aside`].
    fn downcast(self, cx: &Context<'_>) -> Result<Self::Prev, UpcastError>;
}
