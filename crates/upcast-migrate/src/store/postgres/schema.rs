//! What a PostgreSQL table is made of: its columns' types, checked before anything runs,
//! and the quoted names of the table and of the migration's own tables beside it.

use postgres::Client;

use crate::names::{self, Object};
use crate::spec::TableSpec;
use crate::{Error, Key};

/// The longest identifier PostgreSQL keeps whole, in bytes (`NAMEDATALEN - 1`): a longer
/// one is cut.
const IDENTIFIER_LIMIT: usize = 63;

/// How a body column stores a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyType {
    /// `jsonb`: parsed and normalized by the server; equal when the JSON is.
    Jsonb,
    /// `json`: kept as written; compared as its text.
    Json,
    /// `text` or `varchar`.
    Text,
    /// `bytea`.
    Bytea,
}

impl BodyType {
    /// The body as the engine reads it: text (JSON types read through `::text`) or bytes.
    pub(crate) fn select(self, column: &str) -> String {
        match self {
            BodyType::Jsonb | BodyType::Json => format!("{column}::text"),
            BodyType::Text | BodyType::Bytea => column.to_owned(),
        }
    }

    /// Whether the stored body `column` is still `value` (of the column's type): byte for
    /// byte, except `jsonb`, which the server keeps only as parsed JSON. Text compares in
    /// the `C` collation, whatever the column's: under a nondeterministic one (case- or
    /// accent-insensitive) a change of case would pass for no change.
    pub(crate) fn same(self, column: &str, value: &str) -> String {
        match self {
            BodyType::Json => format!("{column}::text COLLATE \"C\" = {value}::text"),
            BodyType::Text => format!("{column} COLLATE \"C\" = {value}"),
            BodyType::Jsonb | BodyType::Bytea => format!("{column} = {value}"),
        }
    }

    /// The element type of an array of bodies sent as a parameter.
    pub(crate) fn array(self) -> &'static str {
        match self {
            BodyType::Bytea => "bytea[]",
            BodyType::Jsonb | BodyType::Json | BodyType::Text => "text[]",
        }
    }
}

/// The quoted names and column types of one table and the migration's tables beside it.
pub(crate) struct Names {
    pub(crate) table: String,
    /// The schema, quoted.
    pub(crate) schema: String,
    /// The table's own name, unquoted: what the names beside it are made from.
    pub(crate) unquoted_table: String,
    pub(crate) key: String,
    pub(crate) body: String,
    pub(crate) version: Option<String>,
    pub(crate) originals: String,
    pub(crate) failures: String,
    pub(crate) progress: String,
    pub(crate) chunks: String,
    pub(crate) rolled_back: String,
    /// The key column's type as `format_type` writes it (`bigint`, `uuid`...).
    pub(crate) key_type: String,
    /// Whether keys are integers (read as [`Key::Int`]).
    pub(crate) integer_keys: bool,
    /// The body column's type as `format_type` writes it.
    pub(crate) body_type: String,
    pub(crate) body_kind: BodyType,
    /// The version column's type, if any.
    pub(crate) version_type: Option<String>,
    /// A number naming this table for advisory locks.
    pub(crate) lock: String,
}

impl Names {
    /// The table's key as the engine reads it: text, turned into [`Key`] by [`Names::key_of`].
    pub(crate) fn key_text(&self, prefix: &str) -> String {
        format!("{prefix}{}::text", self.key)
    }

    /// A key parameter sent as text, in the key column's type (text keys as they are: a
    /// cast to `varchar(n)` would cut).
    pub(crate) fn key_param(&self, param: &str) -> String {
        match text_like(&self.key_type) {
            true => param.to_owned(),
            // Through text: a parameter cast straight to the type would be sent as that type.
            false => format!("{param}::text::{}", self.key_type),
        }
    }

    /// A version parameter sent as text, in the version column's type.
    pub(crate) fn version_param(&self, param: &str) -> String {
        match &self.version_type {
            Some(kind) if !text_like(kind) => format!("{param}::text::{kind}"),
            _ => param.to_owned(),
        }
    }

    /// A body parameter (text or bytes) in the body column's type.
    pub(crate) fn body_param(&self, param: &str) -> String {
        match self.body_kind {
            BodyType::Jsonb => format!("{param}::jsonb"),
            BodyType::Json => format!("{param}::json"),
            BodyType::Text | BodyType::Bytea => param.to_owned(),
        }
    }

    /// A key read as text.
    pub(crate) fn key_of(&self, text: String) -> Key {
        match self.integer_keys {
            true => text.parse().map_or(Key::Text(text), Key::Int),
            false => Key::Text(text),
        }
    }
}

/// One column of the table: its name and its type as `format_type` writes it.
struct Column {
    name: String,
    type_name: String,
}

