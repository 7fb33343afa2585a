//! Secrets and hostile input, one test (or more) per class: secrets that come
//! back through the user name or a query key, the OS user as the default
//! role, the state after an `on_unreachable` switch, hermetic options under a
//! poisoned environment, huge values and special files, nearly full volumes,
//! locked files and the smaller traps. Real servers and real files throughout.

mod common;

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use common::capture::{capture, capture_scoped};
use common::servers::{self, MARIADB, POSTGRES};
use dbsettings::resolution::{CandidateKind, Component, FallbackReason, Rejection, Warning};
use dbsettings::source::Source;
use dbsettings::{Backend, DatabaseErrorKind, DatabaseSettings, DatabaseUrl, Pool, sqlx};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", connect_timeout = "2s")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings, Debug)]
struct SwitchWhenDown {
    #[settings(
        env = "DATABASE_URL",
        connect_timeout = "500ms",
        on_unreachable = "fallback"
    )]
    database_url: DatabaseUrl,
}

fn load(url: &str) -> Settings {
    Settings::from_vars([("DATABASE_URL", url)]).unwrap()
}

fn rejection(url: &str) -> Rejection {
    match load(url).database_url.resolution().fallback_reason() {
        Some(FallbackReason::Rejected { rejection, .. }) => rejection.clone(),
        other => panic!("{url}: expected a rejection, got {other:?}"),
    }
}

/// Everything a person could read about a resolved URL.
fn shown(url: &DatabaseUrl) -> String {
    format!("{url}\n{url:?}\n{}", url.resolution())
}

// ---------------------------------------------------------------------------
// 1. The password through the user name

/// A user name that holds the password (its `:` went missing) comes back in
/// the server's error: scrubbed everywhere, on both server kinds.
#[test]
fn a_password_in_the_user_name_never_comes_back_from_the_server() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (name, addr, url) in [
        (
            "PostgreSQL",
            POSTGRES,
            "postgresql://app;Hunter2-Pw@127.0.0.1:5432/test",
        ),
        (
            "MariaDB",
            MARIADB,
            "mysql://app;Hunter2-Pw@127.0.0.1:3306/test",
        ),
        (
            "PostgreSQL",
            POSTGRES,
            "postgresql://app%3BHunter2-Pw:x@127.0.0.1:5432/test",
        ),
    ] {
        if !rt.block_on(servers::available(name, addr)) {
            continue;
        }
        let settings = load(url);
        let ((), logs) = capture(|| {
            let err = rt
                .block_on(settings.database().pool())
                .expect_err("an unknown role cannot log in");
            assert_eq!(err.kind(), DatabaseErrorKind::Auth, "{err}");
            let text = format!("{err}\n{err:?}");
            assert!(text.contains("****"), "{text}");
            for leaked in ["Hunter2", "app;", "app%3B"] {
                assert!(!text.contains(leaked), "{name}: {leaked} in {text}");
            }
        });
        assert!(!logs.contains("Hunter2"), "{logs}");
        let vars = dbsettings::source::Vars::new([("DATABASE_URL", url)]);
        let report = rt.block_on(dbsettings::doctor::diagnose::<Settings>(&vars));
        assert!(!report.text.contains("Hunter2"), "{}", report.text);
    }
}

