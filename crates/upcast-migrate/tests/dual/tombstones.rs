//! A record the dual writer deletes while the backfill is between reading it and copying
//! it stays deleted: the delete leaves a tombstone, and the backfill takes the writer's
//! key locks and skips tombstoned keys.
//!
//! REGRESSION: the backfill's `INSERT … ON CONFLICT DO NOTHING` never looked at the source
//! again, so the deleted record came back in the new store.

use std::sync::atomic::AtomicBool;

use upcast::{Layout, Registry};
use upcast_migrate::{Converter, Key, Quiet, RunOptions, StoreSpec};

use std::sync::Arc;

use sqlx::PgPool;
use upcast_migrate::dual::{DualWriter, Mode, Table};

use crate::support::{Note, Pair, Scratch, text_of, wait_until};

/// Runs the backfill of `from` into `into` (store URLs) on a blocking thread.
async fn backfill(from: String, into: String) -> upcast_migrate::dual::Backfill {
    tokio::task::spawn_blocking(move || {
        let mut old = StoreSpec::parse(&from)?.open()?;
        let layout = Layout::envelope();
        let converter = Converter::new(Registry::try_global()?, &layout);
        let stop = AtomicBool::new(false);
        let options = RunOptions::default();
        upcast_migrate::dual::backfill(&mut *old, &into, &converter, &options, &stop, &mut Quiet)
    })
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_deleted_during_the_backfill_stays_deleted() {
    let Some(pair) = Pair::postgres("tomb", "").await else {
        return;
    };
    let (from, into) = (
        format!("{}?table=public.notes", pair.a.url),
        format!("{}?table=public.notes", pair.b.url),
    );
    let (primary, secondary) = (&pair.primary, &pair.secondary);
    let stores = (from, into, "notes__upcast_deleted");
    deleted_during_the_backfill(primary, secondary, &pair.pb, stores).await;
    pair.close().await;
}

/// REGRESSION: with both tables in one database the writer took the primary's key lock
/// only, and the record came back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_one_database_too() {
    let Some(one) = Scratch::postgres("tomb_one").await else {
        return;
    };
    let pool = one.pg_pool().await;
    sqlx::raw_sql(
        "CREATE SCHEMA shop; CREATE TABLE shop.old (id bigint PRIMARY KEY, body jsonb NOT NULL); \
         CREATE TABLE shop.new (id bigint PRIMARY KEY, body jsonb NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let primary = Table::open(pool.clone(), "shop.old", "id", "body")
        .await
        .unwrap();
    let secondary = Table::open(pool.clone(), "shop.new", "id", "body")
        .await
        .unwrap();
    let (from, into) = (
        format!("{}?table=shop.old", one.url),
        format!("{}?table=shop.new", one.url),
    );
    let stores = (from, into, "shop.new__upcast_deleted");
    deleted_during_the_backfill(&primary, &secondary, &pool, stores).await;
    pool.close().await;
}

/// Deletes key 2 of three while the backfill of `from` into `into` is held between its
/// read and its insert; `pb` is the secondary's database, `deleted` its tombstones.
async fn deleted_during_the_backfill(
    primary: &Table,
    secondary: &Table,
    pb: &PgPool,
    (from, into, deleted): (String, String, &str),
) {
    let dual = Arc::new(DualWriter::new(primary.clone()).secondary(secondary.clone()));
    dual.switch().set(Mode::Both);
    for key in 1..=3 {
        let body = upcast::to_vec(&Note::new("old", key)).unwrap();
        primary.put(&Key::Int(key as i64), &body).await.unwrap();
    }
    // Hold the backfill between its read of the old store and its insert.
    let mut gate = pb.begin().await.unwrap();
    sqlx::raw_sql(&format!("LOCK TABLE {deleted} IN ACCESS EXCLUSIVE MODE"))
        .execute(&mut *gate)
        .await
        .unwrap();
    let filling = tokio::spawn(backfill(from, into));
    wait_until(
        pb,
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
         AND query LIKE 'INSERT INTO%' AND datname = current_database()",
        "the backfill waiting to insert",
    )
    .await;

    let writer = dual.clone();
    let delete = tokio::spawn(async move { writer.delete::<Note>(&Key::Int(2)).await });
    // The delete either ends or waits for the backfill's lock on its key.
    for _ in 0..6_000 {
        let waiting = sqlx::query(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'advisory' \
             AND datname = current_database()",
        )
        .fetch_optional(pb)
        .await
        .unwrap();
        if delete.is_finished() || waiting.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    gate.commit().await.unwrap();
    let done = filling.await.unwrap();
    delete.await.unwrap().unwrap();

    assert!(done.finished, "{done}");
    assert_eq!(text_of(primary, 2).await, None);
    assert_eq!(
        text_of(secondary, 2).await,
        None,
        "the deleted record came back"
    );
    for key in [1, 3] {
        assert_eq!(
            text_of(secondary, key).await.as_deref(),
            Some("old"),
            "key {key}"
        );
    }
}
