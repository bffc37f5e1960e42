//! Stores: where records live, behind one small trait the engine drives. The engine knows
//! records, versions, batches and checkpoints; a store knows SQL or files.

mod in_place;
mod jsonl;
mod lock_file;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
pub mod table;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Key, Row, StoreSpec};

#[cfg(feature = "mysql")]
pub use self::mysql::Mysql;
pub use in_place::InPlace;
pub use jsonl::JsonLines;
#[cfg(feature = "postgres")]
pub use postgres::Postgres;
#[cfg(feature = "sqlite")]
pub use sqlite::Sqlite;

/// What the engine decided for one record of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Stored exactly as its current version writes it: it stays as it is.
    Keep,
    /// To be rewritten with this body (and version column, in the external layout).
    Rewrite {
        /// The new body.
        body: Vec<u8>,
        /// The new version column.
        version: Option<String>,
    },
    /// Cannot be migrated: it stays as it is, and is listed with why.
    Fail(String),
}

/// One record of a batch and what to do with it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Entry {
    /// The record as read.
    pub row: Row,
    /// What the engine decided.
    pub decision: Decision,
}

impl Entry {
    /// A record and the decision for it.
    ///
    /// ```
    /// use upcast_migrate::{Key, Row, store::{Decision, Entry}};
    /// let entry = Entry::new(Row::new(Key::Int(1), b"{}".to_vec()), Decision::Keep);
    /// assert_eq!(entry.decision, Decision::Keep);
    /// ```
    pub fn new(row: Row, decision: Decision) -> Self {
        Entry { row, decision }
    }
}

/// Where a migration stands, saved with every batch it commits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Progress {
    /// When the migration began (seconds since the Unix epoch).
    pub started_at: u64,
    /// When its last run finished every pass, if one did.
    pub finished_at: Option<u64>,
    /// The pass in progress: 1 migrates what was there when the run began, later passes
    /// what arrived or changed since.
    pub pass: u32,
    /// The last key of the last committed batch of this pass.
    pub after: Option<Key>,
    /// Records rewritten.
    pub rewritten: u64,
    /// Records found current.
    pub current: u64,
    /// Records that could not be migrated (left as they were).
    pub failed: u64,
    /// Rewrites not applied because the record changed since it was read.
    pub conflicts: u64,
    /// Old records the pass in progress found so far: saved, so that a pass resumed after a
    /// crash still knows what its first part found before it calls the run finished.
    #[serde(default)]
    pub pass_found: u64,
    /// Records rewritten at least once, each with one saved original: what `verify`
    /// checks. [`rewritten`](Progress::rewritten) counts rewrites, and a record its service
    /// wrote at an old version again during the migration is rewritten again.
    #[serde(default)]
    pub records_rewritten: u64,
    /// The version each kind is migrated to: a later run toward other versions is refused
    /// while this migration's originals are kept.
    #[serde(default)]
    pub targets: BTreeMap<String, String>,
    /// When the migration was finalized (its originals dropped), if it was.
    #[serde(default)]
    pub finalized_at: Option<u64>,
}

/// A record rewritten by the migration, with its original kept for verify and rollback.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Saved {
    /// The record before the migration.
    pub original: Row,
    /// The body the migration wrote.
    pub rewritten: Vec<u8>,
}

/// A record as it stands now, with its saved original if the migration rewrote it: what
/// `verify` checks.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Standing {
    /// The record's key.
    pub key: Key,
    /// The record now; `None` when it is gone.
    pub current: Option<Row>,
    /// What the migration saved of it, if it rewrote it.
    pub saved: Option<Saved>,
}

/// What a rollback did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Restored {
    /// Records put back to their exact original bytes.
    pub restored: u64,
    /// Records changed since the migration rewrote them, left as they are.
    pub changed: Vec<Key>,
    /// Records rewritten only in a copy that never took the original's place (a JSON
    /// Lines file rolled back before `finalize`), dropped with it: their originals were
    /// never changed, so none needed putting back.
    pub discarded: u64,
}

/// What the engine's lock is taken for: [`Store::lock`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// `run`: shared by every worker of every run.
    Run,
    /// `rollback`: alone.
    Rollback,
    /// `finalize`: alone.
    Finalize,
}

impl Action {
    /// The action as the engine's messages say it.
    ///
    /// ```
    /// assert_eq!(upcast_migrate::store::Action::Rollback.doing(), "a rollback");
    /// ```
    pub fn doing(self) -> &'static str {
        match self {
            Action::Run => "a run",
            Action::Rollback => "a rollback",
            Action::Finalize => "a finalize",
        }
    }

    /// The action as a verb, for "cannot ..." messages.
    ///
    /// ```
    /// assert_eq!(upcast_migrate::store::Action::Run.verb(), "migrate");
    /// ```
    pub fn verb(self) -> &'static str {
        match self {
            Action::Run => "migrate",
            Action::Rollback => "roll back",
            Action::Finalize => "finalize",
        }
    }
}

/// A place records are stored, as the engine drives it.
///
/// A store keeps three promises, which its tests prove by killing processes:
/// - [`commit`](Store::commit) rewrites a record only if it is still byte-identical to
///   what was read, and commits a batch's rewrites, saved originals, failures and progress
///   together or not at all;
/// - [`rollback`](Store::rollback) puts back the exact original bytes of every rewritten
///   record not changed since, and lists the others without touching them;
/// - nothing it does loses a record.
pub trait Store: Send {
    /// The store's name for reports (passwords hidden).
    fn name(&self) -> String;

