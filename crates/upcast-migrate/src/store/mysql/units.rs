//! Units of work: rows of the chunks table, each a key range `(lo, hi]`, claimed with
//! `SELECT … FOR UPDATE SKIP LOCKED` in the transaction that applies its batch.

use mysql::Value;

use super::conn::{DUPLICATE_KEY, Db, count};
use super::schema::{Names, has_table};
use crate::names::Object;
use crate::store::table::{Counts, Totals, Unit};
use crate::{Error, Key};

/// Rows per `INSERT` of units.
const ROWS_PER_INSERT: usize = 500;

/// Whether pass `pass` has units recorded.
pub(super) fn has(db: &mut Db, names: &Names, pass: u32) -> Result<bool, Error> {
    let sql = format!(
        "SELECT 1 FROM {} WHERE `pass` = ? LIMIT 1",
        names.of(Object::Chunks)
    );
    Ok(db.first(&sql, vec![Value::from(pass)])?.is_some())
}

/// Records the units of pass `pass`: a boundary every `size` keys, the last unit ending at
/// the greatest key when `bounded`, open-ended else.
pub(super) fn plan(
    db: &mut Db,
    names: &Names,
    pass: u32,
    size: usize,
    bounded: bool,
) -> Result<(), Error> {
    let (table, key) = (&names.table, &names.key);
    let every = format!(
        "SELECT {} FROM (SELECT t.{key} AS k, ROW_NUMBER() OVER (ORDER BY t.{key}) AS r \
         FROM {table} AS t) AS s WHERE s.r % ? = 0 ORDER BY s.r",
        names.key_select("s.k")
    );
    let size = u64::try_from(size.max(1)).unwrap_or(u64::MAX);
    let boundaries = keys(db, names, &every, vec![Value::from(size)])?;
    let greatest = format!(
        "SELECT {} FROM {table} AS t",
        names.key_select(&format!("MAX(t.{key})"))
    );
    let last = keys(db, names, &greatest, Vec::new())?.into_iter().next();
    let units = ranges(boundaries, last, bounded);
    for (n, part) in units.chunks(ROWS_PER_INSERT).enumerate() {
        insert(db, names, pass, n * ROWS_PER_INSERT, part)?;
    }
    Ok(())
}

/// The keys `sql` reads in its first column (`NULL`s left out).
fn keys(db: &mut Db, names: &Names, sql: &str, params: Vec<Value>) -> Result<Vec<Key>, Error> {
    let rows = db.rows(sql, params)?;
    let keys = rows.into_iter().flatten().map(|value| names.key_of(value));
    Ok(keys
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

/// Inserts the units `part`, numbered from `first + 1`.
fn insert(
    db: &mut Db,
    names: &Names,
    pass: u32,
    first: usize,
    part: &[Range],
) -> Result<(), Error> {
    let rows = vec!["(?, ?, ?, ?)"; part.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} (`pass`, `id`, `lo`, `hi`) VALUES {rows}",
        names.of(Object::Chunks)
    );
    let key = |key: &Option<Key>| key.as_ref().map_or(Value::NULL, |key| names.key_value(key));
    let mut params = Vec::with_capacity(part.len() * 4);
    for (n, (lo, hi)) in part.iter().enumerate() {
        params.extend([
            Value::from(pass),
            Value::from(first + n + 1),
            key(lo),
            key(hi),
        ]);
    }
    db.run(&sql, params)?;
    Ok(())
}

/// A unit's keys: after `lo`, up to `hi` (open where `None`).
type Range = (Option<Key>, Option<Key>);

/// The `(lo, hi]` ranges between boundaries; `bounded` ends at `last`, else the last range
/// is open.
fn ranges(boundaries: Vec<Key>, last: Option<Key>, bounded: bool) -> Vec<Range> {
    let mut ranges = Vec::with_capacity(boundaries.len() + 1);
    let mut previous: Option<Key> = None;
    for boundary in boundaries {
        ranges.push((previous.replace(boundary.clone()), Some(boundary)));
    }
    match (bounded, last) {
        (true, Some(last)) if previous.as_ref() != Some(&last) => {
            ranges.push((previous, Some(last)));
        }
        (true, _) => {}
        (false, _) => ranges.push((previous, None)),
    }
    ranges
}

/// Claims, in the open transaction, the first unit of `pass` not finished and not locked
/// by another worker.
pub(super) fn claim(db: &mut Db, names: &Names, pass: u32) -> Result<Option<Unit>, Error> {
    let sql = format!(
        "SELECT `id`, {}, {} FROM {} WHERE `pass` = ? AND NOT `done` ORDER BY `id` LIMIT 1 \
         FOR UPDATE SKIP LOCKED",
        names.key_select("`lo`"),
        names.key_select("`hi`"),
        names.of(Object::Chunks)
    );
    let Some(row) = db.first(&sql, vec![Value::from(pass)])? else {
        return Ok(None);
    };
    let mut values = row.into_iter();
    let id = values.next().map_or(0, count);
    let lo = values
        .next()
        .map(|lo| names.key_of(lo))
        .transpose()?
        .flatten();
    let hi = values
        .next()
        .map(|hi| names.key_of(hi))
        .transpose()?
        .flatten();
    Ok(Some(Unit::new(
        i64::try_from(id).unwrap_or(i64::MAX),
        lo,
        hi,
    )))
}

/// How many units of `pass` are not finished.
pub(super) fn left(db: &mut Db, names: &Names, pass: u32) -> Result<u64, Error> {
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE `pass` = ? AND NOT `done`",
        names.of(Object::Chunks)
    );
    let row = db.first(&sql, vec![Value::from(pass)])?;
    Ok(row.into_iter().flatten().next().map_or(0, count))
}

