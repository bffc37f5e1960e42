//! Writes to two stores kept in step while a kind moves from one to the other.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use serde::Serialize;
use upcast::{Layout, Versioned, Writer};

use super::table::{self, Table};
use crate::{Error, Key};

/// How a [`DualWriter`] treats the secondary store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Mode {
    /// The primary alone.
    Off,
    /// The primary, then the secondary; a secondary failure is counted, never returned.
    Shadow,
    /// Both or neither: within one database one transaction; across databases the
    /// secondary first, then the primary, and on its failure the secondary put back.
    Both,
}

impl Mode {
    fn from_code(code: u8) -> Mode {
        match code {
            1 => Mode::Shadow,
            2 => Mode::Both,
            _ => Mode::Off,
        }
    }

    fn code(self) -> u8 {
        match self {
            Mode::Off => 0,
            Mode::Shadow => 1,
            Mode::Both => 2,
        }
    }
}

/// A handle that switches a [`DualWriter`]'s mode from anywhere (an admin endpoint, a
/// config watcher), at run time; the next write follows it.
///
/// ```
/// use upcast_migrate::dual::{Mode, Switch};
/// let switch = Switch::new(Mode::Off);
/// switch.set(Mode::Shadow);
/// assert_eq!(switch.clone().get(), Mode::Shadow);
/// ```
#[derive(Clone, Debug)]
pub struct Switch(Arc<AtomicU8>);

impl Switch {
    /// A switch set to `mode`.
    pub fn new(mode: Mode) -> Self {
        Switch(Arc::new(AtomicU8::new(mode.code())))
    }

    /// Sets the mode.
    pub fn set(&self, mode: Mode) {
        self.0.store(mode.code(), Ordering::SeqCst);
    }

    /// The mode now.
    pub fn get(&self) -> Mode {
        Mode::from_code(self.0.load(Ordering::SeqCst))
    }
}

/// What a [`DualWriter`] has done, for dashboards and for deciding when to switch modes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WriteCounts {
    /// Writes that reached the primary.
    pub written: u64,
    /// Writes that reached the secondary too.
    pub secondary_written: u64,
    /// Secondary failures swallowed in `shadow` mode.
    pub secondary_failures: u64,
    /// Writes refused in `both` mode because one store failed (nothing was kept).
    pub refused: u64,
    /// Secondary writes undone after the primary failed (across databases).
    pub compensated: u64,
    /// Secondary writes that could not be undone after the primary failed (across
    /// databases): the secondary is ahead of the primary for these keys, and each was
    /// returned as [`Error::Diverged`].
    pub diverged: u64,
    /// The last secondary failure, for the log.
    pub last_secondary_error: Option<String>,
}

/// Writes each record to a primary and a secondary store, in the mode its [`Switch`] is
/// in: the seed's plan for moving a kind to a new store while services run.
///
/// The secondary may be written at another version than the primary (`secondary_writer`
/// with a pin: downcasts take the record there). In `both` mode the two tables of one
/// database are written in one transaction. Across two databases there is no shared
/// transaction: the secondary is written first, then the primary; if the primary fails,
/// the secondary's previous record is put back (or the new one deleted), and if that fails
/// too the write returns [`Error::Diverged`] naming the key. A crash between
/// the two writes leaves the secondary ahead of the primary for that key; `upcast migrate
/// compare` finds it.
///
/// ```no_run
/// use upcast_migrate::dual::{DualWriter, Mode, Table};
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.dual", version = 1)]
/// # struct Note { text: String }
///
/// let primary = Table::connect("postgres://postgres@127.0.0.1/test?table=notes")?;
/// let secondary = Table::connect("postgres://postgres@127.0.0.1/test?table=notes_v2")?;
/// let mut dual = DualWriter::new(primary, secondary);
/// let switch = dual.switch(); // hand it to whatever flips modes
/// switch.set(Mode::Shadow);
/// dual.write(&upcast_migrate::Key::Int(7), &Note { text: "hi".into() })?;
/// assert_eq!(dual.counts().written, 1);
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
pub struct DualWriter {
    primary: Table,
    secondary: Table,
    primary_writer: Writer<'static>,
    secondary_writer: Writer<'static>,
    switch: Switch,
    counts: Counts,
}

#[derive(Default)]
struct Counts {
    written: AtomicU64,
    secondary_written: AtomicU64,
    secondary_failures: AtomicU64,
    refused: AtomicU64,
    compensated: AtomicU64,
    diverged: AtomicU64,
    last_secondary_error: std::sync::Mutex<Option<String>>,
}

impl DualWriter {
    /// Writes to `primary` and `secondary`, both in the envelope layout at the current
    /// version; starts in `off` mode.
    pub fn new(primary: Table, secondary: Table) -> Self {
        DualWriter {
            primary,
            secondary,
            primary_writer: Writer::new(Layout::envelope()),
            secondary_writer: Writer::new(Layout::envelope()),
            switch: Switch::new(Mode::Off),
            counts: Counts::default(),
        }
    }

