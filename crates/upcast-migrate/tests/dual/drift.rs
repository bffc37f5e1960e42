//! Many tasks writing and deleting few keys in `both` mode leave the two stores the same,
//! record by record: on two PostgreSQL databases, on one, and on MySQL.
//!
//! REGRESSION: with each change's lock on its key taken out, two writers interleave (W1
//! secondary, W2 secondary, W2 primary, W1 primary) and the two-database case ends with
//! keys that differ.

use std::sync::Arc;

use upcast_migrate::Key;
use upcast_migrate::dual::{DualWriter, Mode, Table};

use crate::support::{Note, Scratch};

pub const TASKS: u64 = 8;
pub const CHANGES: u64 = 1_000;
pub const KEYS: u64 = 16;

const PG_TABLE: &str = "(id bigint PRIMARY KEY, body jsonb NOT NULL)";
const MYSQL_TABLE: &str = "(id BIGINT NOT NULL PRIMARY KEY, body JSON NOT NULL)";

/// A small random stream of one's own (no timing, no global state).
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs `TASKS` tasks of `CHANGES` writes and deletes each on `KEYS` keys, then compares.
pub async fn hammer(dual: DualWriter, primary: &Table, secondary: &Table) {
    dual.switch().set(Mode::Both);
    let dual = Arc::new(dual);
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let dual = dual.clone();
        tasks.push(tokio::spawn(async move {
            let mut dice = Dice::new(task + 1);
            let mut refused = 0;
            for n in 0..CHANGES {
                let key = Key::Int(dice.below(KEYS) as i64);
                let done = match dice.below(5) {
                    0 => dual.delete::<Note>(&key).await,
                    _ => dual.write(&key, &Note::new(&format!("t{task}"), n)).await,
                };
                refused += u64::from(done.is_err());
            }
            refused
        }));
    }
    let mut refused = 0;
    for task in tasks {
        refused += task.await.expect("a task");
    }
    assert_eq!(refused, 0, "{:?}", dual.counts());
    let mut differ = Vec::new();
    for key in 0..KEYS as i64 {
        let key = Key::Int(key);
        let (p, s) = (
            primary.get(&key).await.unwrap(),
            secondary.get(&key).await.unwrap(),
        );
        if p != s {
            differ.push(key);
        }
    }
    assert!(differ.is_empty(), "keys that differ: {differ:?}");
    assert_eq!(dual.counts().written, TASKS * CHANGES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_postgres_databases_end_the_same() {
    let (Some(a), Some(b)) = (
        Scratch::postgres("drift_a").await,
        Scratch::postgres("drift_b").await,
    ) else {
        return;
    };
    let (pa, pb) = (a.pg_pool().await, b.pg_pool().await);
    for pool in [&pa, &pb] {
        sqlx::raw_sql(&format!("CREATE TABLE notes {PG_TABLE}"))
            .execute(pool)
            .await
            .unwrap();
    }
    let primary = Table::open(pa.clone(), "notes", "id", "body")
        .await
        .unwrap();
    let secondary = Table::open(pb.clone(), "notes", "id", "body")
        .await
        .unwrap();
    let dual = DualWriter::new(primary.clone()).secondary(secondary.clone());
    hammer(dual, &primary, &secondary).await;
    pa.close().await;
    pb.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_postgres_database_ends_the_same() {
    let Some(a) = Scratch::postgres("drift_one").await else {
        return;
    };
    let pool = a.pg_pool().await;
    sqlx::raw_sql(&format!(
        "CREATE SCHEMA shop; CREATE TABLE shop.old {PG_TABLE}; CREATE TABLE shop.new {PG_TABLE}"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let primary = Table::open(pool.clone(), "shop.old", "id", "body")
        .await
        .unwrap();
    let secondary = Table::open(pool.clone(), "shop.new", "id", "body")
        .await
        .unwrap();
    let dual = DualWriter::new(primary.clone()).secondary(secondary.clone());
    hammer(dual, &primary, &secondary).await;
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_mysql_databases_end_the_same() {
    let (Some(a), Some(b)) = (
        Scratch::mysql("drift_a").await,
        Scratch::mysql("drift_b").await,
    ) else {
        return;
    };
    let (pa, pb) = (a.mysql_pool().await, b.mysql_pool().await);
    for pool in [&pa, &pb] {
        sqlx::raw_sql(&format!("CREATE TABLE notes {MYSQL_TABLE}"))
            .execute(pool)
            .await
            .unwrap();
    }
    let primary = Table::open(pa.clone(), "notes", "id", "body")
        .await
        .unwrap();
    let secondary = Table::open(pb.clone(), "notes", "id", "body")
        .await
        .unwrap();
    let dual = DualWriter::new(primary.clone()).secondary(secondary.clone());
    hammer(dual, &primary, &secondary).await;
    pa.close().await;
    pb.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_mysql_database_ends_the_same() {
    let Some(a) = Scratch::mysql("drift_one").await else {
        return;
    };
    let pool = a.mysql_pool().await;
    sqlx::raw_sql(&format!(
        "CREATE TABLE old {MYSQL_TABLE}; CREATE TABLE new {MYSQL_TABLE}"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let primary = Table::open(pool.clone(), "old", "id", "body")
        .await
        .unwrap();
    let secondary = Table::open(pool.clone(), "new", "id", "body")
        .await
        .unwrap();
    let dual = DualWriter::new(primary.clone()).secondary(secondary.clone());
    hammer(dual, &primary, &secondary).await;
    pool.close().await;
}
