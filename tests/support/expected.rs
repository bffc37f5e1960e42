//! Expected-output files for tests that run the real binaries, shared by the CLI tests of
//! `upcast-cli` and `upcast-demo` (each includes this file with `#[path]`).

use std::path::Path;

/// Compares `actual` with `tests/expected/NAME` of the crate under test, or writes it there
/// when `UPCAST_BLESS=1`.
pub fn expect(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(name);
    if std::env::var("UPCAST_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, actual).expect("the expected file is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs; UPCAST_BLESS=1 rewrites it\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}
