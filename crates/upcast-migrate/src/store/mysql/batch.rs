//! The statements that move records: a batch applied (compare-and-swap rewrites with their
//! originals saved, failures recorded), originals put back, the records as they stand.
//!
//! A compare-and-swap locks the batch's rows (`SELECT … FOR UPDATE`), compares each with
//! what was read in Rust, byte for byte (never under a collation: a case-insensitive one
//! would take a change of case for no change), and rewrites those still the same, which
//! nobody can change before the transaction ends.

use std::collections::HashMap;

use mysql::Value;

use super::conn::{Db, bytes, text};
use super::schema::{BodyType, Names};
use crate::names::Object;
use crate::store::table::Put;
use crate::store::{Decision, Entry, Saved, Standing};
use crate::{Error, Key, Row};

/// Rows per statement (each row a few parameters, well under the server's 65,535).
const ROWS_PER_STATEMENT: usize = 500;

/// A record as it stands: its body, and its version column as text.
type Stored = (Vec<u8>, Option<String>);

/// In the open transaction: records the failures, swaps in each rewrite where the record
/// is still what was read, saving its original. Returns the keys not swapped.
pub(super) fn apply(db: &mut Db, names: &Names, entries: &[Entry]) -> Result<Vec<Key>, Error> {
    let failed: Vec<(&Key, &String)> = entries
        .iter()
        .filter_map(|entry| match &entry.decision {
            Decision::Fail(why) => Some((&entry.row.key, why)),
            _ => None,
        })
        .collect();
    for part in failed.chunks(ROWS_PER_STATEMENT) {
        record_failures(db, names, part)?;
    }
    let rewrites: Vec<Rewrite<'_>> = entries
        .iter()
        .filter_map(|entry| match &entry.decision {
            Decision::Rewrite { body, version } => Some((&entry.row, body.as_slice(), version)),
            _ => None,
        })
        .collect();
    let mut conflicts = Vec::new();
    for part in rewrites.chunks(ROWS_PER_STATEMENT) {
        conflicts.extend(swap(db, names, part)?);
    }
    Ok(conflicts)
}

/// A record as read, and the body and version to write.
type Rewrite<'a> = (&'a Row, &'a [u8], &'a Option<String>);

fn record_failures(db: &mut Db, names: &Names, failed: &[(&Key, &String)]) -> Result<(), Error> {
    let rows = vec!["(?, ?)"; failed.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} (`key`, `error`) VALUES {rows} ON DUPLICATE KEY UPDATE \
         `error` = VALUES(`error`)",
        names.of(Object::Failures)
    );
    let params = failed
        .iter()
        .flat_map(|(key, why)| [names.key_value(key), Value::from(why.as_str())])
        .collect();
    db.run(&sql, params)?;
    Ok(())
}

