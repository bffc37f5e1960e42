//! The demo binary as the `upcast` CLI over the demo's record types, its output compared
//! with the files in `tests/expected/`. `UPCAST_BLESS=1` rewrites them.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::expected::expect;

/// Runs `upcast-demo ARGS` in this crate's folder with `stdin`: (exit code, stdout).
fn demo(args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_upcast-demo"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("UPCAST_BLESS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the demo binary runs");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.as_bytes())
            .expect("stdin is writable");
    }
    let output = child.wait_with_output().expect("the demo binary finishes");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn the_demo_domain_passes_its_check() {
    let (code, out) = demo(&["check", "../../schemas"], "");
    assert_eq!(code, 0, "{out}");
    expect("check.txt", &out);
}

#[test]
fn stats_of_the_event_store() {
    let (code, out) = demo(&["stats", "data/events.jsonl"], "");
    assert_eq!(code, 1, "two junk customers fail their steps: {out}");
    expect("stats-events.txt", &out);
}

#[test]
fn stats_of_inline_orders_as_json() {
    let (code, out) = demo(
        &[
            "stats",
            "data/orders.jsonl",
            "--inline",
            "schema_version",
            "--kind",
            "order",
            "--format",
            "json",
        ],
        "",
    );
    assert_eq!(code, 1, "a junk order fails its step: {out}");
    let stats: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(stats["records"], 6_500);
    assert_eq!(stats["failing"], 1);
    assert!(stats["groups"].as_array().is_some_and(|g| {
        g.iter()
            .any(|g| g["version"] == "untagged" && g["steps"] == 2)
    }));
    expect("stats-orders.json", &out);
}

#[test]
fn read_upcasts_every_record_and_reports_the_junk() {
    let (code, out) = demo(
        &[
            "read",
            "data/orders.jsonl",
            "--inline",
            "schema_version",
            "--kind",
            "order",
        ],
        "",
    );
    assert_eq!(code, 1, "one legacy order has a negative price");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert_eq!(lines.len(), 6_499);
    assert!(
        lines
            .iter()
            .all(|order| order["schema_version"] == 3 && order["customer_id"].is_string())
    );
}

#[test]
fn read_from_standard_input() {
    let stored = r#"{"kind":"customer","version":1,"at":"2019-01-01T00:00:00Z","data":{"id":7,"name":"Ada Lovelace","mail":"ada@example.com","city":"Leeds","country":"United Kingdom"}}"#;
    let (code, out) = demo(&["read", "-"], stored);
    assert_eq!(code, 0);
    let current: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(current["version"], 5);
    assert_eq!(current["at"], "2019-01-01T00:00:00Z");
    assert_eq!(
        current["data"]["address"],
        serde_json::json!({"city": "Leeds", "country": "GB"})
    );
    assert_eq!(current["data"]["since"], "2019-01-01T00:00:00Z");
}
