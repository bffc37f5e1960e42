//! SQLite: a table of records migrated in place, with the originals, the failures and the
//! progress in tables beside it, all written in the batch's transaction.
//!
//! A migration's own tables beside the table `T`:
//! - `T__upcast_originals`: each rewritten record's original, byte for byte, and what it was
//!   rewritten to: what `verify` compares and `rollback` puts back;
//! - `T__upcast_failures`: the records that could not be migrated, with why;
//! - `T__upcast_progress`: one row, the progress and, once `finalize` has run, when
//!   (`finalized_at`). `finalize` drops the originals and the failures and keeps this row,
//!   so that `status` and `verify` still speak of the finished migration; the next run
//!   replaces it;
//! - `T__upcast_rolled_back`: a rollback drops the three tables above, but first moves here
//!   the originals of the records changed since (which it leaves as they are), with when
//!   (`rolled_back_at`), so that no later migration reads them as its own. Each rollback
//!   adds its rows and overwrites none; upcast never drops this table: whoever sorts those
//!   records out does.

mod batch;
mod schema;

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use batch::{
    KeySql, apply, bytes_of, key_of, no_key, restore_batch, row_of, value_ref, version_text,
};
use schema::{Names, check_names, quoted};

use super::{Entry, Progress, Restored, Saved, Standing, Store};
use crate::spec::TableSpec;
use crate::{Error, Key, Row};

/// Stands for the originals table in reads of a table no run has touched, which must not
/// create it.
const NO_ORIGINALS: &str =
    "(SELECT NULL AS key, NULL AS body, NULL AS version, NULL AS rewritten WHERE 0)";

