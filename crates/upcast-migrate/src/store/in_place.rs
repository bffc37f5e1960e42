//! A table migrated in place: every rule of the engine over a [`Table`]'s primitives,
//! written once for SQLite, PostgreSQL and MySQL.
//!
//! A pass is split into units of work (key ranges of about one batch), recorded beside
//! the table. Each worker, in this process or another, claims a unit, reads its records,
//! and commits their rewrites, saved originals and failures with the unit's "finished" in
//! one transaction. A worker that dies leaves its transaction to be rolled back and its
//! unit to be claimed again; one that stops answering loses it when the server ends its
//! session. The state (which migration, which pass, toward which versions) is one row the
//! engine writes; the counts are the sums of the finished units.

use std::time::Duration;

use super::table::{Counts, Object, Put, Table, Unit};
use super::{Action, Entry, Progress, Restored, Standing, Store};
use crate::report::utc;
use crate::run::now;
use crate::{Error, Key, Row};

/// Records per unit of work when the run does not say.
const UNIT: usize = 1000;

/// The member of the saved state that keeps the size of the pass's units.
const UNIT_FIELD: &str = "unit_size";

/// Every object of a migration, dropped by a rollback.
const ALL: [Object; 4] = [
    Object::Progress,
    Object::Failures,
    Object::Originals,
    Object::Chunks,
];

/// A table migrated in place by the engine. A pass is split into units of work (key
/// ranges of about one batch) recorded beside the table; each worker, in this process or
/// another, claims a unit, reads its records, and commits their rewrites, saved originals
/// and failures with the unit's "finished" in one transaction. A worker that dies leaves
/// its unit to be claimed again; one that stops answering loses it when the server ends
/// its session. The state (which migration, which pass, toward which versions) is one row
/// the engine writes; the counts are the sums of the finished units.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let db = dir.path().join("store.db");
/// # rusqlite::Connection::open(&db)?.execute_batch("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT)")?;
/// let spec = upcast_migrate::StoreSpec::parse(&format!("sqlite:{}?table=events", db.display()))?;
/// let store = spec.open()?; // an `InPlace` over the SQLite table
/// assert!(store.name().ends_with("?table=events"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct InPlace<T> {
    table: T,
    /// The pass this worker is in.
    pass: u32,
    /// About how many records a unit holds.
    size: usize,
    /// The unit this worker holds, its transaction open, and the last key read of it.
    claimed: Option<(Unit, Key)>,
    /// When the migration this worker joined began: a worker whose migration finished,
    /// and which another has since replaced, must not plan passes in the new one or mark
    /// it finished.
    joined: Option<u64>,
}

impl<T: Table> InPlace<T> {
    /// The engine over `table`.
    ///
    /// See the example on [`InPlace`].
    pub fn new(table: T) -> Self {
        InPlace {
            table,
            pass: 1,
            size: UNIT,
            claimed: None,
            joined: None,
        }
    }

    /// Whether `state` is the migration this worker joined (any, before it joined one).
    fn joined(&self, state: &Progress) -> bool {
        self.joined.is_none_or(|joined| joined == state.started_at)
    }

    /// The saved state, its counts the sums of the finished units.
    fn state(&mut self) -> Result<Option<Progress>, Error> {
        if !self.table.has(Object::Progress)? {
            return Ok(None);
        }
        let Some(text) = self.table.load_state()? else {
            return Ok(None);
        };
        let bad = |error: serde_json::Error| Error::BadState {
            path: self.table.name().into(),
            reason: error.to_string(),
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(bad)?;
        if let Some(unit) = value.get(UNIT_FIELD).and_then(serde_json::Value::as_u64) {
            self.size = usize::try_from(unit).unwrap_or(UNIT).max(1);
        }
        Ok(Some(serde_json::from_value(value).map_err(bad)?))
    }

    /// Saves `progress`, with the size of the units its pass was planned in.
    fn save(&mut self, progress: &Progress) -> Result<(), Error> {
        let mut value = serde_json::to_value(progress).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert(UNIT_FIELD.to_owned(), self.size.into());
        }
        self.table.save_state(&value.to_string())
    }

    /// Runs `act` in a transaction (`alone`: holding the table's pass lock), rolled back
    /// if it fails.
    fn atomically<R>(
        &mut self,
        alone: bool,
        act: impl FnOnce(&mut Self) -> Result<R, Error>,
    ) -> Result<R, Error> {
        self.table.start(alone)?;
        match act(self) {
            Ok(done) => {
                self.table.commit()?;
                Ok(done)
            }
            Err(error) => {
                let _ = self.table.abort();
                Err(error)
            }
        }
    }