/// A user name that holds the password and a quote comes back cut short
/// (PostgreSQL at 63 bytes, inside a character when one straddles the cut;
/// MariaDB at its column width) and quoted without escaping: no run of the
/// secret survives in the error, its `Debug` scrubbed through the handle,
/// the health report's JSON, the doctor's text and JSON, or the log; and a
/// name cut inside a character is still `Auth`.
#[test]
fn cut_and_quoted_user_names_never_come_back_from_the_server() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let secret = "Zq7Secret\"Zq7Secret'Zq7Secret\"Zq7Secret'Zq7Secret\"Zq7Secret'Zq7Secret";
    let multibyte = format!("{}Zq7Secret", "é".repeat(40));
    let encoded = percent_encoded(secret);
    for (name, addr, url) in [
        (
            "PostgreSQL",
            POSTGRES,
            format!("postgresql://app\"{secret}@127.0.0.1:5432/test"),
        ),
        (
            "PostgreSQL",
            POSTGRES,
            format!("postgresql://app%22{encoded}@127.0.0.1:5432/test"),
        ),
        (
            "PostgreSQL",
            POSTGRES,
            format!("postgresql://app\"{multibyte}@127.0.0.1:5432/test"),
        ),
        (
            "MariaDB",
            MARIADB,
            format!("mysql://app'{secret}{secret}@127.0.0.1:3306/test"),
        ),
    ] {
        if !rt.block_on(servers::available(name, addr)) {
            continue;
        }
        let settings = load(&url);
        assert!(
            !settings.database_url.is_fallback(),
            "{name}: {}",
            settings.database_url.resolution()
        );
        let db = settings.database();
        let (text, logs) = capture(|| {
            let err = rt
                .block_on(db.pool())
                .expect_err("an unknown role cannot log in");
            assert_eq!(err.kind(), DatabaseErrorKind::Auth, "{name}: {err}");
            let debug = err.sqlx_error().map(|e| db.redact(&format!("{e:?}")));
            let health = rt.block_on(db.health(true));
            let json = serde_json::to_string(&health).unwrap();
            assert!(!health.state.is_up(), "{json}");
            format!("{err}\n{err:?}\n{debug:?}\n{json}")
        });
        let vars = dbsettings::source::Vars::new([("DATABASE_URL", url.as_str())]);
        let report = rt.block_on(dbsettings::doctor::diagnose::<Settings>(&vars));
        let all = format!(
            "{text}\n{logs}\n{}\n{}",
            report.text,
            serde_json::to_string(&report).unwrap()
        );
        assert!(all.contains("****"), "{name}: {all}");
        for leaked in ["Zq7", "Secret", "éé"] {
            assert!(!all.contains(leaked), "{name}: {leaked} in {url}:\n{all}");
        }
    }
}

/// The scrubbing is a mechanism of the handle, usable on any driver message.
#[test]
fn query_errors_can_be_scrubbed_through_the_handle() {
    let db = load("postgresql://app%40corp:p%40ss%3Bword@db.internal/app").database();
    let said = r#"role "app@corp" (p@ss;word / p%40ss%3Bword) failed"#;
    assert_eq!(db.redact(said), r#"role "****" (**** / ****) failed"#);
}

// ---------------------------------------------------------------------------
// 2. A password with `&` in a query parameter, unknown keys

#[test]
fn an_ampersand_in_a_password_parameter_is_rejected_without_naming_the_rest() {
    for url in [
        "postgresql://127.0.0.1/test?password=ab&REST=1",
        "postgresql://127.0.0.1/test?sslmode=disable&password=x&Tail0fPw=",
        "mysql://root@127.0.0.1/test?password=ab&REST=1",
    ] {
        assert_eq!(rejection(url), Rejection::PasswordParameterSplit, "{url}");
        let s = load(url);
        let text = shown(&s.database_url);
        assert!(!text.contains("REST") && !text.contains("Tail0f"), "{text}");
        assert!(text.contains("%26"), "the hint names the fix: {text}");
    }
}

#[test]
fn unknown_query_keys_are_counted_never_named() {
    let s = load("postgresql://127.0.0.1/test?Secr3tKey=v&connect_timeout=10&another=1");
    let url = &s.database_url;
    assert_eq!(url.backend(), Backend::Postgres);
    let text = shown(url);
    assert!(
        !text.contains("Secr3tKey") && !text.contains("another"),
        "{text}"
    );
    let warnings = url.resolution().warnings();
    // A known parameter between them is honoured (libpq's connect_timeout).
    assert_eq!(
        url.pool_options().connect_timeout,
        std::time::Duration::from_secs(10)
    );
    assert!(
        warnings.contains(&Warning::UnknownParameters { count: 2 }),
        "{warnings:?}"
    );
    for url in [
        "sqlite:app.db?mode=rwc&Secr3tKey=1",
        "postgresql://127.0.0.1/test?Secr3tKey",
    ] {
        let s = load(url);
        assert!(s.database_url.is_fallback(), "{url}");
        let text = shown(&s.database_url);
        assert!(!text.contains("Secr3tKey"), "{text}");
    }
}

// ---------------------------------------------------------------------------
// 3. No user in the URL: the OS user, as libpq does

fn os_user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn no_user_in_the_url_connects_as_the_os_user() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let me = os_user();
    let settings = load("postgresql://127.0.0.1:5432/test");
    // The role may not exist on a developer's server; the name it tried is
    // what matters.
    match settings.database().pool().await {
        Ok(Pool::Postgres(pool)) => {
            let user: String = sqlx::query_scalar("SELECT current_user::text")
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(user, me);
        }
        Ok(other) => panic!("{:?}", other.backend()),
        Err(e) => {
            let detail = e.sqlx_error().map(ToString::to_string).unwrap_or_default();
            assert!(detail.contains(&format!("\"{me}\"")), "{detail}");
            assert!(!detail.contains("anonymous"), "{detail}");
        }
    }
}

