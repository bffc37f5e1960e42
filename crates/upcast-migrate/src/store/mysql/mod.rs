//! MySQL and MariaDB: the primitives of [`Table`] over one connection, for a table
//! migrated in place by any number of workers, in one process or many.
//!
//! - Units of work are rows of `T__upcast_chunks`, claimed with `SELECT … FOR UPDATE SKIP
//!   LOCKED` (MariaDB 10.6, MySQL 8.0) in the transaction that then applies the unit's
//!   batch; a worker that dies leaves its transaction to be rolled back by the server.
//! - A session idle in its transaction longer than the worker timeout is ended by the
//!   server (`idle_transaction_timeout`; `wait_timeout` on MySQL, which lacks it), its unit
//!   free for the others.
//! - The engine's lock and the pass lock are named locks of the session (see `lock.rs`).
//! - Statements that make or drop tables commit any open transaction (the server does so
//!   at every such statement): [`Table::create_own`] and [`Table::drop_own`] are called
//!   outside transactions.
//! - Sessions read committed data and run in strict mode, text in `utf8mb4`.
//!
//! The table's name is taken as it is, in the database the URL names (a `.` in it is part
//! of the name).

mod batch;
mod conn;
mod lock;
mod schema;
mod units;

use std::time::Duration;

use mysql::Value;

use super::table::{Counts, Object, Put, Table, Totals, Unit};
use super::{Action, Entry, Standing};
use crate::spec::TableSpec;
use crate::{Error, Key, Row};
use conn::{Db, UNKNOWN_VARIABLE, bytes, text};
use lock::Locks;
use schema::{Names, has_table};

/// A table of a MySQL or MariaDB database, and the engine's tables beside it, migrated in
/// place by any number of workers: units of work claimed with `FOR UPDATE SKIP LOCKED`,
/// the engine's lock and the pass lock held as named locks of the session, a frozen
/// worker's transaction ended by the server (`idle_transaction_timeout`).
///
/// ```no_run
/// use upcast_migrate::StoreSpec;
/// let spec = StoreSpec::parse("mysql://root@127.0.0.1:3306/test?table=events")?;
/// let StoreSpec::Mysql(table) = &spec else { unreachable!() };
/// let store = upcast_migrate::store::Mysql::open(table)?;
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
pub struct Mysql {
    db: Db,
    sql: Names,
    locks: Locks,
    /// Whether this session holds the pass lock (let go when its transaction ends).
    deciding: bool,
}

impl Mysql {
    /// Connects to the database `spec.database` names and checks the table, its columns
    /// and the engine's names beside it.
    ///
    /// See the example on [`Mysql`].
    pub fn open(spec: &TableSpec) -> Result<Self, Error> {
        let mut db = Db::connect(&spec.database, &spec.postgres_name())?;
        let sql = schema::inspect(&mut db, spec)?;
        let database = db.first("SELECT DATABASE()", Vec::new())?;
        let database = database
            .into_iter()
            .flatten()
            .next()
            .map(text)
            .transpose()?;
        let locks = Locks::new(&database.flatten().unwrap_or_default(), &spec.table);
        Ok(Mysql {
            db,
            sql,
            locks,
            deciding: false,
        })
    }

    /// Ends the transaction with `sql` (`COMMIT` or `ROLLBACK`) and lets go of the pass
    /// lock if this session held it.
    fn end(&mut self, sql: &str) -> Result<(), Error> {
        let ended = self.db.plain(sql);
        if std::mem::take(&mut self.deciding) {
            lock::release(&mut self.db, &self.locks.pass())?;
        }
        ended
    }
}

impl Table for Mysql {
    fn name(&self) -> String {
        self.db.store().to_owned()
    }

    fn lock(&mut self, action: Action) -> Result<(), Error> {
        lock::take(&mut self.db, &self.locks, action)
    }

