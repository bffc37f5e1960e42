//! `migrate run`: batches of records read in key order, converted in parallel, committed
//! with their checkpoint, pass after pass until nothing is left or an old writer shows.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;

use crate::convert::{Converter, failure};
use crate::report::{Ended, RunReport, Tally};
use crate::store::{Action, Decision, Entry, Progress, Store};
use crate::{Error, Key, Row};

/// How long a worker that stops answering keeps its work, unless the options say.
const DEFAULT_WORKER_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a worker waits before it looks again for work that others hold.
const WAIT: Duration = Duration::from_millis(20);

/// How a run goes.
///
/// ```
/// let options = upcast_migrate::RunOptions::default().batch(500).max_rate(10_000.0);
/// assert_eq!(options.batch, Some(500));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RunOptions {
    /// Records per batch, each committed in one transaction; `None`: the store's choice
    /// (1,000 rows of a table, 10,000 lines of a file).
    pub batch: Option<usize>,
    /// Stop once this many records are rewritten (to try a migration on part of a store).
    pub limit: Option<u64>,
    /// At most this many records read per second, to share the database with its service.
    pub max_rate: Option<f64>,
    /// A pause after every batch, for the same reason.
    pub pause: Duration,
    /// Passes after the first at most: each picks up what arrived or changed during the
    /// one before, and they go on only while each finds fewer old records than the last.
    pub follow_up_passes: u32,
    /// How long a worker that stops answering (frozen, cut off from the server) keeps its
    /// unit of work before the server takes it back for others, and the longest wait for
    /// another's lock. 60 seconds unless set.
    pub worker_timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            batch: None,
            limit: None,
            max_rate: None,
            pause: Duration::ZERO,
            follow_up_passes: 3,
            worker_timeout: DEFAULT_WORKER_TIMEOUT,
        }
    }
}

impl RunOptions {
    /// The same options with batches of `batch` records.
    ///
    /// See the example on [`RunOptions`].
    pub fn batch(self, batch: usize) -> Self {
        RunOptions {
            batch: Some(batch.max(1)),
            ..self
        }
    }

    /// The same options, stopping after `limit` rewrites.
    ///
    /// ```
    /// assert_eq!(upcast_migrate::RunOptions::default().limit(10).limit, Some(10));
    /// ```
    pub fn limit(self, limit: u64) -> Self {
        RunOptions {
            limit: Some(limit),
            ..self
        }
    }

    /// The same options, reading at most `rate` records per second.
    ///
    /// See the example on [`RunOptions`].
    pub fn max_rate(self, rate: f64) -> Self {
        RunOptions {
            max_rate: Some(rate),
            ..self
        }
    }

    /// The same options, a worker that stops answering letting go of its work after
    /// `timeout` (at least a second).
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = upcast_migrate::RunOptions::default().worker_timeout(Duration::from_secs(5));
    /// assert_eq!(options.worker_timeout.as_secs(), 5);
    /// ```
    pub fn worker_timeout(self, timeout: Duration) -> Self {
        RunOptions {
            worker_timeout: timeout.max(Duration::from_secs(1)),
            ..self
        }
    }

    /// The same options with a pause after every batch.
    ///
    /// ```
    /// let options = upcast_migrate::RunOptions::default().pause(std::time::Duration::from_millis(5));
    /// assert_eq!(options.pause.as_millis(), 5);
    /// ```
    pub fn pause(self, pause: Duration) -> Self {
        RunOptions { pause, ..self }
    }
}

/// Hears how a run goes, for progress output.
pub trait Observer {
    /// A pass begins: `pass` 1 migrates what was there when the run began, later ones what
    /// arrived or changed since; `total` is how many records it reads, when known.
    fn pass(&mut self, pass: u32, total: Option<u64>) {
        let _ = (pass, total);
    }

    /// A batch was committed: `read` records read so far by this pass (of a resumed pass,
    /// since it was resumed), `rewritten` rewritten so far by this run.
    fn batch(&mut self, read: u64, rewritten: u64) {
        let _ = (read, rewritten);
    }
}