    /// Whether a later pass reads the whole store again (records rewritten in place may
    /// change anywhere), rather than going on from the end (a file that only grows).
    fn rescans(&self) -> bool;

    /// Records per batch when the caller does not say: what one commit costs decides.
    fn batch_hint(&self) -> usize;

    /// Whether several workers (threads, processes, machines) may run on the store at once,
    /// sharing its records: PostgreSQL, whose chunks they claim.
    fn shares_work(&self) -> bool {
        false
    }

    /// Pass `pass` begins, in batches of `batch`: a store shared by many workers records
    /// the pass's chunks, once.
    fn start_pass(&mut self, pass: u32, batch: usize) -> Result<(), Error> {
        let _ = (pass, batch);
        Ok(())
    }

    /// After a [`read`](Store::read) that found nothing: whether records of the pass are
    /// still held by other workers (the engine waits and reads again, and they are its if
    /// those workers stop answering), rather than the pass being done.
    fn others_hold_work(&mut self) -> Result<bool, Error> {
        Ok(false)
    }

    /// Bounds every wait: a worker of this store that stops answering (frozen, cut off)
    /// lets go of its work after `timeout`, and a wait for another's lock ends after it.
    fn set_timeout(&mut self, timeout: std::time::Duration) -> Result<(), Error> {
        let _ = timeout;
        Ok(())
    }

    /// Takes the engine's lock on the store for `action`, held until the store is dropped:
    /// runs share it with runs (several workers), a rollback or a finalize holds it alone.
    /// Refused, saying what holds it, when it cannot be had now.
    fn lock(&mut self, action: Action) -> Result<(), Error> {
        let _ = action;
        Ok(())
    }

    /// How many old records pass `pass` found, `local` being what this worker found: a
    /// store shared by many workers counts theirs too.
    fn pass_found(&mut self, pass: u32, local: u64) -> Result<u64, Error> {
        let _ = pass;
        Ok(local)
    }

    /// About how many records a pass reading after `after` (up to the bound in pass 1,
    /// when `bounded`) will read, for a progress bar's ETA; `None` when unknown.
    fn remaining(&mut self, after: Option<&Key>, bounded: bool) -> Result<Option<u64>, Error>;

    /// The saved progress, if a migration was started.
    fn progress(&mut self) -> Result<Option<Progress>, Error>;

    /// Starts a migration with `fresh` as its progress, or takes up the one in progress,
    /// and fixes the records present now as those pass 1 migrates. Returns the progress to
    /// go on from.
    fn begin(&mut self, fresh: Progress) -> Result<Progress, Error>;

    /// Up to `limit` records after `after`, in key order; with `bounded`, only records that
    /// were there when [`begin`](Store::begin) ran.
    fn read(&mut self, after: Option<&Key>, limit: usize, bounded: bool)
    -> Result<Vec<Row>, Error>;

    /// Applies `batch` and saves `progress`, atomically. `batch` is the rows of the last
    /// [`read`](Store::read) in order, or a prefix of them (a run that reached its
    /// `--limit`): the rows after its last are left for a later read. A rewrite applies only where the
    /// record is still what was read; the keys of those that were not are returned, and
    /// counted in `progress` as conflicts rather than rewrites before it is saved.
    fn commit(&mut self, batch: &[Entry], progress: &mut Progress) -> Result<Vec<Key>, Error>;

    /// The records after `after` (up to `limit`), as they stand, with what the migration
    /// saved of each.
    fn standing(&mut self, after: Option<&Key>, limit: usize) -> Result<Vec<Standing>, Error>;

    /// The records that could not be migrated, with why.
    fn failures(&mut self) -> Result<Vec<(Key, String)>, Error>;

    /// Puts back the originals, `batch` at a time.
    fn rollback(&mut self, batch: usize) -> Result<Restored, Error>;

    /// Ends the migration: drops what it kept (a table's saved originals; a file's copy
    /// replaces the original, which is kept unless `delete_original`).
    fn finalize(&mut self, delete_original: bool) -> Result<(), Error>;
}

impl StoreSpec {
    /// Opens the store: checks that every file, table and column it names is there, before
    /// anything runs.
    ///
    /// ```
    /// let spec = upcast_migrate::StoreSpec::parse("sqlite:/no/such.db?table=events")?;
    /// let error = spec.open().err().unwrap();
    /// assert!(error.to_string().starts_with("no such file `/no/such.db`"), "{error}");
    /// # Ok::<(), upcast_migrate::Error>(())
    /// ```
    pub fn open(&self) -> Result<Box<dyn Store>, Error> {
        match self {
            #[cfg(feature = "sqlite")]
            StoreSpec::Sqlite(spec) => Ok(Box::new(InPlace::new(Sqlite::open(spec)?))),
            StoreSpec::Jsonl(path) => Ok(Box::new(JsonLines::open(path)?)),
            #[cfg(feature = "postgres")]
            StoreSpec::Postgres(spec) => Ok(Box::new(InPlace::new(Postgres::open(spec)?))),
            #[cfg(feature = "mysql")]
            StoreSpec::Mysql(spec) => Ok(Box::new(InPlace::new(Mysql::open(spec)?))),
            #[allow(unreachable_patterns)]
            other => Err(Error::state(
                "open",
                &other.to_string(),
                format!(
                    "this build has no {} store: build upcast-migrate with its `{}` feature",
                    other.backend(),
                    match other.backend() {
                        "PostgreSQL" => "postgres",
                        "MySQL" => "mysql",
                        _ => "sqlite",
                    }
                ),
            )),
        }
    }
}
