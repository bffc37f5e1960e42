//! Stores of the demo's dataset, the demo binary as a child process, and what a correct
//! migration of each record gives.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use rusqlite::Connection;
use tempfile::TempDir;
use upcast::{Layout, Registry};
use upcast_demo::dataset::{self, EVENTS_FILE};
use upcast_demo::stores;
use upcast_migrate::store::Decision;
use upcast_migrate::{Converter, Key, Row};

/// The demo binary, which is the `upcast` CLI over the demo's records.
pub fn demo() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_upcast-demo"));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `upcast-demo migrate ARGS` to its end: (exit code, stdout, stderr).
pub fn migrate(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = demo()
        .arg("migrate")
        .args(args)
        .output()
        .expect("the demo binary runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Starts `upcast-demo migrate ARGS`.
pub fn spawn(args: &[&str]) -> Child {
    demo()
        .arg("migrate")
        .args(args)
        .spawn()
        .expect("the demo binary starts")
}

/// The envelope lines of the dataset.
pub fn events() -> String {
    std::fs::read_to_string(dataset::data_dir().join(EVENTS_FILE)).expect("the dataset")
}

/// A database of the dataset's envelopes repeated `copies` times (and its orders once),
/// and the store argument of its `events` table.
pub fn sqlite(copies: usize) -> (TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("store.db");
    let orders = std::fs::read_to_string(dataset::data_dir().join(dataset::ORDERS_FILE))
        .expect("the dataset");
    stores::load(&db, &events().repeat(copies), &orders, 1).expect("the store loads");
    let spec = format!("sqlite:{}?table=events", db.display());
    (dir, db, spec)
}

/// `(id, body)` of every row of `table`, in key order.
pub fn rows(db: &Path, table: &str) -> Vec<(i64, String)> {
    let conn = Connection::open(db).expect("the database opens");
    let mut select = conn
        .prepare(&format!("SELECT id, body FROM {table} ORDER BY id"))
        .expect("a query");
    let rows = select
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("rows");
    rows.collect::<Result<_, _>>().expect("rows read")
}

/// What a correct migration makes of `body`: its rewrite, or the body itself when it is
/// current or cannot be migrated.
pub fn migrated(layout: &Layout, body: &str) -> String {
    let converter = Converter::new(Registry::global(), layout);
    let row = Row::new(Key::Int(0), body.as_bytes().to_vec());
    match converter.decide(&row).decision {
        Decision::Rewrite { body, .. } => String::from_utf8(body).expect("JSON is UTF-8"),
        _ => body.to_owned(),
    }
}

/// A small generator of numbers, seeded, so a failing run can be repeated.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed.max(1))
    }

    /// A number in `low..high`.
    pub fn roll(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high - low).max(1)
    }
}
