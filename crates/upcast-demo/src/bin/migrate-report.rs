//! Prints how fast a store is migrated:
//! `cargo run --release -p upcast-demo --bin migrate-report [-- COPIES [sqlite|jsonl]]`.
//!
//! - SQLite in place: the demo dataset repeated COPIES times (17: about 200,000 records)
//!   in a temporary database, envelopes and inline orders, batches of 1,000;
//! - JSON Lines copy: the envelopes repeated as many times, copied and transformed.
//!
//! `RAYON_NUM_THREADS=1` measures one core. Each figure is taken in three rounds.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use upcast::{Layout, Registry};
use upcast_demo::dataset::{self, EVENTS_FILE, ORDERS_FILE};
use upcast_demo::stores;
use upcast_migrate::{Converter, Quiet, RunOptions, StoreSpec};

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let copies = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(17);
    let only = std::env::args().nth(2);
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; run with --release for meaningful figures");
    }
    match report(copies, only.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// Rounds of each measurement: on a shared machine, the best round is the one least
/// disturbed.
const ROUNDS: usize = 3;

fn report(copies: usize, only: Option<&str>) -> Result<(), Failure> {
    let dir = dataset::data_dir();
    let events = std::fs::read_to_string(dir.join(EVENTS_FILE))?.repeat(copies);
    let threads = rayon::current_num_threads();
    println!("upcast migrate report: {copies} copies of the demo dataset, {threads} threads\n");
    for round in 1..=ROUNDS {
        println!("round {round} of {ROUNDS}:");
        let temporary = tempfile::tempdir()?;
        if only != Some("jsonl") {
            let orders = std::fs::read_to_string(dir.join(ORDERS_FILE))?.repeat(copies);
            sqlite_in_place(temporary.path(), &events, &orders)?;
        }
        if only != Some("sqlite") {
            json_lines_copy(temporary.path(), &events)?;
        }
    }
    Ok(())
}

fn sqlite_in_place(dir: &Path, events: &str, orders: &str) -> Result<(), Failure> {
    let db = dir.join("store.db");
    let records = stores::load(&db, events, orders, 1)?;
    let (mut rewritten, clock) = (0, Instant::now());
    for (table, layout) in [
        (stores::EVENTS_TABLE, Layout::envelope()),
        (
            stores::ORDERS_TABLE,
            Layout::inline("schema_version").with_kind("order"),
        ),
    ] {
        let spec = format!("sqlite:{}?table={table}", db.display());
        rewritten += migrate(&spec, &layout)?;
    }
    let seconds = clock.elapsed().as_secs_f64();
    println!(
        "  sqlite in place: {records} records ({rewritten} rewritten) in {seconds:.2} s: \
         {:.0} records/s (target >= 50,000 on one core)",
        records as f64 / seconds
    );
    Ok(())
}

fn json_lines_copy(dir: &Path, events: &str) -> Result<(), Failure> {
    let file = dir.join("events.jsonl");
    std::fs::write(&file, events)?;
    let clock = Instant::now();
    migrate(&format!("jsonl:{}", file.display()), &Layout::envelope())?;
    let seconds = clock.elapsed().as_secs_f64();
    let megabytes = events.len() as f64 / 1e6;
    println!(
        "  json lines copy: {megabytes:.1} MB in {seconds:.2} s: {:.0} MB/s (target >= 100)",
        megabytes / seconds
    );
    Ok(())
}

/// Runs a migration of `spec` to its end; how many records it rewrote.
fn migrate(spec: &str, layout: &Layout) -> Result<u64, Failure> {
    let mut store = StoreSpec::parse(spec)?.open()?;
    let converter = Converter::new(Registry::try_global()?, layout);
    let options = RunOptions::default();
    let report = upcast_migrate::run(
        &mut *store,
        &converter,
        &options,
        &AtomicBool::new(false),
        &mut Quiet,
    )?;
    Ok(report.progress.rewritten)
}
