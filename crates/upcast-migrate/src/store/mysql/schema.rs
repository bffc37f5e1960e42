//! What a MySQL / MariaDB table is made of, read from `information_schema` and checked
//! before anything runs; the quoted names of the table, its columns and the engine's own
//! tables beside it; the statements that make those.
//!
//! Names are compared as bytes (`BINARY TABLE_NAME = ?`): the server compares column names
//! without regard to case, so `Body` would otherwise pass for `body`.

use mysql::Value;

use super::conn::{Db, text};
use crate::names::{self, Beside, Object};
use crate::spec::TableSpec;
use crate::{Error, Key};

/// The longest identifier MySQL and MariaDB accept, in bytes (they refuse a longer one).
const IDENTIFIER_LIMIT: usize = 64;

/// The integer types: keys of these are read as [`Key::Int`].
const INTEGERS: [&str; 5] = ["tinyint", "smallint", "mediumint", "int", "bigint"];

/// The engine's objects and what `Object` each is.
const OWN: [Object; 5] = [
    Object::Originals,
    Object::Failures,
    Object::Progress,
    Object::Chunks,
    Object::RolledBack,
];

/// How a body column stores a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BodyType {
    /// Text: `varchar`, the `text` family, MariaDB's `json` (a `longtext`), and MySQL's
    /// `json`, read as the text the server writes of it.
    Text,
    /// Bytes: `varbinary` and the `blob` family.
    Bytes,
}

/// The quoted names and column types of one table and the engine's tables beside it.
pub(super) struct Names {
    /// The table's name, unquoted.
    name: String,
    pub(super) table: String,
    pub(super) key: String,
    pub(super) body: String,
    pub(super) version: Option<String>,
    /// The engine's objects, quoted, in the order of [`OWN`].
    own: [String; 5],
    /// The engine's objects, unquoted.
    beside: Beside,
    /// The key column's type as the catalogue writes it, with its character set and
    /// collation for text (the engine's tables key on the same type).
    pub(super) key_type: String,
    /// Whether keys are integers (read as [`Key::Int`]).
    pub(super) integer_keys: bool,
    pub(super) body_type: BodyType,
}

impl Names {
    /// Refuses, again, a table of the engine's names that is someone else's (one may have
    /// been made since the store was opened).
    pub(super) fn check_own(&self, db: &mut Db) -> Result<(), Error> {
        check_own(db, &self.name, &self.beside)
    }

    /// The quoted name of `object`.
    pub(super) fn of(&self, object: Object) -> &str {
        let at = OWN.iter().position(|each| *each == object).unwrap_or(0);
        &self.own[at]
    }

    /// The unquoted name of `object`.
    pub(super) fn plain(&self, object: Object) -> &str {
        self.beside.of(object)
    }

    /// A key column as read: integers as they are, anything else as text.
    pub(super) fn key_select(&self, column: &str) -> String {
        match self.integer_keys {
            true => column.to_owned(),
            false => format!("CAST({column} AS CHAR)"),
        }
    }

    /// The table's version column as read (text), or `NULL`.
    pub(super) fn version_select(&self, prefix: &str) -> String {
        match &self.version {
            Some(version) => format!("CAST({prefix}{version} AS CHAR)"),
            None => "NULL".to_owned(),
        }
    }

    /// A key as read.
    pub(super) fn key_of(&self, value: Value) -> Result<Option<Key>, Error> {
        Ok(text(value)?.map(|text| match self.integer_keys {
            true => text.parse().map_or(Key::Text(text), Key::Int),
            false => Key::Text(text),
        }))
    }

    /// A key as a parameter: integers as numbers (a number compared with text would be
    /// compared as a floating point number), the rest as text.
    pub(super) fn key_value(&self, key: &Key) -> Value {
        match key {
            Key::Int(n) => Value::Int(*n),
            Key::Text(text) => match text.parse::<u64>() {
                Ok(n) if self.integer_keys => Value::UInt(n),
                _ => Value::Bytes(text.clone().into_bytes()),
            },
        }
    }

