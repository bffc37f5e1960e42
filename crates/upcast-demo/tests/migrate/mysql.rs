//! MySQL / MariaDB, migrated in place by the demo binary: every body type, a version
//! column of either type, names at the server's limit and names like the engine's, a
//! rollback refused while a run goes on, workers killed at random, a live writer.
//!
//! Each test works in a database of its own on the server `UPCAST_MYSQL_URL` names, and
//! drops it. Without a server the tests say so and pass, unless `UPCAST_REQUIRE_MYSQL=1`
//! (as in CI), where a missing server fails them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, Value};
use upcast::Layout;
use upcast_demo::mysql::{self as my, Scratch};

use super::support::{Dice, events, migrate, migrated, spawn};

/// A scratch database, or `None` when no server answers and none is required.
fn scratch(purpose: &str) -> Option<Scratch> {
    match Scratch::new(purpose) {
        Ok(scratch) => Some(scratch),
        Err(error) if std::env::var("UPCAST_REQUIRE_MYSQL").as_deref() == Ok("1") => {
            panic!("MySQL is required (UPCAST_REQUIRE_MYSQL=1): {error}")
        }
        Err(error) => {
            eprintln!(
                "SKIPPED: no MySQL at {} ({error}). Start one (for example `apt-get install \
                 mariadb-server` or `docker run -e MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1 -e \
                 MARIADB_DATABASE=test -p 3306:3306 mariadb:10.11`) or point UPCAST_MYSQL_URL \
                 at one.",
                my::url()
            );
            None
        }
    }
}

/// `id -> body` of `table`, as bytes.
fn bodies(scratch: &mut Scratch, table: &str) -> BTreeMap<i64, Vec<u8>> {
    let sql = format!("SELECT id, body FROM `{table}` ORDER BY id");
    scratch
        .conn
        .query_map(sql, |(id, body): (i64, Vec<u8>)| (id, body))
        .unwrap()
        .into_iter()
        .collect()
}

/// The tables of the scratch database.
fn tables(scratch: &mut Scratch) -> Vec<String> {
    let sql = "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
               ORDER BY TABLE_NAME";
    scratch.conn.query(sql).unwrap()
}

fn same_json(a: &[u8], b: &[u8]) -> bool {
    let parse = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).unwrap();
    parse(a) == parse(b)
}

/// Runs, verifies and rolls back `table` of the dataset's envelopes: every record as the
/// converter makes it, 3649 verified, every byte back.
fn runs_verifies_and_rolls_back(scratch: &mut Scratch, table: &str, what: &str) {
    let before = bodies(scratch, table);
    let store = scratch.store(table);
    let (code, out, err) = migrate(&["run", &store]);
    assert_eq!(code, 1, "{what}: the junk customers fail: {out}{err}");
    let envelope = Layout::envelope();
    for (id, body) in bodies(scratch, table) {
        let original = String::from_utf8(before[&id].clone()).unwrap();
        let expected = migrated(&envelope, &original);
        assert!(same_json(&body, expected.as_bytes()), "{what}: key {id}");
    }
    let (code, out, _) = migrate(&["verify", &store, "--format", "json"]);
    let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1, "{what}: {out}");
    assert_eq!(verified["verified"], 3649, "{what}: {out}");
    assert_eq!(verified["changed"], 0, "{what}: {out}");
    assert_eq!(verified["mismatched"].as_array().map(Vec::len), Some(0));
    let (code, out, err) = migrate(&["rollback", &store]);
    assert_eq!(code, 0, "{what}: {out}{err}");
    assert!(
        bodies(scratch, table) == before,
        "{what}: rollback puts back every byte"
    );
}

#[test]
fn every_body_type_migrates_verifies_and_rolls_back() {
    for body_type in [
        "json",
        "longtext",
        "text CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
        "varchar(2000) CHARACTER SET latin1",
        "mediumblob",
        "varbinary(2000)",
    ] {
        let Some(mut scratch) = scratch("types") else {
            return;
        };
        scratch.load("events", body_type, &events()).unwrap();
        runs_verifies_and_rolls_back(&mut scratch, "events", body_type);
        assert_eq!(
            tables(&mut scratch),
            ["events"],
            "{body_type}: the engine's tables go"
        );
    }
}

/// `key -> (version, data)` of the `customers` table, the version as the server reads it
/// back in the column's own type.
fn customers(scratch: &mut Scratch) -> BTreeMap<String, (Value, Vec<u8>)> {
    let rows: Vec<(String, Value, Vec<u8>)> = scratch
        .conn
        .query("SELECT `key`, v, data FROM customers")
        .unwrap();
    rows.into_iter()
        .map(|(key, v, data)| (key, (v, data)))
        .collect()
}

