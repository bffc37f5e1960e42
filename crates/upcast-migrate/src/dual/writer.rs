//! Writes to two stores kept in step while a kind moves from one to the other.

use std::sync::Arc;
use std::time::Instant;

use tracing::Instrument;
use upcast::{Layout, Versioned, Writer};

use super::counts::{Counts, WriteCounts};
use super::database::Transaction;
use super::observe;
use super::table::Table;
use super::undo::{self, Applied, Change};
use super::{Mode, Switch};
use crate::{Error, Key};

/// Writes each record to a primary and a secondary table, in the mode its [`Switch`] is
/// in: the dual-write strategy for moving a kind to a new store while services run.
///
/// Every call is `async`, takes `&self` (share it in an `Arc`), runs on the service's own
/// pool and never blocks a runtime thread. What each mode guarantees, and how:
///
/// - **Per-key order.** In `shadow` and `both` each change first takes a lock on its key in
///   the primary's database (`pg_advisory_xact_lock`, a row of `T__upcast_key_locks` on
///   MySQL), held until the primary commits; the secondary is changed inside that lock. Two
///   writers of one key, in any number of processes, change both stores in the same order.
/// - **`both`.** In one database: one transaction, both or neither. Across two: the
///   secondary first, then the primary; if the primary fails, the secondary's change is
///   undone only where the secondary still holds what this write put there, so no other
///   write is overwritten. An undo that fails is [`Error::Diverged`].
/// - **A commit whose outcome is unknown** (the primary's connection lost during
///   `COMMIT`) is [`Error::CommitUnknown`], never reported as "not kept": the secondary
///   keeps the change, and the primary may have it.
/// - **Deletes during a move** leave a tombstone in the secondary's database
///   (`T__upcast_deleted`), so the backfill cannot bring the record back.
/// - **`shadow`.** The secondary's failures are counted, logged as `tracing` events and
///   exported through `metrics`, never returned.
///
/// ```no_run
/// # async fn doc() -> Result<(), upcast_migrate::Error> {
/// use upcast_migrate::Key;
/// use upcast_migrate::dual::{DualWriter, Mode, Table};
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.dual", version = 1)]
/// # struct Note { text: String }
///
/// let pool = sqlx::PgPool::connect("postgres://postgres@127.0.0.1/test").await.expect("pool");
/// let old = Table::open(pool.clone(), "shop.notes", "id", "body").await?;
/// let new = Table::open(pool, "shop.notes_v2", "id", "body").await?;
/// let dual = DualWriter::new(old).secondary(new);
/// dual.switch().set(Mode::Shadow); // hand the switch to whatever flips modes
/// dual.write(&Key::Int(7), &Note { text: "hi".into() }).await?;
/// assert_eq!(dual.counts().written, 1);
/// # Ok(())
/// # }
/// ```
pub struct DualWriter {
    stores: Stores,
    primary_writer: Writer<'static>,
    secondary_writer: Writer<'static>,
    switch: Switch,
}

/// The two tables and the counts: what one change needs, cheap to clone into the task
/// that carries it to its end.
#[derive(Clone)]
struct Stores {
    primary: Table,
    secondary: Option<Table>,
    /// Whether the secondary shares the primary's database (one transaction), decided
    /// once when it is given.
    beside: bool,
    counts: Arc<Counts>,
}

impl DualWriter {
    /// Writes to `primary` alone until a secondary is given and the mode says so; both in
    /// the envelope layout at the current version; starts in `off` mode.
    pub fn new(primary: Table) -> Self {
        DualWriter {
            stores: Stores {
                primary,
                secondary: None,
                beside: false,
                counts: Arc::default(),
            },
            primary_writer: Writer::new(Layout::envelope()),
            secondary_writer: Writer::new(Layout::envelope()),
            switch: Switch::new(Mode::Off),
        }
    }

