//! The statements the dual-write plan runs on a table, written once per [`Dialect`] from
//! names checked against the catalogue: every key travels as text, every record as bytes,
//! and the SQL casts them to the columns' types.

use super::database::Dialect;
use crate::fnv::{self, fnv};
use crate::names;

/// How a body column holds a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    /// `jsonb`: compared as JSON.
    Jsonb,
    /// `json` (PostgreSQL keeps its text), MySQL's `JSON`, any text type.
    Text,
    /// `bytea`, `BLOB`, `VARBINARY`.
    Bytes,
}

impl Body {
    /// The kind of a column of `type_name` (lowercase, as the catalogue writes it), if it
    /// can hold records.
    pub(crate) fn of(type_name: &str) -> Option<Body> {
        let base = type_name.split('(').next().unwrap_or_default().trim();
        match base {
            "jsonb" => Some(Body::Jsonb),
            "json" | "text" | "character varying" | "varchar" | "longtext" | "mediumtext"
            | "tinytext" | "char" | "character" => Some(Body::Text),
            "bytea" | "blob" | "longblob" | "mediumblob" | "tinyblob" | "varbinary" => {
                Some(Body::Bytes)
            }
            _ => None,
        }
    }
}

/// Every statement the plan runs on one table. `$1`/first `?` is always the key.
#[derive(Clone, Debug)]
pub(crate) struct Statements {
    pub(crate) dialect: Dialect,
    /// The record of a key, as bytes.
    pub(crate) get: String,
    /// Writes a record (key, body), replacing the one there.
    pub(crate) put: String,
    /// Deletes the record of a key.
    pub(crate) delete: String,
    /// Puts a record (key, body) where the key has none.
    pub(crate) put_if_absent: String,
    /// Deletes the record of a key if it is this body (key, body).
    pub(crate) delete_if: String,
    /// Replaces the record of a key if it is this body (key, body, replacement).
    pub(crate) replace_if: String,
    /// Takes the per-key lock (its number as text) until the transaction ends.
    pub(crate) lock: String,
    /// Creates the tables the plan keeps beside this one, if missing.
    pub(crate) create_own: Vec<String>,
    /// Remembers that a key was deleted during the move (key); changes a row if new.
    pub(crate) tombstone: String,
    /// Forgets that a key was deleted (key).
    pub(crate) forget_tombstone: String,
    /// The table's name as the lock numbers are made from it.
    pub(crate) scope: String,
}

/// The table's schema (if named), table, key and body columns with their catalogue types.
pub(crate) struct Columns<'a> {
    pub(crate) schema: Option<&'a str>,
    pub(crate) table: &'a str,
    pub(crate) key: &'a str,
    pub(crate) key_type: &'a str,
    pub(crate) body: &'a str,
    pub(crate) body_type: &'a str,
    pub(crate) body_kind: Body,
}

/// The identifier limit of each dialect, in bytes.
pub(crate) fn limit(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Postgres => 63,
        Dialect::Mysql => 64,
    }
}

/// `name` quoted as an identifier.
pub(crate) fn quoted(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
    }
}

/// The tombstones' table beside `table` (unquoted).
pub(crate) fn tombstones(table: &str, dialect: Dialect) -> String {
    names::name(table, "deleted", Some(limit(dialect)))
}

/// The number of the lock on `key` of the table `scope`: the same in every process, and
/// in the backfill, which takes the same locks.
pub(crate) fn lock_number(scope: &str, key: &str) -> i64 {
    let hash = fnv(fnv(fnv::BASIS, scope.as_bytes()), key.as_bytes());
    hash as i64
}

impl Statements {
    /// The statements for `columns`.
    pub(crate) fn new(dialect: Dialect, columns: &Columns<'_>) -> Statements {
        match dialect {
            Dialect::Postgres => postgres(columns),
            Dialect::Mysql => mysql(columns),
        }
    }
}

fn qualified(dialect: Dialect, schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(schema) => format!("{}.{}", quoted(dialect, schema), quoted(dialect, name)),
        None => quoted(dialect, name),
    }
}

