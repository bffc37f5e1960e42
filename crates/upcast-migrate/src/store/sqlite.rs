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

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql, TransactionBehavior, params};

use super::{Decision, Entry, Progress, Restored, Saved, Standing, Store};
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

/// The quoted identifiers of the table, its columns and the migration's own tables.
struct Names {
    table: String,
    key: String,
    body: String,
    version: Option<String>,
    originals: String,
    failures: String,
    progress: String,
    rolled_back: String,
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
        state
            .map(|state| parse_progress(&self.name, &state))
            .transpose()
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

/// Applies a batch in `tx`: compare-and-swap rewrites with their originals saved, and the
/// failures. Returns the keys of records that changed since they were read.
fn apply(tx: &Connection, sql: &Names, batch: &[Entry]) -> Result<Vec<Key>, Error> {
    let Names {
        version, failures, ..
    } = sql;
    let mut update = tx.prepare_cached(&swap_sql(sql, Swap::Rewrite))?;
    let mut save = tx.prepare_cached(&save_sql(sql))?;
    let mut fail = tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {failures} (key, error) VALUES (?1, ?2)"
    ))?;
    let mut conflicts = Vec::new();
    for Entry { row, decision } in batch {
        match decision {
            Decision::Keep => {}
            Decision::Fail(error) => {
                fail.execute(params![KeySql(&row.key), error])?;
            }
            Decision::Rewrite {
                body: new_body,
                version: new_version,
            } => {
                let new = Body(new_body, row.text);
                let old = Body(&row.body, row.text);
                let key = KeySql(&row.key);
                // A version column's value is saved as the table holds it (an integer stays
                // an integer), so it is copied before the swap overwrites it.
                let saved = match version {
                    Some(_) => save.execute(params![key, old, new, new_version, row.version])?,
                    None => 0,
                };
                let changed = swap(
                    &mut update,
                    version.is_some(),
                    (&new, new_version),
                    &key,
                    (&old, &row.version),
                )?;
                if changed > 1 || (version.is_some() && saved != changed) {
                    // The batch's transaction is rolled back: nothing of it is applied.
                    return Err(Error::state(
                        "migrate",
                        "the table",
                        format!(
                            "key `{}` names {} rows: the key must be unique",
                            row.key,
                            changed.max(saved)
                        ),
                    ));
                }
                match changed {
                    1 if version.is_none() => drop(save.execute(params![key, old, new])?),
                    1 => {}
                    _ => conflicts.push(row.key.clone()),
                }
            }
        }
    }
    Ok(conflicts)
}

