//! What `#[derive(DatabaseSettings)]` generates, through the public API.

use std::net::IpAddr;
use std::path::PathBuf;

use dbsettings::error::ProblemKind;
use dbsettings::resolution::Origin;
use dbsettings::{Backend, DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings, Debug)]
#[settings(prefix = "APP_")]
struct Settings {
    #[settings(
        env = "DATABASE_URL",
        alias = "POSTGRES_URL",
        alias = "DB_URL",
        fallback = "sqlite::memory:"
    )]
    database_url: DatabaseUrl,
    #[settings(default = 7860)]
    port: u16,
    #[settings(default = "0.0.0.0".parse().unwrap())]
    bind: IpAddr,
    #[settings(default = "info")]
    log_level: String,
    #[settings(default = "data")]
    data_dir: PathBuf,
    workers: usize,
    #[settings(env = "SECRET_KEY")]
    secret_key: String,
    sentry_dsn: Option<String>,
    r#type: Option<u8>,
}

const BASE: [(&str, &str); 2] = [("APP_WORKERS", "4"), ("SECRET_KEY", "k")];

fn load(extra: &[(&str, &str)]) -> Result<Settings, dbsettings::Error> {
    Settings::from_vars(BASE.iter().chain(extra.iter()).copied())
}

#[test]
fn defaults_options_and_prefixed_names() {
    let s = load(&[]).unwrap();
    assert_eq!(s.port, 7860);
    assert_eq!(s.bind, IpAddr::from([0, 0, 0, 0]));
    assert_eq!(s.log_level, "info");
    assert_eq!(s.data_dir, PathBuf::from("data"));
    assert_eq!(s.workers, 4);
    assert_eq!(s.sentry_dsn, None);
    assert_eq!(s.r#type, None);
    assert!(s.database_url.is_fallback());
    assert_eq!(s.database_url().expose_secret(), "sqlite::memory:");

    let s = load(&[
        ("APP_PORT", "8080"),
        ("APP_SENTRY_DSN", "https://sentry.example/1"),
        ("APP_TYPE", "3"),
        ("APP_LOG_LEVEL", ""),
    ])
    .unwrap();
    assert_eq!(s.port, 8080);
    assert_eq!(s.sentry_dsn.as_deref(), Some("https://sentry.example/1"));
    assert_eq!(s.r#type, Some(3));
    assert_eq!(s.log_level, "info", "empty means unset");
}

#[test]
fn aliases_are_tried_in_order_and_recorded() {
    let s = load(&[
        ("DB_URL", "mysql://root@localhost/test"),
        ("POSTGRES_URL", "postgresql://u:p@h/db"),
    ])
    .unwrap();
    assert_eq!(s.database_url.backend(), Backend::Postgres);
    assert_eq!(
        s.database_url.resolution().origin(),
        &Origin::Env {
            var: "POSTGRES_URL".into()
        }
    );
    let s = load(&[
        ("DB_URL", "mysql://root@localhost/test"),
        ("DATABASE_URL", ""),
    ])
    .unwrap();
    assert_eq!(s.database_url.backend(), Backend::MySql);
}

#[test]
fn file_secrets_for_any_field() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    let url = dir.path().join("url");
    std::fs::write(&key, "from-file\n").unwrap();
    std::fs::write(&url, "postgresql://app:s3cret@db/app\r\n").unwrap();
    let s = Settings::from_vars([
        ("APP_WORKERS", "1"),
        ("SECRET_KEY_FILE", key.to_str().unwrap()),
        ("DATABASE_URL_FILE", url.to_str().unwrap()),
    ])
    .unwrap();
    assert_eq!(s.secret_key, "from-file");
    assert_eq!(
        s.database_url.expose_secret(),
        "postgresql://app:s3cret@db/app"
    );
    assert!(matches!(
        s.database_url.resolution().origin(),
        Origin::File { file_var, .. } if file_var == "DATABASE_URL_FILE"
    ));
}

#[test]
fn every_bad_variable_is_listed_at_once_without_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let err = Settings::from_vars([
        ("APP_PORT", "not-a-port-9x"),
        ("APP_BIND", " 10.0.0.1"),
        ("APP_TYPE", "999"),
        ("SECRET_KEY", "inline"),
        ("SECRET_KEY_FILE", dir.path().join("k").to_str().unwrap()),
    ])
    .unwrap_err();
    let vars: Vec<&str> = err
        .problems()
        .iter()
        .map(dbsettings::error::Problem::var)
        .collect();
    assert_eq!(
        vars,
        [
            "APP_PORT",
            "APP_BIND",
            "APP_WORKERS",
            "SECRET_KEY",
            "APP_TYPE"
        ]
    );
    let text = err.to_string();
    for value in ["not-a-port-9x", "10.0.0.1", "999", "inline"] {
        assert!(!text.contains(value), "the error echoes {value:?}: {text}");
        assert!(!format!("{err:?}").contains(value));
    }
    assert!(text.contains("5 problems"), "{text}");
    assert!(text.contains("`APP_PORT` is not a valid `u16`"), "{text}");
    assert!(
        text.contains("without the surrounding white space"),
        "{text}"
    );
    assert!(
        text.contains("`APP_WORKERS` is required but not set"),
        "{text}"
    );
    assert!(
        text.contains("both `SECRET_KEY` and `SECRET_KEY_FILE` are set"),
        "{text}"
    );
    assert!(matches!(
        err.problems()[2].kind(),
        ProblemKind::Missing { .. }
    ));
}

