//! The demo's second act: the bundled dataset loaded into a temporary SQLite store, moved
//! to the current versions in place by `upcast migrate run`, and checked by `upcast migrate
//! verify`, as an operator would run them.

use std::io;
use std::path::Path;

use clap::Parser;
use upcast_cli::{Cli, Outcome};

use crate::dataset::{EVENTS_FILE, ORDERS_FILE};
use crate::stores;

/// Loads the files of `dir` into a temporary SQLite database and migrates and verifies
/// both tables with the CLI's commands, their progress on standard error and their reports
/// in `out`. Returns whether every command came out clean (the dataset's junk records make
/// the answer `false`: they are reported, and left as they were).
///
/// ```no_run
/// let clean = upcast_demo::migration::run(&upcast_demo::dataset::data_dir(), &mut std::io::stdout())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(dir: &Path, out: &mut dyn io::Write) -> Result<bool, Box<dyn std::error::Error>> {
    let events = std::fs::read_to_string(dir.join(EVENTS_FILE))?;
    let orders = std::fs::read_to_string(dir.join(ORDERS_FILE))?;
    let temporary = tempfile::tempdir()?;
    let db = temporary.path().join("store.db");
    let records = stores::load(&db, &events, &orders, 1)?;
    writeln!(out, "\nLoaded {records} records into {}", db.display())?;
    let db = db.display().to_string();
    let events = format!("sqlite:{db}?table={}", stores::EVENTS_TABLE);
    let orders = format!("sqlite:{db}?table={}", stores::ORDERS_TABLE);
    let inline = ["--inline", "schema_version", "--kind", "order"];
    let mut clean = true;
    for (command, store, layout) in [
        ("run", &events, &[][..]),
        ("run", &orders, &inline[..]),
        ("verify", &events, &[][..]),
        ("verify", &orders, &inline[..]),
    ] {
        writeln!(
            out,
            "\n$ upcast migrate {command} {store} {}",
            layout.join(" ")
        )?;
        let arguments = ["upcast", "migrate", command, store.as_str()];
        let cli = Cli::try_parse_from(arguments.iter().chain(layout))?;
        clean &= upcast_cli::run(&cli, out)? == Outcome::Clean;
    }
    if !clean {
        writeln!(
            out,
            "\nThe failures above are expected: the dataset plants records whose steps \
             refuse them (customers from countries the shop never shipped to, an order with \
             a negative price), to show that a migration lists such records with why and \
             leaves them as they were, while every other record is moved and verified."
        )?;
    }
    Ok(clean)
}
