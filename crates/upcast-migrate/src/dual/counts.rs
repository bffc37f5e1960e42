//! What the dual writer has done, counted for dashboards and for deciding when to switch.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::Error;

/// What a [`DualWriter`](super::DualWriter) has done, for dashboards and for deciding when
/// to switch modes. The same numbers go to the `metrics` facade.
///
/// ```
/// let counts = upcast_migrate::dual::WriteCounts::default();
/// assert_eq!(counts.written, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WriteCounts {
    /// Changes (writes and deletes) the primary kept.
    pub written: u64,
    /// Changes that reached the secondary too.
    pub secondary_written: u64,
    /// Secondary failures swallowed in `shadow` mode.
    pub secondary_failures: u64,
    /// Changes refused (returned as errors): nothing was kept, except where the error says
    /// otherwise ([`Error::CommitUnknown`], [`Error::Diverged`]).
    pub refused: u64,
    /// Secondary changes undone after the primary failed.
    pub undone: u64,
    /// Secondary changes that could not be undone ([`Error::Diverged`]).
    pub diverged: u64,
    /// Primary commits whose outcome is unknown ([`Error::CommitUnknown`]).
    pub commit_unknown: u64,
    /// The last secondary failure, for the log.
    pub last_secondary_error: Option<String>,
}

#[derive(Default)]
pub(crate) struct Counts {
    written: AtomicU64,
    secondary_written: AtomicU64,
    secondary_failures: AtomicU64,
    refused: AtomicU64,
    undone: AtomicU64,
    diverged: AtomicU64,
    commit_unknown: AtomicU64,
    last_secondary_error: Mutex<Option<String>>,
}

impl Counts {
    pub(crate) fn read(&self) -> WriteCounts {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        WriteCounts {
            written: read(&self.written),
            secondary_written: read(&self.secondary_written),
            secondary_failures: read(&self.secondary_failures),
            refused: read(&self.refused),
            undone: read(&self.undone),
            diverged: read(&self.diverged),
            commit_unknown: read(&self.commit_unknown),
            last_secondary_error: self
                .last_secondary_error
                .lock()
                .ok()
                .and_then(|last| last.clone()),
        }
    }

    /// A change ended: kept, and whether the secondary was changed too.
    pub(crate) fn ended(&self, done: &Result<bool, Error>) {
        match done {
            Ok(secondary) => {
                bump(&self.written);
                if *secondary {
                    bump(&self.secondary_written);
                }
            }
            Err(Error::CommitUnknown { .. }) => bump(&self.commit_unknown),
            Err(Error::Diverged { .. }) => {
                bump(&self.diverged);
                bump(&self.refused);
            }
            Err(_) => bump(&self.refused),
        }
    }

    /// A secondary change failed in `shadow` mode.
    pub(crate) fn secondary_failed(&self, error: &Error) {
        bump(&self.secondary_failures);
        if let Ok(mut last) = self.last_secondary_error.lock() {
            *last = Some(error.to_string());
        }
    }

    /// An undo ended.
    pub(crate) fn undone(&self, ok: bool) {
        if ok {
            bump(&self.undone);
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
