//! The traits a record type implements: [`Versioned`] for every version, [`Upcast`] for
//! every step between versions.

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
