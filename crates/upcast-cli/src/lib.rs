//! The upcast command line, as a library: a binary that links its record types calls
//! [`main`] and gets `check`, `schemas bless`, `read` and `stats` over those types, besides
//! `schema diff` and `schema check`, which need no types.
//!
//! ```no_run
//! // src/bin/records.rs of the crate that defines the records
//! use my_records as _; // keep the records' registrations in the binary
//! # mod my_records {}
//!
//! fn main() -> std::process::ExitCode {
//!     upcast_cli::main()
//! }
//! ```
//!
//! Exit codes: 0 when all is well, 1 when a command found problems (an incompatible
//! schema, a failing check, records that do not upcast), 2 when the tool itself failed.
//! Results go to standard output, progress and per-record errors to standard error.

#![warn(missing_docs)]

mod args;
mod commands;
mod error;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};
pub use commands::Outcome;
pub use error::CliError;

use args::{SchemaCommand, SchemasCommand};

/// Parses the process's arguments, runs the command, prints, and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = run(&cli, &mut out);
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(Outcome::Clean), Ok(())) => ExitCode::SUCCESS,
        (Ok(Outcome::Problems), Ok(())) => ExitCode::from(1),
        (Err(error), _) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
        (_, Err(error)) => {
            eprintln!("error: cannot write the output: {error}");
            ExitCode::from(2)
        }
    }
}

/// Runs a parsed command, writing its results to `out`.
///
/// ```
/// use clap::Parser;
///
/// let cli = upcast_cli::Cli::parse_from(["upcast", "check", "--list"]);
/// let mut out = Vec::new();
/// assert_eq!(upcast_cli::run(&cli, &mut out)?, upcast_cli::Outcome::Clean);
/// assert!(String::from_utf8_lossy(&out).contains("snapshot-changed"));
/// # Ok::<(), upcast_cli::CliError>(())
/// ```
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<Outcome, CliError> {
    match &cli.command {
        Command::Schema(SchemaCommand::Diff(args)) => commands::diff::run(args, out),
        Command::Schema(SchemaCommand::Check(args)) => commands::check::folder(args, out),
        Command::Check(args) => commands::check::check(args, out),
        Command::Schemas(SchemasCommand::Bless { dir }) => commands::check::bless(dir, out),
        Command::Read(args) => commands::read::run(args, out),
        Command::Stats(args) => commands::stats::run(args, out),
        Command::Migrate(command) => commands::migrate::run(command, out),
    }
}