// ---------------------------------------------------------------------------
// 4. After an `on_unreachable = "fallback"` switch, the handle says so

#[tokio::test]
async fn after_a_switch_the_handle_and_the_url_describe_the_fallback() {
    let port = servers::free_port();
    let url = format!("postgresql://app:Sw1tch-Pw@127.0.0.1:{port}/app");
    let settings = SwitchWhenDown::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let db = settings.database();
    assert!(!db.is_fallback() && !settings.database_url.is_fallback());
    assert_eq!(db.backend(), Backend::Postgres);

    let pool = db.pool().await.expect("the fallback takes over");
    assert_eq!(pool.backend(), Backend::Sqlite);
    for (fallback, backend, resolution) in [
        (db.is_fallback(), db.backend(), db.resolution()),
        (
            settings.database_url.is_fallback(),
            settings.database_url.backend(),
            settings.database_url.resolution(),
        ),
    ] {
        assert!(fallback);
        assert_eq!(backend, Backend::Sqlite);
        match resolution.fallback_reason() {
            Some(FallbackReason::Unreachable { var, kind, error }) => {
                assert_eq!(var, "DATABASE_URL");
                assert_eq!(*kind, DatabaseErrorKind::Refused);
                assert!(error.contains("refused"), "{error}");
                assert!(!error.contains("Sw1tch"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert!(resolution.location().is_some());
        let text = resolution.to_string();
        assert!(text.contains("restart"), "{text}");
    }
    assert!(settings.database_url.to_string().starts_with("sqlite:"));
    assert!(!format!("{db:?} {:?}", settings.database_url).contains("Sw1tch"));
}

// ---------------------------------------------------------------------------
// 5. Hermetic options under a poisoned environment

/// Runs the named test of this binary again as a child, with `env` added
/// to its environment; the child does the checks.
fn in_child(test: &str, env: &[(&str, &str)]) -> bool {
    const CHILD: &str = "DBSETTINGS_HOSTILE_CHILD";
    if std::env::var_os(CHILD).is_some() {
        return true;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env(CHILD, "1")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.contains("1 passed"),
        "child failed:\n{said}"
    );
    false
}

#[tokio::test]
async fn from_vars_ignores_a_poisoned_environment() {
    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("pgpass");
    std::fs::write(&passfile, "*:*:*:*:Poison-Passfile-Pw\n").unwrap();
    let passfile = passfile.to_str().unwrap().to_owned();
    if !in_child(
        "from_vars_ignores_a_poisoned_environment",
        &[
            ("PGHOST", "poison.invalid"),
            ("PGHOSTADDR", "192.0.2.1"),
            ("PGPORT", "1"),
            ("PGUSER", "poison_user"),
            ("PGPASSWORD", "Poison-Env-Pw"),
            ("PGPASSFILE", &passfile),
            ("PGDATABASE", "poison_db"),
            ("PGSSLMODE", "verify-full"),
            ("PGSSLROOTCERT", "/nonexistent/poison.pem"),
            ("PGAPPNAME", "poison_app"),
            ("PGOPTIONS", "-c statement_timeout=1234"),
            ("PGSSLCERT", "/nonexistent/poison.crt"),
            ("PGSSLKEY", "/nonexistent/poison.key"),
        ],
    ) {
        return;
    }
    let (logs, _guard) = capture_scoped();
    // The three sqlx cannot be told to forget are named, never silent.
    let s = load("postgresql://postgres@127.0.0.1:5432/test?sslmode=disable");
    let warnings = s.database_url.resolution().warnings();
    for var in ["PGOPTIONS", "PGSSLCERT", "PGSSLKEY"] {
        assert!(
            warnings.contains(&Warning::AmbientVariable { var }),
            "{var}: {warnings:?}"
        );
    }
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let Pool::Postgres(pool) = s.database().pool().await.unwrap() else {
        panic!("not PostgreSQL")
    };
    let (user, db, app): (String, String, String) = sqlx::query_as(
        "SELECT current_user::text, current_database()::text, current_setting('application_name')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((user.as_str(), db.as_str()), ("postgres", "test"));
    assert_eq!(app, "", "PGAPPNAME leaked");
    // No password from the environment: neither PGPASSWORD nor the password
    // file logs in a role whose password each holds, on a server that asks.
    let cluster = match dbsettings_tests::Cluster::shared() {
        Ok(c) => c,
        Err(why) => return common::skip("the poisoned-password check", &why),
    };
    for (role, pw) in [
        ("poisoned_env", "Poison-Env-Pw"),
        ("poisoned_file", "Poison-Passfile-Pw"),
    ] {
        cluster
            .sql(&format!("CREATE ROLE {role} LOGIN PASSWORD '{pw}'"))
            .unwrap();
        let s = load(&format!(
            "postgresql://{role}@127.0.0.1:{}/postgres?sslmode=disable",
            cluster.port
        ));
        let err = s
            .database()
            .pool()
            .await
            .expect_err("a password from the environment was used");
        assert_eq!(err.kind(), DatabaseErrorKind::Auth, "{role}: {err}");
    }
    // The warnings were logged, naming the variables, never their values.
    let logs = logs.text();
    assert!(logs.contains("PGSSLCERT"), "{logs}");
    assert!(!logs.to_lowercase().contains("poison"), "{logs}");
}

/// The root certificate an ambient `PGSSLROOTCERT` names is not read: the
/// URL's own `sslmode` decides, with the default roots (read, the missing
/// file would turn the URL down for the fallback). The local server's
/// certificate is self-signed.
#[tokio::test]
async fn an_ambient_root_certificate_is_not_read() {
    if !in_child(
        "an_ambient_root_certificate_is_not_read",
        &[("PGSSLROOTCERT", "/nonexistent/poison.pem")],
    ) {
        return;
    }
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let s = load("postgresql://postgres@127.0.0.1:5432/test?sslmode=verify-full");
    let err = s
        .database()
        .pool()
        .await
        .expect_err("verify-full with no root of its own refuses, as libpq");
    assert_eq!(err.kind(), DatabaseErrorKind::Tls, "{err}");
    assert!(err.to_string().contains("sslrootcert"), "{err}");
    assert!(!err.to_string().contains("poison"), "{err}");
    // Without verification, TLS works: the variable changes nothing.
    let s = load("postgresql://postgres@127.0.0.1:5432/test?sslmode=require");
    let pool = match s.database().pool().await {
        Ok(Pool::Postgres(pool)) => pool,
        Ok(other) => panic!("{:?}", other.backend()),
        Err(e) => panic!("PGSSLROOTCERT was read: {e}"),
    };
    let tls: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(tls, "sslmode=require connected without TLS");
}

// ---------------------------------------------------------------------------
// 6. Huge values, special files

#[test]
fn a_megabyte_url_is_rejected_and_says_why() {
    let mut url = String::from("postgresql://u:Big-Pw-9@h/");
    url.push_str(&"a".repeat(100_000));
    url.push('?');
    while url.len() < 1_000_000 {
        url.push_str("application_name=x&");
    }
    url.push_str("sslmode=bogus");
    let s = load(&url);
    // Read to its end: the bogus parameter after the megabyte is the why,
    // named in a report of a few lines, not an echo of the value.
    let reason = s.database_url.resolution().fallback_reason();
    assert!(
        matches!(
            reason,
            Some(FallbackReason::Rejected {
                rejection: Rejection::DriverRejected { parameter: Some(p), .. },
                ..
            }) if p == "sslmode"
        ),
        "{reason:?}"
    );
    let text = shown(&s.database_url);
    assert!(text.contains("`sslmode` parameter"), "{text}");
    assert!(text.len() < 10_000, "{} bytes", text.len());
    assert!(!text.contains("Big-Pw"), "{text}");
}

#[test]
fn secret_files_are_bounded_and_must_be_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::write(&big, "x".repeat(1_000_000)).unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (path, says) in [
        (big.as_path(), "larger than 65536 bytes"),
        (fifo.as_path(), "not a regular file"),
        (Path::new("/dev/zero"), "not a regular file"),
    ] {
        let s = Settings::from_vars([("DATABASE_URL_FILE", path.to_str().unwrap())]).unwrap();
        match s.database_url.resolution().fallback_reason() {
            Some(r @ FallbackReason::Unreadable { var, .. }) => {
                assert_eq!(var, "DATABASE_URL_FILE");
                assert!(r.to_string().contains(says), "{r}");
            }
            other => panic!("{}: {other:?}", path.display()),
        }
    }
}

// ---------------------------------------------------------------------------
// 7. A nearly full volume is not chosen

/// Unmounts on drop, also when the test fails.
struct Unmount<'a>(&'a Path);

impl Drop for Unmount<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}

#[test]
fn a_nearly_full_volume_is_skipped_for_the_next_candidate() {
    let mount = tempfile::tempdir().unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(mount.path())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        common::skip(
            "the nearly-full-volume test",
            "cannot mount a small tmpfs (needs root)",
        );
        return;
    }
    let _unmount = Unmount(mount.path());
    // Leave 16 KiB: enough for a plain file write, not for SQLite.
    std::fs::write(mount.path().join("filler"), vec![0u8; 48 * 1024]).unwrap();
    let dir = mount.path().join("db");
    let s = Settings::from_vars([("DBSETTINGS_DATA_DIR", dir.to_str().unwrap())]).unwrap();
    let candidates = s.database_url.resolution().candidates();
    assert_eq!(
        candidates[0].kind,
        CandidateKind::DataDirVar,
        "{candidates:?}"
    );
    assert!(candidates[0].skipped.is_some(), "{candidates:?}");
    let chosen = candidates.iter().find(|c| c.skipped.is_none()).unwrap();
    assert_ne!(chosen.kind, CandidateKind::DataDirVar);
    assert!(
        !std::fs::read_dir(&dir).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("probe")),
        "the probe cleans up after itself"
    );
}

