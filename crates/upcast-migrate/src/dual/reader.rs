//! Reads from the new store for a share of keys, the old store for the rest and as the
//! fallback, and with shadow reads both, answering from the old one and reporting where
//! they differ.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;
use upcast::{Layout, Versioned};

use super::observe;
use super::table::Table;
use crate::{Error, Key, fnv};

/// Keys are shared out in this many parts: a share is counted in parts per ten thousand.
const PARTS: u64 = 10_000;

/// What a [`SharedReader`] has done.
///
/// ```
/// let counts = upcast_migrate::dual::ReadCounts::default();
/// assert_eq!(counts.differences, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ReadCounts {
    /// Reads of a key in the share, answered by the new store.
    pub new: u64,
    /// Reads of a key in the share that the new store did not have: answered by the old.
    pub fallbacks: u64,
    /// Reads of keys outside the share, answered by the old store.
    pub old: u64,
    /// Shadow reads where the two stores held different records (the old one answered,
    /// the truth until the switch is complete).
    pub differences: u64,
    /// Shadow reads of the other store that failed (the answer stood).
    pub shadow_failures: u64,
}

#[derive(Default)]
struct Counters {
    new: AtomicU64,
    fallbacks: AtomicU64,
    old: AtomicU64,
    differences: AtomicU64,
    shadow_failures: AtomicU64,
}

/// Reads records by key from the old store or the new one, as the read switch of a move
/// says: the new one for a share of the keys chosen by a stable hash (the same keys on
/// every machine, a key staying where it is as the share grows), the old one for the
/// others and as the fallback.
///
/// With **shadow reads** on, every read goes to both stores: the old store's record is
/// returned, and a difference is counted, logged as a `tracing` event and exported through
/// `metrics`, which proves the new store before reads switch to it. Share and shadow reads
/// change at run time; every call takes `&self`.
///
/// ```no_run
/// # async fn doc() -> Result<(), upcast_migrate::Error> {
/// use upcast_migrate::Key;
/// use upcast_migrate::dual::{SharedReader, Table};
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.shared", version = 1)]
/// # struct Note { text: String }
///
/// let pool = sqlx::PgPool::connect("postgres://postgres@127.0.0.1/test").await.expect("pool");
/// let old = Table::open(pool.clone(), "shop.notes", "id", "body").await?;
/// let new = Table::open(pool, "shop.notes_v2", "id", "body").await?;
/// let reader = SharedReader::new(old, new);
/// reader.set_shadow_reads(true);
/// reader.set_share(0.10);
/// let note: Option<Note> = reader.read(&Key::Int(7)).await?;
/// println!("{:?}", reader.counts());
/// # Ok(())
/// # }
/// ```
pub struct SharedReader {
    old: Table,
    new: Table,
    layout: Layout,
    /// Parts per ten thousand of the keys read from the new store.
    parts: AtomicU64,
    shadow: AtomicBool,
    counts: Counters,
}

impl SharedReader {
    /// Reads envelopes, all from `old` until a share is set.
    pub fn new(old: Table, new: Table) -> Self {
        SharedReader {
            old,
            new,
            layout: Layout::envelope(),
            parts: AtomicU64::new(0),
            shadow: AtomicBool::new(false),
            counts: Counters::default(),
        }
    }

    /// Reads records in `layout`.
    pub fn layout(self, layout: Layout) -> Self {
        SharedReader { layout, ..self }
    }

    /// Reads `share` of the keys (0.0 to 1.0) from the new store, from now on.
    pub fn set_share(&self, share: f64) {
        self.parts.store(parts(share), Ordering::SeqCst);
    }

    /// The share of keys read from the new store.
    pub fn share(&self) -> f64 {
        self.parts.load(Ordering::SeqCst) as f64 / PARTS as f64
    }

    /// Turns shadow reads on or off, from now on.
    pub fn set_shadow_reads(&self, on: bool) {
        self.shadow.store(on, Ordering::SeqCst);
    }

    /// Whether shadow reads are on.
    pub fn shadow_reads(&self) -> bool {
        self.shadow.load(Ordering::SeqCst)
    }

