//! Nested settings, the generated `.env.example` and libpq variables,
//! through the public API and hermetically (`from_vars`).

use dbsettings::error::ProblemKind;
use dbsettings::resolution::Origin;
use dbsettings::{Backend, DatabaseSettings, DatabaseUrl};

/// A read replica's settings.
#[derive(DatabaseSettings, Debug)]
struct Replica {
    /// Where the replica lives.
    #[settings(env = "DATABASE_URL", fallback = "sqlite::memory:")]
    database_url: DatabaseUrl,
    /// Seconds of lag tolerated.
    #[settings(default = 5)]
    max_lag: u32,
}

#[derive(DatabaseSettings, Debug)]
#[settings(prefix = "APP_")]
#[allow(dead_code)]
struct App {
    /// The primary database.
    #[settings(
        env = "DATABASE_URL",
        alias = "POSTGRES_URL",
        fallback = "sqlite::memory:"
    )]
    database_url: DatabaseUrl,
    /// The replica, under `REPLICA_`.
    #[settings(nested, prefix = "REPLICA_")]
    replica: Replica,
    /// The archive, under `APP_ARCHIVE_` (the struct's prefix, then the field).
    #[settings(nested)]
    archive: Replica,
    /// The HTTP port.
    #[settings(default = 7860)]
    port: u16,
    /// Required.
    workers: usize,
    /// The log filter.
    log_level: Option<String>,
}

#[test]
fn two_databases_live_in_one_struct_each_with_its_own_handle() {
    let app = App::from_vars([
        ("DATABASE_URL", "postgresql://app:pw@db:5432/app"),
        ("REPLICA_DATABASE_URL", "mysql://ro:pw@replica:3306/app"),
        ("REPLICA_MAX_LAG", "9"),
        ("APP_WORKERS", "2"),
    ])
    .unwrap();
    assert_eq!(app.database_url.backend(), Backend::Postgres);
    assert_eq!(app.replica.database_url.backend(), Backend::MySql);
    assert_eq!(app.replica.max_lag, 9);
    assert_eq!(
        app.replica.database_url.resolution().origin(),
        &Origin::Env {
            var: "REPLICA_DATABASE_URL".into()
        }
    );
    assert!(app.archive.database_url.is_fallback());
    assert_eq!(
        app.archive
            .database_url
            .resolution()
            .fallback_reason()
            .unwrap()
            .to_string(),
        "`APP_ARCHIVE_DATABASE_URL` is not set"
    );
    assert_eq!(app.archive.max_lag, 5);
    assert_eq!(app.database().backend(), Backend::Postgres);
    assert_eq!(app.replica.database().backend(), Backend::MySql);
}

#[test]
fn nested_problems_carry_their_full_names() {
    let err =
        App::from_vars([("REPLICA_MAX_LAG", "soon"), ("APP_ARCHIVE_MAX_LAG", "-1")]).unwrap_err();
    let vars: Vec<&str> = err
        .problems()
        .iter()
        .map(dbsettings::error::Problem::var)
        .collect();
    assert_eq!(
        vars,
        ["REPLICA_MAX_LAG", "APP_ARCHIVE_MAX_LAG", "APP_WORKERS"]
    );
    assert!(matches!(
        err.problems()[2].kind(),
        ProblemKind::Missing { .. }
    ));
    let text = err.to_string();
    assert!(!text.contains("soon"), "{text}");
}

#[derive(DatabaseSettings, Debug)]
struct Outer {
    #[settings(fallback = "sqlite::memory:")]
    database_url: DatabaseUrl,
    #[settings(nested, prefix = "EU_")]
    eu: Middle,
}

#[derive(DatabaseSettings, Debug)]
struct Middle {
    #[settings(fallback = "sqlite::memory:")]
    database_url: DatabaseUrl,
    #[settings(nested, prefix = "REPLICA_")]
    replica: Replica,
}