fn postgres(c: &Columns<'_>) -> Statements {
    let d = Dialect::Postgres;
    let schema = Some(c.schema.unwrap_or("public"));
    let table = qualified(d, schema, c.table);
    let deleted = qualified(d, schema, &tombstones(c.table, d));
    let (k, b) = (quoted(d, c.key), quoted(d, c.body));
    let key = |param: &str| format!("CAST({param} AS {})", c.key_type);
    let value = |param: &str| match c.body_kind {
        Body::Jsonb => format!("convert_from({param}, 'UTF8')::jsonb"),
        Body::Text => format!("CAST(convert_from({param}, 'UTF8') AS {})", c.body_type),
        Body::Bytes => param.to_owned(),
    };
    let same = |param: &str| match c.body_kind {
        Body::Jsonb => format!("{b} = {}", value(param)),
        Body::Text => format!("{b}::text = convert_from({param}, 'UTF8')"),
        Body::Bytes => format!("{b} = {param}"),
    };
    let bytes = match c.body_kind {
        Body::Bytes => format!("t.{b}"),
        _ => format!("convert_to(t.{b}::text, 'UTF8')"),
    };
    Statements {
        dialect: d,
        get: format!(
            "SELECT {bytes} FROM {table} AS t WHERE t.{k} = {}",
            key("$1")
        ),
        put: format!(
            "INSERT INTO {table} ({k}, {b}) VALUES ({}, {}) ON CONFLICT ({k}) DO UPDATE SET \
             {b} = EXCLUDED.{b}",
            key("$1"),
            value("$2")
        ),
        delete: format!("DELETE FROM {table} WHERE {k} = {}", key("$1")),
        put_if_absent: format!(
            "INSERT INTO {table} ({k}, {b}) VALUES ({}, {}) ON CONFLICT ({k}) DO NOTHING",
            key("$1"),
            value("$2")
        ),
        delete_if: format!(
            "DELETE FROM {table} WHERE {k} = {} AND {}",
            key("$1"),
            same("$2")
        ),
        replace_if: format!(
            "UPDATE {table} SET {b} = {} WHERE {k} = {} AND {}",
            value("$3"),
            key("$1"),
            same("$2")
        ),
        lock: "SELECT pg_advisory_xact_lock(CAST($1 AS bigint))".to_owned(),
        create_own: vec![format!(
            "CREATE TABLE IF NOT EXISTS {deleted} (key text PRIMARY KEY)"
        )],
        tombstone: format!("INSERT INTO {deleted} (key) VALUES ($1) ON CONFLICT DO NOTHING"),
        forget_tombstone: format!("DELETE FROM {deleted} WHERE key = $1"),
        scope: table,
    }
}

fn mysql(c: &Columns<'_>) -> Statements {
    let d = Dialect::Mysql;
    let table = qualified(d, c.schema, c.table);
    let deleted = qualified(d, c.schema, &tombstones(c.table, d));
    let locks = qualified(
        d,
        c.schema,
        &names::name(c.table, "key_locks", Some(limit(d))),
    );
    let (k, b) = (quoted(d, c.key), quoted(d, c.body));
    let value = match c.body_kind {
        Body::Bytes => "?",
        _ => "CONVERT(? USING utf8mb4)",
    };
    Statements {
        dialect: d,
        get: format!("SELECT CAST(t.{b} AS BINARY) FROM {table} AS t WHERE t.{k} = ?"),
        put: format!(
            "INSERT INTO {table} ({k}, {b}) VALUES (?, {value}) ON DUPLICATE KEY UPDATE \
             {b} = VALUES({b})"
        ),
        delete: format!("DELETE FROM {table} WHERE {k} = ?"),
        put_if_absent: format!("INSERT IGNORE INTO {table} ({k}, {b}) VALUES (?, {value})"),
        delete_if: format!("DELETE FROM {table} WHERE {k} = ? AND CAST({b} AS BINARY) = ?"),
        // The parameters in the order the other dialect numbers them: key, ours, before.
        replace_if: format!(
            "UPDATE {table} AS t JOIN (SELECT ? AS k, ? AS ours, ? AS before) AS p \
             ON t.{k} = p.k AND CAST(t.{b} AS BINARY) = p.ours SET t.{b} = {}",
            value.replace('?', "p.before")
        ),
        lock: format!("INSERT INTO {locks} (id) VALUES (?) ON DUPLICATE KEY UPDATE id = id"),
        create_own: vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {deleted} (`key` VARCHAR(255) NOT NULL PRIMARY KEY) \
                 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            ),
            format!("CREATE TABLE IF NOT EXISTS {locks} (id BIGINT NOT NULL PRIMARY KEY)"),
        ],
        tombstone: format!("INSERT IGNORE INTO {deleted} (`key`) VALUES (?)"),
        forget_tombstone: format!("DELETE FROM {deleted} WHERE `key` = ?"),
        scope: table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(body_kind: Body) -> Columns<'static> {
        Columns {
            schema: Some("shop"),
            table: "a\"b",
            key: "id",
            key_type: "bigint",
            body: "body",
            body_type: "jsonb",
            body_kind,
        }
    }

    #[test]
    fn names_are_quoted_and_keys_cast() {
        let sql = Statements::new(Dialect::Postgres, &columns(Body::Jsonb));
        assert_eq!(
            sql.get,
            "SELECT convert_to(t.\"body\"::text, 'UTF8') FROM \"shop\".\"a\"\"b\" AS t WHERE \
             t.\"id\" = CAST($1 AS bigint)"
        );
        let sql = Statements::new(Dialect::Mysql, &columns(Body::Bytes));
        assert_eq!(sql.delete, "DELETE FROM `shop`.`a\"b` WHERE `id` = ?");
    }

    #[test]
    fn lock_numbers_differ_by_table_and_key() {
        assert_ne!(lock_number("a", "1"), lock_number("b", "1"));
        assert_ne!(lock_number("a", "1"), lock_number("a", "2"));
        assert_eq!(lock_number("a", "1"), lock_number("a", "1"));
    }

    #[test]
    fn body_kinds() {
        assert_eq!(Body::of("jsonb"), Some(Body::Jsonb));
        assert_eq!(Body::of("character varying(20)"), Some(Body::Text));
        assert_eq!(Body::of("bytea"), Some(Body::Bytes));
        assert_eq!(Body::of("integer"), None);
    }
}
