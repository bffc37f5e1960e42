//! The CLI's error: what makes the tool itself fail (exit code 2).

use std::io;
use std::path::PathBuf;

/// Why a command could not run. Problems a command finds in its input (an incompatible
/// schema, a failing check) are results, not errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A file could not be read or written.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file is not JSON.
    #[error("`{path}` is not JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// serde_json's message, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
    /// upcast failed (an invalid schema, an unreadable snapshot folder).
    #[error(transparent)]
    Upcast(Box<upcast::Error>),
    /// A migration command could not run.
    #[error(transparent)]
    Migrate(#[from] upcast_migrate::Error),
    /// The options do not go together.
    #[error("{0}")]
    Usage(String),
    /// `--explain` named no rule.
    #[error("unknown rule `{0}`; `upcast check --list` lists them")]
    UnknownRule(String),
}

// Boxed: upcast's error is large, and most of this enum's uses never hold it.
impl From<upcast::Error> for CliError {
    fn from(error: upcast::Error) -> Self {
        CliError::Upcast(Box::new(error))
    }
}