/// Swaps in the rewrites whose records are still as read; the keys of the others.
fn swap(db: &mut Db, names: &Names, part: &[Rewrite<'_>]) -> Result<Vec<Key>, Error> {
    let keys: Vec<&Key> = part.iter().map(|(row, ..)| &row.key).collect();
    let now = lock(db, names, &keys)?;
    let (same, changed): (Vec<Rewrite<'_>>, Vec<_>) = part
        .iter()
        .copied()
        .partition(|(row, ..)| now.get(&row.key) == Some(&(row.body.clone(), row.version.clone())));
    for (row, body, version) in &same {
        put(db, names, &row.key, body, version.as_deref())?;
    }
    if !same.is_empty() {
        let keys: Vec<&Key> = same.iter().map(|(row, ..)| &row.key).collect();
        let written = lock(db, names, &keys)?;
        save_originals(db, names, &same, &written)?;
    }
    Ok(changed
        .into_iter()
        .map(|(row, ..)| row.key.clone())
        .collect())
}

/// The records of `keys` as they stand, locked until the transaction ends.
fn lock(db: &mut Db, names: &Names, keys: &[&Key]) -> Result<HashMap<Key, Stored>, Error> {
    let Names {
        table, key, body, ..
    } = names;
    let sql = format!(
        "SELECT {}, t.{body}, {} FROM {table} AS t WHERE t.{key} IN ({}) FOR UPDATE",
        names.key_select(&format!("t.{key}")),
        names.version_select("t."),
        vec!["?"; keys.len()].join(", ")
    );
    let params = keys.iter().map(|key| names.key_value(key)).collect();
    let mut found = HashMap::with_capacity(keys.len());
    for row in db.rows(&sql, params)? {
        let [key, body, version]: [Value; 3] = triple(row)?;
        if let Some(key) = names.key_of(key)? {
            found.insert(key, (bytes(body).unwrap_or_default(), text(version)?));
        }
    }
    Ok(found)
}

/// Writes `body` (and `version`, with a version column) to the record of `key`.
fn put(
    db: &mut Db,
    names: &Names,
    key: &Key,
    body: &[u8],
    version: Option<&str>,
) -> Result<(), Error> {
    let Names {
        table,
        key: key_column,
        body: body_column,
        ..
    } = names;
    let mut params = vec![Value::from(body)];
    let set_version = match &names.version {
        Some(column) => {
            params.push(version.map_or(Value::NULL, Value::from));
            format!(", {column} = ?")
        }
        None => String::new(),
    };
    params.push(names.key_value(key));
    let sql = format!("UPDATE {table} SET {body_column} = ?{set_version} WHERE {key_column} = ?");
    db.run(&sql, params)?;
    Ok(())
}

/// Saves the originals of the records swapped, with what they are now (as the server
/// stored the rewrite: MySQL's `json` writes it its own way).
fn save_originals(
    db: &mut Db,
    names: &Names,
    swapped: &[Rewrite<'_>],
    written: &HashMap<Key, Stored>,
) -> Result<(), Error> {
    let rows = vec!["(?, ?, ?, ?, ?)"; swapped.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} (`key`, `body`, `version`, `rewritten`, `rewritten_version`) \
         VALUES {rows} ON DUPLICATE KEY UPDATE `body` = VALUES(`body`), \
         `version` = VALUES(`version`), `rewritten` = VALUES(`rewritten`), \
         `rewritten_version` = VALUES(`rewritten_version`)",
        names.of(Object::Originals)
    );
    let mut params = Vec::with_capacity(swapped.len() * 5);
    for (row, body, version) in swapped {
        let (now, now_version) = match written.get(&row.key) {
            Some((now, now_version)) => (now.as_slice(), now_version.as_deref()),
            None => (*body, version.as_deref()),
        };
        params.extend([
            names.key_value(&row.key),
            Value::from(row.body.as_slice()),
            optional(row.version.as_deref()),
            Value::from(now),
            optional(now_version),
        ]);
    }
    db.run(&sql, params)?;
    Ok(())
}

fn optional(text: Option<&str>) -> Value {
    text.map_or(Value::NULL, Value::from)
}

/// The three values of a row.
fn triple<const N: usize>(row: Vec<Value>) -> Result<[Value; N], Error> {
    let found = row.len();
    row.try_into().map_err(|_| {
        Error::state(
            "read",
            "a MySQL result",
            format!("expected {N} columns, found {found}"),
        )
    })
}

/// In the open transaction: up to `limit` saved originals after `after`, each put back
/// where the record is still what the migration wrote, and then no longer saved.
pub(super) fn restore(
    db: &mut Db,
    names: &Names,
    after: Option<&Key>,
    limit: usize,
) -> Result<Vec<Put>, Error> {
    let saved = originals(db, names, after, limit)?;
    let keys: Vec<&Key> = saved.iter().map(|(key, ..)| key).collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let now = lock(db, names, &keys)?;
    let mut puts = Vec::with_capacity(saved.len());
    let mut back = Vec::new();
    for (key, original, rewritten) in saved {
        if now.get(&key) == Some(&rewritten) {
            put(db, names, &key, &original.0, original.1.as_deref())?;
            back.push(names.key_value(&key));
            puts.push(Put::Back(key));
        } else {
            puts.push(Put::Changed(key));
        }
    }
    for part in back.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "DELETE FROM {} WHERE `key` IN ({})",
            names.of(Object::Originals),
            vec!["?"; part.len()].join(", ")
        );
        db.run(&sql, part.to_vec())?;
    }
    Ok(puts)
}

/// Up to `limit` saved originals after `after`, locked: each key, its original and what
/// the migration wrote.
fn originals(
    db: &mut Db,
    names: &Names,
    after: Option<&Key>,
    limit: usize,
) -> Result<Vec<(Key, Stored, Stored)>, Error> {
    let mut params = Vec::new();
    let since = match after {
        Some(after) => {
            params.push(names.key_value(after));
            "WHERE o.`key` > ?"
        }
        None => "",
    };
    params.push(Value::from(limit));
    let sql = format!(
        "SELECT {}, o.`body`, o.`version`, o.`rewritten`, o.`rewritten_version` FROM {} AS o \
         {since} ORDER BY o.`key` LIMIT ? FOR UPDATE",
        names.key_select("o.`key`"),
        names.of(Object::Originals)
    );
    let mut saved = Vec::new();
    for row in db.rows(&sql, params)? {
        let [key, body, version, rewritten, rewritten_version] = triple(row)?;
        let Some(key) = names.key_of(key)? else {
            continue;
        };
        let original = (bytes(body).unwrap_or_default(), text(version)?);
        let written = (
            bytes(rewritten).unwrap_or_default(),
            text(rewritten_version)?,
        );
        saved.push((key, original, written));
    }
    Ok(saved)
}

