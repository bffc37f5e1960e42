//! The bundled legacy dataset and the seeded generator that made it.
//!
//! `data/events.jsonl` holds envelopes (`customer` in all five versions, `product` in its
//! three minor versions) as an event store would: metadata (`id`, `at`) before the data,
//! except for a share of 2019 records exported by a tool that sorts keys, which puts
//! `data` first. `data/orders.jsonl` holds inline `order` records: untagged legacy rows,
//! then versions 2 and 3, a few with the tag last. Three records are junk on purpose, as
//! in any real store: two customers from countries the store never shipped to and an order
//! with a negative price. Their steps fail, and the demo reports them.
//!
//! Regenerate with `cargo run -p upcast-demo --bin gen-dataset`; the same seed gives the
//! same bytes (a test checks the bundled files against a fresh run).

mod envelopes;
mod orders;
mod words;

use std::path::PathBuf;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// The seed of the bundled dataset.
pub const SEED: u64 = 2019;
/// How many customers the store has; every version's records draw from them.
pub const CUSTOMERS: u64 = 4_000;
/// How many customer and product envelopes `events.jsonl` holds.
pub const EVENTS: usize = 5_500;
/// How many orders `orders.jsonl` holds.
pub const ORDERS: usize = 6_500;

/// The envelope file's name in [`data_dir`].
pub const EVENTS_FILE: &str = "events.jsonl";
/// The inline order file's name in [`data_dir`].
pub const ORDERS_FILE: &str = "orders.jsonl";

/// The two files of the dataset, as JSON Lines.
pub struct Dataset {
    /// Envelopes of `customer` and `product`.
    pub events: String,
    /// Inline `order` records.
    pub orders: String,
}

/// Generates the dataset for `seed`: the same seed always gives the same bytes.
///
/// ```
/// let a = upcast_demo::dataset::generate(7);
/// let b = upcast_demo::dataset::generate(7);
/// assert_eq!(a.events, b.events);
/// assert!(a.orders.lines().count() > 1_000);
/// ```
pub fn generate(seed: u64) -> Dataset {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let events = envelopes::generate(&mut rng, EVENTS);
    let orders = orders::generate(&mut rng, ORDERS);
    Dataset { events, orders }
}

/// Where the bundled files are: `crates/upcast-demo/data`.
///
/// ```
/// assert!(upcast_demo::dataset::data_dir().join("events.jsonl").exists());
/// ```
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The generator's random source.
type Rng = Xoshiro256PlusPlus;