    /// What it has done so far.
    pub fn counts(&self) -> ReadCounts {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ReadCounts {
            new: read(&self.counts.new),
            fallbacks: read(&self.counts.fallbacks),
            old: read(&self.counts.old),
            differences: read(&self.counts.differences),
            shadow_failures: read(&self.counts.shadow_failures),
        }
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
        part(key) < parts(share)
    }

    /// The record of `key` as `T`, from the store its share says.
    pub async fn read<T: Versioned + Serialize>(&self, key: &Key) -> Result<Option<T>, Error> {
        let started = Instant::now();
        let in_share = part(key) < self.parts.load(Ordering::SeqCst);
        let shadow = self.shadow_reads();
        let (source, found) = match in_share {
            false => (Source::Old, self.read_from::<T>(&self.old, key).await?),
            true => match self.read_from::<T>(&self.new, key).await? {
                Some(new) => (Source::New, Some(new)),
                None => (Source::Fallback, self.read_from::<T>(&self.old, key).await?),
            },
        };
        let (answer, counter) = match source {
            Source::New if shadow => (self.shadowed_by_old(key, found).await, &self.counts.new),
            Source::New => (found, &self.counts.new),
            Source::Old if shadow => (self.shadowing_new(key, found).await, &self.counts.old),
            Source::Old => (found, &self.counts.old),
            Source::Fallback => (found, &self.counts.fallbacks),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        observe::read(source.name(), started.elapsed());
        Ok(answer)
    }

    /// A key read from the new store, checked against the old one, which answers.
    async fn shadowed_by_old<T: Versioned + Serialize>(
        &self,
        key: &Key,
        new: Option<T>,
    ) -> Option<T> {
        match self.read_from::<T>(&self.old, key).await {
            Ok(old) if same(&old, &new) => new,
            Ok(old) => {
                self.differ::<T>(key, "old");
                old
            }
            Err(error) => {
                self.shadow_failed::<T>(key, &error);
                new
            }
        }
    }

    /// A key read from the old store, which answers, checked against the new one.
    async fn shadowing_new<T: Versioned + Serialize>(
        &self,
        key: &Key,
        old: Option<T>,
    ) -> Option<T> {
        match self.read_from::<T>(&self.new, key).await {
            Ok(new) if same(&old, &new) => {}
            Ok(_) => self.differ::<T>(key, "old"),
            Err(error) => self.shadow_failed::<T>(key, &error),
        }
        old
    }

    fn differ<T: Versioned>(&self, key: &Key, answered_by: &'static str) {
        self.counts.differences.fetch_add(1, Ordering::Relaxed);
        observe::difference(T::KIND, key, answered_by);
    }

    fn shadow_failed<T: Versioned>(&self, key: &Key, error: &Error) {
        self.counts.shadow_failures.fetch_add(1, Ordering::Relaxed);
        observe::shadow_failed(T::KIND, key, error);
    }

    async fn read_from<T: Versioned>(&self, table: &Table, key: &Key) -> Result<Option<T>, Error> {
        match table.get(key).await? {
            Some(body) => Ok(Some(self.layout.from_slice(&body)?)),
            None => Ok(None),
        }
    }
}

/// Which store answered a read.
#[derive(Clone, Copy)]
enum Source {
    /// The old store, the key being outside the share.
    Old,
    /// The new store.
    New,
    /// The old store, the new one having nothing for a key in the share.
    Fallback,
}

impl Source {
    /// Its label in the metrics.
    fn name(self) -> &'static str {
        match self {
            Source::Old => "old",
            Source::New => "new",
            Source::Fallback => "fallback",
        }
    }
}

fn parts(share: f64) -> u64 {
    (share.clamp(0.0, 1.0) * PARTS as f64).round() as u64
}

/// Where `key` falls among the parts: FNV-1a of its text, the same on every machine.
fn part(key: &Key) -> u64 {
    fnv::fnv(fnv::BASIS, key.to_string().as_bytes()) % PARTS
}

/// Whether two reads hold the same record (compared as JSON values: the same record at
/// two versions, or in two layouts, reads the same).
fn same<T: Serialize>(a: &Option<T>, b: &Option<T>) -> bool {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
