//! Key order with serde_json's `preserve_order`, which feature unification would turn on
//! for the whole workspace: its tests live in `tests/preserve-order`, a workspace of its
//! own, built and run here with the cargo that runs these tests.

use std::path::PathBuf;
use std::process::Command;

/// The target folder these tests were built in (`<target>/debug/deps/main-*`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

#[test]
fn key_order_survives_with_preserve_order() {
    let manifest = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/preserve-order/Cargo.toml"
    );
    let output = Command::new(env!("CARGO"))
        // Offline: the versions the main workspace locked and fetched are the ones cached.
        .args(["test", "--quiet", "--offline", "--manifest-path", manifest])
        .arg("--target-dir")
        .arg(target_dir().join("preserve-order"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the preserve_order tests failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("4 passed"), "all four ran: {stdout}");
}
