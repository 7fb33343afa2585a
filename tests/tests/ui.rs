//! Compile-time checks of `#[derive(DatabaseSettings)]`: one file per mistake
//! in `tests/ui/`, each with the compiler's expected output beside it, and
//! in `tests/ui/pass/` uses that must compile and run.
//! Regenerate with `TRYBUILD=overwrite` and read the diff before committing.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
