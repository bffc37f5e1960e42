//! The dual-write strategy for moving a kind to a new store while services run, as the
//! service side of it: `async`, on the pool the service already has.
//!
//! - [`DualWriter`] writes each record to the old (primary) and the new (secondary) table,
//!   in the mode its [`Switch`] is in (`off`, `shadow`, `both`), switched at run time;
//! - [`SharedReader`] reads a share of keys from the new table with the old as fallback,
//!   and with shadow reads compares the two on every read;
//! - [`backfill`] copies what the old table holds into the new one (the CLI's
//!   `upcast migrate run OLD --into NEW`); `upcast migrate compare OLD NEW` checks them.
//!
//! A [`Table`] is opened on any [`Database`]: `sqlx::PgPool` (feature `sqlx-postgres`),
//! `sqlx::MySqlPool` (feature `sqlx-mysql`), or another driver in a few lines (see
//! [`Database`]). Nothing here blocks a runtime thread or starts a runtime. Failures,
//! undos and differences are `tracing` events with the kind, key and mode; counts and
//! latencies go through the `metrics` facade. The playbook walks through all seven steps.

mod counts;
mod database;
mod observe;
mod reader;
mod sql;
#[cfg(any(feature = "sqlx-postgres", feature = "sqlx-mysql"))]
mod sqlx;
mod switch;
mod table;
mod undo;
mod writer;

#[cfg(feature = "postgres")]
mod backfill;
#[cfg(feature = "postgres")]
mod target;

#[cfg(feature = "postgres")]
pub use backfill::{Backfill, backfill};
pub use counts::WriteCounts;
pub use database::{Database, Dialect, Param, Pending, Transaction, Values};
pub use reader::{ReadCounts, SharedReader};
pub use switch::{Mode, Switch};
pub use table::Table;
pub use writer::DualWriter;
