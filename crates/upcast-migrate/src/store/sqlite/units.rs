//! The units of work of an SQLite table: rows of `T__upcast_chunks`, planned from the
//! key's order, claimed one after another by the one run that holds the engine's lock.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use super::batch::{KeySql, key_of, value_ref};
use super::schema::Names;
use crate::store::table::{Counts, Totals, Unit, units};
use crate::{Error, Key};

/// Records the units of `pass`: every `size`-th key a boundary ([`units`]).
pub(super) fn plan(
    conn: &Connection,
    sql: &Names,
    pass: u32,
    size: usize,
    bounded: bool,
) -> Result<(), Error> {
    let Names {
        table, key, chunks, ..
    } = sql;
    let mut every = conn.prepare(&format!(
        "SELECT k FROM (SELECT {key} AS k, row_number() OVER (ORDER BY {key}) AS r \
         FROM {table}) WHERE r % ?1 = 0 ORDER BY r"
    ))?;
    let mut rows = every.query([size as i64])?;
    let mut boundaries = Vec::new();
    while let Some(row) = rows.next()? {
        boundaries.extend(key_of(row.get_ref(0)?)?);
    }
    let greatest: Value =
        conn.query_row(&format!("SELECT max({key}) FROM {table}"), [], |row| {
            row.get(0)
        })?;
    let mut insert = conn.prepare(&format!(
        "INSERT INTO {chunks} (pass, id, lo, hi) VALUES (?1, ?2, ?3, ?4)"
    ))?;
    for unit in units(boundaries, key_of(value_ref(&greatest))?, bounded) {
        insert.execute(params![
            pass,
            unit.id,
            unit.lo.as_ref().map(KeySql),
            unit.hi.as_ref().map(KeySql)
        ])?;
    }
    Ok(())
}

/// The first unit of `pass` not finished.
pub(super) fn first_left(conn: &Connection, sql: &Names, pass: u32) -> Result<Option<Unit>, Error> {
    let chunks = &sql.chunks;
    let found = conn
        .query_row(
            &format!(
                "SELECT id, lo, hi FROM {chunks} WHERE pass = ?1 AND NOT done ORDER BY id LIMIT 1"
            ),
            [pass],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Value>(1)?,
                    row.get::<_, Value>(2)?,
                ))
            },
        )
        .optional()?;
    let Some((id, lo, hi)) = found else {
        return Ok(None);
    };
    Ok(Some(Unit::new(
        id,
        key_of(value_ref(&lo))?,
        key_of(value_ref(&hi))?,
    )))
}

/// Ends `unit` at `last`; the rest of its range becomes the pass's next unit.
pub(super) fn cut(
    conn: &Connection,
    sql: &Names,
    pass: u32,
    unit: &Unit,
    last: &Key,
) -> Result<(), Error> {
    let chunks = &sql.chunks;
    conn.execute(
        &format!(
            "INSERT INTO {chunks} (pass, id, lo, hi) SELECT pass, \
             (SELECT max(id) + 1 FROM {chunks} WHERE pass = ?1), ?3, hi \
             FROM {chunks} WHERE pass = ?1 AND id = ?2"
        ),
        params![pass, unit.id, KeySql(last)],
    )?;
    conn.execute(
        &format!("UPDATE {chunks} SET hi = ?3 WHERE pass = ?1 AND id = ?2"),
        params![pass, unit.id, KeySql(last)],
    )?;
    Ok(())
}

/// Marks `unit` finished with its counts.
pub(super) fn finish(
    conn: &Connection,
    sql: &Names,
    pass: u32,
    unit: &Unit,
    counts: Counts,
) -> Result<(), Error> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    conn.execute(
        &format!(
            "UPDATE {} SET done = 1, rewritten = ?3, current = ?4, failed = ?5, conflicts = ?6 \
             WHERE pass = ?1 AND id = ?2",
            sql.chunks
        ),
        params![
            pass,
            unit.id,
            count(counts.rewritten),
            count(counts.current),
            count(counts.failed),
            count(counts.conflicts)
        ],
    )?;
    Ok(())
}

/// The sums of the finished units, what `pass` found, and the failures listed.
pub(super) fn totals(
    conn: &Connection,
    sql: &Names,
    pass: u32,
    failing: bool,
) -> Result<Totals, Error> {
    let failing = match failing {
        true => format!("(SELECT count(*) FROM {})", sql.failures),
        false => "0".to_owned(),
    };
    let sums = conn.query_row(
        &format!(
            "SELECT coalesce(sum(rewritten), 0), coalesce(sum(current), 0), \
             coalesce(sum(failed), 0), coalesce(sum(conflicts), 0), \
             coalesce(sum(CASE WHEN pass = ?1 THEN rewritten + conflicts END), 0), {failing} \
             FROM {}",
            sql.chunks
        ),
        [pass],
        |row| {
            let at = |i: usize| row.get::<_, i64>(i).map(i64::unsigned_abs);
            Ok([at(0)?, at(1)?, at(2)?, at(3)?, at(4)?, at(5)?])
        },
    )?;
    let mut totals = Totals::default();
    totals.all.rewritten = sums[0];
    totals.all.current = sums[1];
    totals.all.failed = sums[2];
    totals.all.conflicts = sums[3];
    totals.found_in_pass = sums[4];
    totals.failing = sums[5];
    Ok(totals)
}
