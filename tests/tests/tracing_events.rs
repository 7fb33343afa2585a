//! Every decision is a `tracing` event under the target `dbsettings`, and no
//! event carries the password.

mod common;

use common::capture::capture;
use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", fallback = "sqlite::memory:")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings, Debug)]
struct Strict {
    #[settings(env = "DATABASE_URL", strict)]
    database_url: DatabaseUrl,
}

const PASSWORD: &str = "Zq7-hunter2-secret";

#[test]
fn accepted_url_logs_source_and_each_normalisation() {
    let raw = format!(" \"POSTGRESQL+asyncpg://app:{PASSWORD}@db:5432/app?sslmode=disable\"\n");
    let (settings, logs) = capture(|| Settings::from_vars([("DATABASE_URL", raw.as_str())]));
    let settings = settings.unwrap();
    assert!(!settings.database_url.is_fallback());
    assert!(!logs.contains(PASSWORD), "{logs}");
    for needle in [
        "dbsettings: normalised: removed surrounding white space",
        "dbsettings: normalised: removed surrounding quotes",
        "dbsettings: normalised: lower-cased the scheme",
        "INFO dbsettings: normalised: removed the SQLAlchemy driver suffix `+asyncpg`",
        "INFO dbsettings: database URL from environment variable `DATABASE_URL`",
        "url=postgresql://****@db:5432/app?sslmode=disable",
    ] {
        assert!(logs.contains(needle), "missing {needle:?} in:\n{logs}");
    }
}

#[test]
fn fallback_is_a_warning_with_reason_and_hint() {
    let raw = format!("postgresql://app:{PASSWORD}#x@db:5432/app");
    let (settings, logs) = capture(|| Settings::from_vars([("DATABASE_URL", raw.as_str())]));
    assert!(settings.unwrap().database_url.is_fallback());
    assert!(!logs.contains(PASSWORD), "{logs}");
    assert!(
        logs.contains("WARN dbsettings: falling back to SQLite"),
        "{logs}"
    );
    assert!(
        logs.contains("the password contains an unencoded `#`"),
        "{logs}"
    );
    assert!(
        logs.contains("percent-encode `#` in the password as `%23`"),
        "{logs}"
    );
    assert!(
        logs.contains("WARN dbsettings: the database is in memory"),
        "{logs}"
    );
}

#[test]
fn strict_refusal_is_an_error_event() {
    let raw = format!("postgresql://app:{PASSWORD}@db:99999/app");
    let (result, logs) = capture(|| Strict::from_vars([("DATABASE_URL", raw.as_str())]));
    let err = result.unwrap_err();
    assert!(!logs.contains(PASSWORD), "{logs}");
    assert!(!format!("{err} {err:?}").contains(PASSWORD));
    assert!(
        logs.contains("ERROR dbsettings: no usable database URL"),
        "{logs}"
    );
    assert!(
        logs.contains("port is not a number between 1 and 65535"),
        "{logs}"
    );
}
