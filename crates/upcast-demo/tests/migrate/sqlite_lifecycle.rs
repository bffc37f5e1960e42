//! SQLite after a migration ends: what `verify`, `status`, `rollback` and a new run make of
//! a table rolled back or finalized.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use tempfile::TempDir;

use super::support::{migrate, rows, sqlite};

/// A customer at version 1, as an envelope.
fn customer_v1(id: i64) -> String {
    format!(
        r#"{{"kind":"customer","version":1,"data":{{"id":{id},"name":"Ada Lovelace","mail":"a@b","city":"Leeds","country":"France"}}}}"#
    )
}

/// A database whose `events` table holds `count` customers at version 1 and nothing that
/// fails, and the store argument of that table.
fn clean_store(count: i64) -> (TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .unwrap();
    for id in 1..=count {
        conn.execute("INSERT INTO events (body) VALUES (?1)", [customer_v1(id)])
            .unwrap();
    }
    let spec = format!("sqlite:{}?table=events", db.display());
    (dir, db, spec)
}

/// The tables of the database, by name.
fn tables(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).unwrap();
    let mut select = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    let names = select.query_map([], |r| r.get(0)).unwrap();
    names.collect::<Result<_, _>>().unwrap()
}

/// `migrate verify --format json`: its exit code and report, with the report's counts and
/// first listed records for messages.
fn verify(spec: &str) -> (i32, serde_json::Value, String) {
    let (code, out, err) = migrate(&["verify", spec, "--format", "json"]);
    let report: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let first = |list: &str| report[list].as_array().and_then(|l| l.first()).cloned();
    let summary = format!(
        "finished {}, records {}, verified {}, changed {}, first not current {:?}, first \
         mismatched {:?}",
        report["finished"],
        report["records"],
        report["verified"],
        report["changed"],
        first("not_current"),
        first("mismatched"),
    );
    (code, report, summary)
}

/// The original kept by a rollback for `key`, if any.
fn kept_original(db: &Path, key: i64) -> Option<String> {
    let conn = Connection::open(db).unwrap();
    conn.query_row(
        "SELECT body FROM events__upcast_rolled_back WHERE key = ?1",
        [key],
        |r| r.get(0),
    )
    .optional()
    .unwrap_or_else(|e| panic!("the rolled-back originals: {e}; tables {:?}", tables(db)))
}

#[test]
fn a_rollback_keeps_the_originals_of_changed_records_apart_from_the_next_migration() {
    let (_dir, db, spec) = sqlite(1);
    let before = rows(&db, "events");
    migrate(&["run", &spec]);
    let changed: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT min(key) FROM events__upcast_originals", [], |r| {
            r.get(0)
        })
        .unwrap();
    let service_write = r#"{"kind":"customer","version":5,"data":{"id":"cus_1","name":{"first":"A","last":"B"},"email":"e","address":{"city":"c","country":"GB"}}}"#;
    Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE events SET body = ?1 WHERE id = ?2",
            rusqlite::params![service_write, changed],
        )
        .unwrap();
    let (code, out, _) = migrate(&["rollback", &spec]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("key {changed}")), "{out}");

    let (code, verified, summary) = verify(&spec);
    assert_eq!(code, 1, "the rolled-back records are old: {summary}");
    assert_eq!(
        (&verified["changed"], &verified["verified"]),
        (&0.into(), &0.into()),
        "no migration's originals are left to compare with: {summary}"
    );
    let original = &before.iter().find(|(key, _)| *key == changed).unwrap().1;
    assert_eq!(kept_original(&db, changed).as_ref(), Some(original));

    let (code, out, _) = migrate(&["run", &spec]);
    assert_eq!(code, 1, "the junk customers fail: {out}");
    let (_, verified, summary) = verify(&spec);
    assert_eq!(
        (&verified["changed"], &verified["mismatched"]),
        (&0.into(), &serde_json::json!([])),
        "the new migration knows only its own originals: {summary}"
    );
    let (code, out, _) = migrate(&["rollback", &spec]);
    assert_eq!(code, 0, "nothing of the new migration changed since: {out}");
    assert!(!out.contains(&format!("key {changed}")), "{out}");
    assert_eq!(
        kept_original(&db, changed).as_ref(),
        Some(original),
        "kept, never overwritten"
    );
    for ((key, was), (_, now)) in before.iter().zip(rows(&db, "events")) {
        let expected = if *key == changed { service_write } else { was };
        assert_eq!(now, expected, "key {key}");
    }
}

