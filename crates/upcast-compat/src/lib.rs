//! Compatibility of JSON Schemas by the rules of Confluent Schema Registry: the changes
//! between two schemas, each with Confluent's change type and a JSON pointer, and a verdict
//! under the strict or the lenient policy. No Rust types needed.
//!
//! Tested against Confluent's own suite of 104 cases (`tests/conformance.rs` of the upcast
//! workspace). upcast's CI check (`upcast::check`) uses it on frozen schemas; it needs no
//! Rust types, and no part of upcast.
//!
//! ```
//! use serde_json::json;
//! use upcast_compat::{self as compat, Direction, Policy};
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
//! # Ok::<(), upcast_compat::Error>(())
//! ```

#![warn(missing_docs)]

mod array;
mod change;
mod combined;
mod compare;
mod context;
mod error;
mod found;
mod members;
mod model;
mod object;
mod scalar;
mod unevaluated;

use std::fmt;

use serde_json::Value;

pub use change::{Change, ChangeType};
pub use error::Error;
pub use model::resolve;

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

/// How many changes a comparison lists at most, by default: a schema whose `$ref`s are
/// shared along many paths can have more changes than anyone reads, and listing them all
/// would take as long. The verdict always counts every change.
pub const DEFAULT_LIMIT: usize = 10_000;

/// How [`check_with`] compares.
///
/// ```
/// use upcast_compat::{Direction, Options, Policy};
///
/// let options = Options::new(Direction::Full, Policy::Lenient).limit(100);
/// assert_eq!(options.limit, 100);
/// assert_eq!(Options::default().limit, upcast_compat::DEFAULT_LIMIT);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Which way data must stay readable.
    pub direction: Direction,
    /// Which changes count as compatible.
    pub policy: Policy,
    /// How many changes to list at most ([`Compatibility::truncated`] says when there were
    /// more).
    pub limit: usize,
}

impl Options {
    /// `direction` and `policy`, listing at most [`DEFAULT_LIMIT`] changes.
    ///
    /// See the example on [`Options`].
    pub fn new(direction: Direction, policy: Policy) -> Self {
        Options {
            direction,
            policy,
            limit: DEFAULT_LIMIT,
        }
    }

    /// The same options, listing at most `limit` changes.
    ///
    /// See the example on [`Options`].
    pub fn limit(self, limit: usize) -> Self {
        Options { limit, ..self }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::new(Direction::default(), Policy::default())
    }
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
    compatible: bool,
    truncated: bool,
}

impl Compatibility {
    /// Whether every change is compatible under the policy, the changes past the listing
    /// limit included.
    ///
    /// See the example of the [module](self).
    pub fn is_compatible(&self) -> bool {
        self.compatible
    }

    /// Whether there were more changes than the limit let [`changes`](Self::changes) list.
    ///
    /// ```
    /// use serde_json::json;
    /// use upcast_compat::{Direction, Options, Policy, check_with};
    ///
    /// let old = json!({"properties": {"a": {"type": "string"}, "b": {"type": "string"}}});
    /// let new = json!({"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}});
    /// let first = check_with(&old, &new, Options::new(Direction::Backward, Policy::Strict).limit(1))?;
    /// assert_eq!((first.changes().len(), first.truncated(), first.is_compatible()), (1, true, false));
    /// # Ok::<(), upcast_compat::Error>(())
    /// ```
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The changes, at most the limit: for [`Direction::Full`], the backward ones then the
    /// forward ones.
    ///
    /// See the example of the [module](self).
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The changes found comparing old to new (empty for [`Direction::Forward`]).
    ///
    /// ```
    /// # use upcast_compat::{check, Direction, Policy};
    /// let schema = serde_json::json!({"type": "string"});
    /// assert!(check(&schema, &schema, Direction::Full, Policy::Strict)?.backward().is_empty());
    /// # Ok::<(), upcast_compat::Error>(())
    /// ```
    pub fn backward(&self) -> &[Change] {
        self.changes.get(..self.forward_from).unwrap_or_default()
    }

    /// The changes found comparing new to old (empty for [`Direction::Backward`]).
    ///
    /// ```
    /// # use upcast_compat::{check, Direction, Policy};
    /// let old = serde_json::json!({"type": "string", "maxLength": 5});
    /// let new = serde_json::json!({"type": "string"});
    /// let full = check(&old, &new, Direction::Full, Policy::Strict)?;
    /// assert_eq!(full.forward()[0].to_string(), "MAX_LENGTH_ADDED #/maxLength");
    /// assert!(!full.is_compatible());
    /// # Ok::<(), upcast_compat::Error>(())
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
/// Confluent's checker reports them, at most [`DEFAULT_LIMIT`]. A change list is compatible
/// under a policy when every change is.
///
/// ```
/// let changes = upcast_compat::diff(
///     &serde_json::json!({"type": "integer"}),
///     &serde_json::json!({"type": "number"}),
/// )?;
/// assert_eq!(changes[0].to_string(), "TYPE_EXTENDED #/");
/// # Ok::<(), upcast_compat::Error>(())
/// ```
pub fn diff(original: &Value, update: &Value) -> Result<Vec<Change>, Error> {
    Ok(found(original, update)?.list(DEFAULT_LIMIT).0)
}

/// Everything comparing `original` to `update` finds, shared where pairs repeat.
fn found(original: &Value, update: &Value) -> Result<found::Found, Error> {
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
    check_with(old, new, Options::new(direction, policy))
}

/// [`check`] with all the options: the direction, the policy and how many changes to list.
///
/// See the example on [`Compatibility::truncated`].
pub fn check_with(old: &Value, new: &Value, options: Options) -> Result<Compatibility, Error> {
    let backward = match options.direction {
        Direction::Backward | Direction::Full => found(old, new)?,
        Direction::Forward => found::Found::default(),
    };
    let forward = match options.direction {
        Direction::Forward | Direction::Full => found(new, old)?,
        Direction::Backward => found::Found::default(),
    };
    let compatible =
        backward.is_compatible(options.policy) && forward.is_compatible(options.policy);
    let (mut changes, backward_cut) = backward.list(options.limit);
    let forward_from = changes.len();
    let (forward, forward_cut) = forward.list(options.limit - forward_from);
    changes.extend(forward);
    Ok(Compatibility {
        changes,
        forward_from,
        policy: options.policy,
        compatible,
        truncated: backward_cut || forward_cut,
    })
}
