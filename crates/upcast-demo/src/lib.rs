//! An online store's records with real histories, for the upcast demo, tests and benches.
//!
//! - [`customer`]: five major versions in envelopes, with a rename, a split, a change of
//!   type, new nested structures and a fallible step that reads envelope metadata;
//! - [`product`]: minor versions only, one type reads them all;
//! - [`order`]: the inline layout, with untagged legacy records and a `TryFrom` step;
//! - [`invoice`]: five versions of a record with a list, the benchmark's subject.
//!
//! [`dataset`] generates the bundled legacy data; [`demo`] reads it and migrates it;
//! [`stores`] loads it into SQLite. [`baseline`] holds what services write without upcast,
//! for the benches.
//!
//! A binary that links these records but names none of them must keep the crate:
//! `use upcast_demo as _;`.

#![warn(missing_docs)]

pub mod baseline;
pub mod customer;
pub mod dataset;
pub mod demo;
pub mod invoice;
pub mod migration;
pub mod mysql;
pub mod order;
pub mod perf;
pub mod pg;
pub mod product;
pub mod stores;
