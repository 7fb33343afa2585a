//! Compile-time checks of `#[derive(DatabaseSettings)]`, `sql!` and
//! `on_pool!`: one file per mistake in `tests/ui/`, each with the compiler's
//! expected output beside it. Regenerate with `TRYBUILD=overwrite` and read
//! the diff before committing.
//!
//! trybuild builds the cases in a project of its own, with this package's
//! dependencies, in a target directory of its own: so this package depends
//! on dbsettings with the SQLite driver (the cases' fallback) and nothing
//! else, and dbsettings and sqlx compile there once, small.
//!
//! What must compile and run is a plain test below, not a trybuild "pass"
//! case: with one of those, trybuild builds (not checks) and does so case by
//! case, a cargo run per case (about a minute here); without, one
//! `cargo check` covers every case.

use std::path::Path;
use std::process::Command;

/// The rustflags trybuild gives cargo when it builds the cases (its
/// `rustflags.rs`, plus the `--diagnostic-width=140` of `build_all_tests`),
/// `\x1f`-separated as `CARGO_ENCODED_RUSTFLAGS` wants them.
///
/// trybuild first builds the cases' dependencies without the last flag,
/// then the cases with it: two sets of flags, so sqlx, libsqlite3's C source
/// and dbsettings compiled twice. Cargo prefers `CARGO_ENCODED_RUSTFLAGS` to
/// the `--config` flags trybuild passes, so with it set both builds are one.
/// A change in trybuild's flags changes the expected `.stderr` files too
/// (they are the compiler's output under these flags).
const TRYBUILD_FLAGS: &str =
    "--cfg\x1ftrybuild\x1f--verbose\x1f-A\x1fdead_code\x1f--diagnostic-width=140";

#[test]
fn ui() {
    // Setting a variable of this process is `unsafe` (and the workspace
    // forbids it): run this test again as a child with it set.
    if std::env::var("CARGO_ENCODED_RUSTFLAGS").as_deref() != Ok(TRYBUILD_FLAGS) {
        let status = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "ui", "--nocapture"])
            .env("CARGO_ENCODED_RUSTFLAGS", TRYBUILD_FLAGS)
            .status()
            .unwrap();
        assert!(status.success(), "the UI cases failed (above)");
        return;
    }
    write_migration_fixtures();
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

/// `#[settings(crate = "...")]`: a crate that re-exports dbsettings (here the
/// module `facade`) lets its users derive without depending on dbsettings.
mod facade {
    pub(crate) use ::dbsettings;
}

use facade::dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
#[settings(crate = "facade::dbsettings")]
struct Replica {
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings)]
#[settings(crate = "facade::dbsettings", prefix = "APP_")]
struct Settings {
    #[settings(fallback = "sqlite::memory:", max_connections = 2)]
    database_url: DatabaseUrl,
    #[settings(default = 7860)]
    port: u16,
    #[settings(default = "info")]
    log_level: String,
    name: Option<String>,
    #[settings(nested)]
    replica: Replica,
}

#[test]
fn a_crate_path_lets_a_facade_derive() {
    let settings = Settings::from_vars([
        ("APP_PORT", "8080"),
        ("APP_REPLICA_DATABASE_URL", "sqlite::memory:"),
    ])
    .unwrap();
    assert_eq!(settings.port, 8080);
    assert_eq!(settings.log_level, "info");
    assert!(settings.name.is_none());
    assert!(settings.database_url().is_fallback());
    assert!(!settings.replica.database_url().is_fallback());
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