    /// The type originals are saved as: text in UTF-8 compared byte for byte, or bytes.
    pub(super) fn saved_body(&self) -> &'static str {
        match self.body_type {
            BodyType::Text => "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
            BodyType::Bytes => "LONGBLOB",
        }
    }

    /// The statement that makes `object` if it is not there.
    pub(super) fn create(&self, object: Object) -> String {
        let name = self.of(object);
        let key = &self.key_type;
        let body = self.saved_body();
        let text = "TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
        let saved = format!(
            "`key` {key} NOT NULL, `body` {body}, `version` {text}, `rewritten` {body}, \
             `rewritten_version` {text}"
        );
        let columns = match object {
            Object::Originals => format!("{saved}, PRIMARY KEY (`key`)"),
            Object::Failures => format!(
                "`key` {key} NOT NULL, `error` {text} NOT NULL, \
                                         PRIMARY KEY (`key`)"
            ),
            Object::Progress => "`id` INT NOT NULL, `state` LONGTEXT CHARACTER SET utf8mb4 \
                                 NOT NULL, PRIMARY KEY (`id`)"
                .to_owned(),
            Object::Chunks => format!(
                "`pass` INT NOT NULL, `id` INT NOT NULL, `lo` {key} NULL, `hi` {key} NULL, \
                 `done` BOOL NOT NULL DEFAULT 0, `rewritten` BIGINT NOT NULL DEFAULT 0, \
                 `current` BIGINT NOT NULL DEFAULT 0, `failed` BIGINT NOT NULL DEFAULT 0, \
                 `conflicts` BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (`pass`, `id`)"
            ),
            Object::RolledBack => {
                format!("`rolled_back_at` BIGINT NOT NULL, {saved}, KEY (`key`)")
            }
        };
        format!("CREATE TABLE IF NOT EXISTS {name} ({columns}) ENGINE = InnoDB")
    }
}

/// One column of the table: its name and types as the catalogue writes them.
struct Column {
    name: String,
    /// `DATA_TYPE`: `varchar`, `bigint`...
    data_type: String,
    /// `COLUMN_TYPE`: `varchar(64)`, `bigint(20) unsigned`...
    column_type: String,
    charset: Option<String>,
    collation: Option<String>,
}

/// Reads the table's columns and checks what the spec names: the table, its columns, a
/// body of a text or bytes type, a key that names one row, and the engine's own names.
pub(super) fn inspect(db: &mut Db, spec: &TableSpec) -> Result<Names, Error> {
    let columns = columns(db, &spec.table)?;
    if columns.is_empty() {
        let known = tables(db)?;
        return Err(no_such("table", &spec.table, db.store(), known));
    }
    let column = |name: &str| -> Result<&Column, Error> {
        let known = || columns.iter().map(|c| c.name.clone()).collect();
        (columns.iter().find(|c| c.name == name))
            .ok_or_else(|| no_such("column", name, db.store(), known()))
    };
    let key = column(&spec.key)?;
    let body_type = body_type(column(&spec.body)?, db.store())?;
    if let Some(version) = &spec.version {
        column(version)?;
    }
    key_is_unique(db, &spec.table, &spec.key)?;
    let beside = names::beside(&spec.table, Some(IDENTIFIER_LIMIT));
    check_own(db, &spec.table, &beside)?;
    Ok(Names {
        name: spec.table.clone(),
        table: quoted(&spec.table),
        key: quoted(&spec.key),
        body: quoted(&spec.body),
        version: spec.version.as_deref().map(quoted),
        own: OWN.map(|object| quoted(beside.of(object))),
        beside,
        key_type: key_type(key),
        integer_keys: INTEGERS.contains(&key.data_type.as_str()),
        body_type,
    })
}

fn no_such(what: &'static str, name: &str, store: &str, known: Vec<String>) -> Error {
    Error::NoSuchName {
        what,
        name: name.to_owned(),
        store: store.to_owned(),
        known,
    }
}

/// The body's kind, or why the column cannot hold records.
fn body_type(column: &Column, store: &str) -> Result<BodyType, Error> {
    match column.data_type.as_str() {
        "json" | "tinytext" | "text" | "mediumtext" | "longtext" | "varchar" => Ok(BodyType::Text),
        "tinyblob" | "blob" | "mediumblob" | "longblob" | "varbinary" => Ok(BodyType::Bytes),
        _ => Err(Error::state(
            "migrate",
            store,
            format!(
                "its body column `{}` is `{}`; expected `json`, `longtext`, `text`, `varchar`, \
                 `longblob`, `blob` or `varbinary` (or another of the text or blob family)",
                column.name, column.column_type
            ),
        )),
    }
}

/// The key's type for the engine's tables: the same, in the same character set and
/// collation, so that keys compare and sort there as in the table.
fn key_type(column: &Column) -> String {
    match (&column.charset, &column.collation) {
        (Some(charset), Some(collation)) => format!(
            "{} CHARACTER SET {charset} COLLATE {collation}",
            column.column_type
        ),
        _ => column.column_type.clone(),
    }
}