#[test]
fn prefixes_compose() {
    let o =
        Outer::from_vars([("EU_REPLICA_DATABASE_URL", "postgresql://x@eu-replica/db")]).unwrap();
    assert_eq!(o.eu.replica.database_url.backend(), Backend::Postgres);
    assert!(o.eu.database_url.is_fallback());
}

#[test]
fn the_env_example_lists_every_variable_and_no_value() {
    let text = App::env_example();
    for needle in [
        "# The primary database.\n",
        "# Also read from: POSTGRES_URL.\n",
        "DATABASE_URL=postgresql://user:password@localhost:5432/dbname\n",
        "# Optional: when unset or unusable, SQLite (sqlite::memory:) is used instead.",
        "# --- replica ---\n# The replica, under `REPLICA_`.\n",
        "REPLICA_DATABASE_URL=postgresql://user:password@localhost:5432/dbname\n",
        "# Seconds of lag tolerated.\n",
        "# Optional, default: 5\n# REPLICA_MAX_LAG=5\n",
        "APP_ARCHIVE_MAX_LAG=5",
        "# Optional, default: 7860\n# APP_PORT=7860\n",
        "# Required.\nAPP_WORKERS=\n",
        "# Optional.\n# APP_LOG_LEVEL=\n",
        "# APP_WORKERS_FILE may name a file holding the value instead.",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // Loading it back: a template is valid input (the required field aside).
    let vars: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (
                k.to_owned(),
                if v.is_empty() {
                    "1".to_owned()
                } else {
                    v.to_owned()
                },
            )
        })
        .collect();
    let app = App::from_vars(vars).unwrap();
    assert_eq!(app.database_url.backend(), Backend::Postgres);
}

#[derive(DatabaseSettings, Debug)]
struct NoLibpq {
    #[settings(fallback = "sqlite::memory:", libpq = false)]
    database_url: DatabaseUrl,
}

#[test]
fn libpq_variables_when_no_url_is_set() {
    let pg = [
        ("PGHOST", "db.internal"),
        ("PGUSER", "app"),
        ("PGPASSWORD", "Lib-Pq-Secret-1"),
        ("PGDATABASE", "orders"),
    ];
    let app = App::from_vars(pg.iter().copied().chain([("APP_WORKERS", "1")])).unwrap();
    assert_eq!(app.database_url.resolution().origin(), &Origin::Libpq);
    assert_eq!(app.database_url.backend(), Backend::Postgres);
    let shown = format!(
        "{} {:?} {}",
        app.database_url,
        app.database_url,
        app.database_url.resolution()
    );
    assert!(!shown.contains("Lib-Pq-Secret-1"), "{shown}");
    assert!(NoLibpq::from_vars(pg).unwrap().database_url.is_fallback());
}

mod dotenv {
    use super::{App, Backend, DatabaseSettings, Origin};
    use dbsettings::source::{DotEnv, Layered, Vars};