/// The type the server gives a column of `customers`, as it writes it (`int(11)`).
fn column_type(scratch: &mut Scratch, column: &str) -> String {
    let sql = format!(
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
         AND TABLE_NAME = 'customers' AND COLUMN_NAME = '{column}'"
    );
    scratch.conn.query_first(sql).unwrap().unwrap()
}

#[test]
fn a_version_column_keeps_its_type_and_text_keys_migrate_in_place() {
    for version_type in ["int", "varchar(16)"] {
        let Some(mut scratch) = scratch("column") else {
            return;
        };
        scratch
            .conn
            .query_drop(format!(
                "CREATE TABLE customers (`key` varchar(32) PRIMARY KEY, v {version_type}, \
                 data json NOT NULL)"
            ))
            .unwrap();
        for (n, line) in events().lines().enumerate() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            if record["kind"] != "customer" {
                continue;
            }
            let version = record["version"].as_i64().unwrap();
            scratch
                .conn
                .exec_drop(
                    "INSERT INTO customers VALUES (?, ?, ?)",
                    (format!("c-{n:05}"), version, record["data"].to_string()),
                )
                .unwrap();
        }
        let originals = customers(&mut scratch);
        let declared = column_type(&mut scratch, "v");
        assert!(
            declared.starts_with(version_type.split('(').next().unwrap()),
            "{declared}"
        );
        let store = format!("{}&key=key&body=data&version=v", scratch.store("customers"));
        let run = ["run", &store, "--kind", "customer", "--format", "json"];
        let (code, out, err) = migrate(&run);
        assert_eq!(code, 1, "{version_type}: two junk customers: {out}{err}");
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["progress"]["rewritten"], 2622, "{version_type}");
        assert_eq!(column_type(&mut scratch, "v"), declared);
        let external = Layout::external().with_kind("customer");
        for (key, (version, data)) in customers(&mut scratch) {
            let (was, before) = &originals[&key];
            let was = mysql::from_value::<String>(was.clone());
            let converted = upcast::Registry::global()
                .reader(&external)
                .convert(upcast::Stored::at(&was, before));
            match converted {
                Ok(converted) => {
                    assert_eq!(mysql::from_value::<String>(version), "5", "key {key}");
                    let expected = converted.bytes.unwrap_or_else(|| before.clone());
                    assert!(same_json(&data, &expected), "key {key}");
                }
                Err(_) => assert_eq!(&(version, data), &originals[&key], "key {key} untouched"),
            }
        }
        let (code, out, err) = migrate(&["rollback", &store, "--kind", "customer"]);
        assert_eq!(code, 0, "{version_type}: {out}{err}");
        assert!(
            customers(&mut scratch) == originals,
            "{version_type}: rollback puts back all"
        );
        assert_eq!(column_type(&mut scratch, "v"), declared);
    }
}

#[test]
fn a_table_named_at_the_limit_or_like_an_engine_table_migrates() {
    let Some(mut scratch) = scratch("names") else {
        return;
    };
    let longest = format!("events_{}", "x".repeat(64 - "events_".len()));
    for table in [longest.as_str(), "events__upcast_originals"] {
        scratch.load(table, "json", &events()).unwrap();
        runs_verifies_and_rolls_back(&mut scratch, table, table);
    }
    let mut left = tables(&mut scratch);
    left.sort();
    let mut expected = vec![longest.clone(), "events__upcast_originals".to_owned()];
    expected.sort();
    assert_eq!(left, expected, "only the tables themselves are left");
}

