//! The service side of the dual-write plan against real servers: many tasks on few keys,
//! writes that cannot drift, undos that overwrite nothing, commits lost with their
//! connection, and deletes the backfill cannot bring back.
//!
//! Without a server the tests say so and pass, unless `UPCAST_REQUIRE_POSTGRES=1` or
//! `UPCAST_REQUIRE_MYSQL=1`.

mod cancel;
mod commit;
mod drift;
mod observe;
mod order;
mod runtime;
mod support;
mod tls;
mod tombstones;
mod undo;
