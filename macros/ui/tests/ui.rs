//! Compile-time checks of `#[derive(DatabaseSettings)]`, `sql!` and
//! `on_pool!`: one file per mistake in `tests/ui/`, each with the compiler's
//! expected output beside it, and in `tests/ui/pass/` uses that must
//! compile and run.
//! Regenerate with `TRYBUILD=overwrite` and read the diff before committing.
//!
//! trybuild builds the cases in a project of its own, with this package's
//! dependencies, in a target directory of its own: so this package depends
//! on dbsettings with the SQLite driver (the cases' fallback) and nothing
//! else, and dbsettings and sqlx compile there once, small.

use std::path::Path;

#[test]
fn ui() {
    write_migration_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

/// The migrations directories the `migration*` cases name. `migrations =
/// "..."` is relative to the deriving crate's `CARGO_MANIFEST_DIR`, which for
/// the cases is trybuild's project directory under the target directory, so
/// the fixtures are written there (a Latin-1 file is easier to write than to
/// keep in the repository).
fn write_migration_fixtures() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory");
    let root = target
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"))
        .join("ui-migrations");
    let files: [(&str, &[u8]); 5] = [
        (
            "no-backends/README.md",
            b"no postgres/, mysql/ or sqlite/ here",
        ),
        (
            "not-utf8/sqlite/0001_cafes.sql",
            b"INSERT INTO places (name) VALUES ('caf\xe9');",
        ),
        ("no-version/sqlite/create_notes.sql", b"SELECT 1;"),
        ("same-version/sqlite/0001_create_notes.sql", b"SELECT 1;"),
        ("same-version/sqlite/0001_create_tags.sql", b"SELECT 2;"),
    ];
    for (file, content) in files {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
    }
}
