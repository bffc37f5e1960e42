//! The backfill: every record of the old store copied into the new one at its current
//! version, where the new one has none yet (what the dual writer wrote is newer), resumable
//! after a crash.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::sql;
use super::target::Target;
use crate::convert::failure;
use crate::report::Listed;
use crate::run::slow_down;
use crate::store::postgres::schema::{BodyType, Names};
use crate::store::{Decision, Store};
use crate::{Converter, Error, Key, Observer, Row, RunOptions};

/// Records read per batch, each copied in one transaction.
const BATCH: usize = 1000;

/// What a backfill did.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Backfill {
    /// The store copied from (passwords hidden).
    pub from: String,
    /// The table copied into.
    pub into: String,
    /// Records copied, over every run of this backfill.
    pub copied: u64,
    /// Records the new store had already (written twice since), left as they are.
    pub present: u64,
    /// Records that could not be read, not copied, over every run.
    pub failed: u64,
    /// The records this run could not read.
    pub failures: Vec<Listed>,
    /// Whether every record was looked at (else it was interrupted: run it again).
    pub finished: bool,
}

/// Copies every record of `from` into the PostgreSQL table `into` names
/// (`postgres://…?table=…`) at its current version (converted by `converter`), where `into`
/// has no record of that key and the dual writer deleted none during the move (its
/// tombstones), in batches of `options.batch`
/// (1,000 unless set), keeping to `options.max_rate` and pausing `options.pause` after
/// each. Each batch's copies and the
/// position reached commit together in `into`'s database (`T__upcast_backfill`), so a
/// backfill that dies goes on from there when run again. Each batch takes the locks the
/// dual writer takes on the secondary's keys, so a record it deletes between this read
/// and this insert stays deleted.
///
/// ```no_run
/// use std::sync::atomic::AtomicBool;
/// use upcast_migrate::{Converter, Quiet, RunOptions, StoreSpec};
///
/// let mut old = StoreSpec::parse("postgres://postgres@127.0.0.1/test?table=shop.events")?.open()?;
/// let layout = upcast::Layout::envelope();
/// let converter = Converter::new(upcast::Registry::try_global()?, &layout);
/// let into = "postgres://postgres@127.0.0.1/test?table=shop.events_v2";
/// let stop = AtomicBool::new(false);
/// let done = upcast_migrate::dual::backfill(&mut *old, into, &converter, &RunOptions::default(), &stop, &mut Quiet)?;
/// assert!(done.finished);
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
pub fn backfill(
    from: &mut dyn Store,
    into: &str,
    converter: &Converter<'_>,
    options: &RunOptions,
    stop: &AtomicBool,
    observer: &mut dyn Observer,
) -> Result<Backfill, Error> {
    let into = &mut Target::connect(into)?;
    let size = options.batch.unwrap_or(BATCH);
    let clock = Instant::now();
    let source = from.name();
    let mut state = Position::load(into, &source)?;
    let mut found = Backfill {
        from: source.clone(),
        into: into.name().to_owned(),
        ..Backfill::default()
    };
    observer.pass(1, None);
    let mut read = 0;
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let page = from.standing(state.after.as_ref(), size)?;
        let Some(last) = page.last().map(|standing| standing.key.clone()) else {
            state.finished = true;
            break;
        };
        let done = page.len() < size;
        let rows: Vec<Row> = page
            .into_iter()
            .filter_map(|standing| standing.current)
            .collect();
        read += rows.len() as u64;
        let batch = convert(&rows, converter, &mut found);
        state.failed += (rows.len() - batch.len()) as u64;
        state.after = Some(last);
        state.finished = done;
        state.copy(into, &source, &batch, &mut found)?;
        observer.batch(read, state.copied);
        slow_down(options, read, clock.elapsed(), stop);
        if done {
            break;
        }
    }
    found.copied = state.copied;
    found.present = state.present;
    found.failed = state.failed;
    found.finished = state.finished;
    Ok(found)
}

/// The rows to copy, each at its current version; the unreadable are counted and listed.
fn convert(rows: &[Row], converter: &Converter<'_>, found: &mut Backfill) -> Vec<(Key, Vec<u8>)> {
    rows.iter()
        .filter_map(|row| match converter.decide(row).decision {
            Decision::Keep => Some((row.key.clone(), row.body.clone())),
            Decision::Rewrite { body, .. } => Some((row.key.clone(), body)),
            Decision::Fail(why) => {
                if found.failures.len() < 100 {
                    found.failures.push(failure(&row.key, &why));
                }
                None
            }
        })
        .collect()
}

/// How far a backfill got, saved in the new store's database with each batch.
#[derive(Default)]
struct Position {
    after: Option<Key>,
    copied: u64,
    present: u64,
    failed: u64,
    finished: bool,
}

