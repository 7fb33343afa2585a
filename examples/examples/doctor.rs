//! `cargo run --example doctor`: reads the environment a service would and
//! explains the database choice step by step, then tries a bounded connect.
//! Redacted throughout. Exit code: 0 the configured database is usable,
//! 1 the SQLite fallback would be used, 2 strict mode would refuse to start,
//! 3 the URL is valid but the database cannot be reached, 4 other settings
//! are invalid.
//!
//! ```sh
//! DATABASE_URL='postgresql://app:p#ss@db:5432/app' cargo run --example doctor
//! ```

use dbsettings::{DatabaseSettings, DatabaseUrl};

/// What a typical service reads: `DATABASE_URL` (or `POSTGRES_URL`, or
/// libpq's `PG*` variables), falling back to `./data/app.db`.
#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL", alias = "POSTGRES_URL", connect_timeout = "3s")]
    database_url: DatabaseUrl,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let report = dbsettings::doctor::diagnose::<Settings>(&dbsettings::source::Environment).await;
    print!("{}", report.text);
    std::process::ExitCode::from(report.verdict.code())
}
