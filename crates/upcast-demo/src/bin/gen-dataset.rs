//! Regenerates the bundled dataset: `cargo run -p upcast-demo --bin gen-dataset [-- DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use upcast_demo::dataset::{self, EVENTS_FILE, ORDERS_FILE, SEED};

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(dataset::data_dir, PathBuf::from);
    let data = dataset::generate(SEED);
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(EVENTS_FILE), &data.events))
        .and_then(|()| std::fs::write(dir.join(ORDERS_FILE), &data.orders));
    match written {
        Ok(()) => {
            eprintln!(
                "wrote {} and {} (seed {SEED}) to {}",
                EVENTS_FILE,
                ORDERS_FILE,
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "error: cannot write the dataset to {}: {error}",
                dir.display()
            );
            ExitCode::from(2)
        }
    }
}
