//! The statements that move records: the key space split into chunks, a batch applied in
//! one statement (compare-and-swap rewrites with their originals saved), the records as
//! they stand, and originals put back.
//!
//! Queries name the table's columns through the alias `t` (and `o` for the originals):
//! in PostgreSQL, `ORDER BY key` after `SELECT key::text` would sort the text.

use std::collections::HashSet;

use postgres::Client;
use postgres::types::ToSql;

use super::pass_number;
use super::schema::{BodyType, Names};
use crate::store::table::{Put, units};
use crate::store::{Decision, Entry, Saved, Standing};
use crate::{Error, Key, Row};

/// Bodies sent as one array parameter: text for the JSON and text types, bytes for bytea.
enum Bodies {
    Text(Vec<String>),
    Bytes(Vec<Vec<u8>>),
}

impl Bodies {
    fn new(kind: BodyType) -> Self {
        match kind {
            BodyType::Bytea => Bodies::Bytes(Vec::new()),
            _ => Bodies::Text(Vec::new()),
        }
    }

    fn push(&mut self, body: &[u8]) -> Result<(), Error> {
        match self {
            Bodies::Bytes(bodies) => bodies.push(body.to_vec()),
            Bodies::Text(bodies) => bodies.push(
                String::from_utf8(body.to_vec())
                    .map_err(|_| Error::state("migrate", "a record", "a body is not UTF-8"))?,
            ),
        }
        Ok(())
    }

    fn param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Bodies::Text(bodies) => bodies,
            Bodies::Bytes(bodies) => bodies,
        }
    }
}

/// A record of a query's result: its key, body and version at these columns.
pub(super) fn row_of(
    names: &Names,
    row: &postgres::Row,
    [key, body, version]: [usize; 3],
) -> Result<Row, Error> {
    let text = names.body_kind != BodyType::Bytea;
    Ok(Row {
        key: names.key_of(row.try_get(key)?),
        body: body_of(row, body, text)?,
        version: row.try_get(version)?,
        text,
    })
}

/// A body column of a result; a NULL body reads as no bytes (not JSON: listed as failed).
fn body_of(row: &postgres::Row, at: usize, text: bool) -> Result<Vec<u8>, Error> {
    let body = match text {
        true => row
            .try_get::<_, Option<String>>(at)?
            .map(String::into_bytes),
        false => row.try_get::<_, Option<Vec<u8>>>(at)?,
    };
    Ok(body.unwrap_or_default())
}

/// Records the chunks of pass `pass`: ranges of about `size` keys, up to the greatest key
/// now when `bounded` (pass 1), open-ended else (for records inserted since).
pub(super) fn split(
    tx: &mut Client,
    names: &Names,
    pass: u32,
    size: usize,
    bounded: bool,
) -> Result<(), Error> {
    let Names {
        table, key, chunks, ..
    } = names;
    let every = format!(
        "SELECT s.k::text FROM (SELECT t.{key} AS k, row_number() OVER (ORDER BY t.{key}) AS r \
         FROM {table} AS t) AS s WHERE s.r % $1 = 0 ORDER BY s.r"
    );
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    let boundaries = tx
        .query(&every, &[&size])?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<Vec<String>, _>>()?;
    let greatest = format!("SELECT max(t.{key})::text FROM {table} AS t");
    let last: Option<String> = tx.query_one(&greatest, &[])?.try_get(0)?;
    let units = units(
        boundaries
            .into_iter()
            .map(|key| names.key_of(key))
            .collect(),
        last.map(|key| names.key_of(key)),
        bounded,
    );
    let text = |key: &Option<Key>| key.as_ref().map(ToString::to_string);
    let lo: Vec<Option<String>> = units.iter().map(|unit| text(&unit.lo)).collect();
    let hi: Vec<Option<String>> = units.iter().map(|unit| text(&unit.hi)).collect();
    let insert = format!(
        "INSERT INTO {chunks} (pass, id, lo, hi) SELECT $1, c.n::int, {}, {} \
         FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS c(lo, hi, n)",
        names.key_param("c.lo"),
        names.key_param("c.hi")
    );
    tx.execute(&insert, &[&pass_number(pass), &lo, &hi])?;
    Ok(())
}