#[test]
fn a_parser_message_that_quotes_the_value_is_scrubbed() {
    #[derive(Debug)]
    struct Loud;
    impl std::str::FromStr for Loud {
        type Err = String;
        fn from_str(s: &str) -> Result<Self, String> {
            Err(format!("cannot understand {s:?}"))
        }
    }
    #[derive(DatabaseSettings, Debug)]
    struct S {
        #[settings(fallback = "sqlite::memory:")]
        database_url: DatabaseUrl,
        #[allow(dead_code)]
        loud: Loud,
    }
    let err = S::from_vars([("LOUD", "topsecretvalue")]).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("topsecretvalue"), "{text}");
    assert!(text.contains("cannot understand"), "{text}");
}

#[test]
fn strict_attribute_turns_an_unusable_url_into_an_error() {
    #[derive(DatabaseSettings, Debug)]
    struct Production {
        #[settings(env = "DATABASE_URL", strict)]
        database_url: DatabaseUrl,
    }
    let err = Production::from_vars([("DATABASE_URL", "postgresql://u:pa#ss@db/app")]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("strict mode refuses the SQLite fallback"),
        "{text}"
    );
    assert!(text.contains("%23"), "{text}");
    assert!(!text.contains("pa#ss"), "{text}");
    assert!(Production::from_vars([("DATABASE_URL", "postgresql://u:p@db/app")]).is_ok());
}

#[test]
fn strict_env_switch() {
    #[derive(DatabaseSettings, Debug)]
    struct S {
        database_url: DatabaseUrl,
    }
    let err = S::from_vars([("DBSETTINGS_STRICT", "true")]).unwrap_err();
    assert_eq!(err.problems()[0].var(), "DATABASE_URL");
}

#[test]
fn fallback_goes_to_the_data_dir_variable_without_an_attribute() {
    #[derive(DatabaseSettings, Debug)]
    struct S {
        database_url: DatabaseUrl,
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested/dir");
    let s = S::from_vars([("DBSETTINGS_DATA_DIR", target.to_str().unwrap())]).unwrap();
    assert_eq!(
        s.database_url.resolution().sqlite_path(),
        Some(target.join("app.db").as_path())
    );
    assert!(target.is_dir(), "parent directories are created");
}

#[test]
fn generic_structs_derive() {
    #[derive(DatabaseSettings, Debug)]
    struct S<T: std::str::FromStr>
    where
        T::Err: std::fmt::Display,
    {
        #[settings(fallback = "sqlite::memory:")]
        database_url: DatabaseUrl,
        value: T,
    }
    let s = S::<u32>::from_vars([("VALUE", "7")]).unwrap();
    assert_eq!(s.value, 7);
}

/// `from_env` reads the real process environment. Rust 2024 makes `set_var`
/// unsafe, so the test runs itself again as a child with a prepared
/// environment.
#[test]
fn from_env_reads_the_process_environment() {
    const CHILD: &str = "DBSETTINGS_FROM_ENV_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let s = Settings::from_env().unwrap();
        assert_eq!(s.port, 9999);
        assert_eq!(s.database_url.backend(), Backend::MySql);
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "from_env_reads_the_process_environment",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .env("APP_PORT", "9999")
        .env("APP_WORKERS", "2")
        .env("SECRET_KEY", "x")
        .env("DATABASE_URL", "mysql://root@127.0.0.1:3306/test")
        .env_remove("POSTGRES_URL")
        .env_remove("DB_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}
