//! Migrations of the demo's dataset through real child processes: killed at random,
//! racing a live writer, rolled back.

mod backfill;
mod conformance;
mod jsonl;
mod jsonl_files;
mod jsonl_live;
mod mysql;
mod pg_names;
mod pg_races;
mod postgres;
mod schemas;
mod secrets;
mod sqlite;
mod sqlite_lifecycle;
mod sqlite_version;
mod stops;
mod support;