/// Reads the table's columns and checks what the spec names: the table, its columns, a
/// body of a JSON, text or bytes type, and a key that names one row.
pub(crate) fn inspect(client: &mut Client, store: &str, spec: &TableSpec) -> Result<Names, Error> {
    let (schema, table) = match spec.table.split_once('.') {
        Some((schema, table)) => (schema.to_owned(), table.to_owned()),
        None => ("public".to_owned(), spec.table.clone()),
    };
    let columns = columns(client, &schema, &table)?;
    if columns.is_empty() {
        return Err(Error::NoSuchName {
            what: "table",
            name: spec.table.clone(),
            store: store.to_owned(),
            known: tables(client, &schema)?,
        });
    }
    let type_of = |name: &str| -> Result<String, Error> {
        columns
            .iter()
            .find(|column| column.name == name)
            .map(|column| column.type_name.clone())
            .ok_or_else(|| Error::NoSuchName {
                what: "column",
                name: name.to_owned(),
                store: store.to_owned(),
                known: columns.iter().map(|column| column.name.clone()).collect(),
            })
    };
    let key_type = type_of(&spec.key)?;
    let body_type = type_of(&spec.body)?;
    let version_type = spec.version.as_deref().map(type_of).transpose()?;
    let body_kind = body_kind(&body_type).ok_or_else(|| {
        Error::state(
            "migrate",
            store,
            format!(
                "its body column `{}` is `{body_type}`; expected `jsonb`, `json`, `text` or \
                 `bytea`",
                spec.body
            ),
        )
    })?;
    if !key_is_unique(client, &schema, &table, &spec.key)? {
        return Err(Error::state(
            "migrate",
            store,
            format!(
                "its key column `{}` is not unique, so one compare-and-swap could rewrite two \
                 rows and save one original; name a PRIMARY KEY or UNIQUE column with `key=`",
                spec.key
            ),
        ));
    }
    let own = names::beside(&table, Some(IDENTIFIER_LIMIT));
    let columns_of = |name: &str| -> Result<Vec<String>, Error> {
        let found = self::columns(client, &schema, name)?;
        Ok(found.into_iter().map(|column| column.name).collect())
    };
    names::check_own(store, &table, &own, columns_of, |name| {
        format!("{schema}.{name}")
    })?;
    let beside = |object| format!("{}.{}", quoted(&schema), quoted(own.of(object)));
    Ok(Names {
        table: format!("{}.{}", quoted(&schema), quoted(&table)),
        schema: quoted(&schema),
        unquoted_table: table.clone(),
        key: quoted(&spec.key),
        body: quoted(&spec.body),
        version: spec.version.as_deref().map(quoted),
        originals: beside(Object::Originals),
        failures: beside(Object::Failures),
        progress: beside(Object::Progress),
        chunks: beside(Object::Chunks),
        rolled_back: beside(Object::RolledBack),
        integer_keys: matches!(key_type.as_str(), "smallint" | "integer" | "bigint"),
        key_type,
        body_type,
        body_kind,
        version_type,
        lock: format!("hashtext({})", literal(&format!("upcast:{schema}.{table}"))),
    })
}

fn columns(client: &mut Client, schema: &str, table: &str) -> Result<Vec<Column>, Error> {
    let rows = client.query(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname::text = $1 AND c.relname::text = $2 AND c.relkind IN ('r', 'p') \
         AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        &[&schema, &table],
    )?;
    rows.iter()
        .map(|row| {
            Ok(Column {
                name: row.try_get(0)?,
                type_name: row.try_get(1)?,
            })
        })
        .collect()
}

fn tables(client: &mut Client, schema: &str) -> Result<Vec<String>, Error> {
    let rows = client.query(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname::text = $1 AND c.relkind IN ('r', 'p') ORDER BY 1",
        &[&schema],
    )?;
    rows.iter()
        .map(|row| row.try_get(0).map_err(Error::from))
        .collect()
}

/// Whether `key` alone names a row: the one column of a unique index over every row (a
/// primary key is one).
fn key_is_unique(client: &mut Client, schema: &str, table: &str, key: &str) -> Result<bool, Error> {
    let found = client.query_opt(
        "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] \
         WHERE n.nspname::text = $1 AND c.relname::text = $2 AND a.attname::text = $3 \
         AND i.indisunique AND i.indnatts = 1 AND i.indpred IS NULL LIMIT 1",
        &[&schema, &table, &key],
    )?;
    Ok(found.is_some())
}

/// Whether a type holds text as it is (a parameter of type text is assigned to it without
/// a cast).
fn text_like(type_name: &str) -> bool {
    type_name == "text" || type_name.starts_with("character")
}

fn body_kind(type_name: &str) -> Option<BodyType> {
    Some(match type_name {
        "jsonb" => BodyType::Jsonb,
        "json" => BodyType::Json,
        "bytea" => BodyType::Bytea,
        "text" => BodyType::Text,
        other if other.starts_with("character varying") => BodyType::Text,
        _ => return None,
    })
}

/// An identifier, quoted.
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal, quoted.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