/// Up to `limit` records after `after` as they stand, with what the migration saved of
/// each (`with_originals`: the originals table exists).
pub(super) fn standing(
    db: &mut Db,
    names: &Names,
    with_originals: bool,
    after: Option<&Key>,
    limit: usize,
) -> Result<Vec<Standing>, Error> {
    let (sql, params) = standing_sql(names, with_originals, after, limit);
    let text_body = names.body_type == BodyType::Text;
    let mut found = Vec::new();
    for row in db.rows(&sql, params)? {
        let [
            key,
            present,
            body,
            version,
            original,
            saved_version,
            rewritten,
            saved,
        ]: [Value; 8] = triple(row)?;
        let Some(key) = names.key_of(key)? else {
            continue;
        };
        let row_of = |body: Value, version: Option<String>| Row {
            key: key.clone(),
            body: bytes(body).unwrap_or_default(),
            version,
            text: text_body,
        };
        let current = match super::conn::count(present) {
            1 => Some(row_of(body, text(version)?)),
            _ => None,
        };
        let saved = match super::conn::count(saved) {
            1 => Some(Saved {
                original: row_of(original, text(saved_version)?),
                rewritten: bytes(rewritten).unwrap_or_default(),
            }),
            _ => None,
        };
        found.push(Standing {
            key,
            current,
            saved,
        });
    }
    Ok(found)
}

fn standing_sql(
    names: &Names,
    with_originals: bool,
    after: Option<&Key>,
    limit: usize,
) -> (String, Vec<Value>) {
    let Names {
        table, key, body, ..
    } = names;
    let version = names.version_select("t.");
    let since = |column: &str| match after {
        Some(_) => format!("WHERE {column} > ?"),
        None => String::new(),
    };
    let mut params = Vec::new();
    let page = |params: &mut Vec<Value>| {
        params.extend(after.map(|after| names.key_value(after)));
        params.push(Value::from(limit));
    };
    if !with_originals {
        page(&mut params);
        let sql = format!(
            "SELECT {}, 1, t.{body}, {version}, NULL, NULL, NULL, 0 FROM {table} AS t {} \
             ORDER BY t.{key} LIMIT ?",
            names.key_select(&format!("t.{key}")),
            since(&format!("t.{key}"))
        );
        return (sql, params);
    }
    page(&mut params);
    page(&mut params);
    params.push(Value::from(limit));
    let originals = names.of(Object::Originals);
    let sql = format!(
        "SELECT {}, t.{key} IS NOT NULL, t.{body}, {version}, o.`body`, o.`version`, \
         o.`rewritten`, o.`key` IS NOT NULL \
         FROM ((SELECT t.{key} AS k FROM {table} AS t {in_table} ORDER BY t.{key} LIMIT ?) \
         UNION (SELECT o.`key` AS k FROM {originals} AS o {in_originals} ORDER BY o.`key` \
         LIMIT ?) ORDER BY k LIMIT ?) AS keys_ \
         LEFT JOIN {table} AS t ON t.{key} = keys_.k \
         LEFT JOIN {originals} AS o ON o.`key` = keys_.k ORDER BY keys_.k",
        names.key_select("keys_.k"),
        in_table = since(&format!("t.{key}")),
        in_originals = since("o.`key`"),
    );
    (sql, params)
}

/// The records listed as failing, with why.
pub(super) fn failures(db: &mut Db, names: &Names) -> Result<Vec<(Key, String)>, Error> {
    let sql = format!(
        "SELECT {}, f.`error` FROM {} AS f ORDER BY f.`key`",
        names.key_select("f.`key`"),
        names.of(Object::Failures)
    );
    let mut found = Vec::new();
    for row in db.rows(&sql, Vec::new())? {
        let [key, error] = triple(row)?;
        if let Some(key) = names.key_of(key)? {
            found.push((key, text(error)?.unwrap_or_default()));
        }
    }
    Ok(found)
}
