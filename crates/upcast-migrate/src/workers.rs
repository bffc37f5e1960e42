//! Several workers in one process, each with its own connection to one store they share:
//! the work is split by the store (PostgreSQL's chunks), not here.

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::thread;

use crate::report::{Ended, RunReport};
use crate::store::Store;
use crate::{Converter, Error, Observer, RunOptions, run};

/// Runs one worker per store, at once, and merges what they did: `stores` are connections
/// to one store that [shares work](Store::shares_work). `observer` hears the sum of the
/// workers' progress.
///
/// ```no_run
/// use std::sync::atomic::AtomicBool;
/// use upcast_migrate::{Converter, Quiet, RunOptions, StoreSpec};
///
/// let spec = StoreSpec::parse("postgres://postgres@127.0.0.1/test?table=events")?;
/// let mut stores = vec![spec.open()?, spec.open()?, spec.open()?, spec.open()?];
/// let layout = upcast::Layout::envelope();
/// let converter = Converter::new(upcast::Registry::global(), &layout);
/// let report = upcast_migrate::run_workers(&mut stores, &converter, &RunOptions::default(), &AtomicBool::new(false), &mut Quiet)?;
/// println!("{report}");
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
pub fn run_workers(
    stores: &mut [Box<dyn Store>],
    converter: &Converter<'_>,
    options: &RunOptions,
    stop: &AtomicBool,
    observer: &mut (dyn Observer + Send),
) -> Result<RunReport, Error> {
    if stores.len() > 1 && stores.iter().any(|store| !store.shares_work()) {
        let name = stores.first().map(|store| store.name()).unwrap_or_default();
        return Err(Error::state(
            "run several workers on",
            &name,
            "only a PostgreSQL store can share its records between workers; run one",
        ));
    }
    let shared = Mutex::new(Shared {
        observer,
        read: vec![0; stores.len()],
        rewritten: vec![0; stores.len()],
        pass: 0,
    });
    let reports: Vec<Result<RunReport, Error>> = thread::scope(|scope| {
        let workers: Vec<_> = stores
            .iter_mut()
            .enumerate()
            .map(|(index, store)| {
                let shared = &shared;
                scope.spawn(move || {
                    let mut worker = Worker { index, shared };
                    run(&mut **store, converter, options, stop, &mut worker)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker.join().unwrap_or_else(|_| {
                    Err(Error::state(
                        "run",
                        "a worker",
                        "the worker thread panicked",
                    ))
                })
            })
            .collect()
    });
    merge(reports)
}

/// What the workers report to, together.
struct Shared<'o> {
    observer: &'o mut (dyn Observer + Send),
    read: Vec<u64>,
    rewritten: Vec<u64>,
    /// The greatest pass announced.
    pass: u32,
}

/// One worker's observer: its figures join the others'.
struct Worker<'s, 'o> {
    index: usize,
    shared: &'s Mutex<Shared<'o>>,
}

impl Observer for Worker<'_, '_> {
    fn pass(&mut self, pass: u32, total: Option<u64>) {
        if let Ok(mut shared) = self.shared.lock()
            && pass > shared.pass
        {
            shared.pass = pass;
            shared.read.iter_mut().for_each(|read| *read = 0);
            shared.observer.pass(pass, total);
        }
    }

    fn batch(&mut self, read: u64, rewritten: u64) {
        if let Ok(mut shared) = self.shared.lock() {
            let Shared {
                read: reads,
                rewritten: rewrites,
                ..
            } = &mut *shared;
            if let (Some(mine), Some(done)) =
                (reads.get_mut(self.index), rewrites.get_mut(self.index))
            {
                (*mine, *done) = (read, rewritten);
            }
            let (read, rewritten) = (shared.read.iter().sum(), shared.rewritten.iter().sum());
            shared.observer.batch(read, rewritten);
        }
    }
}

/// One report of many: the first error, else how the run ended (an interruption or a limit
/// before an old writer, before finished), the counts summed, the last progress.
fn merge(reports: Vec<Result<RunReport, Error>>) -> Result<RunReport, Error> {
    let mut merged: Option<RunReport> = None;
    for report in reports {
        let report = report?;
        merged = Some(match merged {
            None => report,
            Some(mut merged) => {
                merged.ended = worse(merged.ended, report.ended);
                merged.rewritten.merge(&report.rewritten);
                merged.still_arriving.merge(&report.still_arriving);
                merged.read += report.read;
                merged.seconds = merged.seconds.max(report.seconds);
                if report.progress.rewritten >= merged.progress.rewritten {
                    merged.progress = report.progress;
                    merged.failures = report.failures;
                }
                merged
            }
        });
    }
    merged.ok_or_else(|| Error::state("run", "no store", "no worker was started"))
}

fn worse(a: Ended, b: Ended) -> Ended {
    let rank = |ended: Ended| match ended {
        Ended::Finished => 0,
        Ended::OldWriter => 1,
        Ended::Limit => 2,
        Ended::Interrupted => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}
