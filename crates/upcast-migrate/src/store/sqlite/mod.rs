//! SQLite: a table of records migrated in place, with the engine's objects in tables
//! beside it, every batch's changes in one transaction.
//!
//! The primitives of [`Table`] over one connection. Beside the table `T`:
//! `T__upcast_originals` (each rewritten record's original, byte for byte, and what it was
//! rewritten to), `T__upcast_failures`, `T__upcast_progress` (the engine's state),
//! `T__upcast_chunks` (the units of work) and, after a rollback that left records changed
//! since, `T__upcast_rolled_back` (their originals, never dropped by upcast). The engine's
//! lock is a file beside the database, `DB.upcast-lock`: SQLite runs one writer at a time,
//! so a run holds it alone too. Reads happen outside transactions; a batch's writes take
//! the database's write lock (`BEGIN IMMEDIATE`) only to apply them, so the service's
//! writers wait for no conversion.

mod batch;
mod schema;
mod units;

use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use batch::{KeySql, apply, bytes_of, key_of, no_key, restore, row_of, version_text};
use schema::{Names, check_names, check_own, quoted};

use super::lock_file::LockFile;
use super::table::{Counts, Object, Put, Table, Totals, Unit};
use super::{Action, Entry, Saved, Standing};
use crate::names;
use crate::spec::TableSpec;
use crate::{Error, Key, Row};

/// Stands for the originals table in reads of a table no run has touched, which must not
/// create it.
const NO_ORIGINALS: &str =
    "(SELECT NULL AS key, NULL AS body, NULL AS version, NULL AS rewritten WHERE 0)";

/// A table of an SQLite database, and the engine's tables beside it (see the module's
/// docs).
pub struct Sqlite {
    conn: Connection,
    name: String,
    sql: Names,
    /// Where the engine's lock lives, and the lock once taken.
    lock_path: std::path::PathBuf,
    lock: Option<LockFile>,
    /// Whether a transaction was asked for, and whether it has begun (at its first write).
    open: bool,
    begun: bool,
}