/// Ends `unit` at `last`; the rest of its range becomes a unit of its own, numbered after
/// the pass's last (another worker cutting at once takes the next number).
pub(super) fn cut(
    db: &mut Db,
    names: &Names,
    pass: u32,
    unit: &Unit,
    last: &Key,
) -> Result<(), Error> {
    let chunks = names.of(Object::Chunks);
    let greatest = format!("SELECT COALESCE(MAX(`id`), 0) FROM {chunks} WHERE `pass` = ?");
    let row = db.first(&greatest, vec![Value::from(pass)])?;
    let mut id = row.into_iter().flatten().next().map_or(0, count);
    let insert = format!("INSERT INTO {chunks} (`pass`, `id`, `lo`, `hi`) VALUES (?, ?, ?, ?)");
    let hi = unit
        .hi
        .as_ref()
        .map_or(Value::NULL, |hi| names.key_value(hi));
    loop {
        id += 1;
        let params = vec![
            Value::from(pass),
            Value::from(id),
            names.key_value(last),
            hi.clone(),
        ];
        if db.try_run(&insert, params, DUPLICATE_KEY)? {
            break;
        }
    }
    let update = format!("UPDATE {chunks} SET `hi` = ? WHERE `pass` = ? AND `id` = ?");
    db.run(
        &update,
        vec![
            names.key_value(last),
            Value::from(pass),
            Value::from(unit.id),
        ],
    )?;
    Ok(())
}

/// Marks `unit` finished with its counts.
pub(super) fn finish(
    db: &mut Db,
    names: &Names,
    pass: u32,
    unit: &Unit,
    counts: Counts,
) -> Result<(), Error> {
    let sql = format!(
        "UPDATE {} SET `done` = 1, `rewritten` = ?, `current` = ?, `failed` = ?, \
         `conflicts` = ? WHERE `pass` = ? AND `id` = ?",
        names.of(Object::Chunks)
    );
    let params = vec![
        Value::from(counts.rewritten),
        Value::from(counts.current),
        Value::from(counts.failed),
        Value::from(counts.conflicts),
        Value::from(pass),
        Value::from(unit.id),
    ];
    db.run(&sql, params)?;
    Ok(())
}

/// The sums of the finished units, what pass `pass` found, and the failures listed.
pub(super) fn totals(db: &mut Db, names: &Names, pass: u32) -> Result<Totals, Error> {
    let mut totals = Totals::default();
    if !has_table(db, names.plain(Object::Chunks))? {
        return Ok(totals);
    }
    let failing = match has_table(db, names.plain(Object::Failures))? {
        true => format!("(SELECT COUNT(*) FROM {})", names.of(Object::Failures)),
        false => "0".to_owned(),
    };
    let sum = |what: &str| format!("CAST(COALESCE(SUM({what}), 0) AS SIGNED)");
    let sql = format!(
        "SELECT {}, {}, {}, {}, {}, {failing} FROM {}",
        sum("`rewritten`"),
        sum("`current`"),
        sum("`failed`"),
        sum("`conflicts`"),
        sum("CASE WHEN `pass` = ? THEN `rewritten` + `conflicts` ELSE 0 END"),
        names.of(Object::Chunks)
    );
    let row = db.first(&sql, vec![Value::from(pass)])?.unwrap_or_default();
    let mut values = row.into_iter().map(count);
    let mut next = || values.next().unwrap_or(0);
    totals.all.rewritten = next();
    totals.all.current = next();
    totals.all.failed = next();
    totals.all.conflicts = next();
    totals.found_in_pass = next();
    totals.failing = next();
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(n: i64) -> Option<Key> {
        Some(Key::Int(n))
    }

    #[test]
    fn units_cover_every_key_once() {
        let boundaries = vec![Key::Int(10), Key::Int(20)];
        assert_eq!(
            ranges(boundaries.clone(), int(25), true),
            vec![(None, int(10)), (int(10), int(20)), (int(20), int(25))]
        );
        assert_eq!(
            ranges(boundaries.clone(), int(20), true),
            vec![(None, int(10)), (int(10), int(20))]
        );
        assert_eq!(
            ranges(boundaries, int(20), false),
            vec![(None, int(10)), (int(10), int(20)), (int(20), None)]
        );
        assert_eq!(ranges(Vec::new(), None, true), Vec::new());
        assert_eq!(ranges(Vec::new(), None, false), vec![(None, None)]);
        assert_eq!(ranges(Vec::new(), int(3), true), vec![(None, int(3))]);
    }
}
