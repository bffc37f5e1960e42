//! The demo binary and the demo's records through the CLI and the migration engine.

mod bench_cases;
#[path = "cli_commands.rs"]
mod cli;
#[path = "../../../tests/support/expected.rs"]
mod expected;
mod migrate;
