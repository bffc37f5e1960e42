//! The upcast demo: reads the bundled legacy store of an online store into the current
//! record types and prints what it found.
//!
//! `cargo run --release -p upcast-demo [-- DATA_DIR [PASSES]]`

use std::path::PathBuf;
use std::process::ExitCode;

use upcast_demo::{dataset, demo};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map_or_else(dataset::data_dir, PathBuf::from);
    let passes = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    if let Err(error) = upcast::Registry::validate() {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    eprintln!("reading {} ({passes} passes)", dir.display());
    match demo::run(&dir, passes) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: cannot read the store in {}: {error}", dir.display());
            ExitCode::from(2)
        }
    }
}
