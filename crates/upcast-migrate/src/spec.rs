//! Store arguments: `sqlite:PATH?table=events`, `jsonl:PATH`,
//! `postgres://USER@HOST:PORT/DB?table=events`.

use std::fmt;
use std::path::PathBuf;

use crate::Error;

/// A store named on the command line.
///
/// - `sqlite:PATH?table=events` with options `key=` (default `id`), `body=` (default
///   `body`) and `version=` (a version column: the external layout);
/// - `jsonl:PATH`: a JSON Lines file, copied and transformed into a new file beside it;
/// - `postgres://USER[:PASSWORD]@HOST[:PORT]/DB?table=events` (or `postgresql://`), with
///   the same options as SQLite; `table=schema.events` names a table outside `public`.
///   Passwords never appear in reports: `postgres://user:***@host/db`.
///
/// ```
/// use upcast_migrate::StoreSpec;
///
/// let spec = StoreSpec::parse("sqlite:store.db?table=events&version=schema_version")?;
/// let StoreSpec::Sqlite(table) = &spec else { unreachable!() };
/// assert_eq!((table.table.as_str(), table.key.as_str(), table.version.as_deref()), ("events", "id", Some("schema_version")));
/// assert_eq!(StoreSpec::parse("jsonl:events.jsonl")?.to_string(), "jsonl:events.jsonl");
/// assert!(StoreSpec::parse("sqlite:store.db").is_err(), "a table is needed");
/// let pg = StoreSpec::parse("postgres://me:secret@db:5432/shop?table=app.events")?;
/// assert_eq!(pg.to_string(), "postgres://me:***@db:5432/shop?table=app.events");
/// let StoreSpec::Postgres(table) = &pg else { unreachable!() };
/// assert_eq!(table.database, "postgres://me:secret@db:5432/shop");
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreSpec {
    /// A table of an SQLite database, migrated in place.
    Sqlite(TableSpec),
    /// A JSON Lines file, copied into a new file.
    Jsonl(PathBuf),
    /// A table of a PostgreSQL database, migrated in place; `database` is the connection
    /// URL.
    Postgres(TableSpec),
}

/// Where a table's records are: the table and its key, body and version columns.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableSpec {
    /// The database: a file path, or a connection URL.
    pub database: String,
    /// The table.
    pub table: String,
    /// The key column.
    pub key: String,
    /// The body column.
    pub body: String,
    /// The version column, for records in the external layout.
    pub version: Option<String>,
}

const FORMS: &str = "expected `sqlite:PATH?table=NAME`, `jsonl:PATH` or \
                     `postgres://USER@HOST/DB?table=NAME`";

impl StoreSpec {
    /// Parses a store argument.
    ///
    /// See the example on [`StoreSpec`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(spec_error(text, "the database path is empty"));
            }
            return table(text, path, query).map(StoreSpec::Sqlite);
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let (url, query) = text.split_once('?').unwrap_or((text, ""));
            return table(text, url, query).map(StoreSpec::Postgres);
        }
        if let Some(path) = text.strip_prefix("jsonl:") {
            if path.is_empty() || path.contains('?') {
                return Err(spec_error(text, "expected `jsonl:PATH`, with no options"));
            }
            return Ok(StoreSpec::Jsonl(PathBuf::from(path)));
        }
        Err(spec_error(text, FORMS))
    }
}

/// The options after `?`: `table=` (required), `key=`, `body=`, `version=`.
fn table(text: &str, database: &str, query: &str) -> Result<TableSpec, Error> {
    let mut spec = TableSpec {
        database: database.to_owned(),
        table: String::new(),
        key: "id".to_owned(),
        body: "body".to_owned(),
        version: None,
    };
    for option in query.split('&').filter(|option| !option.is_empty()) {
        let Some((name, value)) = option.split_once('=') else {
            return Err(spec_error(
                text,
                format!("expected `name=value`, found `{option}`"),
            ));
        };
        if value.is_empty() {
            return Err(spec_error(text, format!("the option `{name}` is empty")));
        }
        let value = value.to_owned();
        match name {
            "table" => spec.table = value,
            "key" => spec.key = value,
            "body" => spec.body = value,
            "version" => spec.version = Some(value),
            other => {
                return Err(spec_error(
                    text,
                    format!(
                        "unknown option `{other}`, expected one of `table`, `key`, `body`, \
                         `version`"
                    ),
                ));
            }
        }
    }
    if spec.table.is_empty() {
        return Err(spec_error(text, "name the table: `?table=NAME`"));
    }
    Ok(spec)
}

fn spec_error(text: &str, reason: impl Into<String>) -> Error {
    let (url, query) = text.split_once('?').unwrap_or((text, ""));
    let spec = match query {
        "" => redacted(url),
        query => format!("{}?{query}", redacted(url)),
    };
    Error::Spec {
        spec,
        reason: reason.into(),
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Sqlite(spec) => write!(f, "sqlite:{}?table={}", spec.database, spec.table),
            StoreSpec::Jsonl(path) => write!(f, "jsonl:{}", path.display()),
            StoreSpec::Postgres(spec) => {
                write!(f, "{}?table={}", redacted(&spec.database), spec.table)
            }
        }
    }
}

/// A connection URL with its password, if any, replaced by `***`.
///
/// ```
/// use upcast_migrate::redacted;
/// assert_eq!(redacted("postgres://u:p%40ss@h/db"), "postgres://u:***@h/db");
/// assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
/// ```
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            let hidden = if user_info.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{path}")
        }
        None => url.to_owned(),
    }
}
