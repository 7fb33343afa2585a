//! Migrations embedded at compile time: they agree with sqlx reading the
//! same files, the run-time override still reads a directory (and names it
//! when it is missing), and an edited or added migration file reaches the
//! next build of a real crate.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::servers::{self, POSTGRES, POSTGRES_URL};
use dbsettings::migrations::Migrations;
use dbsettings::{Backend, DatabaseErrorKind, DatabaseSettings, DatabaseUrl, sqlx};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", migrations = "migrations")]
    database_url: DatabaseUrl,
}

/// `migrations_broken` has only `sqlite/`.
#[derive(DatabaseSettings, Debug)]
struct SqliteOnly {
    #[settings(env = "DATABASE_URL", migrations = "migrations_broken")]
    database_url: DatabaseUrl,
}

fn embedded(s: &Settings) -> &'static dbsettings::migrations::EmbeddedMigrations {
    match &s.database_url.pool_options().migrations {
        Some(Migrations::Embedded(e)) => e,
        other => panic!("expected embedded migrations, got {other:?}"),
    }
}

#[tokio::test]
async fn embedded_migrations_are_what_sqlx_reads_from_the_files() {
    let s = Settings::from_vars([("DATABASE_URL", "sqlite::memory:")]).unwrap();
    let e = embedded(&s);
    assert_eq!(e.dir(), "migrations");
    let dir = common::root().join("tests/migrations");
    for backend in [Backend::Postgres, Backend::MySql, Backend::Sqlite] {
        let ours = e.migrator(backend).unwrap();
        let sqlx = sqlx::migrate::Migrator::new(dir.join(backend.name()))
            .await
            .unwrap();
        let key = |m: &sqlx::migrate::Migration| {
            (
                m.version,
                m.description.to_string(),
                m.migration_type,
                m.checksum.to_vec(),
                m.no_tx,
                m.sql.as_str().to_owned(),
            )
        };
        let ours: Vec<_> = ours.iter().map(key).collect();
        let theirs: Vec<_> = sqlx.iter().map(key).collect();
        assert!(!ours.is_empty(), "{backend}: nothing embedded");
        assert_eq!(ours, theirs, "{backend}");
    }
}

#[tokio::test]
async fn the_override_reads_a_directory_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("sqlite");
    std::fs::create_dir(&sqlite).unwrap();
    std::fs::write(
        sqlite.join("0001_shipped_beside.sql"),
        "CREATE TABLE shipped (x INTEGER);",
    )
    .unwrap();
    let s = Settings::from_vars([
        ("DATABASE_URL", "sqlite::memory:"),
        ("DATABASE_MIGRATIONS", dir.path().to_str().unwrap()),
    ])
    .unwrap();
    let pool = s.database().pool().await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(pool.as_sqlite().unwrap())
    .await
    .unwrap();
    assert_eq!(
        tables,
        ["shipped"],
        "the directory's, not the embedded ones"
    );
}

#[tokio::test]
async fn a_missing_override_directory_is_an_error_that_names_it() {
    let s = Settings::from_vars([
        ("DATABASE_URL", "sqlite::memory:"),
        ("DATABASE_MIGRATIONS", "/nonexistent/dbsettings-migrations"),
    ])
    .unwrap();
    let err = s.database().pool().await.unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::Migration, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("/nonexistent/dbsettings-migrations")
            && text.contains("DATABASE_MIGRATIONS")
            && text.contains("does not exist"),
        "{text}"
    );
}

#[tokio::test]
async fn a_backend_without_embedded_migrations_is_an_error_that_says_so() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let s = SqliteOnly::from_vars([("DATABASE_URL", POSTGRES_URL)]).unwrap();
    let err = s.database().pool().await.unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::Migration, "{err}");
    assert!(
        err.to_string()
            .contains("no PostgreSQL migrations are embedded: migrations_broken/postgres"),
        "{err}"
    );
}

/// A crate of its own, built and run as a user would: the binary prints its
/// SQLite schema after migrating.
///
/// It is built where the trybuild UI cases (`macros/ui`) are checked, with
/// their dependencies and flags: the UI cases are only checked and this is
/// built, so each compiles the crates itself, but the build scripts' runs
/// are shared (libsqlite3's C source compiles once for both, whichever runs
/// first). A mismatch (another trybuild, other dependencies there) costs
/// time, not correctness. The target directory is kept between runs.
struct Probe {
    dir: tempfile::TempDir,
    target: PathBuf,
    cargo: OsString,
    /// The host's target triple: trybuild passes `--target`, which puts the
    /// artifacts under `<target>/<triple>/`.
    triple: String,
}

