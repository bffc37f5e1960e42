//! The shop's service against a real PostgreSQL: what each mode does when a table is
//! missing, the seven steps of a move under load, and the playbook's walk-through.
//!
//! Each test works in a schema of its own on the server `UPCAST_POSTGRES_URL` names, and
//! drops it. Without a server the tests say so and pass, unless `UPCAST_REQUIRE_POSTGRES=1`
//! (as in CI), where a missing server fails them.

mod playbook;
mod service;
mod support;
mod walk;