// ---------------------------------------------------------------------------
// 8. The smaller ones

/// The SQLite fallback's file, locked by another process, is reported as
/// locked.
#[tokio::test]
async fn a_locked_fallback_file_says_locked() {
    #[derive(DatabaseSettings)]
    struct Quick {
        #[settings(connect_timeout = "1s")]
        database_url: DatabaseUrl,
    }
    let dir = tempfile::tempdir().unwrap();
    // No URL: the fallback, in the data directory named.
    let s = Quick::from_vars([("DBSETTINGS_DATA_DIR", dir.path().to_str().unwrap())]).unwrap();
    let file = dir.path().join("app.db");
    assert!(
        s.database_url.is_fallback(),
        "{}",
        s.database_url.resolution()
    );
    assert_eq!(
        s.database_url.to_string(),
        format!("sqlite://{}", file.display())
    );
    let mut holder = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys,time\n\
             c=sqlite3.connect(sys.argv[1],isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             c.execute('CREATE TABLE IF NOT EXISTS t(x)')\n\
             print('locked',flush=True)\n\
             time.sleep(30)",
        ])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let err = s.database().pool().await.expect_err("the file is locked");
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(err.kind(), DatabaseErrorKind::Locked, "{err}");
    assert!(err.to_string().contains("locked"), "{err}");
}

