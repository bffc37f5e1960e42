//! PostgreSQL: a table migrated in place by any number of workers, in one process or many.
//!
//! The primitives of [`Table`] over one connection: units of work are rows of
//! `T__upcast_chunks`, claimed with `SELECT … FOR UPDATE SKIP LOCKED` in the transaction
//! that then applies the unit's batch; the engine's lock is a session advisory lock,
//! shared by runs; a session idle in its transaction longer than the worker timeout is
//! ended by the server itself (`idle_in_transaction_session_timeout`), its unit free for
//! the others. PostgreSQL is the only coordinator.

mod batch;
pub(crate) mod schema;

use std::time::Duration;

use postgres::{Client, NoTls};

use super::table::{Counts, Object, Put, Table, Totals, Unit};
use super::{Action, Entry, Standing};
use crate::spec::TableSpec;
use crate::{Error, Key, Row};
use schema::{BodyType, Names};

/// The first key of the engine's advisory lock on a table, held by every run (shared) or
/// by a rollback or a finalize (alone); the second is the table's `lock` hash.
const ENGINE_LOCK: i32 = 0x75_70_63;

/// A table of a PostgreSQL database, and the engine's tables beside it (in its schema).
pub struct Postgres {
    client: Client,
    name: String,
    sql: Names,
}

impl Postgres {
    /// Connects to the database `spec.database` names and checks the table and columns.
    pub fn open(spec: &TableSpec) -> Result<Self, Error> {
        let name = spec.postgres_name();
        let mut client = Client::connect(&spec.database, NoTls).map_err(|error| {
            Error::state("connect to", &name, crate::error::postgres_message(&error))
        })?;
        let sql = schema::inspect(&mut client, &name, spec)?;
        Ok(Postgres { client, name, sql })
    }

    /// The quoted name of one of the engine's objects.
    fn object(&self, object: Object) -> &str {
        match object {
            Object::Originals => &self.sql.originals,
            Object::Failures => &self.sql.failures,
            Object::Progress => &self.sql.progress,
            Object::Chunks => &self.sql.chunks,
            _ => &self.sql.rolled_back,
        }
    }

    /// The type originals are saved as: the body's own, but unbounded text for a
    /// `varchar(n)` (whose cast would cut).
    fn saved_body_type(&self) -> &str {
        match self.sql.body_kind {
            BodyType::Text => "text",
            _ => &self.sql.body_type,
        }
    }

    /// A unit of the chunks table: its id and range, as text.
    fn unit_of(&self, row: &postgres::Row) -> Result<Unit, Error> {
        let id: i32 = row.try_get(0)?;
        let key = |at: usize| -> Result<Option<Key>, Error> {
            Ok(row
                .try_get::<_, Option<String>>(at)?
                .map(|text| self.sql.key_of(text)))
        };
        Ok(Unit::new(i64::from(id), key(1)?, key(2)?))
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
}

impl Table for Postgres {
    fn name(&self) -> String {
        self.name.clone()
    }

    /// The server ends the session of a worker idle in its unit's transaction for longer
    /// (its unit rolled back and free for others), and a wait for a lock fails after it.
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

