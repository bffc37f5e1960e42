//! PostgreSQL, migrated in place by the demo binary: every body type, a version column,
//! many workers in many processes killed at random.
//!
//! Each test works in a schema of its own on the server `UPCAST_POSTGRES_URL` names, and
//! drops it. Without a server the tests say so and pass, unless `UPCAST_REQUIRE_POSTGRES=1`
//! (as in CI), where a missing server fails them.

use std::collections::BTreeMap;
use std::thread;
use std::time::Duration;

use upcast::Layout;
use upcast_demo::pg::{self, Scratch};

use super::support::{Dice, events, migrate, migrated, spawn};

/// A scratch schema, or `None` when no server answers and none is required.
pub fn scratch(purpose: &str) -> Option<Scratch> {
    match Scratch::new(purpose) {
        Ok(scratch) => Some(scratch),
        Err(error) if std::env::var("UPCAST_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
            panic!("PostgreSQL is required (UPCAST_REQUIRE_POSTGRES=1): {error}")
        }
        Err(error) => {
            eprintln!(
                "SKIPPED: no PostgreSQL at {} ({error}). Start one (for example \
                 `docker run -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test -p \
                 5432:5432 postgres`) or point UPCAST_POSTGRES_URL at one.",
                pg::url()
            );
            None
        }
    }
}