/// Applies a batch: its failures recorded, its rewrites swapped in where the record is
/// still what was read, with the originals saved, all in the open transaction. The keys of
/// the records changed since they were read, left as they are (the engine counts the rest).
pub(super) fn apply(
    client: &mut Client,
    names: &Names,
    entries: &[Entry],
) -> Result<Vec<Key>, Error> {
    let (mut failed_keys, mut errors) = (Vec::new(), Vec::new());
    let mut keys = Vec::new();
    let (mut old, mut new) = (Bodies::new(names.body_kind), Bodies::new(names.body_kind));
    let (mut old_versions, mut new_versions) = (Vec::new(), Vec::new());
    for Entry { row, decision } in entries {
        match decision {
            Decision::Keep => {}
            Decision::Fail(why) => {
                failed_keys.push(row.key.to_string());
                errors.push(why.clone());
            }
            Decision::Rewrite { body, version } => {
                keys.push(row.key.clone());
                old.push(&row.body)?;
                new.push(body)?;
                old_versions.push(row.version.clone());
                new_versions.push(version.clone());
            }
        }
    }
    if !failed_keys.is_empty() {
        client.execute(&fail_sql(names), &[&failed_keys, &errors])?;
    }
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let texts: Vec<String> = keys.iter().map(ToString::to_string).collect();
    let swapped = client
        .query(
            &swap_sql(names),
            &[
                &texts,
                old.param(),
                new.param(),
                &old_versions,
                &new_versions,
            ],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<HashSet<String>, _>>()?;
    let conflicts = keys
        .into_iter()
        .zip(&texts)
        .filter(|(_, text)| !swapped.contains(*text))
        .map(|(key, _)| key)
        .collect();
    Ok(conflicts)
}

fn fail_sql(names: &Names) -> String {
    format!(
        "INSERT INTO {} (key, error) SELECT {}, f.e FROM unnest($1::text[], $2::text[]) \
         AS f(k, e) ON CONFLICT (key) DO UPDATE SET error = EXCLUDED.error",
        names.failures,
        names.key_param("f.k")
    )
}

/// The compare-and-swap of a batch, with the originals of what it swapped saved; returns
/// the keys swapped. The saved rewrite is the body as the server stored it (a `jsonb` is
/// normalized), so a later look finds it unchanged.
fn swap_sql(names: &Names) -> String {
    let Names {
        table,
        key,
        body,
        version,
        originals,
        body_kind,
        ..
    } = names;
    let array = body_kind.array();
    let (set_version, same_version) = match version {
        Some(version) => (
            format!(", {version} = {}", names.version_param("i.new_version")),
            format!(" AND t.{version}::text COLLATE \"C\" IS NOT DISTINCT FROM i.old_version"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "WITH i AS (SELECT * FROM unnest($1::text[], $2::{array}, $3::{array}, $4::text[], \
         $5::text[]) AS i(k, old, new, old_version, new_version)), \
         swapped AS (UPDATE {table} AS t SET {body} = {new}{set_version} FROM i \
         WHERE t.{key} = {k} AND {same}{same_version} \
         RETURNING t.{key} AS key, i.old, i.old_version, t.{body} AS rewritten, i.new_version), \
         saved AS (INSERT INTO {originals} (key, body, version, rewritten, rewritten_version) \
         SELECT s.key, {old}, s.old_version, s.rewritten, s.new_version FROM swapped AS s \
         ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body, version = EXCLUDED.version, \
         rewritten = EXCLUDED.rewritten, rewritten_version = EXCLUDED.rewritten_version \
         RETURNING key) \
         SELECT saved.key::text FROM saved",
        new = names.body_param("i.new"),
        k = names.key_param("i.k"),
        same = body_kind.same(&format!("t.{body}"), &names.body_param("i.old")),
        old = names.body_param("s.old"),
    )
}

/// Up to `limit` records after `after`, as they stand, with what the migration saved of
/// each (`with_originals`: the originals table exists).
pub(super) fn standing(
    client: &mut Client,
    names: &Names,
    with_originals: bool,
    after: Option<&Key>,
    limit: usize,
) -> Result<Vec<Standing>, Error> {
    let sql = standing_sql(names, with_originals, after.is_some());
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let after = after.map(ToString::to_string);
    let rows = match &after {
        Some(after) => client.query(&sql, &[after, &limit])?,
        None => client.query(&sql, &[&limit])?,
    };
    rows.iter()
        .map(|row| {
            let key = names.key_of(row.try_get(0)?);
            let current = match row.try_get::<_, bool>(1)? {
                true => Some(row_of(names, row, [0, 2, 3])?),
                false => None,
            };
            let text = names.body_kind != BodyType::Bytea;
            let saved = match row.try_get::<_, Option<bool>>(7)? {
                Some(true) => Some(Saved {
                    original: row_of(names, row, [0, 4, 5])?,
                    rewritten: body_of(row, 6, text)?,
                }),
                _ => None,
            };
            Ok(Standing {
                key,
                current,
                saved,
            })
        })
        .collect()
}

fn standing_sql(names: &Names, with_originals: bool, after: bool) -> String {
    let Names {
        table,
        key,
        body,
        version,
        originals,
        body_kind,
        ..
    } = names;
    let limit = if after { "$2" } else { "$1" };
    let since = |column: &str| match after {
        true => format!("WHERE {column} > {}", names.key_param("$1")),
        false => String::new(),
    };
    let current_version = match version {
        Some(version) => format!("t.{version}::text"),
        None => "NULL::text".to_owned(),
    };
    let current_body = body_kind.select(&format!("t.{body}"));
    if !with_originals {
        let none = match body_kind {
            BodyType::Bytea => "NULL::bytea",
            _ => "NULL::text",
        };
        return format!(
            "SELECT t.{key}::text, true, {current_body}, {current_version}, {none}, NULL::text, \
             {none}, NULL::bool FROM {table} AS t {} ORDER BY t.{key} LIMIT {limit}",
            since(&format!("t.{key}"))
        );
    }
    format!(
        "WITH keys AS ((SELECT t.{key} AS k FROM {table} AS t {in_table} ORDER BY t.{key} \
         LIMIT {limit}) UNION (SELECT o.key AS k FROM {originals} AS o {in_originals} \
         ORDER BY o.key LIMIT {limit}) ORDER BY k LIMIT {limit}) \
         SELECT keys.k::text, t.{key} IS NOT NULL, {current_body}, {current_version}, \
         {original}, o.version, {rewritten}, o.key IS NOT NULL \
         FROM keys LEFT JOIN {table} AS t ON t.{key} = keys.k \
         LEFT JOIN {originals} AS o ON o.key = keys.k ORDER BY keys.k",
        in_table = since(&format!("t.{key}")),
        in_originals = since("o.key"),
        original = body_kind.select("o.body"),
        rewritten = body_kind.select("o.rewritten"),
    )
}

/// Puts back up to `limit` originals after `after`, in the open transaction, where the
/// record is still what the migration wrote: what became of each.
pub(super) fn restore(
    client: &mut Client,
    names: &Names,
    after: Option<&Key>,
    limit: usize,
) -> Result<Vec<Put>, Error> {
    let sql = restore_sql(names, after.is_some());
    let count = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = match after.map(ToString::to_string) {
        Some(after) => client.query(&sql, &[&after, &count])?,
        None => client.query(&sql, &[&count])?,
    };
    rows.iter()
        .map(|row| {
            let key = names.key_of(row.try_get(0)?);
            Ok(match row.try_get::<_, bool>(1)? {
                true => Put::Back(key),
                false => Put::Changed(key),
            })
        })
        .collect()
}

fn restore_sql(names: &Names, after: bool) -> String {
    let Names {
        table,
        key,
        body,
        version,
        originals,
        body_kind,
        ..
    } = names;
    let (limit, since) = match after {
        true => ("$2", format!("WHERE o.key > {}", names.key_param("$1"))),
        false => ("$1", String::new()),
    };
    let (set_version, same_version) = match version {
        Some(version) => (
            format!(", {version} = {}", names.version_param("p.version")),
            format!(
                " AND t.{version}::text COLLATE \"C\" IS NOT DISTINCT FROM p.rewritten_version"
            ),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "WITH p AS (SELECT o.key, o.body, o.version, o.rewritten, o.rewritten_version \
         FROM {originals} AS o {since} ORDER BY o.key LIMIT {limit}), \
         put AS (UPDATE {table} AS t SET {body} = p.body{set_version} FROM p \
         WHERE t.{key} = p.key AND {same}{same_version} RETURNING t.{key} AS key), \
         gone AS (DELETE FROM {originals} AS o USING put WHERE o.key = put.key RETURNING o.key) \
         SELECT p.key::text, p.key IN (SELECT gone.key FROM gone) FROM p ORDER BY p.key",
        same = body_kind.same(&format!("t.{body}"), "p.rewritten"),
    )
}
