//! The real `upcast` binary, its output compared with the files in `tests/expected/`.
//! `UPCAST_BLESS=1` rewrites them from the current output.

use std::process::Command;

#[path = "../../../tests/support/expected.rs"]
mod expected;

use expected::expect;

/// Runs `upcast ARGS` in this crate's folder: (exit code, stdout).
fn upcast(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_upcast"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("UPCAST_BLESS")
        .output()
        .expect("the upcast binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

/// Compares `actual` with `tests/expected/NAME`, or writes it there when blessing.
#[test]
fn diff_incompatible_human() {
    let (code, out) = upcast(&[
        "schema",
        "diff",
        "tests/fixtures/old.json",
        "tests/fixtures/new.json",
    ]);
    assert_eq!(code, 1);
    expect("diff-incompatible.txt", &out);
}

#[test]
fn diff_incompatible_json() {
    let (code, out) = upcast(&[
        "schema",
        "diff",
        "tests/fixtures/old.json",
        "tests/fixtures/new.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(report["compatible"], false);
    assert!(report["changes"].as_array().is_some_and(|c| {
        c.iter().any(|c| {
            c["type"] == "TYPE_CHANGED"
                && c["path"] == "#/properties/id"
                && c["compatible"] == false
        })
    }));
    expect("diff-incompatible.json", &out);
}

#[test]
fn diff_compatible_and_directions() {
    let (code, out) = upcast(&[
        "schema",
        "diff",
        "tests/fixtures/old.json",
        "tests/fixtures/compatible.json",
    ]);
    assert_eq!(code, 0, "{out}");
    expect("diff-compatible.txt", &out);
    let (code, _) = upcast(&[
        "schema",
        "diff",
        "tests/fixtures/old.json",
        "tests/fixtures/compatible.json",
        "--direction",
        "full",
    ]);
    assert_eq!(code, 1, "the old schema cannot read the new enum value");
    let (code, _) = upcast(&[
        "schema",
        "diff",
        "tests/fixtures/compatible.json",
        "tests/fixtures/old.json",
        "--direction",
        "forward",
    ]);
    assert_eq!(code, 0);
}

#[test]
fn diff_tool_failures_exit_2() {
    let (code, out) = upcast(&[
        "schema",
        "diff",
        "tests/fixtures/missing.json",
        "tests/fixtures/new.json",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    let (code, _) = upcast(&[
        "schema",
        "diff",
        "tests/fixtures/invalid.json",
        "tests/fixtures/new.json",
    ]);
    assert_eq!(code, 2);
    let (code, _) = upcast(&["schema", "diff", "tests/fixtures/old.json"]);
    assert_eq!(code, 2, "usage errors exit 2 too");
}

#[test]
fn schema_check_folder() {
    let (code, out) = upcast(&["schema", "check", "tests/fixtures/schemas"]);
    assert_eq!(code, 1);
    expect("schema-check.txt", &out);
    let (_, json) = upcast(&[
        "schema",
        "check",
        "tests/fixtures/schemas",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON output");
    assert_eq!(report["fail"], 1);
}

#[test]
fn rules_list_and_explain() {
    let (code, out) = upcast(&["check", "--list"]);
    assert_eq!(code, 0);
    expect("check-list.txt", &out);
    let (code, out) = upcast(&["check", "--explain", "minor-incompatible"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("minor-incompatible: a minor version is not backward compatible (deny)"),
        "{out}"
    );
    let (code, _) = upcast(&["check", "--explain", "no-such-rule"]);
    assert_eq!(code, 2);
}
