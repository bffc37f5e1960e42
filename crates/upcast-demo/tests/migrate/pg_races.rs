//! PostgreSQL against the timing of others: a writer holding a row while a run waits for
//! it, a worker frozen with SIGSTOP inside its chunk, a rollback while a run goes on.
//!
//! Each test orders the events it needs with the server's own locks and its view of every
//! session (`pg_stat_activity`), not with sleeps: what it asserts never depends on speed.

use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

use upcast::Layout;
use upcast_demo::pg::Scratch;

use super::postgres::scratch;
use super::support::{events, migrate, migrated, spawn};

/// The state of the sessions working on `schema` other than the test's own, e.g.
/// `idle in transaction`, with their wait events.
fn sessions(scratch: &mut Scratch) -> Vec<(i32, String, String)> {
    let sql = "SELECT pid, coalesce(state, ''), coalesce(wait_event_type, '') \
               FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE $1";
    let pattern = format!("%{}%", scratch.schema);
    scratch
        .client
        .query(sql, &[&pattern])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

/// Waits until `ready` holds of the sessions on the schema; fails after a minute, which
/// only a hung run takes (a guard against hanging, not a measure of speed).
fn until(scratch: &mut Scratch, what: &str, ready: impl Fn(&[(i32, String, String)]) -> bool) {
    let start = Instant::now();
    while !ready(&sessions(scratch)) {
        assert!(start.elapsed() < Duration::from_secs(60), "never {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Waits for `child` to end; kills it and fails after `limit`, which only a hung process
/// takes.
fn ended(child: &mut Child, what: &str, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A child process that is woken and killed when dropped, so a failing test never leaves
/// a frozen worker holding locks (which would also hang the schema's drop).
struct Guarded(Child);

impl std::ops::Deref for Guarded {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Guarded {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.0.id().to_string()])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_case_change_under_a_nondeterministic_collation_is_not_overwritten() {
    let Some(mut scratch) = scratch("collation") else {
        return;
    };
    let schema = scratch.schema.clone();
    let original = events()
        .lines()
        .find(|line| line.contains("\"name\":\"Radia Thompson\""))
        .unwrap()
        .to_owned();
    let changed = original.replace("Radia Thompson", "RADIA THOMPSON");
    scratch
        .client
        .batch_execute(&format!(
            "CREATE COLLATION {schema}.ci (provider = icu, locale = 'und-u-ks-level2', \
             deterministic = false);
             CREATE TABLE {schema}.events (id bigint PRIMARY KEY, body text COLLATE {schema}.ci);"
        ))
        .unwrap();
    let insert = format!("INSERT INTO {schema}.events VALUES (1, $1)");
    scratch.client.execute(&insert, &[&original]).unwrap();
    // The service changes the record's case and holds the row while the run reads it.
    let mut writer = Scratch::new("collation_writer").unwrap();
    let mut service = writer.client.transaction().unwrap();
    let update = format!("UPDATE {schema}.events SET body = $1 WHERE id = 1");
    service.execute(&update, &[&changed]).unwrap();
    let mut run = Guarded(spawn(&["run", &scratch.store("events")]));
    until(&mut scratch, "a run waiting for the row", |sessions| {
        sessions.iter().any(|(_, _, wait)| wait == "Lock")
    });
    service.commit().unwrap();
    let code = ended(&mut run.0, "the run", Duration::from_secs(60));
    assert_eq!(code, 0);
    let body: String = scratch
        .client
        .query_one(&format!("SELECT body FROM {schema}.events"), &[])
        .unwrap()
        .get(0);
    let expected = migrated(&Layout::envelope(), &changed);
    assert_eq!(
        body, expected,
        "the service's change is kept, then migrated"
    );
}

/// Loads the dataset, starts a run of big chunks and freezes it with SIGSTOP while it holds
/// a chunk (its session idle in a transaction). Returns the frozen child.
fn frozen_worker(scratch: &mut Scratch, store: &str, timeout: &str) -> Guarded {
    scratch
        .load("events", "jsonb", &events().repeat(2))
        .unwrap();
    for _ in 0..50 {
        let child = Guarded(spawn(&[
            "run",
            store,
            "--batch",
            "2000",
            "--worker-timeout",
            timeout,
        ]));
        until(scratch, "a worker holding a chunk", |sessions| {
            sessions
                .iter()
                .any(|(_, state, _)| state == "idle in transaction")
        });
        signal(&child.0, "STOP");
        thread::sleep(Duration::from_millis(200));
        if sessions(scratch)
            .iter()
            .any(|(_, state, _)| state == "idle in transaction")
        {
            return child;
        }
    }
    panic!("no worker was ever frozen holding a chunk");
}

#[test]
fn a_worker_frozen_in_its_chunk_releases_it_within_the_timeout() {
    let Some(mut scratch) = scratch("frozen") else {
        return;
    };
    let store = scratch.store("events");
    let before = events().repeat(2);
    let frozen = frozen_worker(&mut scratch, &store, "2s");
    let mut second = Guarded(spawn(&["run", &store, "--worker-timeout", "2s"]));
    let code = ended(&mut second, "the second run", Duration::from_secs(120));
    assert_eq!(
        code, 1,
        "the junk customers fail, every other record migrates"
    );
    drop(frozen);
    let (code, out, err) = migrate(&["verify", &store, "--format", "json"]);
    let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(verified["verified"], 3649 * 2, "{out}");
    assert_eq!(verified["not_current"].as_array().map(Vec::len), Some(4));
    assert_eq!(verified["records"], before.lines().count(), "{out}");
}

#[test]
fn a_run_waiting_behind_a_frozen_worker_stops_at_once_on_sigterm() {
    let Some(mut scratch) = scratch("waiting") else {
        return;
    };
    let store = scratch.store("events");
    let mut frozen = frozen_worker(&mut scratch, &store, "10m");
    let mut waiting = Guarded(spawn(&["run", &store]));
    // Long enough to do every chunk it can and start waiting for the frozen one.
    thread::sleep(Duration::from_secs(3));
    assert!(waiting.try_wait().unwrap().is_none(), "it waits");
    signal(&waiting, "TERM");
    let code = ended(
        &mut waiting,
        "the waiting run after SIGTERM",
        Duration::from_secs(20),
    );
    assert_eq!(code, 1, "interrupted");
    signal(&frozen, "CONT");
    let code = ended(&mut frozen, "the resumed worker", Duration::from_secs(120));
    assert_eq!(code, 1, "it goes on and finishes: the junk customers fail");
}

#[test]
fn a_rollback_while_a_run_goes_on_is_refused() {
    let Some(mut scratch) = scratch("exclusive") else {
        return;
    };
    scratch.load("events", "jsonb", &events()).unwrap();
    let store = scratch.store("events");
    let mut run = Guarded(spawn(&["run", &store, "--batch", "100", "--pause", "200"]));
    let start = Instant::now();
    loop {
        let (_, out, _) = migrate(&["status", &store, "--format", "json"]);
        let status: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        if status["progress"]["rewritten"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no batch committed"
        );
        thread::sleep(Duration::from_millis(20));
    }
    for command in ["rollback", "finalize"] {
        let (code, out, err) = migrate(&[command, &store]);
        assert_eq!(code, 2, "{command}: {out}{err}");
        assert!(err.contains("run is in progress"), "{command}: {err}");
    }
    signal(&run.0, "TERM");
    assert_eq!(ended(&mut run.0, "the run", Duration::from_secs(60)), 1);
    let (code, out, err) = migrate(&["rollback", &store]);
    assert_eq!(code, 0, "{out}{err}");
    let sql = format!(
        "SELECT body::text FROM {}.events ORDER BY id",
        scratch.schema
    );
    let rows = scratch.client.query(&sql, &[]).unwrap();
    let originals: Vec<&str> = events_lines();
    assert_eq!(rows.len(), originals.len());
    for (row, original) in rows.iter().zip(originals) {
        let body: String = row.get(0);
        let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(parse(&body), parse(original), "every record as it was");
    }
}

fn events_lines() -> Vec<&'static str> {
    let events: &'static str = Box::leak(events().into_boxed_str());
    events
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect()
}

#[test]
fn workers_started_at_once_on_a_fresh_table_all_begin() {
    for round in 0..3 {
        let Some(mut scratch) = scratch("at_once") else {
            return;
        };
        scratch.load("events", "jsonb", &events()).unwrap();
        let store = scratch.store("events");
        let (code, out, err) = migrate(&["run", &store, "--workers", "4", "--batch", "500"]);
        assert_eq!(
            code, 1,
            "round {round}: only the junk customers fail: {out}{err}"
        );
    }
}
