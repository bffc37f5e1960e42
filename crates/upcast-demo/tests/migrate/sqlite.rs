//! SQLite, migrated in place by the demo binary.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rusqlite::Connection;
use upcast::Layout;

use super::support::{Dice, migrate, migrated, rows, spawn, sqlite};

/// The saved originals: key -> (original, rewritten).
fn originals(db: &Path) -> BTreeMap<i64, (String, String)> {
    let conn = Connection::open(db).unwrap();
    let Ok(mut select) = conn.prepare("SELECT key, body, rewritten FROM events__upcast_originals")
    else {
        return BTreeMap::new();
    };
    let rows = select
        .query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// The checkpoint: the pass, the key ranges `(lo, hi]` of its finished units, and whether
/// the run finished.
type Checkpoint = (u32, Vec<(Option<i64>, Option<i64>)>, bool);

fn checkpoint(db: &Path) -> Option<Checkpoint> {
    let conn = Connection::open(db).unwrap();
    let state: String = conn
        .query_row("SELECT state FROM events__upcast_progress", [], |row| {
            row.get(0)
        })
        .ok()?;
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let pass = state["pass"].as_u64()? as u32;
    let mut select = conn
        .prepare("SELECT lo, hi FROM events__upcast_chunks WHERE pass = ?1 AND done")
        .ok()?;
    let done = select
        .query_map([pass], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    Some((pass, done, !state["finished_at"].is_null()))
}

/// Whether `key` is in one of the `(lo, hi]` ranges.
fn within(ranges: &[(Option<i64>, Option<i64>)], key: i64) -> bool {
    ranges
        .iter()
        .any(|(lo, hi)| lo.is_none_or(|lo| key > lo) && hi.is_none_or(|hi| key <= hi))
}

/// Every record is its original or its whole rewrite, every rewrite has its original
/// saved, and in pass 1 of the `first_run` exactly the records of the finished units are
/// rewritten (a run after a finished one starts again from the first key).
fn assert_consistent(db: &Path, before: &[(i64, String)], kill: usize, first_run: bool) {
    let envelope = Layout::envelope();
    let now = rows(db, "events");
    let saved = originals(db);
    assert_eq!(
        now.len(),
        before.len(),
        "kill {kill}: no record lost or added"
    );
    let pass_one = checkpoint(db)
        .filter(|(pass, _, _)| first_run && *pass == 1)
        .map(|(_, done, _)| done);
    for ((key, original), (_, body)) in before.iter().zip(&now) {
        let expected = migrated(&envelope, original);
        if body == original {
            assert!(
                !saved.contains_key(key) || expected == *original,
                "kill {kill}: key {key} saved but not rewritten"
            );
            if let Some(done) = &pass_one {
                assert!(
                    !within(done, *key) || expected == *original,
                    "kill {kill}: key {key} of a finished unit not rewritten"
                );
            }
        } else {
            assert_eq!(
                *body, expected,
                "kill {kill}: key {key} is neither original nor its rewrite"
            );
            assert_eq!(
                saved.get(key),
                Some(&(original.clone(), body.clone())),
                "kill {kill}: key {key} has no original saved"
            );
            if let Some(done) = &pass_one {
                assert!(
                    within(done, *key),
                    "kill {kill}: key {key} outside the finished units rewritten"
                );
            }
        }
    }
}

#[test]
fn kill_nine_at_random_points_loses_nothing_and_rewrites_nothing_twice() {
    let (_dir, db, spec) = sqlite(4);
    let before = rows(&db, "events");
    let mut dice = Dice::new(0x5eed_0009);
    let (mut mid_run, mut first_run) = (0, true);
    for kill in 0..30 {
        let mut child = spawn(&["run", spec.as_str(), "--batch", "100"]);
        thread::sleep(Duration::from_millis(dice.roll(5, 120)));
        let _ = child.kill(); // SIGKILL; the run may have finished already
        let _ = child.wait();
        assert_consistent(&db, &before, kill, first_run);
        let found = checkpoint(&db);
        mid_run += usize::from(
            found
                .as_ref()
                .is_some_and(|(_, units, done)| !units.is_empty() && !done),
        );
        first_run &= !found.is_some_and(|(_, _, done)| done);
    }
    assert!(
        mid_run >= 10,
        "only {mid_run} kills landed in the middle of a run"
    );
    let (code, out, _) = migrate(&["run", &spec]);
    assert_eq!(code, 1, "the junk customers fail: {out}");
    assert_consistent(&db, &before, 30, false);
    let envelope = Layout::envelope();
    for ((key, original), (_, body)) in before.iter().zip(rows(&db, "events")) {
        assert_eq!(body, migrated(&envelope, original), "key {key}");
    }
    let (code, out, _) = migrate(&["verify", &spec]);
    assert!(
        out.contains("0 changed since by others") && code == 1,
        "{out}"
    );
    let (code, out, _) = migrate(&["rollback", &spec]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        rows(&db, "events"),
        before,
        "rollback puts back the exact bytes"
    );
}

#[test]
fn failing_records_are_left_as_they_were_and_listed() {
    let (_dir, db, spec) = sqlite(1);
    let unreadable = [
        "not json",
        r#"{"kind":"invoice","version":1,"data":{}}"#,
        r#"{"kind":"customer","version":5,"data":{"id":"cus_1"}}"#,
    ];
    let conn = Connection::open(&db).unwrap();
    for body in unreadable {
        conn.execute("INSERT INTO events (body) VALUES (?1)", [body])
            .unwrap();
    }
    let before = rows(&db, "events");
    let (code, out, _) = migrate(&["run", &spec, "--format", "json"]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failed: Vec<i64> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_i64().unwrap())
        .collect();
    assert_eq!(failed.len(), 5, "{out}");
    let why = |n: usize| report["failures"][n]["why"].as_str().unwrap().to_owned();
    assert!(why(0).contains("unknown country `Atlantis`"), "{}", why(0));
    assert!(why(2).contains("line 1 column 2"), "not JSON: {}", why(2));
    assert!(why(3).contains("`invoice`"), "an unknown kind: {}", why(3));
    assert!(
        why(4).contains("missing field `name`"),
        "a current record its type cannot read: {}",
        why(4)
    );
    let now: BTreeMap<i64, String> = rows(&db, "events").into_iter().collect();
    for key in failed {
        let original = &before.iter().find(|(k, _)| *k == key).unwrap().1;
        assert_eq!(&now[&key], original, "key {key} untouched");
    }
    assert_eq!(report["ended"], "finished");
    assert_eq!(report["progress"]["failed"], 5);
}

#[test]
fn a_record_changed_since_the_migration_is_listed_by_rollback_and_kept() {
    let (_dir, db, spec) = sqlite(1);
    let before = rows(&db, "events");
    migrate(&["run", &spec]);
    let saved = originals(&db);
    let (&changed, _) = saved.iter().next().unwrap();
    let service_write = r#"{"kind":"customer","version":5,"data":{"id":"cus_1","name":{"first":"A","last":"B"},"email":"e","address":{"city":"c","country":"GB"}}}"#;
    Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE events SET body = ?1 WHERE id = ?2",
            rusqlite::params![service_write, changed],
        )
        .unwrap();
    let (code, out, _) = migrate(&["verify", &spec, "--format", "json"]);
    let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, verified["changed"].as_u64()), (1, Some(1)), "{out}");
    let (code, out, _) = migrate(&["rollback", &spec]);
    assert_eq!(code, 1, "a record was changed since: {out}");
    assert!(out.contains(&format!("key {changed}")), "{out}");
    for ((key, original), (_, body)) in before.iter().zip(rows(&db, "events")) {
        if *key == changed {
            assert_eq!(body, service_write, "never overwritten");
        } else {
            assert_eq!(body, *original, "key {key}");
        }
    }
}

