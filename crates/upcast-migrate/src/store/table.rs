//! The seam between the engine and a database: what a table migrated in place must offer.
//!
//! ```text
//!            upcast migrate run | verify | rollback | finalize | status
//!                                   |
//!   engine (run.rs, inspect.rs, in_place.rs): every rule
//!     which migration is in progress, passes and units of work, checkpoints,
//!     saved originals, conflicts, failures, locks, the names of its own objects
//!                                   |
//!   Table (this trait): primitives only
//!     lock | create/drop own objects | transactions | state | units:
//!     plan, claim, finish, cut | scan | apply a batch | restore a page | read
//!        |                    |                     |
//!     SQLite              PostgreSQL             MySQL / MariaDB
//! ```
//!
//! A table store knows its SQL and nothing of the rules: it never decides whether a
//! migration starts or goes on, when a pass ends, or what a rollback may touch. The engine
//! ([`InPlace`](super::InPlace)) drives it, and one conformance suite runs against every
//! implementation (`crates/upcast-demo/tests/migrate/conformance.rs`).
//!
//! # What an implementation guarantees
//!
//! - **Names.** The table, its key, body and version columns reach SQL only as quoted
//!   identifiers found in the catalogue when the store was opened; the engine's own
//!   objects are named by the engine (`names.rs`) within the server's identifier limit, and a
//!   table of such a name that the engine did not make is refused before anything is
//!   written.
//! - **Atomic batches.** Between [`start`](Table::start) and [`commit`](Table::commit),
//!   everything is one transaction: a crash at any instant leaves all of it or none.
//! - **Compare-and-swap, in bytes.** [`apply`](Table::apply) rewrites a record only where
//!   its body (and version column) are still byte for byte what was read, never comparing
//!   under a collation; [`restore`](Table::restore) puts an original back only where the
//!   record is still what the migration wrote.
//! - **Types kept.** A version column keeps its SQL type; a rollback puts back the exact
//!   original bytes and values.
//! - **Units of work.** A unit claimed by [`claim`](Table::claim) is this worker's until
//!   its transaction ends; a worker that stops answering loses it when its session ends,
//!   within the timeout given to [`set_timeout`](Table::set_timeout).
//! - **Errors** carry the server's own words.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Action, Entry, Standing};
use crate::{Error, Key, Row};

/// One of the engine's own objects beside a table.
pub use crate::names::Object;

/// A unit of work: the records whose keys are in `(lo, hi]` (open where `None`), claimed
/// by one worker at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unit {
    /// Its number within its pass.
    pub id: i64,
    /// Keys after this one (none: from the first).
    pub lo: Option<Key>,
    /// Keys up to this one (none: to the last).
    pub hi: Option<Key>,
}

impl Unit {
    /// The unit of keys in `(lo, hi]`.
    ///
    /// ```
    /// use upcast_migrate::{Key, store::table::Unit};
    /// let unit = Unit::new(1, None, Some(Key::Int(1000)));
    /// assert_eq!(unit.hi, Some(Key::Int(1000)));
    /// ```
    pub fn new(id: i64, lo: Option<Key>, hi: Option<Key>) -> Self {
        Unit { id, lo, hi }
    }
}

/// The units of a pass: the `(lo, hi]` ranges between `boundaries` (keys every so many
/// records, in order), the last ending at `greatest` when `bounded` (pass 1 migrates what
/// was there when it began), open-ended else (records inserted since). Every key is in
/// exactly one unit.
///
/// ```
/// use upcast_migrate::{Key, store::table::units};
/// let units = units(vec![Key::Int(10), Key::Int(20)], Some(Key::Int(25)), true);
/// let ranges: Vec<_> = units.iter().map(|unit| (unit.lo.clone(), unit.hi.clone())).collect();
/// assert_eq!(ranges, [
///     (None, Some(Key::Int(10))),
///     (Some(Key::Int(10)), Some(Key::Int(20))),
///     (Some(Key::Int(20)), Some(Key::Int(25))),
/// ]);
/// ```
pub fn units(boundaries: Vec<Key>, greatest: Option<Key>, bounded: bool) -> Vec<Unit> {
    let mut units = Vec::with_capacity(boundaries.len() + 1);
    let mut previous: Option<Key> = None;
    for boundary in boundaries {
        let lo = previous.replace(boundary.clone());
        units.push((lo, Some(boundary)));
    }
    match (bounded, greatest) {
        (true, Some(greatest)) if previous.as_ref() != Some(&greatest) => {
            units.push((previous, Some(greatest)));
        }
        (true, _) => {}
        (false, _) => units.push((previous, None)),
    }
    units
        .into_iter()
        .zip(1..)
        .map(|((lo, hi), id)| Unit::new(id, lo, hi))
        .collect()
}

/// What one unit's batch did, saved with the unit when it is finished.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Counts {
    /// Records rewritten.
    pub rewritten: u64,
    /// Records found current.
    pub current: u64,
    /// Records that could not be migrated.
    pub failed: u64,
    /// Rewrites refused because the record changed since it was read.
    pub conflicts: u64,
}