/// Restores up to `limit` originals after `after` in `tx`; the last key seen and whether
/// it was the last batch.
fn restore_batch(
    tx: &Connection,
    sql: &Names,
    after: Option<&Key>,
    limit: usize,
    restored: &mut Restored,
) -> Result<(Option<Key>, bool), Error> {
    let Names {
        version, originals, ..
    } = sql;
    let range = match after {
        Some(_) => "WHERE key > ?1",
        None => "WHERE ?1 IS NULL",
    };
    let mut select = tx.prepare_cached(&format!(
        "SELECT key, body, version, rewritten, rewritten_version FROM {originals} {range} \
         ORDER BY key LIMIT ?2"
    ))?;
    let mut put_back = tx.prepare_cached(&swap_sql(sql, Swap::PutBack))?;
    let mut forget = tx.prepare_cached(&format!("DELETE FROM {originals} WHERE key = ?1"))?;
    let mut rows = select.query(params![after.map(KeySql), limit as i64])?;
    let (mut last, mut count) = (None, 0);
    while let Some(row) = rows.next()? {
        count += 1;
        let saved: [Value; 5] = [
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        ];
        let [
            saved_key,
            original,
            original_version,
            rewritten,
            rewritten_version,
        ] = &saved;
        let key_value = key_of(value_ref(saved_key))?;
        let changed = swap(
            &mut put_back,
            version.is_some(),
            (original, original_version),
            saved_key,
            (rewritten, rewritten_version),
        )?;
        match (changed, key_value.clone()) {
            (1, _) => {
                forget.execute([saved_key])?;
                restored.restored += 1;
            }
            (_, Some(key)) => restored.changed.push(key),
            (_, None) => {}
        }
        last = key_value;
    }
    Ok((last, count < limit))
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

/// The statement that saves a record's original with its rewrite. With a version column,
/// it runs before the swap and copies the row as the table holds it, where the swap would
/// match it (`?1` key, `?2` body, `?3` and `?4` the rewrite, `?5` the version read), with
/// the version the swap writes ([`written_version`]), in its class; without one, after the
/// swap (`?1` key, `?2` body, `?3` the rewrite).
fn save_sql(sql: &Names) -> String {
    let Names {
        table,
        version,
        originals,
        ..
    } = sql;
    let insert = format!(
        "INSERT OR REPLACE INTO {originals} (key, body, version, rewritten, rewritten_version)"
    );
    match version {
        Some(version) => format!(
            "{insert} SELECT ?1, ?2, {version}, ?3, {} FROM {table} WHERE {}",
            written_version(version, "?4"),
            as_read(sql, ["?1", "?2", "?5"])
        ),
        None => format!("{insert} VALUES (?1, ?2, NULL, ?3, NULL)"),
    }
}

/// The condition that a record is still what it was read as: `[key, body, version]` are
/// the placeholders (the version's unused without a version column). Bodies compare byte
/// for byte whatever the column's collation (`NOCASE` would let a change of case through).
/// A version is read as its [`version_text`], which it also compares as; a saved version,
/// put back by a rollback, compares as itself.
fn as_read(sql: &Names, [key_at, body_at, version_at]: [&str; 3]) -> String {
    let Names {
        key, body, version, ..
    } = sql;
    let record = format!("{key} = {key_at} AND {body} = {body_at} COLLATE BINARY");
    match version {
        Some(version) => format!(
            "{record} AND ({version} IS {version_at} OR {} IS {version_at})",
            version_text(version)
        ),
        None => record,
    }
}

/// A version column's value as the text handed to the engine: a whole REAL as its integer
/// (`5.0` is `5`, as it reads in the integer column it stands for), anything else as
/// SQLite's text of it.
fn version_text(column: &str) -> String {
    format!(
        "CASE WHEN typeof({column}) = 'real' AND {column} = CAST({column} AS INTEGER) \
         THEN CAST(CAST({column} AS INTEGER) AS TEXT) ELSE CAST({column} AS TEXT) END"
    )
}

/// What a compare-and-swap writes into the version column.
#[derive(Clone, Copy)]
enum Swap {
    /// The engine's new tag, as text, written in the class the column holds
    /// ([`written_version`]).
    Rewrite,
    /// A saved original, exactly as it was saved.
    PutBack,
}

/// The compare-and-swap of a record: its body (and version column) set only where they
/// are still what they were ([`as_read`]).
fn swap_sql(sql: &Names, swap: Swap) -> String {
    let Names {
        table,
        body,
        version,
        ..
    } = sql;
    match version {
        Some(version) => format!(
            "UPDATE {table} SET {body} = ?1, {version} = {} WHERE {}",
            match swap {
                Swap::Rewrite => written_version(version, "?2"),
                Swap::PutBack => String::from("?2"),
            },
            as_read(sql, ["?3", "?4", "?5"])
        ),
        None => format!(
            "UPDATE {table} SET {body} = ?1 WHERE {}",
            as_read(sql, ["?2", "?3", ""])
        ),
    }
}

/// The value a rewrite puts in the version column `version`: the tag at `tag` (text) in the
/// storage class the column holds now. An integer or a REAL stays one where the tag is a
/// whole number as its integer writes it (`5`, not `05` or `1.2.0`, which stay text, since
/// `1.10` is not the number `1.1`); a BLOB stays a BLOB; anything else is text, which a
/// column of INTEGER, NUMERIC or REAL affinity turns into a number as it does for any text
/// that is one. In an `UPDATE`, `{version}` is the value before the update.
fn written_version(version: &str, tag: &str) -> String {
    format!(
        "CASE WHEN typeof({version}) IN ('integer', 'real') \
         AND CAST(CAST({tag} AS INTEGER) AS TEXT) IS {tag} \
         THEN CASE typeof({version}) WHEN 'integer' THEN CAST({tag} AS INTEGER) \
         ELSE CAST({tag} AS REAL) END \
         WHEN typeof({version}) = 'blob' THEN CAST({tag} AS BLOB) ELSE {tag} END"
    )
}

/// Runs [`swap_sql`]'s statement: `(body, version)` replaces `was` for `key`. How many
/// records changed: 0 when the record is not `was` any more.
fn swap(
    statement: &mut rusqlite::CachedStatement<'_>,
    versioned: bool,
    (body, version): (&dyn ToSql, &dyn ToSql),
    key: &dyn ToSql,
    (was_body, was_version): (&dyn ToSql, &dyn ToSql),
) -> Result<usize, Error> {
    let changed = match versioned {
        true => statement.execute(params![body, version, key, was_body, was_version])?,
        false => statement.execute(params![body, key, was_body])?,
    };
    Ok(changed)
}

/// Checks that the table and its columns exist, before anything runs.
fn check_names(conn: &Connection, store: &str, spec: &TableSpec) -> Result<(), Error> {
    let tables = names(
        conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        [],
    )?;
    if !tables.contains(&spec.table) {
        return Err(Error::NoSuchName {
            what: "table",
            name: spec.table.clone(),
            store: store.to_owned(),
            known: tables,
        });
    }
    let columns = names(
        conn,
        "SELECT name FROM pragma_table_info(?1)",
        [&spec.table],
    )?;
    let wanted = [Some(&spec.key), Some(&spec.body), spec.version.as_ref()];
    for column in wanted.into_iter().flatten() {
        if !columns.contains(column) {
            return Err(Error::NoSuchName {
                what: "column",
                name: column.clone(),
                store: store.to_owned(),
                known: columns,
            });
        }
    }
    if !key_is_unique(conn, &spec.table, &spec.key)? {
        return Err(Error::state(
            "migrate",
            store,
            format!(
                "its key column `{}` is not unique, so one compare-and-swap could rewrite two \
                 rows and save one original; name a PRIMARY KEY or UNIQUE column with `key=`",
                spec.key
            ),
        ));
    }
    Ok(())
}

/// Whether `key` alone identifies a row: the table's only primary-key column, or the one
/// column of a unique index over every row.
fn key_is_unique(conn: &Connection, table: &str, key: &str) -> Result<bool, Error> {
    let primary = names(
        conn,
        "SELECT name FROM pragma_table_info(?1) WHERE pk > 0",
        [table],
    )?;
    if primary == [key] {
        return Ok(true);
    }
    let indexes = names(
        conn,
        "SELECT name FROM pragma_index_list(?1) WHERE \"unique\" = 1 AND partial = 0",
        [table],
    )?;
    for index in indexes {
        let columns = names(
            conn,
            "SELECT coalesce(name, '') FROM pragma_index_info(?1)",
            [&index],
        )?;
        if columns == [key] {
            return Ok(true);
        }
    }
    Ok(false)
}

fn names<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> Result<Vec<String>, Error> {
    let mut statement = conn.prepare(sql)?;
    let names = statement.query_map(params, |row| row.get::<_, String>(0))?;
    Ok(names.collect::<Result<_, _>>()?)
}

/// An identifier as SQL reads it, whatever it holds: it reaches SQL only this way, and only
/// after [`check_names`] found it in the catalogue.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn row_of(key: ValueRef<'_>, body: ValueRef<'_>, version: ValueRef<'_>) -> Result<Row, Error> {
    let key = key_of(key)?.ok_or_else(|| no_key("the table"))?;
    let (body, text) = bytes_of(body);
    let version = match version {
        ValueRef::Null => None,
        ValueRef::Integer(version) => Some(version.to_string()),
        other => Some(String::from_utf8_lossy(&bytes_of(other).0).into_owned()),
    };
    Ok(Row {
        key,
        body,
        version,
        text,
    })
}

