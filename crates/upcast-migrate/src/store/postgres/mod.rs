//! PostgreSQL: a table migrated in place by any number of workers, in one process or many.
//!
//! The key space is split into chunks of about one batch each, recorded in
//! `T__upcast_chunks`. A worker claims a chunk with `SELECT … FOR UPDATE SKIP LOCKED` and
//! keeps that transaction open while it converts the chunk's records; their rewrites
//! (compare-and-swap), saved originals, failures and the chunk's "done" commit with it.
//! A worker that dies leaves its transaction to be rolled back, and its chunk to be claimed
//! again. PostgreSQL is the only coordinator.

mod batch;
pub(crate) mod schema;

use std::time::Duration;

use postgres::{Client, NoTls};
use serde_json::json;

use super::{Action, Entry, Progress, Restored, Standing, Store};
use crate::spec::TableSpec;
use crate::{Error, Key, Row};
use schema::{BodyType, Names};

/// The first key of the engine's advisory lock on a table, held by every run (shared) or
/// by a rollback or a finalize (alone); the second is the table's `lock` hash.
const ENGINE_LOCK: i32 = 0x75_70_63;

/// A table of a PostgreSQL database.
///
/// Beside the table `T` (in its schema) the migration keeps `T__upcast_originals`,
/// `T__upcast_failures`, `T__upcast_progress` and `T__upcast_chunks`; `finalize` drops them.
pub struct Postgres {
    client: Client,
    name: String,
    sql: Names,
    /// The pass this worker is in.
    pass: u32,
    /// About how many records a chunk holds.
    chunk: usize,
    /// The chunk this worker holds, its transaction open, and the last key read of it.
    claimed: Option<(i32, Key)>,
}

impl Postgres {
    /// Connects to the database `spec.database` names and checks the table and columns.
    pub fn open(spec: &TableSpec) -> Result<Self, Error> {
        let name = spec.postgres_name();
        let mut client = Client::connect(&spec.database, NoTls).map_err(|error| {
            Error::state("connect to", &name, crate::error::postgres_message(&error))
        })?;
        let sql = schema::inspect(&mut client, &name, spec)?;
        Ok(Postgres {
            client,
            name,
            sql,
            pass: 1,
            chunk: 1000,
            claimed: None,
        })
    }

