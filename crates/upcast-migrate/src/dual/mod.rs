//! The seed's plan for moving a kind to a new store while services run, as a library: a
//! [`DualWriter`] that writes each record to the old and the new store (`off`, `shadow`,
//! `both`, switched at run time), a [`SharedReader`] that reads a share of keys from the
//! new store with the old as fallback, over PostgreSQL [`Table`]s. The backfill is
//! `upcast migrate run OLD --into NEW`, the check `upcast migrate compare OLD NEW`; the
//! playbook walks through all seven steps.

mod backfill;
mod reader;
mod table;
mod writer;

pub use backfill::{Backfill, backfill};
pub use reader::{ReadCounts, SharedReader};
pub use table::Table;
pub use writer::{DualWriter, Mode, Switch, WriteCounts};