    /// Writes also to `secondary` in `shadow` and `both` modes. Without one, `shadow`
    /// writes count a secondary failure and `both` writes are refused.
    pub fn secondary(mut self, secondary: Table) -> Self {
        let primary = &self.stores.primary;
        self.stores.beside = secondary.db.identity() == primary.db.identity()
            && secondary.sql.dialect == primary.sql.dialect;
        self.stores.secondary = Some(secondary);
        self
    }

    /// Writes the primary's records with `writer` (a layout, pinned versions).
    pub fn primary_writer(self, writer: Writer<'static>) -> Self {
        DualWriter {
            primary_writer: writer,
            ..self
        }
    }

    /// Writes the secondary's records with `writer`: another layout, or kinds pinned at
    /// other versions (migrate the new store before the old one is retired: the backfill
    /// copies at the current version, these stay where they were written).
    pub fn secondary_writer(self, writer: Writer<'static>) -> Self {
        DualWriter {
            secondary_writer: writer,
            ..self
        }
    }

    /// The switch of this writer's mode.
    pub fn switch(&self) -> Switch {
        self.switch.clone()
    }

    /// What it has done so far.
    pub fn counts(&self) -> WriteCounts {
        self.stores.counts.read()
    }

    /// Writes `value` as the record of `key`, as the mode says.
    pub async fn write<T: Versioned + Clone>(&self, key: &Key, value: &T) -> Result<(), Error> {
        let mode = self.switch.get();
        let primary = self.primary_writer.to_vec(value)?;
        let secondary = match mode {
            Mode::Off => Ok(Vec::new()),
            _ => self.secondary_writer.to_vec(value).map_err(Error::from),
        };
        let change = Change::Put { primary, secondary };
        self.carry(T::KIND, key, change, mode).await
    }

    /// Deletes the record of `key` of kind `T`, as the mode says.
    pub async fn delete<T: Versioned>(&self, key: &Key) -> Result<(), Error> {
        let mode = self.switch.get();
        self.carry(T::KIND, key, Change::Delete, mode).await
    }

    /// Carries a change to its end in a task of its own where there is a Tokio runtime, so
    /// that a caller that stops waiting (a client gone, a timeout) cannot leave it between
    /// the two stores.
    async fn carry(
        &self,
        kind: &'static str,
        key: &Key,
        change: Change,
        mode: Mode,
    ) -> Result<(), Error> {
        let stores = self.stores.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return stores.change(kind, key, change, mode).await;
        };
        let owned = key.clone();
        // In the caller's span, so its events say which request they belong to.
        let change = async move { stores.change(kind, &owned, change, mode).await };
        let task = runtime.spawn(change.in_current_span());
        task.await.unwrap_or_else(|error| {
            Err(Error::state(
                "write",
                &key.to_string(),
                format!("its task failed: {error}"),
            ))
        })
    }
}

impl Stores {
    async fn change(&self, kind: &str, key: &Key, change: Change, mode: Mode) -> Result<(), Error> {
        let started = Instant::now();
        let done = match mode {
            Mode::Off => self.alone(key, &change).await.map(|()| false),
            _ => self.dual(kind, key, &change, mode).await,
        };
        self.counts.ended(&done);
        let done = done.map(drop);
        observe::write(kind, key, mode, &done, started.elapsed());
        done
    }

    /// The primary alone.
    async fn alone(&self, key: &Key, change: &Change) -> Result<(), Error> {
        let mut tx = self.primary.db.begin().await?;
        change.primary(&self.primary, &mut *tx, key).await?;
        tx.commit().await
    }

