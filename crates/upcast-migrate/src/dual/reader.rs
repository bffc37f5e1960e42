//! Reads from the new store for a share of keys, the old store for the rest, and the old
//! store again wherever the new one has nothing (or, checking, something else).

use serde::Serialize;
use upcast::{Decode, Layout};

use super::table::Table;
use crate::{Error, Key, fnv};

/// Keys are shared out in this many parts: a share is counted in parts per ten thousand.
const PARTS: u64 = 10_000;

/// What a [`SharedReader`] has done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReadCounts {
    /// Reads of a key in the share, answered by the new store.
    pub hits: u64,
    /// Reads of a key in the share that the new store did not have: answered by the old.
    pub fallbacks: u64,
    /// Reads (when checking) where the two stores held different records: answered by the
    /// old one, which stays the truth until the switch is complete.
    pub mismatches: u64,
    /// Reads of keys outside the share, answered by the old store.
    pub old: u64,
}

/// Reads records by key from the old store or the new one: the new one for a share of the
/// keys chosen by a stable hash (the same keys on every machine, a key staying where it
/// is as the share grows), the old one for the others and as the fallback.
///
/// ```no_run
/// use upcast_migrate::dual::{SharedReader, Table};
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.shared", version = 1)]
/// # struct Note { text: String }
///
/// let old = Table::connect("postgres://postgres@127.0.0.1/test?table=notes")?;
/// let new = Table::connect("postgres://postgres@127.0.0.1/test?table=notes_v2")?;
/// let mut reader = SharedReader::new(old, new).share(0.10).checking(true);
/// let note: Option<Note> = reader.read(&upcast_migrate::Key::Int(7))?;
/// println!("{:?}", reader.counts());
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
pub struct SharedReader {
    old: Table,
    new: Table,
    layout: Layout,
    /// Parts per ten thousand of the keys read from the new store.
    parts: u64,
    checking: bool,
    counts: ReadCounts,
}

impl SharedReader {
    /// Reads envelopes, all from `old` until a share is set.
    pub fn new(old: Table, new: Table) -> Self {
        SharedReader {
            old,
            new,
            layout: Layout::envelope(),
            parts: 0,
            checking: false,
            counts: ReadCounts::default(),
        }
    }

    /// Reads records in `layout`.
    pub fn layout(self, layout: Layout) -> Self {
        SharedReader { layout, ..self }
    }

    /// Reads `share` of the keys (0.0 to 1.0) from the new store.
    pub fn share(mut self, share: f64) -> Self {
        self.set_share(share);
        self
    }

    /// Changes the share at run time.
    pub fn set_share(&mut self, share: f64) {
        self.parts = (share.clamp(0.0, 1.0) * PARTS as f64).round() as u64;
    }

    /// Also reads the old store for keys the new one answers, and counts where they differ.
    pub fn checking(self, checking: bool) -> Self {
        SharedReader { checking, ..self }
    }

    /// What it has done so far.
    pub fn counts(&self) -> &ReadCounts {
        &self.counts
    }

    /// Whether `key` is in the share read from the new store.
    ///
    /// ```
    /// use upcast_migrate::{Key, dual::SharedReader};
    /// assert!(!SharedReader::in_share(&Key::Int(7), 0.0));
    /// assert!(SharedReader::in_share(&Key::Int(7), 1.0));
    /// let half = (0..10_000).filter(|n| SharedReader::in_share(&Key::Int(*n), 0.5)).count();
    /// assert!((4_500..5_500).contains(&half), "{half}");
    /// ```
    pub fn in_share(key: &Key, share: f64) -> bool {
        part(key) < (share.clamp(0.0, 1.0) * PARTS as f64).round() as u64
    }

    /// The record of `key` as `T`, from the store its share says.
    pub fn read<T: Decode + Serialize>(&mut self, key: &Key) -> Result<Option<T>, Error> {
        if part(key) >= self.parts {
            self.counts.old += 1;
            return self.read_old(key);
        }
        let Some(new) = self.new.get(key)? else {
            self.counts.fallbacks += 1;
            return self.read_old(key);
        };
        let new: T = self.layout.from_slice(&new)?;
        if self.checking {
            let old: Option<T> = self.read_old(key)?;
            if let Some(old) = old.filter(|old| !same(old, &new)) {
                self.counts.mismatches += 1;
                return Ok(Some(old));
            }
        }
        self.counts.hits += 1;
        Ok(Some(new))
    }

    fn read_old<T: Decode>(&mut self, key: &Key) -> Result<Option<T>, Error> {
        match self.old.get(key)? {
            Some(old) => Ok(Some(self.layout.from_slice(&old)?)),
            None => Ok(None),
        }
    }
}

/// Where `key` falls among the parts: FNV-1a of its text, the same on every machine.
fn part(key: &Key) -> u64 {
    fnv::fnv(fnv::BASIS, key.to_string().as_bytes()) % PARTS
}

fn same<T: Serialize>(a: &T, b: &T) -> bool {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
