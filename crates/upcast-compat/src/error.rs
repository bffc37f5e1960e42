//! The one error type of the crate.

/// A schema the checker cannot read.
///
/// ```
/// let bad = serde_json::json!({"$ref": "#/nowhere"});
/// let error = upcast_compat::diff(&bad, &bad).unwrap_err();
/// assert!(matches!(error, upcast_compat::Error::InvalidSchema { .. }));
/// assert_eq!(error.to_string(), "invalid schema at `#/`: unresolvable `$ref` `#/nowhere`: only local references are followed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A JSON Schema given to the checker is not one it can read.
    #[error("invalid schema at `{pointer}`: {reason}")]
    #[non_exhaustive]
    InvalidSchema {
        /// Where in the schema, as a JSON pointer fragment.
        pointer: String,
        /// What is wrong.
        reason: String,
    },
}
