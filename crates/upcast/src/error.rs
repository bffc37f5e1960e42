//! The one error type of the crate.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use crate::{Problem, Version};

/// Everything that can go wrong reading or writing versioned records.
///
/// Messages read like serde's: lowercase, names in backticks, saying what was expected.
///
/// ```
/// use schemars::JsonSchema;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.error.user", version = "3.1.0")]
/// struct User { name: String }
///
/// let newer = br#"{"kind":"doc.error.user","version":7,"data":{"name":"Ada"}}"#;
/// let error = upcast::from_slice::<User>(newer).unwrap_err();
/// assert!(matches!(error, upcast::Error::NewerVersion { .. }));
/// assert!(error.to_string().starts_with(
///     "unknown version `7` of `doc.error.user`, newest known is `3.1.0`"
/// ));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not JSON, or not the shape the layout expects (an envelope, an object).
    #[error("{0}")]
    Json(#[source] serde_json::Error),

    /// The record's data does not match its own version's type.
    #[error("invalid `{kind}` record (version `{version}`): {source}")]
    #[non_exhaustive]
    Data {
        /// The stored kind.
        kind: String,
        /// The stored version tag, as written.
        version: String,
        /// The format's description (serde_json's has line and column: see
        /// [`Error::line`]).
        #[source]
        source: Box<dyn StdError + Send + Sync + 'static>,
    },

    /// The envelope names a kind no registered type has.
    #[error("unknown kind `{kind}`, expected {}", backticked(.known))]
    #[non_exhaustive]
    UnknownKind {
        /// The stored kind.
        kind: String,
        /// The registered kinds.
        known: Vec<String>,
    },

    /// The envelope names another kind than the type being read.
    #[error("invalid kind `{found}`, expected `{expected}`")]
    #[non_exhaustive]
    KindMismatch {
        /// The kind of the type being read.
        expected: String,
        /// The stored kind.
        found: String,
    },

    /// The stored version is newer than every registered version: the data was written by
    /// a newer program.
    #[error(
        "unknown version `{version}` of `{kind}`, newest known is `{newest}`: the record was \
         written by a newer program; upgrade this reader"
    )]
    #[non_exhaustive]
    NewerVersion {
        /// The stored kind.
        kind: String,
        /// The stored version tag, as written.
        version: String,
        /// The newest registered version.
        newest: Version,
    },

    /// The stored version is older than the newest but no registered type reads it.
    #[error("unknown version `{version}` of `{kind}`, expected {}", backticked(.known))]
    #[non_exhaustive]
    UnknownVersion {
        /// The stored kind.
        kind: String,
        /// The stored version tag, as written.
        version: String,
        /// The registered versions of the kind.
        known: Vec<Version>,
    },

    /// A record has no version tag and its kind declares no `untagged` version.
    #[error(
        "missing version tag `{field}` in a record of kind `{kind}`, which declares no untagged \
         version; mark the version of such records with #[versioned(untagged)]"
    )]
    #[non_exhaustive]
    MissingVersion {
        /// The record's kind.
        kind: String,
        /// Where the tag was looked for.
        field: String,
    },

    /// A version tag is not a version.
    #[error("invalid version `{text}`: {reason}; expected a version like `2`, `2.1` or `2.1.0`")]
    #[non_exhaustive]
    InvalidVersion {
        /// The text as stored.
        text: String,
        /// What the semver parser objected to.
        reason: String,
    },

    /// A step failed; its own message is kept.
    #[error(
        "cannot {} `{kind}` {}: {source}",
        if .to < .from { "downcast" } else { "upcast" },
        step_versions(.stored, .from, .to)
    )]
    #[non_exhaustive]
    Step {
        /// The record's kind.
        kind: String,
        /// The version the record was stored at (boxed: it is rarely read, and keeps the
        /// error small for the read path's `Result`).
        stored: Box<Version>,
        /// The step's source version.
        from: Version,
        /// The step's target version.
        to: Version,
        /// The step's error.
        #[source]
        source: Box<dyn StdError + Send + Sync + 'static>,
    },

    /// The requested type is older than the stored record, or not on its path.
    #[error("no upcast path from `{kind}` {from} to {to}: {reason}")]
    #[non_exhaustive]
    NoPath {
        /// The record's kind.
        kind: String,
        /// The stored version.
        from: Version,
        /// The version of the requested type.
        to: Version,
        /// Why there is none.
        reason: &'static str,
    },

    /// A record must go back to an older version, and a version on the way has no
    /// downcast.
    #[error(
        "no downcast path from `{kind}` {from} to {to}: {missing} has no downcast; add \
         #[upcast::register(downcast)] impl From<{}> for <the previous version's type>",
        short_name(type_name)
    )]
    #[non_exhaustive]
    MissingDowncast {
        /// The record's kind.
        kind: String,
        /// The version the record is at.
        from: Version,
        /// The version asked for.
        to: Version,
        /// The version on the way with no downcast (boxed to keep the error small).
        missing: Box<Version>,
        /// Its type.
        type_name: &'static str,
    },

    /// A type implements [`Versioned`](crate::Versioned) but is not in the registry.
    #[error(
        "`{kind}` {version} (`{type_name}`) is not registered; derive upcast::Versioned on it, \
         or add it to the registry builder"
    )]
    #[non_exhaustive]
    Unregistered {
        /// The type's kind.
        kind: String,
        /// The type's version tag.
        version: String,
        /// The Rust type.
        type_name: &'static str,
    },

    /// The registered versions and steps do not form one path per kind to the newest.
    #[error("invalid upcast registry, {} problem{}:{}", .0.len(), plural(.0.len()), listed(.0))]
    InvalidRegistry(Vec<Problem>),

    /// The inline layout needs a record that serializes as a JSON object.
    #[error("the inline layout needs `{kind}` {version} to serialize as a JSON object")]
    #[non_exhaustive]
    NotAnObject {
        /// The record's kind.
        kind: String,
        /// The record's version tag.
        version: String,
    },

    /// A field stored beside the data does not read as the type a step asked for.
    #[error("invalid metadata field `{name}`: {source}")]
    #[non_exhaustive]
    Metadata {
        /// The field.
        name: String,
        /// Why it does not read.
        #[source]
        source: Box<dyn StdError + Send + Sync + 'static>,
    },

    /// A write pin (`UPCAST_WRITE_AT`, [`Writer::pins`](crate::Writer::pins)) does not
    /// read as `kind=version`.
    #[error("invalid write pin `{pin}`: {reason}")]
    #[non_exhaustive]
    InvalidPin {
        /// The pin as given.
        pin: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A value could not be set aside.
    #[error("cannot set aside `{name}` of `{kind}`: {reason}")]
    #[non_exhaustive]
    SetAside {
        /// The record's kind.
        kind: String,
        /// The value's name.
        name: String,
        /// Why.
        reason: &'static str,
    },

    /// The read function does not fit the layout: the external layout takes the version
    /// from the caller, the others read it from the record.
    #[error("the {layout} layout {reason}")]
    #[non_exhaustive]
    LayoutMismatch {
        /// The layout's name.
        layout: &'static str,
        /// What it needs instead.
        reason: &'static str,
    },

    /// Reading or writing failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// A binary record whose header cannot be read.
    #[error("invalid binary record: {reason}")]
    #[non_exhaustive]
    Blob {
        /// What is wrong with it.
        reason: String,
    },
    /// Bytes of a format that does not describe its fields, stored at a version no type
    /// is declared for exactly.
    #[error(
        "cannot read `{kind}` {stored} in {format} with the type for {with}: {format} does not \
         say which fields it holds, so every version needs a type of its own; give this \
         change a major version with a step, or store the kind in a self-describing format"
    )]
    #[non_exhaustive]
    NotSelfDescribing {
        /// The kind.
        kind: String,
        /// The version the record was written at.
        stored: Version,
        /// The version of the type that would have read it.
        with: Version,
        /// The format.
        format: &'static str,
    },

    /// A JSON Schema the compatibility checker cannot read.
    #[cfg(feature = "check")]
    #[error(transparent)]
    Schema(#[from] upcast_compat::Error),
}