/// `id -> body` of a table of `events` bodies of `body_type`, as text.
fn bodies(scratch: &mut Scratch, body_type: &str) -> BTreeMap<i64, String> {
    let body = match body_type {
        "bytea" => "convert_from(body, 'UTF8')",
        _ => "body::text",
    };
    let sql = format!(
        "SELECT id, {body} FROM {}.events ORDER BY id",
        scratch.schema
    );
    scratch
        .client
        .query(&sql, &[])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

fn same_json(a: &str, b: &str) -> bool {
    let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
    parse(a) == parse(b)
}

#[test]
fn every_body_type_migrates_verifies_and_rolls_back() {
    for body_type in ["jsonb", "json", "text", "bytea"] {
        let Some(mut scratch) = scratch("types") else {
            return;
        };
        scratch.load("events", body_type, &events()).unwrap();
        let before = bodies(&mut scratch, body_type);
        let store = scratch.store("events");
        let (code, out, err) = migrate(&["run", &store]);
        assert_eq!(code, 1, "{body_type}: the junk customers fail: {out}{err}");
        let envelope = Layout::envelope();
        for (id, body) in bodies(&mut scratch, body_type) {
            let expected = migrated(&envelope, &before[&id]);
            assert!(same_json(&body, &expected), "{body_type}: key {id}: {body}");
        }
        let (code, out, _) = migrate(&["verify", &store, "--format", "json"]);
        let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(code, 1, "{out}");
        assert_eq!(verified["verified"], 3649, "{body_type}: {out}");
        assert_eq!(verified["changed"], 0, "{body_type}: {out}");
        assert_eq!(verified["mismatched"].as_array().map(Vec::len), Some(0));
        let (code, out, _) = migrate(&["rollback", &store]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            bodies(&mut scratch, body_type),
            before,
            "{body_type}: rollback puts back the bodies as they were"
        );
    }
}

#[test]
fn a_version_column_and_text_keys_migrate_in_place() {
    let Some(mut scratch) = scratch("column") else {
        return;
    };
    let table = format!("{}.customers", scratch.schema);
    scratch
        .client
        .batch_execute(&format!(
            "CREATE TABLE {table} (key text PRIMARY KEY, v integer, data json NOT NULL)"
        ))
        .unwrap();
    let mut originals = BTreeMap::new();
    for (n, line) in events().lines().enumerate() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        if record["kind"] != "customer" {
            continue;
        }
        let key = format!("c-{n:05}");
        let version = i32::try_from(record["version"].as_i64().unwrap()).unwrap();
        let data = record["data"].to_string();
        scratch
            .client
            .execute(
                &format!("INSERT INTO {table} VALUES ($1, $2, $3::text::json)"),
                &[&key, &version, &data],
            )
            .unwrap();
        originals.insert(key, (version, data));
    }
    let store = format!("{}&key=key&body=data&version=v", scratch.store("customers"));
    let (code, out, err) = migrate(&["run", &store, "--kind", "customer", "--format", "json"]);
    assert_eq!(code, 1, "two junk customers: {out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["progress"]["rewritten"], 2622);
    let rows = scratch
        .client
        .query(&format!("SELECT key, v, data::text FROM {table}"), &[])
        .unwrap();
    let external = Layout::external().with_kind("customer");
    for row in rows {
        let (key, version, data): (String, i32, String) = (row.get(0), row.get(1), row.get(2));
        let (was, before) = &originals[&key];
        let converted = upcast::Registry::global()
            .reader(&external)
            .convert(upcast::Stored::at(&was.to_string(), before.as_bytes()));
        match converted {
            Ok(converted) => {
                assert_eq!(version, 5, "key {key}");
                let expected = converted
                    .bytes
                    .unwrap_or_else(|| before.clone().into_bytes());
                assert!(same_json(&data, std::str::from_utf8(&expected).unwrap()));
            }
            Err(_) => assert_eq!((version, &data), (*was, before), "key {key} untouched"),
        }
    }
    let (code, out, _) = migrate(&["rollback", &store, "--kind", "customer"]);
    assert_eq!(code, 0, "{out}");
    let rows = scratch
        .client
        .query(&format!("SELECT key, v, data::text FROM {table}"), &[])
        .unwrap();
    for row in rows {
        let key: String = row.get(0);
        assert_eq!(
            (row.get::<_, i32>(1), row.get::<_, String>(2)),
            originals[&key]
        );
    }
}

#[test]
fn workers_in_processes_killed_at_random_migrate_every_record_exactly_once() {
    let Some(mut scratch) = scratch("workers") else {
        return;
    };
    let copies = 4;
    scratch
        .load("events", "jsonb", &events().repeat(copies))
        .unwrap();
    let before = bodies(&mut scratch, "jsonb");
    let store = scratch.store("events");
    let mut dice = Dice::new(0x5eed_0011);
    let mut kills = 0;
    // Rounds of three processes of two workers each, all killed at random moments, until
    // the migration has finished (a run after that would start a new one).
    for round in 0..8 {
        if finished(&store) {
            break;
        }
        let mut children: Vec<_> = (0..3)
            .map(|_| spawn(&["run", store.as_str(), "--workers", "2", "--batch", "100"]))
            .collect();
        for child in &mut children {
            thread::sleep(Duration::from_millis(dice.roll(30, 250)));
            kills += usize::from(matches!(child.try_wait(), Ok(None)));
            let _ = child.kill();
            let _ = child.wait();
        }
        assert_saved_originals_are_the_first(&mut scratch, &before, round);
    }
    assert!(
        kills >= 6,
        "only {kills} processes were killed while running"
    );
    if !finished(&store) {
        let (code, out, err) = migrate(&["run", &store, "--workers", "3"]);
        assert_eq!(code, 1, "the junk customers fail: {out}{err}");
    }
    let envelope = Layout::envelope();
    for (id, body) in bodies(&mut scratch, "jsonb") {
        assert!(
            same_json(&body, &migrated(&envelope, &before[&id])),
            "key {id}"
        );
    }
    assert_saved_originals_are_the_first(&mut scratch, &before, 6);
    let old = 3649 * copies as u64;
    let (_, out, _) = migrate(&["status", &store, "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    let progress = &status["progress"];
    // Records rewritten once each, over every migration: a worker that began after an
    // earlier one finished starts a new migration, which counts what it rewrote itself.
    assert_eq!(progress["records_rewritten"], old, "{out}");
    assert_eq!(progress["conflicts"], 0, "{out}");
    assert_eq!(progress["failed"], 2 * copies as u64, "{out}");
    let total = progress["rewritten"].as_u64().unwrap()
        + progress["current"].as_u64().unwrap()
        + progress["failed"].as_u64().unwrap();
    assert_eq!(total, before.len() as u64, "status adds up: {out}");
    let saved: i64 = scratch
        .client
        .query_one(
            &format!(
                "SELECT count(*) FROM {}.events__upcast_originals",
                scratch.schema
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(saved as u64, old, "one original saved per rewritten record");
}

/// Whether the migration of `store` has finished.
fn finished(store: &str) -> bool {
    let (_, out, _) = migrate(&["status", store, "--format", "json"]);
    serde_json::from_str::<serde_json::Value>(&out)
        .is_ok_and(|status| !status["progress"]["finished_at"].is_null())
}

/// Every saved original is the record as it was before any run: a record rewritten twice
/// would have its rewrite saved as its original.
fn assert_saved_originals_are_the_first(
    scratch: &mut Scratch,
    before: &BTreeMap<i64, String>,
    round: usize,
) {
    let sql = format!(
        "SELECT key, body::text FROM {}.events__upcast_originals",
        scratch.schema
    );
    let Ok(rows) = scratch.client.query(&sql, &[]) else {
        return; // no run got as far as creating its tables
    };
    for row in rows {
        let (key, body): (i64, String) = (row.get(0), row.get(1));
        assert_eq!(body, before[&key], "round {round}: key {key}");
    }
}

#[test]
fn bad_stores_are_errors_that_hide_the_password() {
    let Some(mut scratch) = scratch("names") else {
        return;
    };
    let table = format!("{}.twice", scratch.schema);
    scratch
        .client
        .batch_execute(&format!("CREATE TABLE {table} (id bigint, body jsonb)"))
        .unwrap();
    let with_password = scratch
        .store("nope")
        .replacen("://postgres@", "://postgres:hunter2@", 1);
    let (code, _, err) = migrate(&["plan", &with_password]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`twice`") && err.contains("is not in"),
        "{err}"
    );
    assert!(err.contains(":***@") && !err.contains("hunter2"), "{err}");
    let (code, _, err) = migrate(&["run", &scratch.store("twice")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not unique"), "{err}");
    let (code, _, err) = migrate(&["run", &scratch.store("nope"), "--workers", "0"]);
    assert_eq!(code, 2, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, events()).unwrap();
    let jsonl = format!("jsonl:{}", file.display());
    let (code, _, err) = migrate(&["run", &jsonl, "--workers", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--workers 2 needs a store workers can share"),
        "{err}"
    );
}