/// Refuses a table whose engine objects would be someone else's ([`names::check_own`]).
fn check_own(db: &mut Db, table: &str, own: &Beside) -> Result<(), Error> {
    let store = db.store().to_owned();
    let columns_of = |name: &str| -> Result<Vec<String>, Error> {
        Ok(columns(db, name)?
            .into_iter()
            .map(|column| column.name)
            .collect())
    };
    names::check_own(&store, table, own, columns_of, str::to_owned)
}

fn columns(db: &mut Db, table: &str) -> Result<Vec<Column>, Error> {
    let rows = db.rows(
        "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         AND BINARY TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        vec![Value::from(table)],
    )?;
    rows.into_iter()
        .map(|row| {
            let mut values = row.into_iter().map(text);
            let mut next = || values.next().transpose().map(Option::flatten);
            Ok(Column {
                name: next()?.unwrap_or_default(),
                data_type: next()?.unwrap_or_default().to_ascii_lowercase(),
                column_type: next()?.unwrap_or_default(),
                charset: next()?,
                collation: next()?,
            })
        })
        .collect()
}

/// The tables of the database, for an error that names what is there.
fn tables(db: &mut Db) -> Result<Vec<String>, Error> {
    let rows = db.rows(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_NAME",
        Vec::new(),
    )?;
    let names = rows.into_iter().flatten().map(text);
    Ok(names
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Whether the table `name` exists.
pub(super) fn has_table(db: &mut Db, name: &str) -> Result<bool, Error> {
    let found = db.first(
        "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
         AND BINARY TABLE_NAME = ?",
        vec![Value::from(name)],
    )?;
    Ok(found.is_some())
}

/// Refuses a key that does not alone name a row: it must be the one column of a
/// `PRIMARY KEY` or `UNIQUE` index.
fn key_is_unique(db: &mut Db, table: &str, key: &str) -> Result<(), Error> {
    let found = db.first(
        "SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
         AND BINARY TABLE_NAME = ? AND NON_UNIQUE = 0 GROUP BY INDEX_NAME \
         HAVING COUNT(*) = 1 AND MAX(BINARY COLUMN_NAME) = ?",
        vec![Value::from(table), Value::from(key)],
    )?;
    match found {
        Some(_) => Ok(()),
        None => Err(Error::state(
            "migrate",
            db.store(),
            format!(
                "its key column `{key}` is not unique, so one compare-and-swap could rewrite two \
                 rows and save one original; name a PRIMARY KEY or UNIQUE column with `key=`"
            ),
        )),
    }
}

/// An identifier, quoted: in backticks, a backtick in it doubled.
pub(super) fn quoted(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_with_backticks_doubled() {
        assert_eq!(quoted("events"), "`events`");
        assert_eq!(quoted("a`b"), "`a``b`");
        assert_eq!(quoted("``"), "``````");
        assert_eq!(quoted("key; DROP TABLE t"), "`key; DROP TABLE t`");
    }

    fn column(data_type: &str, column_type: &str, charset: Option<&str>) -> Column {
        Column {
            name: "c".to_owned(),
            data_type: data_type.to_owned(),
            column_type: column_type.to_owned(),
            charset: charset.map(str::to_owned),
            collation: charset.map(|charset| format!("{charset}_bin")),
        }
    }

    #[test]
    fn bodies_are_text_or_bytes_and_nothing_else() {
        for (kind, expected) in [
            ("json", Some(BodyType::Text)),
            ("longtext", Some(BodyType::Text)),
            ("varchar", Some(BodyType::Text)),
            ("mediumblob", Some(BodyType::Bytes)),
            ("varbinary", Some(BodyType::Bytes)),
            ("int", None),
            ("char", None),
            ("binary", None),
        ] {
            let found = body_type(&column(kind, kind, None), "store").ok();
            assert_eq!(found, expected, "{kind}");
        }
        let error = body_type(&column("int", "int(11)", None), "store").err();
        let error = error.map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("`int(11)`; expected `json`"), "{error}");
    }

    #[test]
    fn keys_keep_their_type_character_set_and_collation() {
        let text = column("varchar", "varchar(64)", Some("latin1"));
        assert_eq!(
            key_type(&text),
            "varchar(64) CHARACTER SET latin1 COLLATE latin1_bin"
        );
        let number = column("bigint", "bigint(20) unsigned", None);
        assert_eq!(key_type(&number), "bigint(20) unsigned");
    }
}
