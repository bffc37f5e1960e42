//! Store arguments: `sqlite:PATH?table=events`, `jsonl:PATH`.

use std::fmt;
use std::path::PathBuf;

use crate::Error;

/// A store named on the command line.
///
/// - `sqlite:PATH?table=events` with options `key=` (default `id`), `body=` (default
///   `body`) and `version=` (a version column: the external layout);
/// - `jsonl:PATH`: a JSON Lines file, copied and transformed into a new file beside it.
///
/// ```
/// use upcast_migrate::StoreSpec;
///
/// let spec = StoreSpec::parse("sqlite:store.db?table=events&version=schema_version")?;
/// let StoreSpec::Sqlite(table) = &spec else { unreachable!() };
/// assert_eq!((table.table.as_str(), table.key.as_str(), table.version.as_deref()), ("events", "id", Some("schema_version")));
/// assert_eq!(StoreSpec::parse("jsonl:events.jsonl")?.to_string(), "jsonl:events.jsonl");
/// assert!(StoreSpec::parse("sqlite:store.db").is_err(), "a table is needed");
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreSpec {
    /// A table of an SQLite database, migrated in place.
    Sqlite(TableSpec),
    /// A JSON Lines file, copied into a new file.
    Jsonl(PathBuf),
}

/// Where a table's records are: the table and its key, body and version columns.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TableSpec {
    /// The database: a file path.
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
    Error::Spec {
        spec: text.to_owned(),
        reason: reason.into(),
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Sqlite(spec) => write!(f, "sqlite:{}?table={}", spec.database, spec.table),
            StoreSpec::Jsonl(path) => write!(f, "jsonl:{}", path.display()),
        }
    }
}