    /// Whole seconds, at least one.
    fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        let seconds = timeout.as_secs().max(1);
        let waits = format!(
            "SET SESSION innodb_lock_wait_timeout = {seconds}, lock_wait_timeout = {seconds}"
        );
        self.db.plain(&waits)?;
        let idle = "SET SESSION idle_transaction_timeout = ?";
        if !self
            .db
            .try_run(idle, vec![Value::from(seconds)], UNKNOWN_VARIABLE)?
        {
            self.db
                .run("SET SESSION wait_timeout = ?", vec![Value::from(seconds)])?;
        }
        Ok(())
    }

    fn has(&mut self, object: Object) -> Result<bool, Error> {
        has_table(&mut self.db, self.sql.plain(object))
    }

    fn count(&mut self, object: Object) -> Result<u64, Error> {
        if !self.has(object)? {
            return Ok(0);
        }
        let sql = format!("SELECT COUNT(*) FROM {}", self.sql.of(object));
        let row = self.db.first(&sql, Vec::new())?.unwrap_or_default();
        Ok(row.into_iter().next().map_or(0, conn::count))
    }

    /// Checks again that no table of the engine's names is someone else's, then makes
    /// those missing.
    fn create_own(&mut self) -> Result<(), Error> {
        self.sql.check_own(&mut self.db)?;
        for object in [
            Object::Originals,
            Object::Failures,
            Object::Progress,
            Object::Chunks,
        ] {
            self.db.plain(&self.sql.create(object))?;
        }
        Ok(())
    }

    fn drop_own(&mut self, objects: &[Object]) -> Result<(), Error> {
        for object in objects {
            self.db
                .plain(&format!("DROP TABLE IF EXISTS {}", self.sql.of(*object)))?;
        }
        Ok(())
    }

    /// Makes the rolled-back originals if needed (which commits an open transaction), then
    /// moves the originals there in a transaction, left open for the caller to commit.
    fn keep_rolled_back(&mut self, at: u64) -> Result<(), Error> {
        if !self.has(Object::RolledBack)? {
            self.db.plain(&self.sql.create(Object::RolledBack))?;
        }
        self.db.plain("START TRANSACTION")?;
        let (kept, originals) = (
            self.sql.of(Object::RolledBack),
            self.sql.of(Object::Originals),
        );
        let columns = "`key`, `body`, `version`, `rewritten`, `rewritten_version`";
        let keep = format!(
            "INSERT INTO {kept} (`rolled_back_at`, {columns}) SELECT ?, {columns} FROM {originals}"
        );
        self.db.run(&keep, vec![Value::from(at)])?;
        self.db.plain(&format!("DELETE FROM {originals}"))
    }

    fn start(&mut self, alone: bool) -> Result<(), Error> {
        if alone {
            if !lock::try_lock(&mut self.db, &self.locks.pass())? {
                return Err(Error::Busy {
                    store: self.name(),
                    what: "another worker is starting a pass",
                });
            }
            self.deciding = true;
        }
        let started = self.db.plain("START TRANSACTION");
        if started.is_err() && std::mem::take(&mut self.deciding) {
            lock::release(&mut self.db, &self.locks.pass())?;
        }
        started
    }

    fn commit(&mut self) -> Result<(), Error> {
        self.end("COMMIT")
    }

    fn abort(&mut self) -> Result<(), Error> {
        self.end("ROLLBACK")
    }

    fn load_state(&mut self) -> Result<Option<String>, Error> {
        let sql = format!(
            "SELECT `state` FROM {} WHERE `id` = 1",
            self.sql.of(Object::Progress)
        );
        let row = self.db.first(&sql, Vec::new())?;
        Ok(row
            .into_iter()
            .flatten()
            .next()
            .map(text)
            .transpose()?
            .flatten())
    }

    fn save_state(&mut self, state: &str) -> Result<(), Error> {
        let sql = format!(
            "INSERT INTO {} (`id`, `state`) VALUES (1, ?) ON DUPLICATE KEY UPDATE `state` = ?",
            self.sql.of(Object::Progress)
        );
        self.db
            .run(&sql, vec![Value::from(state), Value::from(state)])?;
        Ok(())
    }

    fn clear(&mut self, object: Object) -> Result<(), Error> {
        self.db
            .run(&format!("DELETE FROM {}", self.sql.of(object)), Vec::new())?;
        Ok(())
    }

    fn has_units(&mut self, pass: u32) -> Result<bool, Error> {
        units::has(&mut self.db, &self.sql, pass)
    }

    fn plan_units(&mut self, pass: u32, size: usize, bounded: bool) -> Result<(), Error> {
        units::plan(&mut self.db, &self.sql, pass, size, bounded)
    }

    fn claim(&mut self, pass: u32) -> Result<Option<Unit>, Error> {
        units::claim(&mut self.db, &self.sql, pass)
    }

    fn units_left(&mut self, pass: u32) -> Result<u64, Error> {
        units::left(&mut self.db, &self.sql, pass)
    }

    fn cut_unit(&mut self, pass: u32, unit: &Unit, last: &Key) -> Result<(), Error> {
        units::cut(&mut self.db, &self.sql, pass, unit, last)
    }

    fn finish_unit(&mut self, pass: u32, unit: &Unit, counts: Counts) -> Result<(), Error> {
        units::finish(&mut self.db, &self.sql, pass, unit, counts)
    }

    fn totals(&mut self, pass: u32) -> Result<Totals, Error> {
        units::totals(&mut self.db, &self.sql, pass)
    }

    fn scan(&mut self, unit: &Unit) -> Result<Vec<Row>, Error> {
        let Names {
            table, key, body, ..
        } = &self.sql;
        let mut range = Vec::new();
        let mut params = Vec::new();
        if let Some(lo) = &unit.lo {
            range.push(format!("t.{key} > ?"));
            params.push(self.sql.key_value(lo));
        }
        if let Some(hi) = &unit.hi {
            range.push(format!("t.{key} <= ?"));
            params.push(self.sql.key_value(hi));
        }
        let range = match range.is_empty() {
            true => String::new(),
            false => format!("WHERE {}", range.join(" AND ")),
        };
        let sql = format!(
            "SELECT {}, t.{body}, {} FROM {table} AS t {range} ORDER BY t.{key}",
            self.sql.key_select(&format!("t.{key}")),
            self.sql.version_select("t.")
        );
        let text_body = self.sql.body_type == schema::BodyType::Text;
        let mut rows = Vec::new();
        for values in self.db.rows(&sql, params)? {
            let mut values = values.into_iter();
            let mut next = || values.next().unwrap_or(Value::NULL);
            let (key, body, version) = (next(), next(), next());
            let Some(key) = self.sql.key_of(key)? else {
                continue;
            };
            rows.push(Row {
                key,
                body: bytes(body).unwrap_or_default(),
                version: text(version)?,
                text: text_body,
            });
        }
        Ok(rows)
    }

    fn apply(&mut self, entries: &[Entry]) -> Result<Vec<Key>, Error> {
        batch::apply(&mut self.db, &self.sql, entries)
    }

    fn restore(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Put>, Error> {
        batch::restore(&mut self.db, &self.sql, after, limit)
    }

    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error> {
        let with_originals = self.has(Object::Originals)?;
        batch::standing(&mut self.db, &self.sql, with_originals, after, limit)
    }

    fn failures(&mut self) -> Result<Vec<(Key, String)>, Error> {
        batch::failures(&mut self.db, &self.sql)
    }
}
