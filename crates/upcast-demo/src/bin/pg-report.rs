//! Prints how fast PostgreSQL stores are migrated and what a dual write costs:
//! `cargo run --release -p upcast-demo --bin pg-report [-- ROWS WRITES]`.
//!
//! - in place: ROWS (default 1,000,000) of the demo's envelopes in a `jsonb` table,
//!   migrated by 1, 2 and 4 workers, each run on a fresh copy of the table;
//! - dual writes: WRITES (default 10,000) customers written by a `DualWriter` in each
//!   mode, the latency of each write, median and 99th percentile.
//!
//! Works in a schema of its own on the server `UPCAST_POSTGRES_URL` names, and drops it.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use upcast::{Layout, Registry};
use upcast_demo::customer::Customer;
use upcast_demo::dataset::{self, EVENTS_FILE};
use upcast_demo::pg::Scratch;
use upcast_migrate::dual::{DualWriter, Mode, Table};
use upcast_migrate::{Converter, Key, Quiet, RunOptions, StoreSpec};

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let number = |at: usize, default: usize| {
        std::env::args()
            .nth(at)
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; run with --release for meaningful figures");
    }
    match report(number(1, 1_000_000), number(2, 10_000)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn report(rows: usize, writes: usize) -> Result<(), Failure> {
    let mut scratch = Scratch::new("report")?;
    let events = std::fs::read_to_string(dataset::data_dir().join(EVENTS_FILE))?;
    let lines: Vec<&str> = events
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let all: String = lines
        .iter()
        .cycle()
        .take(rows)
        .map(|line| format!("{line}\n"))
        .collect();
    let clock = Instant::now();
    scratch.load("base", "jsonb", &all)?;
    println!(
        "upcast pg report: {rows} rows loaded in {:.1} s\n",
        clock.elapsed().as_secs_f64()
    );
    for workers in [1, 2, 4] {
        in_place(&mut scratch, rows, workers)?;
    }
    println!();
    for (index, (mode, across)) in [
        (Mode::Off, false),
        (Mode::Shadow, false),
        (Mode::Both, false),
        (Mode::Both, true),
    ]
    .into_iter()
    .enumerate()
    {
        dual_writes(&mut scratch, writes, (mode, across), index)?;
    }
    Ok(())
}

/// Migrates a fresh copy of the base table with `workers` workers.
fn in_place(scratch: &mut Scratch, rows: usize, workers: usize) -> Result<(), Failure> {
    let table = format!("w{workers}");
    let schema = scratch.schema.clone();
    scratch.client.batch_execute(&format!(
        "CREATE TABLE {schema}.{table} AS SELECT * FROM {schema}.base;
         ALTER TABLE {schema}.{table} ADD PRIMARY KEY (id); ANALYZE {schema}.{table}"
    ))?;
    let spec = StoreSpec::parse(&scratch.store(&table))?;
    let mut stores = (0..workers)
        .map(|_| spec.open())
        .collect::<Result<Vec<_>, _>>()?;
    let layout = Layout::envelope();
    let converter = Converter::new(Registry::try_global()?, &layout);
    let clock = Instant::now();
    let report = upcast_migrate::run_workers(
        &mut stores,
        &converter,
        &RunOptions::default(),
        &AtomicBool::new(false),
        &mut Quiet,
    )?;
    let seconds = clock.elapsed().as_secs_f64();
    println!(
        "in place, {workers} worker(s): {rows} rows ({} rewritten) in {seconds:.1} s: {:.0} \
         records/s",
        report.progress.rewritten,
        rows as f64 / seconds
    );
    scratch
        .client
        .batch_execute(&format!("DROP TABLE {schema}.{table}"))?;
    Ok(())
}

/// Writes `writes` customers in `mode` (`across`: the secondary through another URL, so
/// the writer takes it for another database) into tables of their own, and prints the
/// latency.
fn dual_writes(
    scratch: &mut Scratch,
    writes: usize,
    (mode, across): (Mode, bool),
    index: usize,
) -> Result<(), Failure> {
    let name = format!("dual{index}");
    let schema = scratch.schema.clone();
    for suffix in ["old", "new"] {
        scratch.client.batch_execute(&format!(
            "DROP TABLE IF EXISTS {schema}.{name}_{suffix};
             CREATE TABLE {schema}.{name}_{suffix} (id bigint PRIMARY KEY, body jsonb NOT NULL)"
        ))?;
    }
    let primary = Table::connect(&scratch.store(&format!("{name}_old")))?;
    let mut secondary = scratch.store(&format!("{name}_new"));
    if across {
        secondary = secondary.replacen("127.0.0.1", "localhost", 1);
    }
    let mut dual = DualWriter::new(primary, Table::connect(&secondary)?);
    dual.switch().set(mode);
    let mut took = Vec::with_capacity(writes);
    for key in 0..writes as i64 {
        let customer = Customer::sample(key);
        let clock = Instant::now();
        dual.write(&Key::Int(key), &customer)?;
        took.push(clock.elapsed());
    }
    took.sort();
    let at = |share: f64| {
        took.get(((took.len() as f64 * share) as usize).min(took.len().saturating_sub(1)))
    };
    let micros = |time: Option<&Duration>| time.map_or(0.0, |time| time.as_secs_f64() * 1e6);
    let label = match (mode, across) {
        (Mode::Both, true) => "both, across databases".to_owned(),
        (mode, _) => format!("{mode:?}").to_lowercase(),
    };
    println!(
        "dual writes, {label}: {writes} writes, median {:.0} µs, p99 {:.0} µs",
        micros(at(0.5)),
        micros(at(0.99))
    );
    Ok(())
}