impl Sqlite {
    /// Opens the table `spec` names, checking that the database file, the table and its
    /// columns exist: a missing file is an error, never a new empty database.
    pub fn open(spec: &TableSpec) -> Result<Self, Error> {
        let path = Path::new(&spec.database);
        if !path.is_file() {
            return Err(Error::Missing {
                path: path.to_owned(),
                what: "an SQLite database",
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(Duration::from_secs(60))?;
        let name = format!("sqlite:{}?table={}", spec.database, spec.table);
        check_names(&conn, &name, spec)?;
        let own = names::beside(&spec.table, None);
        check_own(&conn, &name, &spec.table, &own)?;
        let named = |object| quoted(own.of(object));
        let sql = Names {
            table: quoted(&spec.table),
            key: quoted(&spec.key),
            body: quoted(&spec.body),
            version: spec.version.as_deref().map(quoted),
            originals: named(Object::Originals),
            failures: named(Object::Failures),
            progress: named(Object::Progress),
            chunks: named(Object::Chunks),
            rolled_back: named(Object::RolledBack),
        };
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".upcast-lock");
        Ok(Sqlite {
            conn,
            name,
            sql,
            lock_path: lock_path.into(),
            lock: None,
            open: false,
            begun: false,
        })
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

    /// Begins the asked-for transaction at its first write: the write lock is held only
    /// while a batch is applied.
    fn writing(&mut self) -> Result<&Connection, Error> {
        if self.open && !self.begun {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.begun = true;
        }
        Ok(&self.conn)
    }

    /// Ends the transaction with `end` (`COMMIT` or `ROLLBACK`), if it began.
    fn end(&mut self, end: &str) -> Result<(), Error> {
        self.open = false;
        if std::mem::take(&mut self.begun) {
            self.conn.execute_batch(end)?;
        }
        Ok(())
    }

    /// The columns of the table this store reads: key, body and, if any, version (as its
    /// [`version_text`]).
    fn columns(&self, prefix: &str) -> String {
        let Names {
            key, body, version, ..
        } = &self.sql;
        match version {
            Some(version) => format!(
                "{prefix}{key}, {prefix}{body}, {}",
                version_text(&format!("{prefix}{version}"))
            ),
            None => format!("{prefix}{key}, {prefix}{body}, NULL"),
        }
    }
}

impl Table for Sqlite {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn lock(&mut self, action: Action) -> Result<(), Error> {
        if self.lock.is_none() {
            self.lock = Some(LockFile::take(&self.lock_path, &self.name, action)?);
        }
        Ok(())
    }

    fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        self.conn.busy_timeout(timeout)?;
        Ok(())
    }

    fn has(&mut self, object: Object) -> Result<bool, Error> {
        let name = self.object(object).trim_matches('"').replace("\"\"", "\"");
        let found: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    fn count(&mut self, object: Object) -> Result<u64, Error> {
        if !self.has(object)? {
            return Ok(0);
        }
        let sql = format!("SELECT count(*) FROM {}", self.object(object));
        let count: i64 = self.conn.query_row(&sql, [], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }

    fn create_own(&mut self) -> Result<(), Error> {
        let Names {
            originals,
            failures,
            progress,
            chunks,
            ..
        } = &self.sql;
        // Untyped columns keep each value's storage class: a TEXT body is put back as TEXT.
        self.conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {originals} (key PRIMARY KEY, body, version, rewritten, \
             rewritten_version);
             CREATE TABLE IF NOT EXISTS {failures} (key PRIMARY KEY, error TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS {progress} (id INTEGER PRIMARY KEY CHECK (id = 1), \
             state TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS {chunks} (pass INTEGER NOT NULL, id INTEGER NOT NULL, \
             lo, hi, done INTEGER NOT NULL DEFAULT 0, rewritten INTEGER NOT NULL DEFAULT 0, \
             current INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, \
             conflicts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (pass, id));"
        ))?;
        Ok(())
    }

    fn drop_own(&mut self, objects: &[Object]) -> Result<(), Error> {
        for object in objects {
            let sql = format!("DROP TABLE IF EXISTS {}", self.object(*object));
            self.writing()?.execute_batch(&sql)?;
        }
        Ok(())
    }

    fn keep_rolled_back(&mut self, at: u64) -> Result<(), Error> {
        let (originals, rolled_back) = (self.sql.originals.clone(), self.sql.rolled_back.clone());
        let columns = "key, body, version, rewritten, rewritten_version";
        let conn = self.writing()?;
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {rolled_back} (rolled_back_at INTEGER NOT NULL, {columns})"
        ))?;
        conn.execute(
            &format!(
                "INSERT INTO {rolled_back} (rolled_back_at, {columns}) \
                 SELECT ?1, {columns} FROM {originals}"
            ),
            [i64::try_from(at).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    }

    /// Alone, the write lock is taken at once (the run's decisions read and write);
    /// otherwise at the first write.
    fn start(&mut self, alone: bool) -> Result<(), Error> {
        self.open = true;
        if alone {
            self.writing()?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), Error> {
        self.end("COMMIT")
    }

    fn abort(&mut self) -> Result<(), Error> {
        self.end("ROLLBACK")
    }

    fn load_state(&mut self) -> Result<Option<String>, Error> {
        let sql = format!("SELECT state FROM {} WHERE id = 1", self.sql.progress);
        Ok(self.conn.query_row(&sql, [], |row| row.get(0)).optional()?)
    }

    fn save_state(&mut self, state: &str) -> Result<(), Error> {
        let sql = format!(
            "INSERT OR REPLACE INTO {} (id, state) VALUES (1, ?1)",
            self.sql.progress
        );
        self.writing()?.execute(&sql, [state])?;
        Ok(())
    }

    fn clear(&mut self, object: Object) -> Result<(), Error> {
        let sql = format!("DELETE FROM {}", self.object(object));
        self.writing()?.execute_batch(&sql)?;
        Ok(())
    }

    fn has_units(&mut self, pass: u32) -> Result<bool, Error> {
        let sql = format!("SELECT 1 FROM {} WHERE pass = ?1 LIMIT 1", self.sql.chunks);
        let found: Option<i64> = self
            .conn
            .query_row(&sql, [pass], |row| row.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    fn plan_units(&mut self, pass: u32, size: usize, bounded: bool) -> Result<(), Error> {
        self.writing()?;
        units::plan(&self.conn, &self.sql, pass, size, bounded)
    }

    /// The one run holds the engine's lock: the first unit left is its own.
    fn claim(&mut self, pass: u32) -> Result<Option<Unit>, Error> {
        units::first_left(&self.conn, &self.sql, pass)
    }

    fn units_left(&mut self, pass: u32) -> Result<u64, Error> {
        if !self.has(Object::Chunks)? {
            return Ok(0);
        }
        let sql = format!(
            "SELECT count(*) FROM {} WHERE pass = ?1 AND NOT done",
            self.sql.chunks
        );
        let left: i64 = self.conn.query_row(&sql, [pass], |row| row.get(0))?;
        Ok(left.unsigned_abs())
    }

    fn cut_unit(&mut self, pass: u32, unit: &Unit, last: &Key) -> Result<(), Error> {
        self.writing()?;
        units::cut(&self.conn, &self.sql, pass, unit, last)
    }

    fn finish_unit(&mut self, pass: u32, unit: &Unit, counts: Counts) -> Result<(), Error> {
        self.writing()?;
        units::finish(&self.conn, &self.sql, pass, unit, counts)
    }

    fn totals(&mut self, pass: u32) -> Result<Totals, Error> {
        if !self.has(Object::Chunks)? {
            return Ok(Totals::default());
        }
        let failing = self.has(Object::Failures)?;
        units::totals(&self.conn, &self.sql, pass, failing)
    }

    fn scan(&mut self, unit: &Unit) -> Result<Vec<Row>, Error> {
        let Names { table, key, .. } = &self.sql;
        let columns = self.columns("");
        // Conditions that use the key's index: an `OR` would make each batch a full scan.
        let lo = match unit.lo {
            Some(_) => format!("{key} > ?1"),
            None => "?1 IS NULL".to_owned(),
        };
        let hi = match unit.hi {
            Some(_) => format!("{key} <= ?2"),
            None => "?2 IS NULL".to_owned(),
        };
        let sql = format!("SELECT {columns} FROM {table} WHERE {lo} AND {hi} ORDER BY {key}");
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(params![
            unit.lo.as_ref().map(KeySql),
            unit.hi.as_ref().map(KeySql)
        ])?;
        let mut read = Vec::new();
        while let Some(row) = rows.next()? {
            read.push(row_of(row.get_ref(0)?, row.get_ref(1)?, row.get_ref(2)?)?);
        }
        Ok(read)
    }

    fn apply(&mut self, entries: &[Entry]) -> Result<Vec<Key>, Error> {
        self.writing()?;
        apply(&self.conn, &self.sql, entries)
    }

    fn restore(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Put>, Error> {
        self.writing()?;
        restore(&self.conn, &self.sql, after, limit)
    }

    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error> {
        // Reading changes nothing: before any run there are no originals to join.
        let originals = match self.has(Object::Originals)? {
            true => self.sql.originals.clone(),
            false => NO_ORIGINALS.to_owned(),
        };
        let Names { table, key, .. } = &self.sql;
        let columns = self.columns("t.");
        let saved_version = version_text("o.version");
        let (in_table, in_originals) = match after {
            Some(_) => (format!("WHERE {key} > ?1"), "WHERE key > ?1"),
            None => (String::from("WHERE ?1 IS NULL"), "WHERE ?1 IS NULL"),
        };
        let sql = format!(
            "WITH keys AS (SELECT k FROM (SELECT {key} AS k FROM {table} {in_table} \
             ORDER BY {key} LIMIT ?2) UNION SELECT k FROM (SELECT key AS k FROM {originals} \
             {in_originals} ORDER BY key LIMIT ?2) ORDER BY k LIMIT ?2) \
             SELECT keys.k, t.{key} IS NOT NULL, {columns}, o.body, {saved_version}, o.rewritten \
             FROM keys LEFT JOIN {table} AS t ON t.{key} = keys.k \
             LEFT JOIN {originals} AS o ON o.key = keys.k ORDER BY keys.k"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(params![after.map(KeySql), limit as i64])?;
        let mut found = Vec::with_capacity(limit);
        while let Some(row) = rows.next()? {
            let key = key_of(row.get_ref(0)?)?.ok_or_else(|| no_key(&self.name))?;
            let present: bool = row.get(1)?;
            let current = match present {
                true => Some(row_of(row.get_ref(2)?, row.get_ref(3)?, row.get_ref(4)?)?),
                false => None,
            };
            let saved = match row.get_ref(7)? {
                ValueRef::Null => None,
                rewritten => Some(Saved {
                    original: row_of(row.get_ref(0)?, row.get_ref(5)?, row.get_ref(6)?)?,
                    rewritten: bytes_of(rewritten).0,
                }),
            };
            found.push(Standing {
                key,
                current,
                saved,
            });
        }
        Ok(found)
    }

    fn failures(&mut self) -> Result<Vec<(Key, String)>, Error> {
        let failures = &self.sql.failures;
        let mut statement = self
            .conn
            .prepare(&format!("SELECT key, error FROM {failures} ORDER BY key"))?;
        let mut rows = statement.query([])?;
        let mut found = Vec::new();
        while let Some(row) = rows.next()? {
            let key = key_of(row.get_ref(0)?)?.ok_or_else(|| no_key(&self.name))?;
            found.push((key, row.get(1)?));
        }
        Ok(found)
    }
}