    fn write(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
        let path = dir.join(".env");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_environment_wins_over_the_file_and_each_value_says_where_it_came_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "# local development\nDATABASE_URL=\"postgresql://dev:devpw@localhost:5432/dev\"\nAPP_WORKERS=3\nAPP_PORT=8000\n",
        );
        let file = DotEnv::load(&path).unwrap();
        assert_eq!(file.names(), ["APP_PORT", "APP_WORKERS", "DATABASE_URL"]);
        assert!(!format!("{file:?}").contains("devpw"));
        let env = Vars::new([("APP_WORKERS", "8")]);
        let app = App::from_source(&Layered::new(env, file)).unwrap();
        assert_eq!(app.workers, 8, "the environment wins");
        assert_eq!(app.port, 8000, "the file fills the rest");
        assert_eq!(app.database_url.backend(), Backend::Postgres);
        assert_eq!(
            app.database_url.resolution().origin(),
            &Origin::DotEnv {
                var: "DATABASE_URL".into(),
                file: path.clone()
            }
        );
        assert!(app.database_url.resolution().to_string().contains(".env"));
    }

    #[test]
    fn a_missing_file_is_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = DotEnv::load(dir.path().join(".env")).unwrap();
        assert!(file.names().is_empty());
        let app = App::from_source(&Layered::new(Vars::new([("APP_WORKERS", "1")]), file)).unwrap();
        assert!(app.database_url.is_fallback());
    }

    #[test]
    fn a_bad_line_is_named_without_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "APP_WORKERS=2\nthis is not an assignment Sekret-Value-42\n",
        );
        let err = DotEnv::load(&path).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2"), "{text}");
        assert!(text.contains(".env"), "{text}");
        assert!(!text.contains("Sekret"), "{text}");
    }

    /// `from_env_and_dotenv` reads `.env` in the working directory: the test
    /// runs itself as a child in a directory with one.
    #[test]
    fn from_env_and_dotenv_reads_the_working_directory() {
        const CHILD: &str = "DBSETTINGS_DOTENV_CHILD";
        if std::env::var_os(CHILD).is_some() {
            let app = App::from_env_and_dotenv().unwrap();
            assert_eq!(app.workers, 5);
            assert_eq!(app.port, 9000, "the environment wins");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "APP_WORKERS=5\nAPP_PORT=1\n");
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "dotenv::from_env_and_dotenv_reads_the_working_directory",
            ])
            .current_dir(dir.path())
            .env(CHILD, "1")
            .env("APP_PORT", "9000")
            .env_remove("APP_WORKERS")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

mod doctor {
    use dbsettings::doctor::{Verdict, diagnose};
    use dbsettings::source::Vars;
    use dbsettings::{DatabaseSettings, DatabaseUrl};

    #[derive(DatabaseSettings)]
    struct Service {
        #[settings(env = "DATABASE_URL", connect_timeout = "500ms")]
        database_url: DatabaseUrl,
    }

    async fn run(vars: &[(&str, &str)]) -> (String, Verdict) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_owned();
        let mut all: Vec<(&str, &str)> = vec![("DBSETTINGS_DATA_DIR", &data)];
        all.extend_from_slice(vars);
        let report = diagnose::<Service>(&Vars::new(all)).await;
        (report.text, report.verdict)
    }

    #[tokio::test]
    async fn a_rejected_url_is_explained_layer_by_layer_without_its_password() {
        let secret = "Doc-Secret-77";
        let url = format!("\"postgresql://app:{secret}#x@db:5432/app\"");
        let (text, verdict) = run(&[("DATABASE_URL", &url)]).await;
        assert_eq!(verdict, Verdict::FallsBack);
        assert_eq!(verdict.code(), 1);
        for needle in [
            "layer 1, presence: ok",
            "layer 2, normalisation: removed surrounding quotes",
            "layer 3, shape: ok",
            "layer 4, parse: stopped: `DATABASE_URL` was rejected: the password contains an unencoded `#`",
            "hint: percent-encode `#` in the password as `%23`",
            "layer 5, driver: not reached",
            "fallback candidates:",
            ": chosen",
            "connect: ok",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        assert!(
            !text.contains(secret) && !text.contains("Doc-Secret"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn exit_codes() {
        assert_eq!(
            run(&[("DATABASE_URL", "sqlite::memory:")]).await.1,
            Verdict::Usable
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("postgresql://app:Doc-Secret-88@127.0.0.1:{port}/app");
        let (text, verdict) = run(&[("DATABASE_URL", &url)]).await;
        assert_eq!(verdict, Verdict::Unreachable, "{text}");
        assert!(text.contains("connection refused"), "{text}");
        assert!(!text.contains("Doc-Secret-88"), "{text}");
        let (text, verdict) = run(&[("DBSETTINGS_STRICT", "1")]).await;
        assert_eq!(
            (verdict, verdict.code()),
            (Verdict::StrictRefuses, 2),
            "{text}"
        );
    }
}