    fn has_table(&mut self, quoted: &str) -> Result<bool, Error> {
        let row = self
            .client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&quoted])?;
        Ok(row.try_get(0)?)
    }

    fn create_tables(&self) -> String {
        let Names {
            originals,
            failures,
            progress,
            chunks,
            key_type,
            ..
        } = &self.sql;
        let body = self.saved_body_type();
        format!(
            "CREATE TABLE IF NOT EXISTS {originals} (key {key_type} PRIMARY KEY, body {body}, \
             version text, rewritten {body}, rewritten_version text);
             CREATE TABLE IF NOT EXISTS {failures} (key {key_type} PRIMARY KEY, \
             error text NOT NULL);
             CREATE TABLE IF NOT EXISTS {progress} (id int PRIMARY KEY CHECK (id = 1), \
             state text NOT NULL, bound text);
             CREATE TABLE IF NOT EXISTS {chunks} (pass int NOT NULL, id int NOT NULL, \
             lo {key_type}, hi {key_type}, done bool NOT NULL DEFAULT false, \
             rewritten bigint NOT NULL DEFAULT 0, current bigint NOT NULL DEFAULT 0, \
             failed bigint NOT NULL DEFAULT 0, conflicts bigint NOT NULL DEFAULT 0, \
             PRIMARY KEY (pass, id));"
        )
    }

    /// The type originals are saved as: the body's own, but unbounded text for a
    /// `varchar(n)` (whose cast would cut).
    fn saved_body_type(&self) -> &str {
        match self.sql.body_kind {
            BodyType::Text => "text",
            _ => &self.sql.body_type,
        }
    }

    /// The saved state: when the migration started and finished, and its pass.
    fn state(&mut self) -> Result<Option<Progress>, Error> {
        if !self.has_table(&self.sql.progress.clone())? {
            return Ok(None);
        }
        let sql = format!("SELECT state FROM {} WHERE id = 1", self.sql.progress);
        let Some(row) = self.client.query_opt(&sql, &[])? else {
            return Ok(None);
        };
        let state: String = row.try_get(0)?;
        parse_state(&self.name, &state).map(Some)
    }

    /// Saves the state (the counters live in the chunks).
    fn save_state(&mut self, progress: &Progress) -> Result<(), Error> {
        let sql = format!("UPDATE {} SET state = $1 WHERE id = 1", self.sql.progress);
        self.client.execute(&sql, &[&state_json(progress)])?;
        Ok(())
    }

    /// Claims a chunk of this pass not done and not held by another worker, opening its
    /// transaction: its id and key range, or `None` (the transaction closed) if there is
    /// none to claim now.
    fn claim(&mut self) -> Result<Option<Claim>, Error> {
        self.client.batch_execute("BEGIN")?;
        let sql = format!(
            "SELECT id, lo::text, hi::text FROM {} WHERE pass = $1 AND NOT done \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
            self.sql.chunks
        );
        match self.client.query_opt(&sql, &[&pass_number(self.pass)])? {
            Some(row) => Ok(Some(Claim {
                id: row.try_get(0)?,
                lo: row.try_get(1)?,
                hi: row.try_get(2)?,
            })),
            None => {
                self.client.batch_execute("ROLLBACK")?;
                Ok(None)
            }
        }
    }

    /// How many chunks of this pass are not done (held by workers, or not claimed yet).
    fn chunks_left(&mut self) -> Result<i64, Error> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE pass = $1 AND NOT done",
            self.sql.chunks
        );
        let row = self.client.query_one(&sql, &[&pass_number(self.pass)])?;
        Ok(row.try_get(0)?)
    }

    /// The records of a chunk, in key order.
    fn rows_between(&mut self, lo: Option<&str>, hi: Option<&str>) -> Result<Vec<Row>, Error> {
        let Names {
            table, key, body, ..
        } = &self.sql;
        let select_body = self.sql.body_kind.select(&format!("t.{body}"));
        let version = match &self.sql.version {
            Some(version) => format!("t.{version}::text"),
            None => "NULL::text".to_owned(),
        };
        let key_text = self.sql.key_text("t.");
        let cast = |param: &str| self.sql.key_param(param);
        let (range, params): (String, Vec<&str>) = match (lo, hi) {
            (Some(lo), Some(hi)) => (
                format!(
                    "WHERE t.{key} > {} AND t.{key} <= {}",
                    cast("$1"),
                    cast("$2")
                ),
                vec![lo, hi],
            ),
            (Some(lo), None) => (format!("WHERE t.{key} > {}", cast("$1")), vec![lo]),
            (None, Some(hi)) => (format!("WHERE t.{key} <= {}", cast("$1")), vec![hi]),
            (None, None) => (String::new(), Vec::new()),
        };
        let sql = format!(
            "SELECT {key_text}, {select_body}, {version} FROM {table} AS t {range} \
             ORDER BY t.{key}"
        );
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|param| param as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows = self.client.query(&sql, &params)?;
        rows.iter()
            .map(|row| batch::row_of(&self.sql, row, [0, 1, 2]))
            .collect()
    }

    /// Ends chunk `id` at `last`, in its transaction: the rest of its range becomes a chunk
    /// of its own, not done, for a later claim (a run that stopped at its `--limit`).
    fn cut_chunk(&mut self, id: i32, last: &Key) -> Result<(), Error> {
        let chunks = &self.sql.chunks;
        let last_key = self.sql.key_param("$3");
        let sql = format!(
            "INSERT INTO {chunks} (pass, id, lo, hi) SELECT c.pass, \
             (SELECT max(m.id) + 1 FROM {chunks} AS m WHERE m.pass = $1), {last_key}, c.hi \
             FROM {chunks} AS c WHERE c.pass = $1 AND c.id = $2; \
             UPDATE {chunks} SET hi = {last_key} WHERE pass = $1 AND id = $2"
        );
        let pass = pass_number(self.pass);
        let last = last.to_string();
        for statement in sql.split("; ") {
            self.client.execute(statement, &[&pass, &id, &last])?;
        }
        Ok(())
    }

    /// Marks chunk `id` done with its counts, in its transaction, and commits.
    fn finish_chunk(&mut self, id: i32, counts: [i64; 4]) -> Result<(), Error> {
        let sql = format!(
            "UPDATE {} SET done = true, rewritten = $3, current = $4, failed = $5, \
             conflicts = $6 WHERE pass = $1 AND id = $2",
            self.sql.chunks
        );
        let [rewritten, current, failed, conflicts] = counts;
        self.client.execute(
            &sql,
            &[
                &pass_number(self.pass),
                &id,
                &rewritten,
                &current,
                &failed,
                &conflicts,
            ],
        )?;
        self.client.batch_execute("COMMIT")?;
        Ok(())
    }
}