    /// Writes the primary's records with `writer` (a layout, pinned versions).
    pub fn primary_writer(self, writer: Writer<'static>) -> Self {
        DualWriter {
            primary_writer: writer,
            ..self
        }
    }

    /// Writes the secondary's records with `writer`: another layout, or kinds pinned at
    /// other versions.
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
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        WriteCounts {
            written: read(&self.counts.written),
            secondary_written: read(&self.counts.secondary_written),
            secondary_failures: read(&self.counts.secondary_failures),
            refused: read(&self.counts.refused),
            compensated: read(&self.counts.compensated),
            diverged: read(&self.counts.diverged),
            last_secondary_error: self
                .counts
                .last_secondary_error
                .lock()
                .ok()
                .and_then(|last| last.clone()),
        }
    }

    /// Writes `value` as the record of `key`, as the mode says.
    pub fn write<T: Versioned + Clone>(&mut self, key: &Key, value: &T) -> Result<(), Error> {
        let primary = self.primary_writer.to_vec(value)?;
        match self.switch.get() {
            Mode::Off => self.primary.put(key, &primary)?,
            Mode::Shadow => {
                self.primary.put(key, &primary)?;
                let secondary = self.secondary_writer.to_vec(value);
                let written = secondary
                    .map_err(Error::from)
                    .and_then(|secondary| self.secondary.put(key, &secondary));
                self.shadowed(written);
            }
            Mode::Both => {
                let secondary = self.secondary_writer.to_vec(value)?;
                self.both(key, Some((&primary, &secondary)))
                    .inspect_err(|_| bump(&self.counts.refused))?;
                bump(&self.counts.secondary_written);
            }
        }
        bump(&self.counts.written);
        Ok(())
    }

    /// Deletes the record of `key`, as the mode says. In `both` mode the two deletes are
    /// one transaction within a database; across databases the secondary goes first and
    /// is put back if the primary's delete fails, as for a write.
    pub fn delete(&mut self, key: &Key) -> Result<(), Error> {
        match self.switch.get() {
            Mode::Off => {
                self.primary.delete(key)?;
            }
            Mode::Shadow => {
                self.primary.delete(key)?;
                let deleted = self.secondary.delete(key).map(|_| ());
                self.shadowed(deleted);
            }
            Mode::Both => self
                .both(key, None)
                .inspect_err(|_| bump(&self.counts.refused))?,
        }
        Ok(())
    }

    fn shadowed(&self, written: Result<(), Error>) {
        match written {
            Ok(()) => bump(&self.counts.secondary_written),
            Err(error) => {
                bump(&self.counts.secondary_failures);
                if let Ok(mut last) = self.counts.last_secondary_error.lock() {
                    *last = Some(error.to_string());
                }
            }
        }
    }

    /// Both changes or neither: `bodies` is `(primary, secondary)` to write, `None` to
    /// delete.
    fn both(&mut self, key: &Key, bodies: Option<(&[u8], &[u8])>) -> Result<(), Error> {
        if self.primary.url == self.secondary.url {
            let changes = [
                (&self.secondary, bodies.map(|(_, secondary)| secondary)),
                (&self.primary, bodies.map(|(primary, _)| primary)),
            ]
            .map(|(table, body)| match body {
                Some(body) => (table.put_sql(), table.body_kind(), Some(body)),
                None => (table.delete_sql(), table.body_kind(), None),
            });
            let mut tx = self.primary.client.transaction()?;
            for (sql, kind, body) in changes {
                match body {
                    Some(body) => table::put(&mut tx, &sql, kind, key, body)?,
                    None => drop(tx.execute(&sql, &[&key.to_string()])?),
                }
            }
            tx.commit()?;
            return Ok(());
        }
        let before = self.secondary.get(key)?;
        match bodies {
            Some((_, secondary)) => self.secondary.put(key, secondary)?,
            None => drop(self.secondary.delete(key)?),
        }
        let changed = match bodies {
            Some((primary, _)) => self.primary.put(key, primary),
            None => self.primary.delete(key).map(|_| ()),
        };
        let Err(error) = changed else {
            return Ok(());
        };
        let undone = match &before {
            Some(before) => self.secondary.put(key, before),
            None => self.secondary.delete(key).map(|_| ()),
        };
        match undone {
            Ok(()) => {
                bump(&self.counts.compensated);
                Err(error)
            }
            Err(undo) => {
                bump(&self.counts.diverged);
                Err(Error::Diverged {
                    key: key.to_string(),
                    primary: Box::new(error),
                    undo: Box::new(undo),
                })
            }
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
