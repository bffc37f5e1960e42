//! The bundled dataset in an SQLite database, as a service would keep it: a table of
//! envelopes and a table of inline orders, one record per row.

use std::path::Path;

use rusqlite::{Connection, params};

/// The table of `customer` and `product` envelopes.
pub const EVENTS_TABLE: &str = "events";
/// The table of inline `order` records.
pub const ORDERS_TABLE: &str = "orders";

/// Creates the database `path` with the tables `events` and `orders` (`id INTEGER PRIMARY
/// KEY, body TEXT NOT NULL`), each holding the lines of `events` and `orders` repeated
/// `copies` times. Returns how many records it holds.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let data = upcast_demo::dataset::generate(upcast_demo::dataset::SEED);
/// let db = dir.path().join("store.db");
/// let records = upcast_demo::stores::load(&db, &data.events, &data.orders, 1)?;
/// assert_eq!(records, 12_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(path: &Path, events: &str, orders: &str, copies: usize) -> rusqlite::Result<usize> {
    let mut conn = Connection::open(path)?;
    let mut records = 0;
    for (table, lines) in [(EVENTS_TABLE, events), (ORDERS_TABLE, orders)] {
        conn.execute_batch(&format!(
            "CREATE TABLE {table} (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
        ))?;
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare(&format!("INSERT INTO {table} (body) VALUES (?1)"))?;
            for _ in 0..copies {
                for line in lines.lines().filter(|line| !line.trim().is_empty()) {
                    insert.execute(params![line])?;
                    records += 1;
                }
            }
        }
        tx.commit()?;
    }
    Ok(records)
}

/// Every body of `table`, in key order.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let db = dir.path().join("store.db");
/// upcast_demo::stores::load(&db, "{\"a\":1}\n", "", 2)?;
/// assert_eq!(upcast_demo::stores::bodies(&db, "events")?, ["{\"a\":1}", "{\"a\":1}"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bodies(path: &Path, table: &str) -> rusqlite::Result<Vec<String>> {
    let conn = Connection::open(path)?;
    let mut select = conn.prepare(&format!("SELECT body FROM {table} ORDER BY id"))?;
    let bodies = select.query_map([], |row| row.get(0))?;
    bodies.collect()
}