/// The sums of every finished unit's [`Counts`], and what one pass found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Totals {
    /// The sums over every pass.
    pub all: Counts,
    /// Old records the pass asked about found (rewritten or in conflict).
    pub found_in_pass: u64,
    /// Records listed as failing now.
    pub failing: u64,
}

/// What [`Table::restore`] did with one saved original.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Put {
    /// The original is back, and no longer saved.
    Back(Key),
    /// The record changed since the migration wrote it: left as it is, its original kept.
    Changed(Key),
}

/// A table migrated in place, as the engine drives it: primitives, and no rule. See the
/// [module's documentation](self) for what every implementation guarantees.
pub trait Table: Send {
    /// The store's name for reports, its password hidden.
    fn name(&self) -> String;

    /// Takes the engine's lock for `action`, held until this is dropped: shared by runs,
    /// alone for a rollback or a finalize. Refused with [`Error::State`] saying what holds
    /// it.
    fn lock(&mut self, action: Action) -> Result<(), Error>;

    /// A session that stops answering ends after `timeout` (its unit back to the others),
    /// and no wait for a lock lasts longer.
    fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error>;

    /// Whether `object` exists.
    fn has(&mut self, object: Object) -> Result<bool, Error>;

    /// How many rows `object` holds (0 when it does not exist).
    fn count(&mut self, object: Object) -> Result<u64, Error>;

    /// Creates the engine's objects that do not exist; changes none that does. Called in a
    /// transaction begun `alone` (a server that commits at DDL may commit it).
    fn create_own(&mut self) -> Result<(), Error>;

    /// Drops `objects` (those that exist).
    fn drop_own(&mut self, objects: &[Object]) -> Result<(), Error>;

    /// Moves the saved originals left into the rolled-back originals (created if needed),
    /// adding to what earlier rollbacks kept there, with the time `at`.
    fn keep_rolled_back(&mut self, at: u64) -> Result<(), Error>;

    /// Begins a transaction; with `alone`, also takes the table's lock for deciding passes,
    /// or fails with [`Error::Busy`] when another worker holds it (the engine waits and
    /// tries again, answering signals meanwhile).
    fn start(&mut self, alone: bool) -> Result<(), Error>;

    /// Commits the transaction.
    fn commit(&mut self) -> Result<(), Error>;

    /// Rolls the transaction back.
    fn abort(&mut self) -> Result<(), Error>;

    /// The saved state (the engine's text) and the pass-1 bound, if a migration started.
    fn load_state(&mut self) -> Result<Option<String>, Error>;

    /// Saves the state (the engine's text).
    fn save_state(&mut self, state: &str) -> Result<(), Error>;

    /// Empties `object` (failures, units).
    fn clear(&mut self, object: Object) -> Result<(), Error>;

    /// Whether pass `pass` has its units recorded.
    fn has_units(&mut self, pass: u32) -> Result<bool, Error>;

    /// Records the units of pass `pass`: key ranges of about `size` records covering every
    /// record now, the last ending at the greatest key now when `bounded`, open-ended else.
    fn plan_units(&mut self, pass: u32, size: usize, bounded: bool) -> Result<(), Error>;

    /// Claims, in the open transaction, the first unit of `pass` not finished and not held
    /// by another worker; `None` when there is none to claim now.
    fn claim(&mut self, pass: u32) -> Result<Option<Unit>, Error>;

    /// How many units of `pass` are not finished (claimed by workers or not yet).
    fn units_left(&mut self, pass: u32) -> Result<u64, Error>;

    /// Ends `unit` at `last`: the rest of its range becomes a unit of its own, not finished.
    fn cut_unit(&mut self, pass: u32, unit: &Unit, last: &Key) -> Result<(), Error>;

    /// Marks `unit` finished with its counts.
    fn finish_unit(&mut self, pass: u32, unit: &Unit, counts: Counts) -> Result<(), Error>;

    /// The sums of the finished units, what pass `pass` found, and the failures listed.
    fn totals(&mut self, pass: u32) -> Result<Totals, Error>;

    /// The records of `unit`, in key order.
    fn scan(&mut self, unit: &Unit) -> Result<Vec<Row>, Error>;

    /// In the open transaction: the failures recorded, each rewrite swapped in where the
    /// record is still what was read, with its original saved. The keys not swapped.
    fn apply(&mut self, entries: &[Entry]) -> Result<Vec<Key>, Error>;

    /// In the open transaction: up to `limit` saved originals after `after`, each put back
    /// where the record is still what the migration wrote (and then no longer saved).
    fn restore(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Put>, Error>;

    /// Up to `limit` records after `after` as they stand, with what the migration saved of
    /// each: the records of the table and the keys of saved originals, merged.
    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error>;

    /// The records listed as failing, with why.
    fn failures(&mut self) -> Result<Vec<(Key, String)>, Error>;
}
