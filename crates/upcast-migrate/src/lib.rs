//! Move stored records forward while services run: migrate every record of a store to its
//! kind's current version, resumably, verifiably and reversibly.
//!
//! upcast reads any stored version; this crate rewrites the stored data, so the oldest
//! steps can one day be retired. A [`Store`](store::Store) is records with a key, read in
//! key order in batches and rewritten with compare-and-swap: a table of SQLite,
//! PostgreSQL or MySQL/MariaDB rewritten in place, or a JSON Lines file copied into a new
//! one (copy-and-transform). Each backend is a cargo feature (`sqlite`, `postgres`,
//! `mysql`, all on by default); JSON Lines is always there.
//!
//! The engine owns every rule; a table store offers primitives and nothing else:
//!
//! ```text
//!   run | verify | rollback | finalize | status      (this crate's functions, the CLI)
//!                        |
//!   engine: passes, units of work, checkpoints, saved originals, conflicts,
//!           failures, locks, the names of its own objects      (store::InPlace)
//!                        |
//!   store::table::Table: lock, own objects, transactions, state, units
//!                        (plan, claim, cut, finish), scan, apply, restore
//!          |                    |                     |
//!       SQLite             PostgreSQL          MySQL / MariaDB
//! ```
//!
//! [`store::table`] says what every implementation guarantees; one conformance suite
//! runs against every store. Runs, rollbacks and finalizes exclude each other across
//! processes and machines (a run shares with other runs' workers); a worker that stops
//! answering lets go of its work within [`RunOptions::worker_timeout`]; store names of any
//! length or spelling, and passwords of any characters, are input, never trusted and
//! never printed.
//!
//! - [`run`]: batches of records, converted in parallel, each batch committed with its
//!   checkpoint and the originals it replaced; a `kill -9` at any instant leaves the old
//!   batch or the new one; run again, it goes on where the last committed batch ended. A
//!   record changed by its service since it was read is not rewritten (a later pass takes
//!   it). It migrates what was there when it began, then passes over what arrived while
//!   only each finds fewer old records than the last: it always ends, and says so when an
//!   old writer is still running.
//! - [`verify`]: every record current, every rewrite the upcast of its saved original.
//! - [`rollback`]: the exact original bytes back, except where the service changed a
//!   record since (listed, never overwritten; their originals kept apart). [`finalize`]
//!   verifies, then drops the originals.
//! - [`plan`] and [`status`]: what a run would do, and where one stands.
//!
//! The CLI's `upcast migrate` is a thin layer over these calls.
//!
//! Moving a kind to a new store while services run is [`dual`]: the dual writer and the
//! shared reader with shadow reads, `async` inside the service on the pool it already has
//! (features `sqlx-postgres`, `sqlx-mysql`, or any driver through [`dual::Database`]),
//! and the backfill.
//!
//! ```
//! # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
//! # #[versioned(kind = "doc.migrate.crate", version = 1)]
//! # struct NoteV1 { text: String }
//! # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
//! # #[versioned(kind = "doc.migrate.crate", version = 2)]
//! # struct Note { text: String, pinned: bool }
//! # #[upcast::register]
//! # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text, pinned: false } } }
//! use std::sync::atomic::AtomicBool;
//! use upcast_migrate::{Converter, Quiet, RunOptions, StoreSpec};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("notes.jsonl");
//! let old = "{\"kind\":\"doc.migrate.crate\",\"version\":1,\"data\":{\"text\":\"hi\"}}\n";
//! std::fs::write(&path, old)?;
//!
//! let mut store = StoreSpec::parse(&format!("jsonl:{}", path.display()))?.open()?;
//! let layout = upcast::Layout::envelope();
//! let converter = Converter::new(upcast::Registry::global(), &layout);
//! let report = upcast_migrate::run(&mut *store, &converter, &RunOptions::default(), &AtomicBool::new(false), &mut Quiet)?;
//! assert_eq!(report.progress.rewritten, 1);
//! assert!(upcast_migrate::verify(&mut *store, &converter)?.passed());
//! upcast_migrate::rollback(&mut *store)?;
//! assert_eq!(std::fs::read_to_string(&path)?, old, "the original, byte for byte");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod compare;
mod convert;
#[cfg(feature = "dual")]
pub mod dual;
mod error;
mod fnv;
mod inspect;
mod key;
mod names;
mod report;
mod run;
mod spec;
pub mod store;
mod workers;

pub use compare::{Comparison, compare};
pub use convert::{Converter, Decided};
pub use error::Error;
pub use inspect::{plan, status, verify};
pub use key::{Key, Row};
pub use report::{Ended, Listed, Plan, RunReport, Status, Tally, Verification};
pub use run::{Observer, Quiet, RunOptions, run};
pub use spec::{StoreSpec, TableSpec, redacted};
pub use store::Restored;
pub use workers::run_workers;

/// Records per transaction when putting originals back.
const ROLLBACK_BATCH: usize = 1000;

/// Puts back the saved original of every rewritten record that has not changed since, byte
/// for byte; records changed since are listed, never overwritten. Ends the migration.
///
/// See the example of the [crate].
pub fn rollback(store: &mut dyn store::Store) -> Result<Restored, Error> {
    store.lock(store::Action::Rollback)?;
    store.rollback(ROLLBACK_BATCH)
}

/// Ends a finished migration, once [`verify`] finds every rewrite to be the upcast of its
/// saved original: drops the saved originals (a table, whose progress stays, marked
/// finalized), or puts the copy in the original's place (a file: the original is kept
/// beside it unless `delete_original`). Refused, the originals kept, when a rewrite is not
/// what its original upcasts to. Returns the verification: records that could not be
/// migrated stay at their old version and are listed there.
///
/// See [`verify`] for an example.
pub fn finalize(
    store: &mut dyn store::Store,
    converter: &Converter<'_>,
    delete_original: bool,
) -> Result<Verification, Error> {
    store.lock(store::Action::Finalize)?;
    let verified = verify(store, converter)?;
    if !verified.mismatched.is_empty() {
        return Err(Error::state(
            "finalize",
            &store.name(),
            format!(
                "{} rewritten records differ from the upcast of their saved originals \
                 (`upcast migrate verify` lists them): the originals are kept; roll back, or \
                 find out why first",
                verified.mismatched.len()
            ),
        ));
    }
    store.finalize(delete_original)?;
    Ok(verified)
}