impl Store for Postgres {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn rescans(&self) -> bool {
        true
    }

    fn batch_hint(&self) -> usize {
        1000
    }

    fn shares_work(&self) -> bool {
        true
    }

    fn remaining(&mut self, _after: Option<&Key>, _bounded: bool) -> Result<Option<u64>, Error> {
        let left = self.chunks_left()?;
        Ok(Some(left.unsigned_abs() * self.chunk as u64))
    }

    fn progress(&mut self) -> Result<Option<Progress>, Error> {
        let Some(mut progress) = self.state()? else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT coalesce(sum(rewritten), 0)::int8, coalesce(sum(current), 0)::int8, \
             coalesce(sum(conflicts), 0)::int8, \
             coalesce(sum(rewritten + conflicts) FILTER (WHERE pass = $1), 0)::int8, \
             (SELECT count(*) FROM {}) FROM {}",
            self.sql.failures, self.sql.chunks
        );
        let row = self
            .client
            .query_one(&sql, &[&pass_number(progress.pass)])?;
        let count = |index: usize| -> Result<u64, Error> {
            Ok(row.try_get::<_, i64>(index)?.unsigned_abs())
        };
        progress.rewritten = count(0)?;
        progress.current = count(1)?;
        progress.conflicts = count(2)?;
        progress.pass_found = count(3)?;
        progress.failed = count(4)?;
        Ok(Some(progress))
    }

    fn begin(&mut self, fresh: Progress) -> Result<Progress, Error> {
        let create = self.create_tables();
        let Names {
            progress,
            chunks,
            failures,
            lock,
            ..
        } = &self.sql;
        let mut tx = self.client.transaction()?;
        // One worker at a time decides whether the migration starts or goes on.
        one_at_a_time(&mut tx, &self.name, lock)?;
        tx.batch_execute(&create)?;
        let state = tx.query_opt(
            &format!("SELECT state FROM {progress} WHERE id = 1 FOR UPDATE"),
            &[],
        )?;
        let state = match state {
            Some(row) => Some(parse_state(&self.name, &row.try_get::<_, String>(0)?)?),
            None => None,
        };
        let going_on = state.filter(|state| state.finished_at.is_none());
        if going_on.is_none() {
            tx.batch_execute(&format!("DELETE FROM {chunks}; DELETE FROM {failures};"))?;
            tx.execute(
                &format!(
                    "INSERT INTO {progress} (id, state) VALUES (1, $1) \
                     ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state"
                ),
                &[&state_json(&fresh)],
            )?;
        }
        tx.commit()?;
        let progress = self.progress()?.unwrap_or(fresh);
        self.pass = progress.pass;
        Ok(progress)
    }

    fn start_pass(&mut self, pass: u32, batch: usize) -> Result<(), Error> {
        self.pass = pass;
        self.chunk = batch.max(1);
        let names = &self.sql;
        let mut tx = self.client.transaction()?;
        one_at_a_time(&mut tx, &self.name, &names.lock)?;
        let exists = format!("SELECT 1 FROM {} WHERE pass = $1 LIMIT 1", names.chunks);
        if tx.query_opt(&exists, &[&pass_number(pass)])?.is_none() {
            batch::split(&mut tx, names, pass, self.chunk)?;
            let state = format!("SELECT state FROM {} WHERE id = 1", names.progress);
            let row = tx.query_one(&state, &[])?;
            let mut state = parse_state(&self.name, &row.try_get::<_, String>(0)?)?;
            state.pass = pass;
            let save = format!("UPDATE {} SET state = $1 WHERE id = 1", names.progress);
            tx.execute(&save, &[&state_json(&state)])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn others_hold_work(&mut self) -> Result<bool, Error> {
        Ok(self.chunks_left()? > 0)
    }

    /// The server ends the session of a worker idle in its chunk's transaction for longer
    /// (its chunk rolled back and free for others), and a wait for a lock fails after it.
    fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128);
        self.client.batch_execute(&format!(
            "SET idle_in_transaction_session_timeout = {ms}; SET lock_timeout = {ms}"
        ))?;
        Ok(())
    }

    fn lock(&mut self, action: Action) -> Result<(), Error> {
        let lock = &self.sql.lock;
        let take = match action {
            Action::Run => format!("SELECT pg_try_advisory_lock_shared({ENGINE_LOCK}, {lock})"),
            _ => format!("SELECT pg_try_advisory_lock({ENGINE_LOCK}, {lock})"),
        };
        if self.client.query_one(&take, &[])?.try_get::<_, bool>(0)? {
            return Ok(());
        }
        let holders = format!(
            "SELECT string_agg(l.pid::text, ', ' ORDER BY l.pid), bool_or(l.mode = 'ShareLock') \
             FROM pg_locks AS l WHERE l.locktype = 'advisory' AND l.granted \
             AND l.classid::bigint = {ENGINE_LOCK} AND l.objsubid = 2 \
             AND l.objid::bigint = ({lock}::bigint & 4294967295)"
        );
        let row = self.client.query_one(&holders, &[])?;
        let pids: Option<String> = row.try_get(0)?;
        let held_by = match row.try_get::<_, Option<bool>>(1)? {
            Some(true) => "a run",
            _ => "a rollback or a finalize",
        };
        let pids = pids.unwrap_or_else(|| "gone now".to_owned());
        Err(Error::state(
            action.verb(),
            &self.name,
            format!(
                "{held_by} is in progress (server pid {pids}); wait for it to end, or stop it \
                 (SIGINT or SIGTERM ends a run after its batch in flight)"
            ),
        ))
    }

    fn pass_found(&mut self, pass: u32, _local: u64) -> Result<u64, Error> {
        let sql = format!(
            "SELECT coalesce(sum(rewritten + conflicts), 0)::int8 FROM {} WHERE pass = $1",
            self.sql.chunks
        );
        let row = self.client.query_one(&sql, &[&pass_number(pass)])?;
        Ok(row.try_get::<_, i64>(0)?.unsigned_abs())
    }

    fn read(&mut self, _: Option<&Key>, _: usize, _: bool) -> Result<Vec<Row>, Error> {
        loop {
            match self.claim()? {
                Some(Claim { id, lo, hi }) => {
                    let rows = self.rows_between(lo.as_deref(), hi.as_deref())?;
                    if rows.is_empty() {
                        self.finish_chunk(id, [0; 4])?;
                        continue;
                    }
                    let last = rows.last().map(|row| row.key.clone());
                    self.claimed = last.map(|last| (id, last));
                    return Ok(rows);
                }
                None => return Ok(Vec::new()),
            }
        }
    }

    fn commit(&mut self, entries: &[Entry], progress: &mut Progress) -> Result<Vec<Key>, Error> {
        let Some((id, read_to)) = self.claimed.take() else {
            // No chunk held: the end of a run saves when it finished.
            self.save_state(progress)?;
            return Ok(Vec::new());
        };
        if let Some(last) = entries.last().map(|entry| &entry.row.key) {
            if *last != read_to {
                self.cut_chunk(id, last)?;
            }
        }
        let applied = batch::apply(&mut self.client, &self.sql, entries)?;
        let conflicts = applied.conflicts.len() as u64;
        let first_pass = i64::from(self.pass == 1);
        let counts = [
            applied.rewritten as i64,
            applied.kept as i64 * first_pass,
            applied.failed as i64 * first_pass,
            conflicts as i64,
        ];
        self.finish_chunk(id, counts)?;
        progress.rewritten -= conflicts;
        progress.conflicts += conflicts;
        Ok(applied.conflicts)
    }

    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error> {
        let with_originals = self.has_table(&self.sql.originals.clone())?;
        batch::standing(&mut self.client, &self.sql, with_originals, after, limit)
    }

    fn failures(&mut self) -> Result<Vec<(Key, String)>, Error> {
        if !self.has_table(&self.sql.failures.clone())? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT f.key::text, f.error FROM {} AS f ORDER BY f.key",
            self.sql.failures
        );
        let rows = self.client.query(&sql, &[])?;
        rows.iter()
            .map(|row| Ok((self.sql.key_of(row.try_get(0)?), row.try_get(1)?)))
            .collect()
    }

    fn rollback(&mut self, limit: usize) -> Result<Restored, Error> {
        if self.state()?.is_none() {
            return Err(Error::state(
                "roll back",
                &self.name,
                "no migration was started here",
            ));
        }
        let mut restored = Restored::default();
        let mut after: Option<String> = None;
        while let Some(last) =
            batch::restore(&mut self.client, &self.sql, after, limit, &mut restored)?
        {
            after = Some(last);
        }
        let Names {
            originals,
            failures,
            progress,
            chunks,
            ..
        } = &self.sql;
        // Originals of records changed since stay, for whoever sorts them out.
        let originals = match restored.changed.is_empty() {
            true => format!("DROP TABLE {originals};"),
            false => String::new(),
        };
        self.client.batch_execute(&format!(
            "BEGIN; DROP TABLE {progress}; DROP TABLE {failures}; DROP TABLE {chunks}; \
             {originals} COMMIT;"
        ))?;
        Ok(restored)
    }

    fn finalize(&mut self, _delete_original: bool) -> Result<(), Error> {
        match self.state()? {
            Some(state) if state.finished_at.is_some() => {}
            Some(_) => {
                return Err(Error::state(
                    "finalize",
                    &self.name,
                    "the migration has not finished: run it to the end, or roll it back",
                ));
            }
            None => {
                return Err(Error::state(
                    "finalize",
                    &self.name,
                    "no migration was started here",
                ));
            }
        }
        let Names {
            originals,
            failures,
            progress,
            chunks,
            ..
        } = &self.sql;
        self.client.batch_execute(&format!(
            "BEGIN; DROP TABLE {originals}; DROP TABLE {failures}; DROP TABLE {progress}; \
             DROP TABLE {chunks}; COMMIT;"
        ))?;
        Ok(())
    }
}