/// A value's bytes, and whether it was text.
fn bytes_of(value: ValueRef<'_>) -> (Vec<u8>, bool) {
    match value {
        ValueRef::Text(text) => (text.to_vec(), true),
        ValueRef::Blob(blob) => (blob.to_vec(), false),
        ValueRef::Integer(number) => (number.to_string().into_bytes(), true),
        ValueRef::Real(number) => (number.to_string().into_bytes(), true),
        ValueRef::Null => (Vec::new(), true),
    }
}

fn key_of(value: ValueRef<'_>) -> Result<Option<Key>, Error> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(key) => Ok(Some(Key::Int(key))),
        ValueRef::Text(key) => Ok(Some(Key::Text(String::from_utf8_lossy(key).into_owned()))),
        _ => Err(Error::state(
            "migrate",
            "the table",
            "its key column holds a value that is neither an integer nor text",
        )),
    }
}

fn value_ref(value: &Value) -> ValueRef<'_> {
    ValueRef::from(value)
}

fn no_key(store: &str) -> Error {
    Error::state("migrate", store, "a record has no key (NULL)")
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

/// A key as an SQL parameter.
struct KeySql<'k>(&'k Key);

impl ToSql for KeySql<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Key::Int(key) => ToSqlOutput::Owned(Value::Integer(*key)),
            Key::Text(key) => ToSqlOutput::Borrowed(ValueRef::Text(key.as_bytes())),
        })
    }
}

/// A body as an SQL parameter, stored as text or as bytes as it was read.
#[derive(Clone, Copy)]
struct Body<'b>(&'b [u8], bool);

impl ToSql for Body<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.1 {
            true => ValueRef::Text(self.0),
            false => ValueRef::Blob(self.0),
        }))
    }
}