/// A table of an SQLite database, and the migration's own tables beside it (see the
/// module's docs).
pub struct Sqlite {
    conn: Connection,
    name: String,
    sql: Names,
    /// The greatest key when the run began: pass 1 migrates up to it.
    bound: Option<Key>,
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
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let name = format!("sqlite:{}?table={}", spec.database, spec.table);
        check_names(&conn, &name, spec)?;
        let table = &spec.table;
        let sql = Names {
            table: quoted(table),
            key: quoted(&spec.key),
            body: quoted(&spec.body),
            version: spec.version.as_deref().map(quoted),
            originals: quoted(&format!("{table}__upcast_originals")),
            failures: quoted(&format!("{table}__upcast_failures")),
            progress: quoted(&format!("{table}__upcast_progress")),
            rolled_back: quoted(&format!("{table}__upcast_rolled_back")),
        };
        Ok(Sqlite {
            conn,
            name,
            sql,
            bound: None,
        })
    }

    fn create_tables(&self) -> Result<(), Error> {
        let Names {
            originals,
            failures,
            progress,
            ..
        } = &self.sql;
        // Untyped columns keep each value's storage class: a TEXT body is put back as TEXT.
        self.conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {originals} (key PRIMARY KEY, body, version, rewritten, \
             rewritten_version);
             CREATE TABLE IF NOT EXISTS {failures} (key PRIMARY KEY, error TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS {progress} (id INTEGER PRIMARY KEY CHECK (id = 1), \
             state TEXT NOT NULL, bound, finalized_at INTEGER);"
        ))?;
        Ok(())
    }

    fn has_progress_table(&self) -> Result<bool, Error> {
        self.has_table(&self.sql.progress)
    }

    /// When the migration was finalized (seconds since the Unix epoch), if it was.
    fn finalized_at(&self) -> Result<Option<i64>, Error> {
        let progress = &self.sql.progress;
        if !self.has_progress_table()? || !marks_finalize(&self.conn, progress)? {
            return Ok(None);
        }
        let at: Option<Option<i64>> = self
            .conn
            .query_row(
                &format!("SELECT finalized_at FROM {progress} WHERE id = 1"),
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(at.flatten())
    }

    /// Refuses what needs the saved originals once `finalize` has dropped them.
    fn not_finalized(&self, action: &'static str) -> Result<(), Error> {
        match self.finalized_at()? {
            Some(at) => Err(Error::state(
                action,
                &self.name,
                format!(
                    "its migration was finalized at {}, which dropped the saved originals this \
                     needs; roll back before `finalize`, or restore a backup taken before it",
                    utc(at)
                ),
            )),
            None => Ok(()),
        }
    }

    /// Whether the table `quoted` names (one of the migration's own) exists.
    fn has_table(&self, quoted: &str) -> Result<bool, Error> {
        let name = quoted.trim_matches('"').replace("\"\"", "\"");
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

impl Store for Sqlite {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn rescans(&self) -> bool {
        true
    }

    fn batch_hint(&self) -> usize {
        1000
    }

    fn remaining(&mut self, after: Option<&Key>, bounded: bool) -> Result<Option<u64>, Error> {
        let bound = match bounded {
            true => self.bound.clone(),
            false => None,
        };
        let Names { table, key, .. } = &self.sql;
        let range = key_range(key, after.is_some(), bound.is_some());
        let count: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM {table} {range}"),
            params![after.map(KeySql), bound.as_ref().map(KeySql)],
            |row| row.get(0),
        )?;
        Ok(Some(count as u64))
    }

    fn progress(&mut self) -> Result<Option<Progress>, Error> {
        if !self.has_progress_table()? {
            return Ok(None);
        }
        let progress = &self.sql.progress;
        let state: Option<String> = self
            .conn
            .query_row(
                &format!("SELECT state FROM {progress} WHERE id = 1"),
                [],
                |row| row.get(0),
            )
            .optional()?;
        let Some(mut progress) = state
            .map(|state| parse_progress(&self.name, &state))
            .transpose()?
        else {
            return Ok(None);
        };
        progress.finalized_at = self.finalized_at()?.map(i64::unsigned_abs);
        Ok(Some(progress))
    }

    fn begin(&mut self, fresh: Progress) -> Result<Progress, Error> {
        self.create_tables()?;
        if let Some(progress) = self.progress()?.filter(|p| p.finished_at.is_none()) {
            let table = &self.sql.progress;
            let bound: Value = self.conn.query_row(
                &format!("SELECT bound FROM {table} WHERE id = 1"),
                [],
                |row| row.get(0),
            )?;
            self.bound = key_of(value_ref(&bound))?;
            return Ok(progress);
        }
        let Names {
            table,
            key,
            failures,
            progress,
            ..
        } = &self.sql;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let bound: Value = tx.query_row(&format!("SELECT max({key}) FROM {table}"), [], |row| {
            row.get(0)
        })?;
        tx.execute(&format!("DELETE FROM {failures}"), [])?;
        tx.execute(
            &format!("INSERT OR REPLACE INTO {progress} (id, state, bound) VALUES (1, ?1, ?2)"),
            params![state_json(&fresh), bound],
        )?;
        tx.commit()?;
        self.bound = key_of(value_ref(&bound))?;
        Ok(fresh)
    }

    fn read(
        &mut self,
        after: Option<&Key>,
        limit: usize,
        bounded: bool,
    ) -> Result<Vec<Row>, Error> {
        let bound = if bounded {
            match &self.bound {
                Some(bound) => Some(bound),
                None => return Ok(Vec::new()),
            }
        } else {
            None
        };
        let Names { table, key, .. } = &self.sql;
        let columns = self.columns("");
        // Conditions that use the key's index: an `OR` would make each batch a full scan.
        let range = key_range(key, after.is_some(), bound.is_some());
        let sql = format!("SELECT {columns} FROM {table} {range} ORDER BY {key} LIMIT ?3");
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows =
            statement.query(params![after.map(KeySql), bound.map(KeySql), limit as i64])?;
        let mut read = Vec::with_capacity(limit);
        while let Some(row) = rows.next()? {
            read.push(row_of(row.get_ref(0)?, row.get_ref(1)?, row.get_ref(2)?)?);
        }
        Ok(read)
    }

    fn commit(&mut self, batch: &[Entry], progress: &mut Progress) -> Result<Vec<Key>, Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let conflicts = apply(&tx, &self.sql, batch)?;
        progress.rewritten -= conflicts.len() as u64;
        progress.conflicts += conflicts.len() as u64;
        let table = &self.sql.progress;
        tx.execute(
            &format!("UPDATE {table} SET state = ?1 WHERE id = 1"),
            [state_json(progress)],
        )?;
        tx.commit()?;
        Ok(conflicts)
    }

    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error> {
        // Reading changes nothing: before any run there are no originals to join.
        let originals = match self.has_table(&self.sql.originals)? {
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
        // None before a run, after a rollback, or after `finalize`.
        if !self.has_table(&self.sql.failures)? {
            return Ok(Vec::new());
        }
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

    fn rollback(&mut self, batch: usize) -> Result<Restored, Error> {
        if !self.has_progress_table()? {
            return Err(Error::state(
                "roll back",
                &self.name,
                "no migration was started here",
            ));
        }
        self.not_finalized("roll back")?;
        let mut restored = Restored::default();
        let mut after: Option<Key> = None;
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (last, done) = restore_batch(&tx, &self.sql, after.as_ref(), batch, &mut restored)?;
            tx.commit()?;
            match last {
                Some(last) if !done => after = Some(last),
                _ => break,
            }
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if !restored.changed.is_empty() {
            keep_changed(&tx, &self.sql)?;
        }
        let Names {
            originals,
            failures,
            progress,
            ..
        } = &self.sql;
        tx.execute_batch(&format!(
            "DROP TABLE {progress}; DROP TABLE {failures}; DROP TABLE {originals};"
        ))?;
        tx.commit()?;
        Ok(restored)
    }

    /// Drops the originals and the failures, and marks the progress finalized. Finalizing
    /// again changes nothing: what it drops is gone.
    fn finalize(&mut self, _delete_original: bool) -> Result<(), Error> {
        if self.finalized_at()?.is_some() {
            return Ok(());
        }
        match self.progress()? {
            Some(progress) if progress.finished_at.is_some() => {}
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
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        mark_finalized(&tx, &self.sql)?;
        tx.commit()?;
        Ok(())
    }
}

/// In `tx`: drops the originals and the failures and marks the progress finalized, adding
/// its `finalized_at` column to a progress table made before the column was.
fn mark_finalized(tx: &Connection, sql: &Names) -> Result<(), Error> {
    let Names {
        originals,
        failures,
        progress,
        ..
    } = sql;
    if !marks_finalize(tx, progress)? {
        tx.execute_batch(&format!(
            "ALTER TABLE {progress} ADD COLUMN finalized_at INTEGER"
        ))?;
    }
    tx.execute_batch(&format!("DROP TABLE {originals}; DROP TABLE {failures};"))?;
    tx.execute(
        &format!("UPDATE {progress} SET finalized_at = ?1 WHERE id = 1"),
        [seconds_now()],
    )?;
    Ok(())
}

/// Whether the progress table `progress` has the `finalized_at` column.
fn marks_finalize(conn: &Connection, progress: &str) -> Result<bool, Error> {
    let statement = conn.prepare(&format!("SELECT * FROM {progress}"))?;
    Ok(statement.column_index("finalized_at").is_ok())
}

/// In `tx`, at the end of a rollback: moves the originals left (those of records changed
/// since the migration rewrote them) into the rolled-back originals, adding to what earlier
/// rollbacks kept there.
fn keep_changed(tx: &Connection, sql: &Names) -> Result<(), Error> {
    let Names {
        originals,
        rolled_back,
        ..
    } = sql;
    let columns = "key, body, version, rewritten, rewritten_version";
    tx.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {rolled_back} (rolled_back_at INTEGER NOT NULL, {columns})"
    ))?;
    tx.execute(
        &format!(
            "INSERT INTO {rolled_back} (rolled_back_at, {columns}) \
             SELECT ?1, {columns} FROM {originals}"
        ),
        [seconds_now()],
    )?;
    Ok(())
}

/// Seconds since the Unix epoch, as SQLite keeps them.
fn seconds_now() -> i64 {
    i64::try_from(crate::run::now()).unwrap_or(i64::MAX)
}

/// Seconds since the Unix epoch as an RFC 3339 time in UTC.
fn utc(seconds: i64) -> humantime::Rfc3339Timestamp {
    let seconds = u64::try_from(seconds).unwrap_or(0);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// The `WHERE` clause of keys after `?1` (if `after`) and up to `?2` (if `bounded`), in
/// forms SQLite answers from the key's index.
fn key_range(key: &str, after: bool, bounded: bool) -> String {
    let conditions = [
        (after, format!("{key} > ?1")),
        (!after, String::from("?1 IS NULL")),
        (bounded, format!("{key} <= ?2")),
        (!bounded, String::from("?2 IS NULL")),
    ];
    let conditions: Vec<String> = conditions
        .into_iter()
        .filter_map(|(wanted, condition)| wanted.then_some(condition))
        .collect();
    format!("WHERE {}", conditions.join(" AND "))
}

fn state_json(progress: &Progress) -> String {
    serde_json::to_string(progress).unwrap_or_default()
}

fn parse_progress(store: &str, state: &str) -> Result<Progress, Error> {
    serde_json::from_str(state).map_err(|error| Error::BadState {
        path: store.into(),
        reason: error.to_string(),
    })
}
