//! Macro misuse: each mistake has a case in `tests/ui/` with the compiler's expected
//! message. `TRYBUILD=overwrite` regenerates the `.stderr` files.

#[test]
fn macro_misuse_gives_a_spanned_error_with_the_fix() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