#[test]
fn an_encoded_nul_is_rejected_naming_where_it_was() {
    assert_eq!(
        rejection("sqlite:a%00b.db"),
        Rejection::EncodedNul {
            component: Component::Path
        }
    );
    assert_eq!(
        rejection("postgresql://u:p%00w@h/db"),
        Rejection::EncodedNul {
            component: Component::Password
        }
    );
}

#[test]
fn a_port_out_of_range_or_not_a_number_is_rejected() {
    for url in [
        "postgresql://h/db?port=0",
        "postgresql://h/db?port=70000",
        "postgresql://h/db?port=x",
    ] {
        assert_eq!(rejection(url), Rejection::InvalidPort, "{url}");
    }
}

/// MySQL's own `socket` parameter stands for the host.
#[test]
fn a_mysql_socket_parameter_needs_no_host() {
    let s = load("mysql://root@/test?socket=/run/mysqld/mysqld.sock");
    assert_eq!(
        s.database_url.backend(),
        Backend::MySql,
        "{}",
        shown(&s.database_url)
    );
    assert!(!s.database_url.is_fallback());
}

#[test]
fn the_readme_says_what_the_resolution_says_of_a_missing_value() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    for (raw, says) in [
        ("", "`DATABASE_URL` is not set"),
        ("   ", "`DATABASE_URL` is blank"),
        ("None", "`DATABASE_URL` holds a null token"),
        (
            "postgresql://USER:PASSWORD@HOST:PORT/DB",
            "unexpanded placeholder",
        ),
    ] {
        let text = load(raw).database_url.resolution().to_string();
        assert!(text.contains(says), "{raw:?}: {text}");
        assert!(
            readme.contains(says.trim_start_matches('`')),
            "README lacks {says}"
        );
    }
}