    fn has(&mut self, object: Object) -> Result<bool, Error> {
        let name = self.object(object).to_owned();
        let row = self
            .client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])?;
        Ok(row.try_get(0)?)
    }

    fn count(&mut self, object: Object) -> Result<u64, Error> {
        if !self.has(object)? {
            return Ok(0);
        }
        let sql = format!("SELECT count(*) FROM {}", self.object(object));
        Ok(self
            .client
            .query_one(&sql, &[])?
            .try_get::<_, i64>(0)?
            .unsigned_abs())
    }

    fn create_own(&mut self) -> Result<(), Error> {
        let Names {
            originals,
            failures,
            progress,
            chunks,
            key_type,
            ..
        } = &self.sql;
        let body = self.saved_body_type();
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {originals} (key {key_type} PRIMARY KEY, body {body}, \
             version text, rewritten {body}, rewritten_version text);
             CREATE TABLE IF NOT EXISTS {failures} (key {key_type} PRIMARY KEY, \
             error text NOT NULL);
             CREATE TABLE IF NOT EXISTS {progress} (id int PRIMARY KEY CHECK (id = 1), \
             state text NOT NULL);
             CREATE TABLE IF NOT EXISTS {chunks} (pass int NOT NULL, id int NOT NULL, \
             lo {key_type}, hi {key_type}, done bool NOT NULL DEFAULT false, \
             rewritten bigint NOT NULL DEFAULT 0, current bigint NOT NULL DEFAULT 0, \
             failed bigint NOT NULL DEFAULT 0, conflicts bigint NOT NULL DEFAULT 0, \
             PRIMARY KEY (pass, id));"
        );
        self.client.batch_execute(&sql)?;
        Ok(())
    }

    fn drop_own(&mut self, objects: &[Object]) -> Result<(), Error> {
        let names: Vec<&str> = objects.iter().map(|object| self.object(*object)).collect();
        let sql = format!("DROP TABLE IF EXISTS {}", names.join(", "));
        self.client.batch_execute(&sql)?;
        Ok(())
    }

    fn keep_rolled_back(&mut self, at: u64) -> Result<(), Error> {
        let Names {
            originals,
            rolled_back,
            key_type,
            ..
        } = &self.sql;
        let body = self.saved_body_type();
        let columns = "key, body, version, rewritten, rewritten_version";
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {rolled_back} (rolled_back_at bigint NOT NULL, \
             key {key_type}, body {body}, version text, rewritten {body}, \
             rewritten_version text);
             INSERT INTO {rolled_back} (rolled_back_at, {columns}) \
             SELECT {at}, {columns} FROM {originals}"
        );
        self.client.batch_execute(&sql)?;
        Ok(())
    }

    fn start(&mut self, alone: bool) -> Result<(), Error> {
        self.client.batch_execute("BEGIN")?;
        if !alone {
            return Ok(());
        }
        let sql = format!("SELECT pg_try_advisory_xact_lock({})", self.sql.lock);
        let taken = self.client.query_one(&sql, &[])?.try_get::<_, bool>(0)?;
        if taken {
            return Ok(());
        }
        self.client.batch_execute("ROLLBACK")?;
        Err(Error::Busy {
            store: self.name.clone(),
            what: "another worker is starting a pass",
        })
    }

    fn commit(&mut self) -> Result<(), Error> {
        self.client.batch_execute("COMMIT")?;
        Ok(())
    }

    fn abort(&mut self) -> Result<(), Error> {
        self.client.batch_execute("ROLLBACK")?;
        Ok(())
    }

    fn load_state(&mut self) -> Result<Option<String>, Error> {
        let sql = format!("SELECT state FROM {} WHERE id = 1", self.sql.progress);
        let row = self.client.query_opt(&sql, &[])?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }

    fn save_state(&mut self, state: &str) -> Result<(), Error> {
        let sql = format!(
            "INSERT INTO {} (id, state) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state",
            self.sql.progress
        );
        self.client.execute(&sql, &[&state])?;
        Ok(())
    }

    fn clear(&mut self, object: Object) -> Result<(), Error> {
        let sql = format!("DELETE FROM {}", self.object(object));
        self.client.batch_execute(&sql)?;
        Ok(())
    }

    fn has_units(&mut self, pass: u32) -> Result<bool, Error> {
        let sql = format!("SELECT 1 FROM {} WHERE pass = $1 LIMIT 1", self.sql.chunks);
        Ok(self
            .client
            .query_opt(&sql, &[&pass_number(pass)])?
            .is_some())
    }

    fn plan_units(&mut self, pass: u32, size: usize, bounded: bool) -> Result<(), Error> {
        batch::split(&mut self.client, &self.sql, pass, size, bounded)
    }

    fn claim(&mut self, pass: u32) -> Result<Option<Unit>, Error> {
        let sql = format!(
            "SELECT id, lo::text, hi::text FROM {} WHERE pass = $1 AND NOT done \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
            self.sql.chunks
        );
        let row = self.client.query_opt(&sql, &[&pass_number(pass)])?;
        row.map(|row| self.unit_of(&row)).transpose()
    }

    fn units_left(&mut self, pass: u32) -> Result<u64, Error> {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE pass = $1 AND NOT done",
            self.sql.chunks
        );
        let row = self.client.query_one(&sql, &[&pass_number(pass)])?;
        Ok(row.try_get::<_, i64>(0)?.unsigned_abs())
    }

    /// The new unit takes the pass's next id: two workers cutting at once in one pass
    /// would collide on it, and the second's batch fails (run again, it goes on).
    fn cut_unit(&mut self, pass: u32, unit: &Unit, last: &Key) -> Result<(), Error> {
        let chunks = &self.sql.chunks;
        let last_key = self.sql.key_param("$3");
        let insert = format!(
            "INSERT INTO {chunks} (pass, id, lo, hi) SELECT c.pass, \
             (SELECT max(m.id) + 1 FROM {chunks} AS m WHERE m.pass = $1), {last_key}, c.hi \
             FROM {chunks} AS c WHERE c.pass = $1 AND c.id = $2"
        );
        let update = format!("UPDATE {chunks} SET hi = {last_key} WHERE pass = $1 AND id = $2");
        let (pass, id, last) = (pass_number(pass), unit_number(unit), last.to_string());
        self.client.execute(&insert, &[&pass, &id, &last])?;
        self.client.execute(&update, &[&pass, &id, &last])?;
        Ok(())
    }

    fn finish_unit(&mut self, pass: u32, unit: &Unit, counts: Counts) -> Result<(), Error> {
        let sql = format!(
            "UPDATE {} SET done = true, rewritten = $3, current = $4, failed = $5, \
             conflicts = $6 WHERE pass = $1 AND id = $2",
            self.sql.chunks
        );
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.client.execute(
            &sql,
            &[
                &pass_number(pass),
                &unit_number(unit),
                &count(counts.rewritten),
                &count(counts.current),
                &count(counts.failed),
                &count(counts.conflicts),
            ],
        )?;
        Ok(())
    }

    fn totals(&mut self, pass: u32) -> Result<Totals, Error> {
        if !self.has(Object::Chunks)? {
            return Ok(Totals::default());
        }
        let failing = match self.has(Object::Failures)? {
            true => format!("(SELECT count(*) FROM {})", self.sql.failures),
            false => "0::int8".to_owned(),
        };
        let chunks = &self.sql.chunks;
        let sql = format!(
            "SELECT coalesce(sum(rewritten), 0)::int8, coalesce(sum(current), 0)::int8, \
             coalesce(sum(failed), 0)::int8, coalesce(sum(conflicts), 0)::int8, \
             coalesce(sum(rewritten + conflicts) FILTER (WHERE pass = $1), 0)::int8, \
             {failing} FROM {chunks}"
        );
        let row = self.client.query_one(&sql, &[&pass_number(pass)])?;
        let count =
            |at: usize| -> Result<u64, Error> { Ok(row.try_get::<_, i64>(at)?.unsigned_abs()) };
        let mut totals = Totals::default();
        totals.all.rewritten = count(0)?;
        totals.all.current = count(1)?;
        totals.all.failed = count(2)?;
        totals.all.conflicts = count(3)?;
        totals.found_in_pass = count(4)?;
        totals.failing = count(5)?;
        Ok(totals)
    }

    fn scan(&mut self, unit: &Unit) -> Result<Vec<Row>, Error> {
        let lo = unit.lo.as_ref().map(ToString::to_string);
        let hi = unit.hi.as_ref().map(ToString::to_string);
        self.rows_between(lo.as_deref(), hi.as_deref())
    }

    fn apply(&mut self, entries: &[Entry]) -> Result<Vec<Key>, Error> {
        batch::apply(&mut self.client, &self.sql, entries)
    }

    fn restore(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Put>, Error> {
        batch::restore(&mut self.client, &self.sql, after, limit)
    }

    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error> {
        let with_originals = self.has(Object::Originals)?;
        batch::standing(&mut self.client, &self.sql, with_originals, after, limit)
    }

    fn failures(&mut self) -> Result<Vec<(Key, String)>, Error> {
        let sql = format!(
            "SELECT f.key::text, f.error FROM {} AS f ORDER BY f.key",
            self.sql.failures
        );
        let rows = self.client.query(&sql, &[])?;
        rows.iter()
            .map(|row| Ok((self.sql.key_of(row.try_get(0)?), row.try_get(1)?)))
            .collect()
    }
}

/// A pass as the chunks table numbers it.
fn pass_number(pass: u32) -> i32 {
    i32::try_from(pass).unwrap_or(i32::MAX)
}

/// A unit's id as the chunks table keeps it.
fn unit_number(unit: &Unit) -> i32 {
    i32::try_from(unit.id).unwrap_or(i32::MAX)
}