#[test]
fn after_finalize_status_and_verify_speak_of_the_finished_migration() {
    let (_dir, db, spec) = clean_store(3);
    let (code, out, _) = migrate(&["run", &spec]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = migrate(&["finalize", &spec]);
    assert_eq!(code, 0, "{out}");
    let (code, status, _) = migrate(&["status", &spec]);
    assert_eq!(code, 0, "{status}");
    assert!(
        status.contains("finished at") && !status.contains("no migration started"),
        "{status}"
    );
    let (code, out, _) = migrate(&["verify", &spec]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Passed.") && !out.contains("has not finished"),
        "{out}"
    );
    assert_eq!(
        tables(&db),
        ["events", "events__upcast_progress"],
        "the originals and failures are dropped; the progress says it was finalized"
    );

    let (code, out, err) = migrate(&["rollback", &spec]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("was finalized") && err.contains("originals"),
        "says why nothing can be put back: {err}"
    );
    let (code, out, err) = migrate(&["finalize", &spec]);
    assert_eq!(code, 0, "finalizing again changes nothing: {out}{err}");

    let conn = Connection::open(&db).unwrap();
    conn.execute("INSERT INTO events (body) VALUES (?1)", [customer_v1(4)])
        .unwrap();
    let (code, status, _) = migrate(&["status", &spec]);
    assert!(code == 1 && status.contains("left 1"), "{status}");
    let (code, verified, summary) = verify(&spec);
    assert_eq!(code, 1, "every record is still checked: {summary}");
    assert_eq!(verified["not_current"][0]["key"], 4, "{summary}");

    let (code, out, _) = migrate(&["run", &spec]);
    assert!(
        code == 0 && out.contains("rewritten 1,"),
        "a new migration: {out}"
    );
    let (code, out, _) = migrate(&["rollback", &spec]);
    assert_eq!(code, 0, "{out}");
    let now = rows(&db, "events");
    assert_eq!(
        now[3].1,
        customer_v1(4),
        "the new migration's record put back"
    );
    assert!(
        now[..3]
            .iter()
            .all(|(_, body)| body.contains("\"version\":5"))
    );
}

#[test]
fn finalize_verifies_first_and_says_what_stays_old() {
    let (_dir, _db, spec) = sqlite(1);
    let (code, out, err) = migrate(&["run", &spec]);
    assert_eq!(code, 1, "the junk customers fail: {out}{err}");
    let (code, out, err) = migrate(&["finalize", &spec]);
    assert_eq!(
        code, 1,
        "finalized, with two records left at their old version: {out}{err}"
    );
    assert!(
        out.contains("Finalized") && out.contains("2 records"),
        "{out}"
    );
}

#[test]
fn finalize_refuses_a_rewrite_that_is_not_the_upcast_of_its_original() {
    let (_dir, db, spec) = sqlite(1);
    let (code, _, _) = migrate(&["run", &spec]);
    assert_eq!(code, 1);
    // What a defect of a step or of the engine would leave: a record and its saved
    // rewrite that the upcast of its original does not give.
    let conn = Connection::open(&db).unwrap();
    let key: i64 = conn
        .query_row(
            "SELECT key FROM events__upcast_originals LIMIT 1",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let wrong = r#"{"kind":"product","version":"1.2.0","data":{"sku":"x","name":"x","price":1}}"#;
    conn.execute(
        "UPDATE events SET body = ?1 WHERE id = ?2",
        params![wrong, key],
    )
    .unwrap();
    conn.execute(
        "UPDATE events__upcast_originals SET rewritten = ?1 WHERE key = ?2",
        params![wrong, key],
    )
    .unwrap();
    let (code, out, err) = migrate(&["finalize", &spec]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("differ from the upcast"), "{err}");
    assert!(
        tables(&db).iter().any(|t| t == "events__upcast_originals"),
        "originals kept"
    );
}

#[test]
fn plan_counts_every_record_in_its_table_and_agrees_with_status() {
    let (_dir, _db, spec) = sqlite(1);
    let (_, out, _) = migrate(&["plan", &spec, "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The two junk customers are version 4 records whose step fails: in the table too.
    assert_eq!(plan["records"]["customer"]["4"], 750, "{out}");
    let listed: u64 = plan["records"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|versions| versions.as_object().unwrap().values())
        .map(|count| count.as_u64().unwrap())
        .sum();
    assert_eq!(listed, 5500, "every record of the table: {out}");
    assert_eq!(plan["to_rewrite"], 3649, "{out}");
    let (_, out, _) = migrate(&["status", &spec, "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        status["left"], 3649,
        "status counts what plan counts: {out}"
    );
}
