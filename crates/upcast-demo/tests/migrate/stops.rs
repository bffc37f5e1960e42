//! Every stopping point: `run --limit N` rewrites exactly N records (for every small N and
//! batch size), and a run to the end after it leaves every record in the store exactly
//! once, migrated, with `verify` agreeing.

use upcast::Layout;

use super::postgres::scratch;
use super::support::{events, migrate, migrated, rows, sqlite};

/// The `progress` of a run's JSON report.
fn rewritten(out: &str) -> u64 {
    let report: serde_json::Value = serde_json::from_str(out).unwrap_or_default();
    report["progress"]["rewritten"].as_u64().unwrap_or(u64::MAX)
}

/// `run --limit N` for every N in `limits` and batch size in `batches` (`""`: the store's
/// own), each followed by `run` to the end and `verify`, on a fresh store made by `fresh`
/// (kept until the case ends).
fn every_limit<S>(limits: &[u64], batches: &[&str], mut fresh: impl FnMut() -> (S, String)) {
    for &limit in limits {
        for &batch in batches {
            let (_guard, store) = fresh();
            let mut args = vec!["run", &store, "--format", "json", "--limit"];
            let limit_text = limit.to_string();
            args.push(&limit_text);
            if !batch.is_empty() {
                args.extend(["--batch", batch]);
            }
            let (code, out, err) = migrate(&args);
            let case = format!("--limit {limit} --batch {batch:?}");
            assert!(code <= 1, "{case}: {out}{err}");
            assert_eq!(rewritten(&out), limit, "{case}: exactly the limit: {out}");
            let (code, out, err) = migrate(&["run", &store, "--format", "json"]);
            assert_eq!(code, 1, "{case}: the junk customers fail: {out}{err}");
            assert_eq!(
                rewritten(&out),
                3649,
                "{case}: every old record once: {out}"
            );
            let (code, out, _) = migrate(&["verify", &store, "--format", "json"]);
            let verified: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(code, 1, "{case}: {out}");
            assert_eq!(verified["verified"], 3649, "{case}: {out}");
            assert_eq!(verified["records"], 5500, "{case}: {out}");
        }
    }
}

#[test]
fn sqlite_run_limit_rewrites_exactly_n_and_the_rest_follows() {
    let envelope = Layout::envelope();
    let before = events();
    every_limit(&[0, 1, 2, 3, 5], &["", "2"], || {
        let (dir, _, spec) = sqlite(1);
        (dir, spec)
    });
    // The last store, checked record by record against what a migration makes.
    let (dir, db, spec) = sqlite(1);
    let (code, _, _) = migrate(&["run", &spec, "--limit", "4", "--batch", "2"]);
    assert!(code <= 1);
    migrate(&["run", &spec]);
    let lines: Vec<&str> = before.lines().filter(|l| !l.trim().is_empty()).collect();
    let now = rows(&db, "events");
    assert_eq!(now.len(), lines.len());
    for ((id, body), line) in now.iter().zip(lines) {
        assert_eq!(body, &migrated(&envelope, line), "key {id}");
    }
    drop(dir);
}

#[test]
fn postgres_run_limit_rewrites_exactly_n_and_the_rest_follows() {
    if scratch("limits").is_none() {
        return;
    }
    every_limit(&[0, 1, 2, 5], &["", "3"], || {
        let mut scratch = scratch("limits").unwrap();
        scratch.load("events", "jsonb", &events()).unwrap();
        let store = scratch.store("events");
        (scratch, store)
    });
}

#[test]
fn json_lines_run_limit_rewrites_exactly_n_and_the_rest_follows() {
    every_limit(&[0, 1, 2, 3, 5], &["", "2"], || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, events()).unwrap();
        (dir, format!("jsonl:{}", path.display()))
    });
}
