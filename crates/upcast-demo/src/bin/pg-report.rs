//! Prints how fast PostgreSQL stores are migrated:
//! `cargo run --release -p upcast-demo --bin pg-report [-- ROWS]`: ROWS (default
//! 1,000,000) of the demo's envelopes in a `jsonb` table, migrated by 1, 2 and 4 workers,
//! each run on a fresh copy of the table. (The dual writer's latency per mode comes from
//! the shop service's walk through the plan.)
//!
//! Works in a schema of its own on the server `UPCAST_POSTGRES_URL` names, and drops it.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use upcast::{Layout, Registry};
use upcast_demo::dataset::{self, EVENTS_FILE};
use upcast_demo::pg::Scratch;
use upcast_migrate::{Converter, Quiet, RunOptions, StoreSpec};

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
    match report(number(1, 1_000_000)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn report(rows: usize) -> Result<(), Failure> {
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