    /// The saved state of a migration that was started, or why there is none to act on.
    fn started(&mut self, action: Action) -> Result<Progress, Error> {
        let name = self.table.name();
        let progress = self
            .state()?
            .ok_or_else(|| Error::state(action.verb(), &name, "no migration was started here"))?;
        match progress.finalized_at {
            Some(at) if action == Action::Rollback => Err(Error::state(
                action.verb(),
                &name,
                format!(
                    "its migration was finalized at {}, which dropped the saved originals this \
                     needs; roll back before `finalize`, or restore a backup taken before it",
                    utc(at)
                ),
            )),
            _ => Ok(progress),
        }
    }

    /// The unit claimed, read: its records (none left to claim: empty).
    fn claim_and_scan(&mut self) -> Result<Vec<Row>, Error> {
        loop {
            self.table.start(false)?;
            let unit = match self.table.claim(self.pass) {
                Ok(Some(unit)) => unit,
                Ok(None) => {
                    self.table.abort()?;
                    return Ok(Vec::new());
                }
                Err(error) => {
                    let _ = self.table.abort();
                    return Err(error);
                }
            };
            let rows = self.table.scan(&unit)?;
            match rows.last() {
                Some(last) => {
                    self.claimed = Some((unit, last.key.clone()));
                    return Ok(rows);
                }
                None => {
                    self.table
                        .finish_unit(self.pass, &unit, Counts::default())?;
                    self.table.commit()?;
                }
            }
        }
    }
}

impl<T: Table> Store for InPlace<T> {
    fn name(&self) -> String {
        self.table.name()
    }

    fn rescans(&self) -> bool {
        true
    }

    fn batch_hint(&self) -> usize {
        UNIT
    }

    fn shares_work(&self) -> bool {
        true
    }

    fn others_hold_work(&mut self) -> Result<bool, Error> {
        Ok(self.table.units_left(self.pass)? > 0)
    }

    fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        self.table.set_timeout(timeout)
    }

    fn lock(&mut self, action: Action) -> Result<(), Error> {
        self.table.lock(action)
    }

    fn remaining(&mut self, _: Option<&Key>, _: bool) -> Result<Option<u64>, Error> {
        Ok(Some(self.table.units_left(self.pass)? * self.size as u64))
    }

    fn progress(&mut self) -> Result<Option<Progress>, Error> {
        let Some(mut progress) = self.state()? else {
            return Ok(None);
        };
        // Units are the checkpoint: no single key says where a pass stands.
        progress.after = None;
        if !self.table.has(Object::Chunks)? {
            // Finalized: the counts were kept in the state when the units went.
            return Ok(Some(progress));
        }
        let totals = self.table.totals(progress.pass)?;
        progress.rewritten = totals.all.rewritten;
        progress.current = totals.all.current;
        progress.conflicts = totals.all.conflicts;
        progress.failed = totals.failing;
        progress.pass_found = totals.found_in_pass;
        progress.records_rewritten = self.table.count(Object::Originals)?;
        Ok(Some(progress))
    }

    /// Goes on with the migration in progress, or starts `fresh` (its failures and units
    /// forgotten): one worker at a time decides, holding the table's pass lock.
    fn begin(&mut self, fresh: Progress) -> Result<Progress, Error> {
        // Made under the pass lock: two workers creating the same table at once collide.
        self.atomically(true, |this| {
            this.table.create_own()?;
            let going_on = this
                .state()?
                .filter(|state| state.finished_at.is_none() && state.finalized_at.is_none());
            if going_on.is_none() {
                this.table.clear(Object::Failures)?;
                this.table.clear(Object::Chunks)?;
                this.save(&fresh)?;
            }
            Ok(())
        })?;
        let progress = self.progress()?.unwrap_or(fresh);
        self.pass = progress.pass;
        self.joined = Some(progress.started_at);
        Ok(progress)
    }

    /// Records the units of pass `pass`, once, whichever worker comes first.
    fn start_pass(&mut self, pass: u32, batch: usize) -> Result<(), Error> {
        self.pass = pass;
        self.atomically(true, |this| {
            let mut state = this.state()?.unwrap_or_default();
            // Units already planned, or another migration's: nothing to plan (a worker of
            // a migration since replaced finds no units, and its run ends).
            if this.table.has_units(pass)? || !this.joined(&state) {
                return Ok(());
            }
            this.size = batch.max(1);
            this.table.plan_units(pass, this.size, pass == 1)?;
            state.pass = pass;
            this.save(&state)
        })
    }

    fn pass_found(&mut self, pass: u32, _local: u64) -> Result<u64, Error> {
        Ok(self.table.totals(pass)?.found_in_pass)
    }

    fn read(&mut self, _: Option<&Key>, _: usize, _: bool) -> Result<Vec<Row>, Error> {
        self.claim_and_scan()
    }

    /// Applies `entries` in the claimed unit's transaction, finishes the unit (cut at the
    /// last entry when the run stopped short of it) and commits. With no unit held, saves
    /// the progress (the end of a run: when it finished).
    fn commit(&mut self, entries: &[Entry], progress: &mut Progress) -> Result<Vec<Key>, Error> {
        let Some((unit, read_to)) = self.claimed.take() else {
            let finished_at = progress.finished_at;
            return self.atomically(false, |this| {
                let mut state = this.state()?.unwrap_or_else(|| progress.clone());
                if !this.joined(&state) {
                    return Ok(Vec::new());
                }
                state.finished_at = state.finished_at.or(finished_at);
                this.save(&state).map(|()| Vec::new())
            });
        };
        let pass = self.pass;
        let applied = (|| {
            let last = entries.last().map(|entry| &entry.row.key);
            if let Some(last) = last.filter(|last| **last != read_to) {
                self.table.cut_unit(pass, &unit, last)?;
            }
            let conflicts = self.table.apply(entries)?;
            let counts = counts(entries, &conflicts, pass == 1);
            self.table.finish_unit(pass, &unit, counts)?;
            self.table.commit()?;
            Ok(conflicts)
        })();
        let conflicts = match applied {
            Ok(conflicts) => conflicts,
            Err(error) => {
                let _ = self.table.abort();
                return Err(error);
            }
        };
        progress.rewritten -= conflicts.len() as u64;
        progress.conflicts += conflicts.len() as u64;
        Ok(conflicts)
    }

    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error> {
        self.table.standing(after, limit)
    }

    fn failures(&mut self) -> Result<Vec<(Key, String)>, Error> {
        match self.table.has(Object::Failures)? {
            true => self.table.failures(),
            false => Ok(Vec::new()),
        }
    }

    /// Puts back every saved original whose record is still what the migration wrote, a
    /// page per transaction; the originals of records changed since move to the
    /// rolled-back originals, listed, never overwritten. Then the migration's objects go.
    fn rollback(&mut self, batch: usize) -> Result<Restored, Error> {
        self.started(Action::Rollback)?;
        let mut restored = Restored::default();
        let mut after: Option<Key> = None;
        loop {
            let page = self.atomically(false, |this| this.table.restore(after.as_ref(), batch))?;
            let full = page.len() >= batch;
            for put in page {
                after = Some(match put {
                    Put::Back(key) => {
                        restored.restored += 1;
                        key
                    }
                    Put::Changed(key) => {
                        restored.changed.push(key.clone());
                        key
                    }
                });
            }
            if !full {
                break;
            }
        }
        let kept = !restored.changed.is_empty();
        self.atomically(false, |this| {
            if kept {
                this.table.keep_rolled_back(now())?;
            }
            this.table.drop_own(&ALL)
        })?;
        Ok(restored)
    }

    /// Marks a finished migration's state finalized (so that `status` and `verify` still
    /// speak of it), then drops its saved originals, failures and units. Finalizing again
    /// finishes what a finalize that died left.
    fn finalize(&mut self, _delete_original: bool) -> Result<(), Error> {
        let mut state = self.started(Action::Finalize)?;
        if state.finalized_at.is_none() {
            // The counts live in the units, which go: the state keeps them.
            state = self.progress()?.unwrap_or(state);
            if state.finished_at.is_none() {
                return Err(Error::state(
                    "finalize",
                    &self.table.name(),
                    "the migration has not finished: run it to the end, or roll it back",
                ));
            }
            state.finalized_at = Some(now());
            self.atomically(false, |this| this.save(&state))?;
        }
        self.table
            .drop_own(&[Object::Originals, Object::Failures, Object::Chunks])
    }
}

/// What a unit's batch did: rewrites applied (not refused), current and failing records
/// (counted in pass 1 only: later passes read them again), conflicts.
fn counts(entries: &[Entry], conflicts: &[Key], first_pass: bool) -> Counts {
    let mut counts = Counts::default();
    for entry in entries {
        match &entry.decision {
            super::Decision::Keep if first_pass => counts.current += 1,
            super::Decision::Fail(_) if first_pass => counts.failed += 1,
            super::Decision::Rewrite { .. } => counts.rewritten += 1,
            _ => {}
        }
    }
    counts.conflicts = conflicts.len() as u64;
    counts.rewritten -= counts.conflicts.min(counts.rewritten);
    counts
}
