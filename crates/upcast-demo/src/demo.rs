//! The demo: read every record of the bundled legacy store into its current type, count
//! them per kind and stored version, and measure the throughput.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use upcast::{Layout, Registry};

use crate::customer::Customer;
use crate::dataset::{EVENTS_FILE, ORDERS_FILE};
use crate::order::{self, Order};
use crate::product::Product;

/// What one read of the store found.
#[derive(Debug, Default)]
pub struct Report {
    /// Records per kind and stored version tag (`untagged` for records with none).
    pub counts: BTreeMap<(String, String), usize>,
    /// Records whose read failed, with the file, the line and the error.
    pub failures: Vec<Failure>,
    /// Records read, failed ones included.
    pub records: usize,
    /// Bytes read.
    pub bytes: usize,
    /// The median time of one full pass.
    pub elapsed: Duration,
}

/// A record that could not be read.
#[derive(Debug)]
pub struct Failure {
    /// The file it is in.
    pub file: &'static str,
    /// Its line, from 1.
    pub line: usize,
    /// Why.
    pub error: upcast::Error,
}

/// The two files of the store, in memory.
pub struct Store {
    events: Vec<u8>,
    orders: Vec<u8>,
}

impl Store {
    /// Reads the store's files from `dir` into memory.
    ///
    /// ```
    /// let store = upcast_demo::demo::Store::load(&upcast_demo::dataset::data_dir())?;
    /// assert_eq!(store.read_all(), store.records() - 3, "three junk records fail");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn load(dir: &Path) -> io::Result<Store> {
        Ok(Store {
            events: std::fs::read(dir.join(EVENTS_FILE))?,
            orders: std::fs::read(dir.join(ORDERS_FILE))?,
        })
    }

    /// How many records the store holds.
    pub fn records(&self) -> usize {
        lines(&self.events).count() + lines(&self.orders).count()
    }

    /// How many bytes the store holds.
    pub fn bytes(&self) -> usize {
        self.events.len() + self.orders.len()
    }

    /// Reads every record into its current type; returns how many reads succeeded.
    pub fn read_all(&self) -> usize {
        let mut report = Report::default();
        read_all(self, Some(&mut report));
        report.records - report.failures.len()
    }
}

/// Reads the store in `dir` `passes` times (at least once); counts come from the first
/// pass, the time is the median pass.
///
/// ```
/// let report = upcast_demo::demo::run(&upcast_demo::dataset::data_dir(), 1)?;
/// assert_eq!(report.records, report.counts.values().sum::<usize>());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn run(dir: &Path, passes: usize) -> io::Result<Report> {
    let store = Store::load(dir)?;
    let mut report = Report {
        bytes: store.bytes(),
        ..Report::default()
    };
    let mut times = Vec::new();
    for pass in 0..passes.max(1) {
        let started = Instant::now();
        let tally = (pass == 0).then_some(&mut report);
        read_all(&store, tally);
        times.push(started.elapsed());
    }
    times.sort();
    report.elapsed = times[times.len() / 2];
    Ok(report)
}

/// One pass over the store; `report` collects counts and failures when given.
fn read_all(store: &Store, mut report: Option<&mut Report>) {
    let inline = order::layout();
    for (index, line) in lines(&store.events) {
        let result = match upcast::header(line) {
            Ok(header) => {
                let read = match header.kind() {
                    Some("customer") => upcast::from_slice::<Customer>(line).map(drop),
                    _ => upcast::from_slice::<Product>(line).map(drop),
                };
                count(&mut report, header.kind().unwrap_or("?"), header.tag());
                read
            }
            Err(error) => Err(error),
        };
        record(&mut report, EVENTS_FILE, index, result);
    }
    for (index, line) in lines(&store.orders) {
        let tag = inline
            .header(line)
            .ok()
            .and_then(|h| h.tag().map(str::to_owned));
        count(&mut report, "order", tag.as_deref());
        let result = inline.from_slice::<Order>(line).map(drop);
        record(&mut report, ORDERS_FILE, index, result);
    }
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
}

fn count(report: &mut Option<&mut Report>, kind: &str, tag: Option<&str>) {
    if let Some(report) = report {
        let key = (kind.to_owned(), tag.unwrap_or("untagged").to_owned());
        *report.counts.entry(key).or_default() += 1;
    }
}

fn record(
    report: &mut Option<&mut Report>,
    file: &'static str,
    index: usize,
    result: Result<(), upcast::Error>,
) {
    if let Some(report) = report {
        report.records += 1;
        if let Err(error) = result {
            report.failures.push(Failure {
                file,
                line: index + 1,
                error,
            });
        }
    }
}

impl Report {
    /// Records per second of one pass.
    pub fn records_per_second(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Megabytes (10^6 bytes) per second of one pass.
    pub fn megabytes_per_second(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>9} {:>8}   path to the current version",
            "kind", "stored", "records"
        )?;
        for ((kind, tag), records) in &self.counts {
            writeln!(f, "{kind:<10} {tag:>9} {records:>8}   {}", path(kind, tag))?;
        }
        writeln!(
            f,
            "\n{} records, {:.1} MB in {:.1} ms: {:.0} records/s, {:.0} MB/s (median of the passes)",
            self.records,
            self.bytes as f64 / 1e6,
            self.elapsed.as_secs_f64() * 1e3,
            self.records_per_second(),
            self.megabytes_per_second()
        )?;
        writeln!(f, "{} records failed to upcast:", self.failures.len())?;
        for failure in &self.failures {
            writeln!(f, "  {}:{}: {}", failure.file, failure.line, failure.error)?;
        }
        Ok(())
    }
}

/// `1.0.0 -> 2.0.0 -> ...` for a stored version, from the registry.
fn path(kind: &str, tag: &str) -> String {
    let stored = match tag {
        "untagged" => None,
        tag => match tag.parse() {
            Ok(version) => Some(version),
            Err(error) => return format!("({error})"),
        },
    };
    match Registry::global().path(kind, stored.as_ref()) {
        Ok(path) if path.len() == 1 => "read directly, no step".to_owned(),
        Ok(path) => path
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" -> "),
        Err(error) => format!("({error})"),
    }
}

/// The layout of a file of the store.
pub fn layout_of(file: &str) -> Layout {
    if file == ORDERS_FILE {
        order::layout()
    } else {
        Layout::envelope()
    }
}