/// Takes the table's lock for the rest of `tx`, or says it is busy (the engine waits and
/// tries again, still answering signals): a blocking wait could not be interrupted.
fn one_at_a_time(tx: &mut postgres::Transaction<'_>, store: &str, lock: &str) -> Result<(), Error> {
    let sql = format!("SELECT pg_try_advisory_xact_lock({lock})");
    match tx.query_one(&sql, &[])?.try_get::<_, bool>(0)? {
        true => Ok(()),
        false => Err(Error::Busy {
            store: store.to_owned(),
            what: "another worker is starting a pass",
        }),
    }
}

/// A chunk claimed: its id and its key range `(lo, hi]` (open where `None`), as text.
struct Claim {
    id: i32,
    lo: Option<String>,
    hi: Option<String>,
}

/// A pass as the chunks table numbers it.
fn pass_number(pass: u32) -> i32 {
    i32::try_from(pass).unwrap_or(i32::MAX)
}

/// The state row: when the migration started and finished, and its pass.
fn state_json(progress: &Progress) -> String {
    json!({
        "started_at": progress.started_at,
        "finished_at": progress.finished_at,
        "pass": progress.pass,
        "targets": progress.targets,
    })
    .to_string()
}

fn parse_state(store: &str, state: &str) -> Result<Progress, Error> {
    let value: serde_json::Value = serde_json::from_str(state)
        .map_err(|error| Error::state("read the progress of", store, error.to_string()))?;
    let number = |name: &str| value.get(name).and_then(serde_json::Value::as_u64);
    Ok(Progress {
        started_at: number("started_at").unwrap_or(0),
        finished_at: number("finished_at"),
        pass: number("pass")
            .and_then(|pass| u32::try_from(pass).ok())
            .unwrap_or(1),
        targets: value
            .get("targets")
            .and_then(|targets| serde_json::from_value(targets.clone()).ok())
            .unwrap_or_default(),
        ..Progress::default()
    })
}