impl Error {
    /// The line of the input where JSON parsing failed, when known (1-based).
    ///
    /// ```
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.line", version = 1)]
    /// # struct Line { n: u8 }
    /// let error = upcast::from_str::<Line>("{\n  \"kind\": ").unwrap_err();
    /// assert_eq!(error.line(), Some(2));
    /// ```
    pub fn line(&self) -> Option<usize> {
        self.json().map(serde_json::Error::line).filter(|&l| l > 0)
    }

    /// The column of the input where JSON parsing failed, when known (1-based).
    ///
    /// ```
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.column", version = 1)]
    /// # struct Column { n: u8 }
    /// let error = upcast::from_str::<Column>(r#"{"kind" 1}"#).unwrap_err();
    /// assert!(error.to_string().starts_with("expected `:`"));
    /// assert!(error.column() > Some(7));
    /// ```
    pub fn column(&self) -> Option<usize> {
        self.line()
            .and_then(|_| self.json().map(serde_json::Error::column))
    }

    fn json(&self) -> Option<&serde_json::Error> {
        match self {
            Error::Json(source) => Some(source),
            Error::Data { source, .. } => source.downcast_ref(),
            _ => None,
        }
    }

    #[cold]
    pub(crate) fn data(
        kind: &str,
        version: String,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Error::Data {
            kind: kind.to_owned(),
            version,
            source: source.into(),
        }
    }

    #[cold]
    pub(crate) fn metadata(name: &str, source: serde_json::Error) -> Self {
        Error::Metadata {
            name: name.to_owned(),
            source: Box::new(source),
        }
    }

    #[cold]
    pub(crate) fn layout_mismatch(layout: &crate::Layout, reason: &'static str) -> Self {
        Error::LayoutMismatch {
            layout: layout.name(),
            reason,
        }
    }
}

/// `crate::records::UserV1` -> `UserV1`, for code the user pastes.
fn short_name(type_name: &str) -> &str {
    type_name.rsplit("::").next().unwrap_or(type_name)
}

/// `from 2.3.0 (read as 2.6.0) to 3.0.0`, or `from 3.0.0 to 4.0.0 (stored at 2.3.0)`.
fn step_versions(stored: &Version, from: &Version, to: &Version) -> String {
    if stored == from {
        format!("from {from} to {to}")
    } else if from.reads(stored) {
        format!("from {stored} (read as {from}) to {to}")
    } else {
        format!("from {from} to {to} (stored at {stored})")
    }
}

fn backticked<T: fmt::Display>(items: &[T]) -> String {
    let names: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    match names.as_slice() {
        [] => "nothing: none is registered".to_owned(),
        [only] => only.clone(),
        [init @ .., last] => format!("one of {} or {last}", init.join(", ")),
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn listed(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("\n  - {p}")).collect()
}
