//! The statements that move records: a batch applied in one transaction (compare-and-swap
//! rewrites with their originals saved, and the failures), originals put back, and the
//! values SQLite hands over and is handed.

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, ToSql, params};

use super::schema::Names;
use crate::store::table::Put;
use crate::store::{Decision, Entry};
use crate::{Error, Key, Row};

/// Applies a batch in `tx`: compare-and-swap rewrites with their originals saved, and the
/// failures. Returns the keys of records that changed since they were read.
pub(super) fn apply(tx: &Connection, sql: &Names, batch: &[Entry]) -> Result<Vec<Key>, Error> {
    let Names {
        version, failures, ..
    } = sql;
    let mut update = tx.prepare_cached(&swap_sql(sql, Swap::Rewrite))?;
    let mut save = tx.prepare_cached(&save_sql(sql))?;
    let mut fail = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {failures} (key, error) VALUES (?1, ?2)"
    ))?;
    let mut conflicts = Vec::new();
    for Entry { row, decision } in batch {
        match decision {
            Decision::Keep => {}
            Decision::Fail(error) => {
                fail.execute(params![KeySql(&row.key), error])?;
            }
            Decision::Rewrite {
                body: new_body,
                version: new_version,
            } => {
                let new = Body(new_body, row.text);
                let old = Body(&row.body, row.text);
                let key = KeySql(&row.key);
                // A version column's value is saved as the table holds it (an integer stays
                // an integer), so it is copied before the swap overwrites it.
                let saved = match version {
                    Some(_) => save.execute(params![key, old, new, new_version, row.version])?,
                    None => 0,
                };
                let changed = swap(
                    &mut update,
                    version.is_some(),
                    (&new, new_version),
                    &key,
                    (&old, &row.version),
                )?;
                if changed > 1 || (version.is_some() && saved != changed) {
                    // The batch's transaction is rolled back: nothing of it is applied.
                    return Err(Error::state(
                        "migrate",
                        "the table",
                        format!(
                            "key `{}` names {} rows: the key must be unique",
                            row.key,
                            changed.max(saved)
                        ),
                    ));
                }
                match changed {
                    1 if version.is_none() => drop(save.execute(params![key, old, new])?),
                    1 => {}
                    _ => conflicts.push(row.key.clone()),
                }
            }
        }
    }
    Ok(conflicts)
}

/// Restores up to `limit` originals after `after` in `tx`, where the record is still what
/// the migration wrote (and then forgets them): what became of each.
pub(super) fn restore(
    tx: &Connection,
    sql: &Names,
    after: Option<&Key>,
    limit: usize,
) -> Result<Vec<Put>, Error> {
    let Names {
        version, originals, ..
    } = sql;
    let range = match after {
        Some(_) => "WHERE key > ?1",
        None => "WHERE ?1 IS NULL",
    };
    let mut select = tx.prepare_cached(&format!(
        "SELECT key, body, version, rewritten, rewritten_version FROM {originals} {range} \
         ORDER BY key LIMIT ?2"
    ))?;
    let mut put_back = tx.prepare_cached(&swap_sql(sql, Swap::PutBack))?;
    let mut forget = tx.prepare_cached(&format!("DELETE FROM {originals} WHERE key = ?1"))?;
    let mut rows = select.query(params![after.map(KeySql), limit as i64])?;
    let mut puts = Vec::new();
    while let Some(row) = rows.next()? {
        let saved: [Value; 5] = [
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        ];
        let [
            saved_key,
            original,
            original_version,
            rewritten,
            rewritten_version,
        ] = &saved;
        let key = key_of(value_ref(saved_key))?.ok_or_else(|| no_key("the originals"))?;
        let changed = swap(
            &mut put_back,
            version.is_some(),
            (original, original_version),
            saved_key,
            (rewritten, rewritten_version),
        )?;
        puts.push(match changed {
            1 => {
                forget.execute([saved_key])?;
                Put::Back(key)
            }
            _ => Put::Changed(key),
        });
    }
    Ok(puts)
}

/// The statement that saves a record's original with its rewrite. With a version column,
/// it runs before the swap and copies the row as the table holds it, where the swap would
/// match it (`?1` key, `?2` body, `?3` and `?4` the rewrite, `?5` the version read), with
/// the version the swap writes ([`written_version`]), in its class; without one, after the
/// swap (`?1` key, `?2` body, `?3` the rewrite).
fn save_sql(sql: &Names) -> String {
    let Names {
        table,
        version,
        originals,
        ..
    } = sql;
    let insert = format!(
        "INSERT OR REPLACE INTO {originals} (key, body, version, rewritten, rewritten_version)"
    );
    match version {
        Some(version) => format!(
            "{insert} SELECT ?1, ?2, {version}, ?3, {} FROM {table} WHERE {}",
            written_version(version, "?4"),
            as_read(sql, ["?1", "?2", "?5"])
        ),
        None => format!("{insert} VALUES (?1, ?2, NULL, ?3, NULL)"),
    }
}

/// The condition that a record is still what it was read as: `[key, body, version]` are
/// the placeholders (the version's unused without a version column). Bodies compare byte
/// for byte whatever the column's collation (`NOCASE` would let a change of case through).
/// A version is read as its [`version_text`], which it also compares as; a saved version,
/// put back by a rollback, compares as itself.
fn as_read(sql: &Names, [key_at, body_at, version_at]: [&str; 3]) -> String {
    let Names {
        key, body, version, ..
    } = sql;
    let record = format!("{key} = {key_at} AND {body} = {body_at} COLLATE BINARY");
    match version {
        Some(version) => format!(
            "{record} AND ({version} IS {version_at} COLLATE BINARY \
             OR {} IS {version_at} COLLATE BINARY)",
            version_text(version)
        ),
        None => record,
    }
}