#[tokio::test]
async fn mysql_socket_parameter_without_a_host_connects() {
    let socket = "/run/mysqld/mysqld.sock";
    if !Path::new(socket).exists() {
        common::skip(
            "the MySQL socket= test",
            "no socket at /run/mysqld/mysqld.sock",
        );
        return;
    }
    let s = load(&format!("mysql://root@/test?socket={socket}"));
    let pool = s.database().pool().await.unwrap();
    pool.ping().await.unwrap();
}

/// A source whose values are bytes, as a real environment can hold.
struct Bytes(Vec<(&'static str, OsString)>);

impl Source for Bytes {
    fn var(&self, name: &str) -> Option<OsString> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn variables_that_are_not_utf8_are_named_not_dropped() {
    use std::os::unix::ffi::OsStringExt;
    let bad = OsString::from_vec(vec![b'/', b't', 0xff, b'x']);
    let src = Bytes(vec![
        ("DATABASE_URL", "postgresql://u@h/db".into()),
        ("DBSETTINGS_DATA_DIR", bad.clone()),
        ("PGPASSWORD", bad),
    ]);
    let s = Settings::from_source(&src).unwrap();
    let warnings = s.database_url.resolution().warnings();
    for var in ["DBSETTINGS_DATA_DIR", "PGPASSWORD"] {
        assert!(
            warnings.contains(&Warning::NotUnicode { var: var.into() }),
            "{var}: {warnings:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Found by a hostile review of the finished work

/// Servers shorten the names they echo (PostgreSQL to 63 bytes, MariaDB to
/// its column width) and MariaDB stores a 4-byte character as `?`: the
/// shortened, lossy echo is hidden too. `PGUSER` is a user name as well.
#[test]
fn shortened_or_lossy_echoes_of_the_user_name_are_hidden() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let long = format!("usrx_{}SEKRIT", "a".repeat(60));
    let longer = format!("{long}{long}");
    for (name, addr, url) in [
        (
            "PostgreSQL",
            POSTGRES,
            format!("postgresql://{long}@127.0.0.1:5432/test"),
        ),
        (
            "MariaDB",
            MARIADB,
            format!("mysql://{longer}@127.0.0.1:3306/test"),
        ),
        (
            "MariaDB",
            MARIADB,
            "mysql://USRX%F0%9F%98%80SEKRIT@127.0.0.1:3306/test".to_owned(),
        ),
    ] {
        if !rt.block_on(servers::available(name, addr)) {
            continue;
        }
        let err = rt.block_on(load(&url).database().pool()).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains("SEKRIT") && !text.contains("aaaaaaaaaa"),
            "{name}: {text}"
        );
    }
    if rt.block_on(servers::available("PostgreSQL", POSTGRES)) {
        let s = Settings::from_vars([
            ("DATABASE_URL", "postgresql://127.0.0.1:5432/test"),
            ("PGUSER", "USRX:SEKRIT"),
        ])
        .unwrap();
        let err = rt.block_on(s.database().pool()).unwrap_err();
        assert!(!err.to_string().contains("SEKRIT"), "{err}");
    }
}

#[test]
fn switches_and_bounds_reject_what_they_do_not_know() {
    // A typo in the strict switch fails closed, naming the variable.
    let err = Settings::from_vars([("DATABASE_URL", ""), ("DBSETTINGS_STRICT", "ture")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("DBSETTINGS_STRICT") && !err.contains("ture"),
        "{err}"
    );
    // A typo in `pgbouncer` must not leave prepared statements on.
    assert!(matches!(
        rejection("postgresql://h/db?pgbouncer=ture"),
        Rejection::DriverRejected { parameter: Some(p), .. } if p == "pgbouncer"
    ));
    // A zero bound would fail every connect and blame the server.
    for var in [
        "DATABASE_CONNECT_TIMEOUT",
        "DATABASE_ACQUIRE_TIMEOUT",
        "DATABASE_CREDENTIALS_POLL",
    ] {
        let err = Settings::from_vars([("DATABASE_URL", "sqlite::memory:"), (var, "0s")])
            .unwrap_err()
            .to_string();
        assert!(err.contains(var) && err.contains("above zero"), "{err}");
    }
}

#[tokio::test]
async fn a_rejected_secret_file_and_a_migrations_path_that_is_not_a_directory_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("url");
    std::fs::write(&file, "postgresql://u:p@h/db\0tail").unwrap();
    let s = Settings::from_vars([("DATABASE_URL_FILE", file.to_str().unwrap())]).unwrap();
    match s.database_url.resolution().fallback_reason() {
        Some(FallbackReason::Rejected { var, .. }) => assert_eq!(var, "DATABASE_URL_FILE"),
        other => panic!("{other:?}"),
    }
    let s = Settings::from_vars([
        ("DATABASE_URL", "sqlite::memory:"),
        ("DATABASE_MIGRATIONS", "/dev/zero"),
    ])
    .unwrap();
    let err = s.database().pool().await.unwrap_err().to_string();
    assert!(
        err.contains("not a directory") && err.contains("DATABASE_MIGRATIONS"),
        "{err}"
    );
}

/// Every byte of `s` percent-encoded.
fn percent_encoded(s: &str) -> String {
    use std::fmt::Write as _;
    s.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "%{b:02X}");
        out
    })
}