impl Position {
    fn load(into: &mut Target, source: &str) -> Result<Position, Error> {
        let table = own_table(&into.sql, "backfill");
        into.client.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (source text PRIMARY KEY, after text, \
             copied bigint NOT NULL, present bigint NOT NULL, failed bigint NOT NULL, \
             finished bool NOT NULL); CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY)",
            own_table(&into.sql, "deleted")
        ))?;
        let row = into.client.query_opt(
            &format!(
                "SELECT after, copied, present, failed, finished FROM {table} WHERE source = $1"
            ),
            &[&source],
        )?;
        let Some(row) = row else {
            return Ok(Position::default());
        };
        let after: Option<String> = row.try_get(0)?;
        let finished: bool = row.try_get(4)?;
        // A finished backfill run again looks at everything again, counting afresh.
        if finished {
            return Ok(Position::default());
        }
        Ok(Position {
            after: after.and_then(|after| serde_json::from_str(&after).ok()),
            copied: row.try_get::<_, i64>(1)?.unsigned_abs(),
            present: row.try_get::<_, i64>(2)?.unsigned_abs(),
            failed: row.try_get::<_, i64>(3)?.unsigned_abs(),
            finished: false,
        })
    }

    /// Inserts `batch` where the key is free, and saves the position, in one transaction.
    fn copy(
        &mut self,
        into: &mut Target,
        source: &str,
        batch: &[(Key, Vec<u8>)],
        found: &mut Backfill,
    ) -> Result<(), Error> {
        let insert = insert_sql(&into.sql);
        let save = format!(
            "INSERT INTO {} (source, after, copied, present, failed, finished) VALUES ($1, $2, \
             $3, $4, $5, $6) ON CONFLICT (source) DO UPDATE SET after = EXCLUDED.after, \
             copied = EXCLUDED.copied, present = EXCLUDED.present, failed = EXCLUDED.failed, \
             finished = EXCLUDED.finished",
            own_table(&into.sql, "backfill")
        );
        let keys: Vec<String> = batch.iter().map(|(key, _)| key.to_string()).collect();
        let locks: Vec<i64> = keys
            .iter()
            .map(|key| sql::lock_number(&into.sql.table, key))
            .collect();
        let kind = into.sql.body_kind;
        let mut tx = into.client.transaction()?;
        // The dual writer's locks on these keys, in one order: a delete in flight ends first.
        tx.execute(
            "SELECT pg_advisory_xact_lock(l) FROM (SELECT DISTINCT l FROM unnest($1::bigint[]) \
             AS l ORDER BY l) AS s",
            &[&locks],
        )?;
        let inserted = match kind {
            BodyType::Bytea => {
                let bodies: Vec<&[u8]> = batch.iter().map(|(_, body)| body.as_slice()).collect();
                tx.execute(&insert, &[&keys, &bodies])?
            }
            _ => {
                let bodies = batch
                    .iter()
                    .map(|(key, body)| {
                        String::from_utf8(body.clone()).map_err(|_| {
                            Error::state("copy", &key.to_string(), "the record is not UTF-8 text")
                        })
                    })
                    .collect::<Result<Vec<String>, Error>>()?;
                tx.execute(&insert, &[&keys, &bodies])?
            }
        };
        self.copied += inserted;
        self.present += batch.len() as u64 - inserted;
        let after = self
            .after
            .as_ref()
            .and_then(|key| serde_json::to_string(key).ok());
        let [copied, present, failed] = [self.copied, self.present, self.failed]
            .map(|count| i64::try_from(count).unwrap_or(i64::MAX));
        tx.execute(
            &save,
            &[&source, &after, &copied, &present, &failed, &self.finished],
        )?;
        tx.commit()?;
        found.copied = self.copied;
        Ok(())
    }
}

/// The plan's table of `suffix` beside the target (quoted, qualified).
fn own_table(names: &Names, suffix: &str) -> String {
    let own = crate::names::name(&names.unquoted_table, suffix, Some(63));
    format!(
        "{}.{}",
        names.schema,
        sql::quoted(super::Dialect::Postgres, &own)
    )
}

fn insert_sql(names: &Names) -> String {
    let Names {
        table,
        key,
        body,
        body_kind,
        ..
    } = names;
    let array = body_kind.array();
    format!(
        "INSERT INTO {table} ({key}, {body}) SELECT {}, {} FROM unnest($1::text[], \
         $2::{array}) AS c(k, b) WHERE NOT EXISTS (SELECT 1 FROM {} AS d WHERE d.key = c.k) \
         ON CONFLICT ({key}) DO NOTHING",
        names.key_param("c.k"),
        names.body_param("c.b"),
        own_table(names, "deleted")
    )
}

impl fmt::Display for Backfill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Backfilled {} from {}: {} records copied, {} there already, {} unreadable",
            self.into, self.from, self.copied, self.present, self.failed
        )?;
        if !self.failures.is_empty() {
            write!(f, "\n\nNot copied:")?;
            for record in &self.failures {
                write!(f, "\n  key {}: {}", record.key, record.why)?;
            }
        }
        let end = match (self.finished, self.failed) {
            (false, _) => "Interrupted; run it again to go on.",
            (true, 0) => "Finished.",
            (true, _) => "Finished; the unreadable records need attention.",
        };
        write!(f, "\n\n{end}")
    }
}
