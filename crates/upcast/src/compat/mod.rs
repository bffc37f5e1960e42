//! Compatibility of JSON Schemas by the rules of Confluent Schema Registry: the changes
//! between two schemas, each with Confluent's change type and a JSON pointer, and a verdict
//! under the strict or the lenient policy. No Rust types needed.
//!
//! Tested against Confluent's own suite of 104 cases (`tests/conformance.rs`).
//!
//! ```
//! use serde_json::json;
//! use upcast::compat::{self, Direction, Policy};
//!
//! let old = json!({"type": "object", "properties": {"name": {"type": "string"}}});
//! let new = json!({"type": "object", "properties": {
//!     "name": {"type": "string"},
//!     "email": {"type": ["string", "null"]},
//! }});
//! let strict = compat::check(&old, &new, Direction::Backward, Policy::Strict)?;
//! assert!(!strict.is_compatible());
//! assert_eq!(strict.changes()[0].to_string(), "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/email");
//! assert!(compat::check(&old, &new, Direction::Backward, Policy::Lenient)?.is_compatible());
//! # Ok::<(), upcast::Error>(())
//! ```

mod array;
mod change;
mod combined;
mod compare;
mod context;
mod members;
mod model;
mod object;
mod scalar;
mod unevaluated;

use std::fmt;

use serde_json::Value;

pub use change::{Change, ChangeType};
pub(crate) use model::resolve;

use crate::Error;

/// Which changes count as compatible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Confluent's default. An open content model (unknown properties allowed) means an old
    /// document may hold any property, so adding one is incompatible.
    #[default]
    Strict,
    /// Assumes readers ignore unknown properties, as serde does: adding optional properties
    /// to open content models, removing properties from closed ones and narrowing
    /// `additionalProperties` are compatible.
    Lenient,
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::Strict => "strict",
            Policy::Lenient => "lenient",
        })
    }
}

/// Which way data must stay readable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The new schema reads everything the old one accepted.
    #[default]
    Backward,
    /// The old schema reads everything the new one accepts.
    Forward,
    /// Both.
    Full,
}

/// The changes between two schemas and the verdict.
///
/// See the example of the [module](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compatibility {
    changes: Vec<Change>,
    /// Where the forward changes start (`Direction::Full` holds both).
    forward_from: usize,
    policy: Policy,
}

impl Compatibility {
    /// Whether every change is compatible under the policy.
    ///
    /// See the example of the [module](self).
    pub fn is_compatible(&self) -> bool {
        self.changes
            .iter()
            .all(|change| change.is_compatible(self.policy))
    }

    /// Every change: for [`Direction::Full`], the backward ones then the forward ones.
    ///
    /// See the example of the [module](self).
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The changes found comparing old to new (empty for [`Direction::Forward`]).
    ///
    /// ```
    /// # use upcast::compat::{check, Direction, Policy};
    /// let schema = serde_json::json!({"type": "string"});
    /// assert!(check(&schema, &schema, Direction::Full, Policy::Strict)?.backward().is_empty());
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn backward(&self) -> &[Change] {
        self.changes.get(..self.forward_from).unwrap_or_default()
    }

    /// The changes found comparing new to old (empty for [`Direction::Backward`]).
    ///
    /// ```
    /// # use upcast::compat::{check, Direction, Policy};
    /// let old = serde_json::json!({"type": "string", "maxLength": 5});
    /// let new = serde_json::json!({"type": "string"});
    /// let full = check(&old, &new, Direction::Full, Policy::Strict)?;
    /// assert_eq!(full.forward()[0].to_string(), "MAX_LENGTH_ADDED #/maxLength");
    /// assert!(!full.is_compatible());
    /// # Ok::<(), upcast::Error>(())
    /// ```
    pub fn forward(&self) -> &[Change] {
        self.changes.get(self.forward_from..).unwrap_or_default()
    }

    /// The changes the policy does not accept.
    ///
    /// See the example of the [module](self).
    pub fn incompatible_changes(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|change| !change.is_compatible(self.policy))
    }
}

/// The changes from `original` (the writer's schema) to `update` (the reader's), as
/// Confluent's checker reports them. A change list is compatible under a policy when every
/// change is.
///
/// ```
/// let changes = upcast::compat::diff(
///     &serde_json::json!({"type": "integer"}),
///     &serde_json::json!({"type": "number"}),
/// )?;
/// assert_eq!(changes[0].to_string(), "TYPE_EXTENDED #/");
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn diff(original: &Value, update: &Value) -> Result<Vec<Change>, Error> {
    let shared = context::Shared::default();
    let mut ctx = context::Ctx::new(&shared);
    compare::values(&mut ctx, Some((original, original)), Some((update, update)))?;
    Ok(ctx.changes)
}

/// Checks that `new` keeps data readable in `direction` under `policy`.
///
/// See the example of the [module](self).
pub fn check(
    old: &Value,
    new: &Value,
    direction: Direction,
    policy: Policy,
) -> Result<Compatibility, Error> {
    let mut changes = match direction {
        Direction::Backward | Direction::Full => diff(old, new)?,
        Direction::Forward => Vec::new(),
    };
    let forward_from = changes.len();
    if direction != Direction::Backward {
        changes.extend(diff(new, old)?);
    }
    Ok(Compatibility {
        changes,
        forward_from,
        policy,
    })
}