    /// Both tables; whether the secondary was changed too.
    async fn dual(
        &self,
        kind: &str,
        key: &Key,
        change: &Change,
        mode: Mode,
    ) -> Result<bool, Error> {
        let mut tx = self.primary.db.begin().await?;
        self.primary.lock_in(&mut *tx, key).await?;
        let Some(secondary) = self.secondary.as_ref() else {
            let missing = Error::state("write to", "the secondary", "no secondary table was given");
            return self
                .without_secondary(kind, key, change, mode, tx, missing)
                .await;
        };
        if self.beside {
            return self.beside(kind, key, change, mode, secondary, tx).await;
        }
        let applied = match undo::apply_apart(secondary, key, change).await {
            Ok(applied) => Some(applied),
            Err((error, applied)) => {
                if let Some(applied) = applied {
                    self.undo(kind, key, secondary, &applied, &error).await?;
                }
                if mode == Mode::Both {
                    return Err(error);
                }
                self.secondary_failed(kind, key, mode, &error);
                None
            }
        };
        if let Err(error) = change.primary(&self.primary, &mut *tx, key).await {
            drop(tx);
            if let Some(applied) = applied {
                self.undo(kind, key, secondary, &applied, &error).await?;
            }
            return Err(error);
        }
        match (tx.commit().await, applied) {
            (Ok(()), applied) => Ok(applied.is_some()),
            (Err(error @ Error::Connection { .. }), Some(_)) => Err(unknown(key, error)),
            (Err(error), Some(applied)) => {
                self.undo(kind, key, secondary, &applied, &error).await?;
                Err(error)
            }
            (Err(error), None) => Err(error),
        }
    }

    /// Both tables in one database: one transaction; a savepoint keeps a failing secondary
    /// from failing the primary in `shadow`.
    async fn beside(
        &self,
        kind: &str,
        key: &Key,
        change: &Change,
        mode: Mode,
        secondary: &Table,
        mut tx: Box<dyn Transaction>,
    ) -> Result<bool, Error> {
        // The secondary's key lock too: the backfill takes it, not the primary's.
        secondary.lock_in(&mut *tx, key).await?;
        if mode == Mode::Shadow {
            tx.execute("SAVEPOINT upcast_secondary", &[]).await?;
        }
        let reached = match change.secondary(secondary, &mut *tx, key).await {
            Ok(_) => true,
            Err(error) if mode == Mode::Both => return Err(error),
            Err(error) => {
                tx.execute("ROLLBACK TO SAVEPOINT upcast_secondary", &[])
                    .await?;
                self.secondary_failed(kind, key, mode, &error);
                false
            }
        };
        change.primary(&self.primary, &mut *tx, key).await?;
        tx.commit()
            .await
            .map(|()| reached)
            .map_err(|error| unknown(key, error))
    }

    async fn without_secondary(
        &self,
        kind: &str,
        key: &Key,
        change: &Change,
        mode: Mode,
        mut tx: Box<dyn Transaction>,
        missing: Error,
    ) -> Result<bool, Error> {
        if mode == Mode::Both {
            return Err(missing);
        }
        self.secondary_failed(kind, key, mode, &missing);
        change.primary(&self.primary, &mut *tx, key).await?;
        tx.commit().await.map(|()| false)
    }

    fn secondary_failed(&self, kind: &str, key: &Key, mode: Mode, error: &Error) {
        self.counts.secondary_failed(error);
        observe::secondary_failed(kind, key, mode, error);
    }

    /// Undoes `applied` where the secondary still holds it; a failure is `Diverged`.
    async fn undo(
        &self,
        kind: &str,
        key: &Key,
        secondary: &Table,
        applied: &Applied,
        cause: &Error,
    ) -> Result<(), Error> {
        let undone = undo::undo(secondary, key, applied).await;
        observe::undo(kind, key, &undone);
        self.counts.undone(undone.is_ok());
        undone.map_err(|undo| Error::Diverged {
            key: key.to_string(),
            primary: Box::new(Error::state("write to", "the primary", cause.to_string())),
            undo: Box::new(undo),
        })
    }
}

/// A commit's error as the caller must read it: a lost connection leaves the outcome
/// unknown ([`Error::CommitUnknown`]); the server's refusal stays what it is.
fn unknown(key: &Key, error: Error) -> Error {
    match error {
        Error::Connection { message } => Error::CommitUnknown {
            key: key.to_string(),
            message,
        },
        error => error,
    }
}