impl Probe {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = common::root();
        // Quoted and escaped as a TOML basic string.
        let runtime = format!("{:?}", root.join("runtime").to_str().unwrap());
        let manifest = format!(
            r#"[package]
name = "migration-probe"
version = "0.0.0"
edition = "2024"
publish = false

# As in macros/ui/Cargo.toml (trybuild leaves itself out of its project).
[dependencies]
dbsettings = {{ path = {runtime}, default-features = false, features = ["sqlite"] }}
tokio = {{ version = "1", default-features = false, features = ["rt"] }}

[workspace]
"#
        );
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        // The workspace's versions, so nothing new is resolved or fetched.
        std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(
            dir.path().join("build.rs"),
            "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("src/main.rs"),
            r#"
use dbsettings::{DatabaseSettings, DatabaseUrl, sqlx};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(migrations = "migrations")]
    database_url: DatabaseUrl,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let settings = Settings::from_vars([("DATABASE_URL", "sqlite::memory:")]).unwrap();
        let pool = settings.database().pool().await.unwrap();
        let schema: Vec<String> = sqlx::query_scalar(
            "SELECT m.name || '(' || group_concat(p.name, ',') || ')' \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE '\\_%' ESCAPE '\\' \
             GROUP BY m.name ORDER BY m.name",
        )
        .fetch_all(pool.as_sqlite().unwrap())
        .await
        .unwrap();
        println!("{}", schema.join(" "));
    });
}
"#,
        )
        .unwrap();
        let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .expect("CARGO_TARGET_TMPDIR is inside the target directory")
            .join("tests/trybuild");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let version = Command::new(&cargo).arg("-vV").output().unwrap();
        let triple = String::from_utf8(version.stdout)
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
            .expect("`cargo -vV` names the host");
        Self {
            dir,
            target,
            cargo,
            triple,
        }
    }

    fn write_migration(&self, name: &str, sql: &str) {
        let path = self.dir.path().join("migrations/sqlite").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, sql).unwrap();
    }

    /// Builds, then runs the binary from an empty directory with an empty
    /// environment; returns what it printed.
    fn build_and_run(&self) -> String {
        // The flags trybuild's UI cases build with (macros/ui/tests/ui.rs,
        // `TRYBUILD_FLAGS`): the target, flags and incremental mode are part
        // of each build's fingerprint.
        let built = Command::new(&self.cargo)
            .args(["build", "--offline", "--quiet", "--target", &self.triple])
            .env(
                "CARGO_ENCODED_RUSTFLAGS",
                "--cfg\x1ftrybuild\x1f--verbose\x1f-A\x1fdead_code\x1f--diagnostic-width=140",
            )
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_INCREMENTAL", "0")
            .env_remove("RUSTFLAGS")
            .output()
            .unwrap();
        assert!(
            built.status.success(),
            "cargo build failed:\n{}",
            String::from_utf8_lossy(&built.stderr)
        );
        let empty = tempfile::tempdir().unwrap();
        let binary = self.target.join(&self.triple).join("debug/migration-probe");
        let ran = Command::new(binary)
            .env_clear()
            .current_dir(empty.path())
            .output()
            .unwrap();
        assert!(
            ran.status.success(),
            "the probe failed:\n{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        String::from_utf8(ran.stdout).unwrap().trim().to_owned()
    }
}

#[test]
fn an_edited_or_added_migration_reaches_the_next_build() {
    let probe = Probe::new();
    probe.write_migration("0001_notes.sql", "CREATE TABLE notes (body TEXT);");
    assert_eq!(probe.build_and_run(), "notes(body)");

    // Edited: include_str! of the file makes cargo rebuild.
    probe.write_migration(
        "0001_notes.sql",
        "CREATE TABLE notes (body TEXT, pinned INTEGER);",
    );
    assert_eq!(probe.build_and_run(), "notes(body,pinned)");

    // Added: seen through build.rs's rerun-if-changed on the directory.
    probe.write_migration("0002_tags.sql", "CREATE TABLE tags (name TEXT);");
    assert_eq!(probe.build_and_run(), "notes(body,pinned) tags(name)");
}
