//! Cross-crate integration tests: one binary, a module per area.

mod alloc;
mod any_version;
mod check;
mod compat;
mod conformance;
mod demo;
mod downcasts;
mod errors;
mod fixtures;
mod formats;
mod layouts;
mod migrate;
mod preserve_order;
mod private_registry;
mod properties;
mod ranges;
mod registry;
mod serde_parity;
mod steps;
mod ui;