#[test]
fn a_table_of_an_engine_name_that_is_not_the_engines_is_refused_before_anything_is_written() {
    let Some(mut scratch) = scratch("theirs") else {
        return;
    };
    scratch.load("events", "json", &events()).unwrap();
    scratch
        .conn
        .query_drop("CREATE TABLE events__upcast_chunks (id int PRIMARY KEY, note text)")
        .unwrap();
    let before = bodies(&mut scratch, "events");
    let (code, _, err) = migrate(&["run", &scratch.store("events")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`events__upcast_chunks`") && err.contains("not upcast's"),
        "{err}"
    );
    assert_eq!(
        tables(&mut scratch),
        ["events", "events__upcast_chunks"],
        "nothing made"
    );
    assert!(bodies(&mut scratch, "events") == before, "nothing written");
}

#[test]
fn bad_stores_are_errors_in_the_servers_words_that_hide_the_password() {
    let Some(mut scratch) = scratch("bad") else {
        return;
    };
    scratch
        .conn
        .query_drop("CREATE TABLE twice (id bigint, Body json)")
        .unwrap();
    let with_password = scratch
        .store("nope")
        .replacen("://root@", "://root:hunter2@", 1);
    let (code, _, err) = migrate(&["plan", &with_password]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("mysql error 1045") && err.contains("Access denied"),
        "{err}"
    );
    assert!(
        err.contains("root:***@") && !err.contains("hunter2"),
        "{err}"
    );
    let (code, _, err) = migrate(&["plan", &scratch.store("nope")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`twice`") && err.contains("is not in"),
        "{err}"
    );
    let (code, _, err) = migrate(&["run", &scratch.store("twice")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("column `body` is not in") && err.contains("`Body`"),
        "names are bytes: {err}"
    );
    let (code, _, err) = migrate(&["run", &format!("{}&body=Body", scratch.store("twice"))]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not unique"), "{err}");
    let wrong = scratch
        .store("twice")
        .replacen("/upcast_bad_", "/no_such_db_", 1);
    let (code, _, err) = migrate(&["run", &wrong]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("mysql error 1049"),
        "the server's code and words: {err}"
    );
}

/// A child process killed when dropped, so a failing test never leaves a run holding locks.
struct Guarded(std::process::Child);

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `ready`; fails after a minute, which only a hung run takes.
fn until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(60), "never {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_rollback_or_a_finalize_during_a_run_is_refused() {
    let Some(mut scratch) = scratch("refused") else {
        return;
    };
    scratch.load("events", "json", &events()).unwrap();
    let store = scratch.store("events");
    let mut run = Guarded(spawn(&[
        "run",
        &store,
        "--max-rate",
        "200",
        "--batch",
        "50",
    ]));
    until("a run that started", || {
        tables(&mut scratch).contains(&"events__upcast_progress".to_owned())
    });
    for action in ["rollback", "finalize"] {
        let (code, _, err) = migrate(&[action, &store]);
        assert_eq!(code, 2, "{action}: {err}");
        assert!(err.contains("a run is in progress"), "{action}: {err}");
    }
    assert!(run.0.try_wait().unwrap().is_none(), "the run goes on");
    let _ = run.0.kill();
    let _ = run.0.wait();
    let (code, out, err) = migrate(&["rollback", &store]);
    assert_eq!(code, 0, "once the run is gone: {out}{err}");
    assert_eq!(tables(&mut scratch), ["events"]);
}

#[test]
fn workers_in_processes_killed_at_random_migrate_every_record_exactly_once() {
    let Some(mut scratch) = scratch("workers") else {
        return;
    };
    // Enough records that a round's kills land before the migration ends.
    let copies = 6;
    scratch
        .load("events", "json", &events().repeat(copies))
        .unwrap();
    let before = bodies(&mut scratch, "events");
    let store = scratch.store("events");
    let mut dice = Dice::new(0x5eed_0033);
    let mut kills = 0;
    // Rounds of three processes of two workers each, all killed at random moments, until
    // the migration has finished (a run after that would start a new one).
    for round in 0..8 {
        if finished(&store) {
            break;
        }
        let mut children: Vec<_> = (0..3)
            .map(|_| {
                Guarded(spawn(&[
                    "run",
                    store.as_str(),
                    "--workers",
                    "2",
                    "--batch",
                    "100",
                ]))
            })
            .collect();
        for child in &mut children {
            thread::sleep(Duration::from_millis(dice.roll(20, 250)));
            kills += usize::from(matches!(child.0.try_wait(), Ok(None)));
            let _ = child.0.kill();
            let _ = child.0.wait();
        }
        originals_are_the_first(&mut scratch, &before, round);
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
    for (id, body) in bodies(&mut scratch, "events") {
        let original = String::from_utf8(before[&id].clone()).unwrap();
        assert!(
            same_json(&body, migrated(&envelope, &original).as_bytes()),
            "key {id}"
        );
    }
    originals_are_the_first(&mut scratch, &before, 8);
    let old = 3649 * copies as u64;
    let (_, out, _) = migrate(&["status", &store, "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    let progress = &status["progress"];
    // Records rewritten once each, over every migration: a worker that began after an
    // earlier one finished starts a new migration, which counts what it rewrote itself.
    assert_eq!(progress["records_rewritten"], old, "{out}");
    assert_eq!(progress["conflicts"], 0, "{out}");
    assert_eq!(progress["failed"], 2 * copies as u64, "{out}");
    let total = ["rewritten", "current", "failed"].map(|n| progress[n].as_u64().unwrap());
    assert_eq!(
        total.iter().sum::<u64>(),
        before.len() as u64,
        "status adds up: {out}"
    );
    let saved: u64 = scratch
        .conn
        .query_first("SELECT COUNT(*) FROM events__upcast_originals")
        .unwrap()
        .unwrap();
    assert_eq!(saved, old, "one original saved per rewritten record");
    let (code, _, err) = migrate(&["rollback", &store]);
    assert_eq!(code, 0, "{err}");
    assert!(bodies(&mut scratch, "events") == before, "every byte back");
}

/// Whether the migration of `store` has finished.
fn finished(store: &str) -> bool {
    let (_, out, _) = migrate(&["status", store, "--format", "json"]);
    serde_json::from_str::<serde_json::Value>(&out)
        .is_ok_and(|status| !status["progress"]["finished_at"].is_null())
}

/// Every saved original is the record as it was before any run: a record rewritten twice
/// would have its rewrite saved as its original.
fn originals_are_the_first(scratch: &mut Scratch, before: &BTreeMap<i64, Vec<u8>>, round: usize) {
    let sql = "SELECT `key`, body FROM events__upcast_originals";
    let Ok(rows) = scratch.conn.query::<(i64, Vec<u8>), _>(sql) else {
        return; // no run got as far as making its tables
    };
    for (key, body) in rows {
        assert!(body == before[&key], "round {round}: key {key}");
    }
}

#[test]
fn a_live_writers_changes_are_kept() {
    let Some(mut scratch) = scratch("live") else {
        return;
    };
    let lines: Vec<String> = events().lines().map(str::to_owned).collect();
    scratch.load("events", "longtext", &events()).unwrap();
    let before = bodies(&mut scratch, "events");
    let store = scratch.store("events");
    let stop = Arc::new(AtomicBool::new(false));
    let url = format!(
        "{}/{}",
        my::url().rsplit_once('/').unwrap().0,
        scratch.database
    );
    let writer = {
        let (stop, lines) = (Arc::clone(&stop), lines.clone());
        thread::spawn(move || write_until(&url, &lines, &stop))
    };
    let (code, out, err) = migrate(&["run", &store, "--batch", "50"]);
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(
        written.len() > 20,
        "the writer wrote while the run went on: {}",
        written.len()
    );
    let envelope = Layout::envelope();
    for (id, body) in bodies(&mut scratch, "events") {
        let body = String::from_utf8(body).unwrap();
        match written.get(&id) {
            // Written by the service: its record, migrated or not yet, never the old one's.
            Some(line) => assert!(
                body == *line || body == migrated(&envelope, line),
                "key {id}: the writer's change is lost: {body}"
            ),
            None => {
                let original = String::from_utf8(before[&id].clone()).unwrap();
                assert_eq!(body, migrated(&envelope, &original), "key {id}");
            }
        }
    }
}

/// Rewrites records at random with other records' old lines until `stop`: the last line
/// written to each key.
fn write_until(url: &str, lines: &[String], stop: &AtomicBool) -> BTreeMap<i64, String> {
    let mut conn = Conn::new(Opts::from_url(url).unwrap()).unwrap();
    let mut dice = Dice::new(0x11fe);
    let mut written = BTreeMap::new();
    let n = lines.len() as u64;
    while !stop.load(Ordering::Relaxed) {
        let id = dice.roll(1, n + 1) as i64;
        let line = &lines[dice.roll(0, n) as usize];
        if *line == lines[id as usize - 1] {
            continue;
        }
        conn.exec_drop("UPDATE events SET body = ? WHERE id = ?", (line, id))
            .unwrap();
        written.insert(id, line.clone());
        thread::sleep(Duration::from_millis(2));
    }
    written
}

#[test]
fn a_case_change_under_a_case_insensitive_collation_is_not_overwritten() {
    let Some(mut scratch) = scratch("collation") else {
        return;
    };
    let original = events()
        .lines()
        .find(|line| line.contains("\"name\":\"Radia Thompson\""))
        .unwrap()
        .to_owned();
    let changed = original.replace("Radia Thompson", "RADIA THOMPSON");
    let body_type = "text CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci";
    scratch.load("events", body_type, &original).unwrap();
    // The service changes the record's case and holds the row while the run reads it.
    let url = format!(
        "{}/{}",
        my::url().rsplit_once('/').unwrap().0,
        scratch.database
    );
    let mut service = Conn::new(Opts::from_url(&url).unwrap()).unwrap();
    service.query_drop("START TRANSACTION").unwrap();
    let update = "UPDATE events SET body = ? WHERE id = 1";
    service.exec_drop(update, (&changed,)).unwrap();
    let mut run = Guarded(spawn(&["run", &scratch.store("events")]));
    // The run's locking read of the batch, stuck on the row (it takes no time else).
    let waiting = format!(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{}' \
         AND INFO LIKE 'SELECT %FOR UPDATE' AND INFO NOT LIKE '%SKIP LOCKED' AND TIME_MS > 300",
        scratch.database
    );
    until("a run waiting for the row", || {
        let waiting: Option<u64> = scratch.conn.query_first(&waiting).unwrap();
        waiting.unwrap_or(0) > 0
    });
    service.query_drop("COMMIT").unwrap();
    let code = run.0.wait().unwrap().code();
    assert_eq!(code, Some(0));
    let body = bodies(&mut scratch, "events").remove(&1).unwrap();
    let expected = migrated(&Layout::envelope(), &changed);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        expected,
        "the service's change is kept, then migrated"
    );
}
