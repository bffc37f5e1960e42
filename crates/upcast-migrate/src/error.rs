//! The one error type of the crate: what stops a migration command from running at all.

use std::io;
use std::path::PathBuf;

#[cfg(feature = "postgres")]
use postgres::error::DbError;

/// Why a migration command could not run (the CLI's exit code 2). Records that cannot be
/// migrated are not errors: they are left as they are and listed in the report.
///
/// ```
/// let error = upcast_migrate::StoreSpec::parse("ftp://x").unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid store `ftp://x`: expected `sqlite:PATH?table=NAME`, `jsonl:PATH` or `postgres://USER@HOST/DB?table=NAME`"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store argument does not name a store.
    #[error("invalid store `{spec}`: {reason}")]
    #[non_exhaustive]
    Spec {
        /// The argument, its password hidden.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file the store needs is not there.
    #[error("no such file `{path}`: {what}")]
    #[non_exhaustive]
    Missing {
        /// The file.
        path: PathBuf,
        /// What it should have been.
        what: &'static str,
    },
    /// A table or column the store names is not in the database.
    #[error("{what} `{name}` is not in `{store}`; expected one of {}", listed(.known))]
    #[non_exhaustive]
    NoSuchName {
        /// `table` or `column`.
        what: &'static str,
        /// The name given.
        name: String,
        /// The store, its password hidden.
        store: String,
        /// The names that are there.
        known: Vec<String>,
    },
    /// The store is in a state the command cannot act on.
    #[error("cannot {action} `{store}`: {reason}")]
    #[non_exhaustive]
    State {
        /// What was asked.
        action: &'static str,
        /// The store, its password hidden.
        store: String,
        /// Why not.
        reason: String,
    },
    /// SQLite failed.
    #[cfg(feature = "sqlite")]
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[cfg(feature = "postgres")]
    #[error("postgres: {}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
    /// Reading or writing a file failed.
    #[error("i/o error on `{path}`: {source}")]
    #[non_exhaustive]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A saved state file is not what this version of upcast writes.
    #[error("unreadable migration state `{path}`: {reason}")]
    #[non_exhaustive]
    BadState {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A dual write across two databases failed at the primary, and undoing its change in
    /// the secondary failed too: the secondary is ahead of the primary for this key until
    /// it is written again (`upcast migrate compare` lists it).
    #[error(
        "the primary's change of key `{key}` failed ({primary}) and undoing it in the \
         secondary failed too ({undo}); the secondary is ahead of the primary for this key: \
         write it again, or find such keys with `upcast migrate compare`"
    )]
    #[non_exhaustive]
    Diverged {
        /// The record's key.
        key: String,
        /// Why the primary refused the change.
        primary: Box<Error>,
        /// Why the secondary could not be put back.
        undo: Box<Error>,
    },
    /// A database answered a statement of the dual-write plan with an error: the statement
    /// did not take effect.
    #[error("database error: {message}")]
    #[non_exhaustive]
    Database {
        /// The server's own words.
        message: String,
    },
    /// The connection to a database failed during a statement of the dual-write plan:
    /// whether the statement took effect is unknown.
    #[error("connection to the database failed: {message}")]
    #[non_exhaustive]
    Connection {
        /// Why, in the driver's words.
        message: String,
    },
    /// A dual write's commit in the primary was lost with its connection: the primary may
    /// or may not have kept the change; the secondary has it (both, or neither, where the
    /// two tables share a database).
    #[error(
        "the primary's commit of key `{key}` was lost with its connection ({message}): the \
         primary may or may not have kept the change, and the secondary has it; read the \
         key back and write it again, or find such keys with `upcast migrate compare`"
    )]
    #[non_exhaustive]
    CommitUnknown {
        /// The record's key.
        key: String,
        /// Why, in the driver's words.
        message: String,
    },
    /// upcast itself failed (an invalid registry).
    #[error(transparent)]
    Upcast(#[from] upcast::Error),
    /// Another worker holds, for a moment, what this one needs: the engine waits, watching
    /// for SIGINT and SIGTERM, and tries again.
    #[error("`{store}` is busy: {what}")]
    #[non_exhaustive]
    Busy {
        /// The store, its password hidden.
        store: String,
        /// What is held.
        what: &'static str,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// A database's answer to a statement: `message` in the server's own words. For
    /// drivers plugged into [`dual::Database`](crate::dual::Database).
    ///
    /// ```
    /// let error = upcast_migrate::Error::database("relation \"t\" does not exist");
    /// assert_eq!(error.to_string(), "database error: relation \"t\" does not exist");
    /// ```
    pub fn database(message: impl Into<String>) -> Error {
        Error::Database {
            message: message.into(),
        }
    }

    /// A connection that failed during a statement, which may or may not have taken
    /// effect. For drivers plugged into [`dual::Database`](crate::dual::Database).
    ///
    /// ```
    /// let error = upcast_migrate::Error::connection("broken pipe");
    /// assert_eq!(error.to_string(), "connection to the database failed: broken pipe");
    /// ```
    pub fn connection(message: impl Into<String>) -> Error {
        Error::Connection {
            message: message.into(),
        }
    }

    pub(crate) fn state(action: &'static str, store: &str, reason: impl Into<String>) -> Error {
        Error::State {
            action,
            store: store.to_owned(),
            reason: reason.into(),
        }
    }
}

/// What the server said, not only that it said something (`db error`): its message, with
/// its detail and hint, or each cause of a failure to reach it (`error connecting to
/// server: Connection refused (os error 111)`).
#[cfg(feature = "postgres")]
pub(crate) fn postgres_message(error: &postgres::Error) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = next {
        let wrapper = error
            .downcast_ref::<postgres::Error>()
            .is_some_and(|error| error.as_db_error().is_some());
        match error.downcast_ref::<DbError>() {
            Some(db) => words.push(server_words(db)),
            // `db error`, which says nothing the server's words below it do not.
            None if wrapper => {}
            None => {
                let text = error.to_string();
                if !words.last().is_some_and(|last| last.ends_with(&text)) {
                    words.push(text);
                }
            }
        }
        next = error.source();
    }
    words.join(": ")
}

/// The server's message, its detail and its hint.
#[cfg(feature = "postgres")]
fn server_words(db: &DbError) -> String {
    let mut words = db.message().to_owned();
    if let Some(detail) = db.detail() {
        words.push_str(&format!(" ({detail})"));
    }
    if let Some(hint) = db.hint() {
        words.push_str(&format!("; hint: {hint}"));
    }
    words
}

fn listed(names: &[String]) -> String {
    match names {
        [] => "nothing: it is empty".to_owned(),
        names => names
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
