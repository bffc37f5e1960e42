//! The upcast demo: reads the bundled legacy store of an online store into the current
//! record types and prints what it found. With a command, it is the `upcast` CLI over the
//! store's record types.
//!
//! ```text
//! cargo run --release -p upcast-demo                      # the demo
//! cargo run --release -p upcast-demo -- demo [DIR] [PASSES]
//! cargo run -p upcast-demo -- check schemas               # the CI check of the demo domain
//! cargo run -p upcast-demo -- stats crates/upcast-demo/data/events.jsonl
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use upcast_demo::{dataset, demo, migration};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("demo") => run_demo(args.get(1), args.get(2)),
        Some(_) => upcast_cli::main(),
    }
}

fn run_demo(dir: Option<&String>, passes: Option<&String>) -> ExitCode {
    let dir = dir.map_or_else(dataset::data_dir, PathBuf::from);
    let passes = passes.and_then(|n| n.parse().ok()).unwrap_or(20);
    if let Err(error) = upcast::Registry::validate() {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    eprintln!("reading {} ({passes} passes)", dir.display());
    match demo::run(&dir, passes) {
        Ok(report) => print!("{report}"),
        Err(error) => {
            eprintln!("error: cannot read the store in {}: {error}", dir.display());
            return ExitCode::from(2);
        }
    }
    // The junk records fail their steps on purpose: the migration reports them and leaves
    // them as they were, and the demo still succeeds.
    match migration::run(&dir, &mut std::io::stdout()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot migrate the store: {error}");
            ExitCode::from(2)
        }
    }
}