/// An observer that hears nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// Migrates every record of `store` not at its kind's current version: what was there when
/// the run began, then what arrived or changed during it, pass by pass, until a pass finds
/// nothing or stops finding fewer than the one before. Resumes an interrupted run where
/// its last committed batch ended. Stops after the batch in flight once `stop` is set.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.run", version = 1)]
/// # struct Note { text: String }
/// use std::sync::atomic::AtomicBool;
/// use upcast_migrate::{Converter, Quiet, RunOptions, StoreSpec};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("notes.jsonl");
/// std::fs::write(&path, "{\"kind\":\"doc.run\",\"version\":1,\"data\":{\"text\":\"hi\"}}\n")?;
/// let mut store = StoreSpec::Jsonl(path).open()?;
/// let layout = upcast::Layout::envelope();
/// let converter = Converter::new(upcast::Registry::global(), &layout);
/// let report = upcast_migrate::run(&mut *store, &converter, &RunOptions::default(), &AtomicBool::new(false), &mut Quiet)?;
/// assert!(report.clean());
/// assert_eq!(report.progress.current, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(
    store: &mut dyn Store,
    converter: &Converter<'_>,
    options: &RunOptions,
    stop: &AtomicBool,
    observer: &mut dyn Observer,
) -> Result<RunReport, Error> {
    let clock = Instant::now();
    store.lock(Action::Run)?;
    store.set_timeout(options.worker_timeout)?;
    let targets = converter.targets();
    if let Some(earlier) = store.progress()? {
        check_targets(&*store, &earlier, &targets)?;
    }
    let fresh = Progress {
        started_at: now(),
        pass: 1,
        targets,
        ..Progress::default()
    };
    let Some(progress) = patiently(stop, || store.begin(fresh.clone()))? else {
        return Ok(RunReport {
            store: store.name(),
            ended: Ended::Interrupted,
            failures: Vec::new(),
            still_arriving: Tally::default(),
            progress: store.progress()?.unwrap_or(fresh),
            rewritten: Tally::default(),
            read: 0,
            seconds: clock.elapsed().as_secs_f64(),
        });
    };
    let mut run = Run {
        progress,
        report: Tally::default(),
        found: Tally::default(),
        read: 0,
        rewritten: 0,
    };
    let mut previous: Option<u64> = None;
    let batch = options.batch.unwrap_or_else(|| store.batch_hint());
    let ended = loop {
        let pass = run.progress.pass;
        if patiently(stop, || store.start_pass(pass, batch))?.is_none() {
            break Ended::Interrupted;
        }
        let total = store.remaining(run.progress.after.as_ref(), pass == 1)?;
        observer.pass(pass, total);
        if let Some(ended) = run.pass(store, converter, options, batch, stop, observer)? {
            break ended;
        }
        let found = store.pass_found(pass, run.progress.pass_found)?;
        let last_pass = pass > options.follow_up_passes;
        if pass > 1 && (found == 0 || previous.is_some_and(|before| found >= before) || last_pass) {
            break if found == 0 {
                Ended::Finished
            } else {
                Ended::OldWriter
            };
        }
        previous = (pass > 1).then_some(found);
        run.next_pass(store.rescans());
    };
    let failures = store.failures()?;
    run.progress.failed = failures.len() as u64;
    // Every batch saved its own progress; a run that finished also says when. One that
    // stopped writes nothing now: another worker may have finished the migration since.
    if matches!(ended, Ended::Finished | Ended::OldWriter) {
        run.progress.finished_at = Some(now());
        store.commit(&[], &mut run.progress)?;
    }
    // What the store saved: the same, or, for a store shared by many workers, all of theirs.
    if let Some(progress) = store.progress()? {
        run.progress = progress;
    }
    Ok(RunReport {
        store: store.name(),
        ended,
        failures: failures
            .iter()
            .map(|(key, why)| failure(key, why))
            .collect(),
        still_arriving: match ended {
            Ended::OldWriter => run.found,
            _ => Tally::default(),
        },
        progress: run.progress,
        rewritten: run.report,
        read: run.read,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// A rewrite decided: the record's key, kind and stored version.
type Rewrite = (Key, String, String);

/// A run in progress.
struct Run {
    progress: Progress,
    /// Records rewritten by this run, by kind and version.
    report: Tally,
    /// Old records found by the current pass.
    found: Tally,
    read: u64,
    rewritten: u64,
}

impl Run {
    /// Runs the current pass to its end; `Some` when the run must stop before.
    fn pass(
        &mut self,
        store: &mut dyn Store,
        converter: &Converter<'_>,
        options: &RunOptions,
        batch: usize,
        stop: &AtomicBool,
        observer: &mut dyn Observer,
    ) -> Result<Option<Ended>, Error> {
        let bounded = self.progress.pass == 1;
        // A pass that reads the whole store again counts only what it changes.
        let first_sight = bounded || !store.rescans();
        let clock = Instant::now();
        // Rows read by this pass, rescans included: `--max-rate` holds for every pass.
        let mut scanned = 0u64;
        loop {
            if stop.load(Ordering::Relaxed) {
                return Ok(Some(Ended::Interrupted));
            }
            if options.limit.is_some_and(|limit| self.rewritten >= limit) {
                return Ok(Some(Ended::Limit));
            }
            let rows = store.read(self.progress.after.as_ref(), batch, bounded)?;
            if rows.is_empty() {
                if store.others_hold_work()? {
                    thread::sleep(WAIT);
                    continue;
                }
                return Ok(None);
            }
            let budget = options
                .limit
                .map(|limit| limit.saturating_sub(self.rewritten));
            let (entries, rewrites) = self.decide(converter, rows, first_sight, budget);
            scanned += entries.len() as u64;
            self.progress.after = entries.last().map(|entry| entry.row.key.clone());
            let conflicts = store.commit(&entries, &mut self.progress)?;
            self.applied(rewrites, &conflicts);
            observer.batch(scanned, self.rewritten);
            slow_down(options, scanned, clock.elapsed(), stop);
        }
    }

    /// Converts a batch in parallel and counts what it found (current and failing records
    /// only when `first_sight`: a later pass of a store read again meets them again). Also
    /// the key, kind and stored version of each rewrite, for [`Run::applied`]. With a
    /// `budget` of rewrites (what `--limit` leaves), the batch ends at the record that
    /// spends it: the entries are then a prefix of the rows, the rest left for later.
    fn decide(
        &mut self,
        converter: &Converter<'_>,
        rows: Vec<Row>,
        first_sight: bool,
        budget: Option<u64>,
    ) -> (Vec<Entry>, Vec<Rewrite>) {
        let decided: Vec<_> = rows
            .into_par_iter()
            .map(|row| {
                let decided = converter.decide(&row);
                (row, decided)
            })
            .collect();
        let mut entries = Vec::with_capacity(decided.len());
        let mut rewrites = Vec::new();
        let mut spent = 0;
        for (row, decided) in decided {
            if budget.is_some_and(|budget| spent >= budget) {
                break;
            }
            self.read += u64::from(first_sight);
            match &decided.decision {
                Decision::Keep if first_sight => self.progress.current += 1,
                Decision::Fail(_) if first_sight => self.progress.failed += 1,
                Decision::Keep | Decision::Fail(_) => {}
                Decision::Rewrite { .. } => {
                    spent += 1;
                    self.progress.rewritten += 1;
                    self.rewritten += 1;
                    if let Some((kind, stored)) = decided.seen {
                        self.found.add(&kind, &stored, 1);
                        self.progress.pass_found += 1;
                        rewrites.push((row.key.clone(), kind, stored));
                    }
                }
            }
            entries.push(Entry::new(row, decided.decision));
        }
        (entries, rewrites)
    }

    /// Counts the rewrites a commit applied: not those it refused because the record had
    /// changed since it was read (a later pass takes them).
    fn applied(&mut self, rewrites: Vec<Rewrite>, conflicts: &[Key]) {
        self.rewritten -= conflicts.len() as u64;
        for (key, kind, stored) in rewrites {
            if !conflicts.contains(&key) {
                self.report.add(&kind, &stored, 1);
            }
        }
    }

    fn next_pass(&mut self, rescans: bool) {
        self.progress.pass += 1;
        self.progress.pass_found = 0;
        if rescans {
            self.progress.after = None;
        }
        self.found = Tally::default();
    }
}

/// Refuses to go on from `earlier` toward other versions than it went to while its saved
/// originals are kept: a rollback would then put back a mix of the two migrations' inputs.
fn check_targets(
    store: &dyn Store,
    earlier: &Progress,
    targets: &BTreeMap<String, String>,
) -> Result<(), Error> {
    if earlier.finalized_at.is_some() {
        return Ok(());
    }
    let moved = earlier.targets.iter().find_map(|(kind, then)| {
        let now = targets.get(kind).filter(|now| *now != then)?;
        Some(format!(
            "the originals of an earlier migration of `{kind}` {then} are kept, and this run \
             migrates it to {now}: finalize that migration (`upcast migrate finalize`) or roll \
             it back (`upcast migrate rollback`) first"
        ))
    });
    match moved {
        Some(reason) => Err(Error::state("migrate", &store.name(), reason)),
        None => Ok(()),
    }
}

/// Runs `act` until the store is not busy, waiting between tries; `None` once `stop` is
/// set while it waits.
fn patiently<T>(
    stop: &AtomicBool,
    mut act: impl FnMut() -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    loop {
        match act() {
            Err(Error::Busy { .. }) if !stop.load(Ordering::Relaxed) => thread::sleep(WAIT),
            Err(Error::Busy { .. }) => return Ok(None),
            done => return done.map(Some),
        }
    }
}

/// Sleeps for the pause, and as long as `--max-rate` asks, waking at once when `stop` is
/// set.
pub(crate) fn slow_down(options: &RunOptions, read: u64, elapsed: Duration, stop: &AtomicBool) {
    let mut wait = options.pause;
    if let Some(rate) = options.max_rate.filter(|rate| *rate > 0.0) {
        let due = Duration::from_secs_f64(read as f64 / rate);
        wait = wait.max(due.saturating_sub(elapsed));
    }
    let until = Instant::now() + wait;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        thread::sleep(left.min(WAIT));
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}