#[test]
fn a_run_resumes_after_a_limit_and_after_an_interrupt() {
    let (_dir, db, spec) = sqlite(4);
    let (code, out, _) = migrate(&["run", &spec, "--limit", "500", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, report["ended"].as_str()), (1, Some("limit")));
    let first = report["progress"]["rewritten"].as_u64().unwrap();
    assert_eq!(first, 500, "stops at the limit exactly");
    let child = spawn(&["run", spec.as_str(), "--batch", "50", "--max-rate", "2000"]);
    thread::sleep(Duration::from_millis(700));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{out}\n{err}");
    assert!(
        out.contains("Interrupted; resume with the same command."),
        "{out}"
    );
    let left: u64 = err
        .split("pass 1: about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_default();
    assert!(
        left > 5500 * 4 - 2000 && left <= 5500 * 4,
        "the resumed pass counts about the units left: {err}"
    );
    let (_, status, _) = migrate(&["status", &spec]);
    assert!(
        status.contains(": started at 20") && status.contains("in progress, pass 1"),
        "{status}"
    );
    let (code, out, _) = migrate(&["run", &spec, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, report["ended"].as_str()),
        (1, Some("finished")),
        "{out}"
    );
    let total = report["progress"]["rewritten"].as_u64().unwrap();
    assert_eq!(
        total,
        3649 * 4,
        "each old record rewritten once over three runs"
    );
    assert_eq!(originals(&db).len() as u64, total);
}

#[test]
fn a_live_writer_keeps_its_writes() {
    let (_dir, db, spec) = sqlite(4);
    let count = rows(&db, "events").len() as i64;
    let stop = Arc::new(AtomicBool::new(false));
    let last_writes: Arc<Mutex<BTreeMap<i64, String>>> = Arc::default();
    let writer = {
        let (db, stop, last_writes) = (db.clone(), Arc::clone(&stop), Arc::clone(&last_writes));
        thread::spawn(move || {
            let conn = Connection::open(db).unwrap();
            conn.busy_timeout(Duration::from_secs(30)).unwrap();
            let mut dice = Dice::new(0x11fe);
            let mut written = 0;
            while !stop.load(Ordering::Relaxed) || written < 50 {
                let key = dice.roll(1, count as u64 + 1) as i64;
                let name = format!("Writer {written} Smith");
                let body = format!(
                    r#"{{"kind":"customer","version":1,"data":{{"id":{key},"name":"{name}","mail":"w@example.com","city":"Leeds","country":"France"}}}}"#
                );
                conn.execute(
                    "UPDATE events SET body = ?1 WHERE id = ?2",
                    rusqlite::params![body, key],
                )
                .unwrap();
                conn.execute("INSERT INTO events (body) VALUES (?1)", [&body])
                    .unwrap();
                let inserted = conn.last_insert_rowid();
                let mut last = last_writes.lock().unwrap();
                last.insert(key, name.clone());
                last.insert(inserted, name);
                written += 1;
                thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let (code, out, _) = migrate(&["run", &spec, "--batch", "200"]);
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(
        code == 1,
        "junk records fail, or the writer outlasted the run: {out}"
    );
    let (_, out, _) = migrate(&["run", &spec]);
    assert!(
        out.contains("Finished"),
        "once the writer stops, a run finishes: {out}"
    );
    let now: BTreeMap<i64, String> = rows(&db, "events").into_iter().collect();
    for (key, name) in last_writes.lock().unwrap().iter() {
        let record: serde_json::Value = serde_json::from_str(&now[key]).unwrap();
        assert_eq!(record["version"], 5, "key {key} migrated");
        let first = name.trim_end_matches(" Smith");
        assert_eq!(
            record["data"]["name"]["first"], first,
            "key {key} keeps the writer's last write"
        );
    }
    let (_, out, _) = migrate(&["verify", &spec, "--format", "json"]);
    let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
    let not_current = verified["not_current"].as_array().unwrap();
    assert!(
        not_current.len() <= 8
            && not_current
                .iter()
                .all(|record| record["why"].as_str().unwrap().contains("unknown country")),
        "only the junk (unless the writer replaced some): {out}"
    );
    assert!(
        verified["mismatched"].as_array().unwrap().is_empty(),
        "{out}"
    );
    // The run's count of records rewritten is verify's, however often the writer sent a
    // record back to an old version (each such record is rewritten again).
    let (_, status, _) = migrate(&["status", &spec, "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let records = &status["progress"]["records_rewritten"];
    let checked = verified["verified"].as_u64().unwrap() + verified["changed"].as_u64().unwrap();
    assert_eq!(records.as_u64(), Some(checked), "{status}\n{out}");
}

#[test]
fn an_old_writer_that_never_stops_does_not_keep_a_run_going() {
    let (_dir, db, spec) = sqlite(1);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        thread::spawn(move || {
            let conn = Connection::open(db).unwrap();
            conn.busy_timeout(Duration::from_secs(30)).unwrap();
            let body = r#"{"kind":"product","version":"1.0.0","data":{"sku":"S","title":"T","price_cents":1}}"#;
            while !stop.load(Ordering::Relaxed) {
                conn.execute("INSERT INTO events (body) VALUES (?1)", [body])
                    .unwrap();
                thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let (code, out, _) = migrate(&["run", &spec, "--batch", "100", "--max-rate", "4000"]);
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("An old writer is still running"), "{out}");
    assert!(
        out.contains("product") && out.contains("1.0.0"),
        "names the kind and version: {out}"
    );
}

#[test]
fn bad_store_names_are_errors_before_anything_runs() {
    let (_dir, db, spec) = sqlite(1);
    let before = rows(&db, "events");
    let dir = db.parent().unwrap().display().to_string();
    for (store, message) in [
        (
            format!("sqlite:{dir}/store.db?table=evnts"),
            "table `evnts` is not in",
        ),
        (
            format!("sqlite:{dir}/store.db?table=events&body=bdy"),
            "column `bdy` is not in",
        ),
        (
            format!("sqlite:{dir}/nothing.db?table=events"),
            "no such file",
        ),
        (
            format!("sqlite:{dir}/store.db?table=events\"; DROP TABLE events; --"),
            "is not in",
        ),
        (
            "sqlite:x.db?table=events&colour=red".to_owned(),
            "unknown option `colour`",
        ),
    ] {
        let (code, _, err) = migrate(&["run", &store]);
        assert_eq!(code, 2, "{store}: {err}");
        assert!(err.contains(message), "{store}: {err}");
    }
    assert_eq!(rows(&db, "events"), before);
    assert!(
        !db.parent().unwrap().join("nothing.db").exists(),
        "no new empty database"
    );
    let tables: Vec<String> = Connection::open(&db)
        .unwrap()
        .prepare("SELECT name FROM sqlite_master")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, ["events", "orders"], "nothing created");
    let _ = spec;
}

#[test]
fn inline_orders_and_a_version_column_migrate_in_place() {
    let (_dir, db, _) = sqlite(1);
    let orders = format!("sqlite:{}?table=orders", db.display());
    let (code, out, _) = migrate(&[
        "run",
        &orders,
        "--inline",
        "schema_version",
        "--kind",
        "order",
    ]);
    assert_eq!(code, 1, "one junk order: {out}");
    assert!(out.contains("rewritten 4188"), "{out}");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE notes (id TEXT PRIMARY KEY, v TEXT, doc BLOB);
         INSERT INTO notes VALUES ('a', '1', CAST('{\"id\":1,\"name\":\"Ada Lovelace\",\"mail\":\"a@b\",\"city\":\"Leeds\",\"country\":\"France\"}' AS BLOB));
         INSERT INTO notes VALUES ('b', '5', CAST('{\"id\":\"cus_2\",\"name\":{\"first\":\"G\",\"last\":\"H\"},\"email\":\"g@h\",\"address\":{\"city\":\"c\",\"country\":\"FR\"}}' AS BLOB));",
    ).unwrap();
    let notes = format!("sqlite:{}?table=notes&body=doc&version=v", db.display());
    let (code, _, err) = migrate(&["run", &notes]);
    assert_eq!(code, 2, "a version column needs --kind: {err}");
    let (code, out, _) = migrate(&["run", &notes, "--kind", "customer"]);
    assert_eq!(code, 0, "{out}");
    let (version, kind): (String, String) = conn
        .query_row("SELECT v, typeof(doc) FROM notes WHERE id = 'a'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (version.as_str(), kind.as_str()),
        ("5", "blob"),
        "the column gets the tag, the body stays a blob"
    );
    let (code, out, _) = migrate(&["rollback", &notes, "--kind", "customer"]);
    assert_eq!(code, 0, "{out}");
    let version: String = conn
        .query_row("SELECT v FROM notes WHERE id = 'a'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, "1");
}