/// A version column's value as the text handed to the engine: a whole REAL as its integer
/// (`5.0` is `5`, as it reads in the integer column it stands for), anything else as
/// SQLite's text of it.
pub(super) fn version_text(column: &str) -> String {
    format!(
        "CASE WHEN typeof({column}) = 'real' AND {column} = CAST({column} AS INTEGER) \
         THEN CAST(CAST({column} AS INTEGER) AS TEXT) ELSE CAST({column} AS TEXT) END"
    )
}

/// What a compare-and-swap writes into the version column.
#[derive(Clone, Copy)]
enum Swap {
    /// The engine's new tag, as text, written in the class the column holds
    /// ([`written_version`]).
    Rewrite,
    /// A saved original, exactly as it was saved.
    PutBack,
}

/// The compare-and-swap of a record: its body (and version column) set only where they
/// are still what they were ([`as_read`]).
fn swap_sql(sql: &Names, swap: Swap) -> String {
    let Names {
        table,
        body,
        version,
        ..
    } = sql;
    match version {
        Some(version) => format!(
            "UPDATE {table} SET {body} = ?1, {version} = {} WHERE {}",
            match swap {
                Swap::Rewrite => written_version(version, "?2"),
                Swap::PutBack => String::from("?2"),
            },
            as_read(sql, ["?3", "?4", "?5"])
        ),
        None => format!(
            "UPDATE {table} SET {body} = ?1 WHERE {}",
            as_read(sql, ["?2", "?3", ""])
        ),
    }
}

/// The value a rewrite puts in the version column `version`: the tag at `tag` (text) in the
/// storage class the column holds now. An integer or a REAL stays one where the tag is a
/// whole number as its integer writes it (`5`, not `05` or `1.2.0`, which stay text, since
/// `1.10` is not the number `1.1`); a BLOB stays a BLOB; anything else is text, which a
/// column of INTEGER, NUMERIC or REAL affinity turns into a number as it does for any text
/// that is one. In an `UPDATE`, `{version}` is the value before the update.
fn written_version(version: &str, tag: &str) -> String {
    format!(
        "CASE WHEN typeof({version}) IN ('integer', 'real') \
         AND CAST(CAST({tag} AS INTEGER) AS TEXT) IS {tag} \
         THEN CASE typeof({version}) WHEN 'integer' THEN CAST({tag} AS INTEGER) \
         ELSE CAST({tag} AS REAL) END \
         WHEN typeof({version}) = 'blob' THEN CAST({tag} AS BLOB) ELSE {tag} END"
    )
}

/// Runs [`swap_sql`]'s statement: `(body, version)` replaces `was` for `key`. How many
/// records changed: 0 when the record is not `was` any more.
fn swap(
    statement: &mut rusqlite::CachedStatement<'_>,
    versioned: bool,
    (body, version): (&dyn ToSql, &dyn ToSql),
    key: &dyn ToSql,
    (was_body, was_version): (&dyn ToSql, &dyn ToSql),
) -> Result<usize, Error> {
    let changed = match versioned {
        true => statement.execute(params![body, version, key, was_body, was_version])?,
        false => statement.execute(params![body, key, was_body])?,
    };
    Ok(changed)
}

pub(super) fn row_of(
    key: ValueRef<'_>,
    body: ValueRef<'_>,
    version: ValueRef<'_>,
) -> Result<Row, Error> {
    let key = key_of(key)?.ok_or_else(|| no_key("the table"))?;
    let (body, text) = bytes_of(body);
    let version = match version {
        ValueRef::Null => None,
        ValueRef::Integer(version) => Some(version.to_string()),
        other => Some(String::from_utf8_lossy(&bytes_of(other).0).into_owned()),
    };
    Ok(Row {
        key,
        body,
        version,
        text,
    })
}

/// A value's bytes, and whether it was text.
pub(super) fn bytes_of(value: ValueRef<'_>) -> (Vec<u8>, bool) {
    match value {
        ValueRef::Text(text) => (text.to_vec(), true),
        ValueRef::Blob(blob) => (blob.to_vec(), false),
        ValueRef::Integer(number) => (number.to_string().into_bytes(), true),
        ValueRef::Real(number) => (number.to_string().into_bytes(), true),
        ValueRef::Null => (Vec::new(), true),
    }
}

pub(super) fn key_of(value: ValueRef<'_>) -> Result<Option<Key>, Error> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(key) => Ok(Some(Key::Int(key))),
        ValueRef::Text(key) => Ok(Some(Key::Text(String::from_utf8_lossy(key).into_owned()))),
        _ => Err(Error::state(
            "migrate",
            "the table",
            "its key column holds a value that is neither an integer nor text",
        )),
    }
}

pub(super) fn value_ref(value: &Value) -> ValueRef<'_> {
    ValueRef::from(value)
}

/// A key as an SQL parameter.
pub(super) struct KeySql<'k>(pub(super) &'k Key);

impl ToSql for KeySql<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Key::Int(key) => ToSqlOutput::Owned(Value::Integer(*key)),
            Key::Text(key) => ToSqlOutput::Borrowed(ValueRef::Text(key.as_bytes())),
        })
    }
}

/// A body as an SQL parameter, stored as text or as bytes as it was read.
#[derive(Clone, Copy)]
struct Body<'b>(&'b [u8], bool);

impl ToSql for Body<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.1 {
            true => ValueRef::Text(self.0),
            false => ValueRef::Blob(self.0),
        }))
    }
}

pub(super) fn no_key(store: &str) -> Error {
    Error::state("migrate", store, "a record has no key (NULL)")
}
