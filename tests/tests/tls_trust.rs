//! PostgreSQL's TLS trusts what libpq trusts, against a cluster of its own
//! with `ssl = on` (the harness's `Cluster::init_tls`): a server whose
//! certificate another CA signed is refused whenever a root file is given
//! (`require`, `verify-ca`, `verify-full`), the system's CAs are trusted only
//! with `sslrootcert=system`, a verifying mode with no root is a rejection,
//! `hostaddr` is where the connection goes while `host` is the name checked,
//! and two spellings of one parameter that disagree are a rejection.
//!
//! "The system's CAs" are the test's own: the test runs itself again
//! (`system_roots`) with `SSL_CERT_FILE` naming the cluster's CA, the way a
//! platform's store holds a public CA. There, a store that added the
//! system's (or webpki's public) roots to the file's would accept the
//! server where the file names another CA: the refusals fail.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use dbsettings::resolution::{FallbackReason, Rejection, TlsFileProblem};
use dbsettings::{DatabaseErrorKind, DatabaseSettings, DatabaseUrl, sqlx};
use dbsettings_tests::Cluster;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const MARGIN: Duration = Duration::from_secs(2);
const PASSWORD: &str = "Trust-s3cret-PW";
const APP_USER: &str = "trust_app_user";

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(
        env = "DATABASE_URL",
        fallback = "sqlite::memory:",
        connect_timeout = "3s",
        acquire_timeout = "5s"
    )]
    database_url: DatabaseUrl,
}

fn settings(vars: &[(&str, &str)]) -> Settings {
    Settings::from_vars(vars.iter().copied()).unwrap()
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// `vars` must connect over TLS; the server address the session reached.
async fn connects(vars: &[(&str, &str)], what: &str) -> String {
    let s = settings(vars);
    assert!(
        !s.database_url.is_fallback(),
        "{what}: {}",
        s.database_url.resolution()
    );
    let db = s.database();
    let pool = db.pool().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    let pg = pool.as_postgres().unwrap();
    let (ssl, addr): (bool, String) = sqlx::query_as(
        "SELECT ssl, host(inet_server_addr()) FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    )
    .fetch_one(pg)
    .await
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(ssl, "{what}: not over TLS");
    // The sqlx pool itself goes the same way.
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(pg).await.unwrap();
    assert_eq!(one, 1);
    addr
}

/// `vars` must fail to connect with a TLS error naming the trust rule,
/// within the connect timeout, showing no secret.
async fn refused(vars: &[(&str, &str)], what: &str, times: &mut Vec<(String, Duration)>) {
    let s = settings(vars);
    assert!(
        !s.database_url.is_fallback(),
        "{what}: {}",
        s.database_url.resolution()
    );
    let started = Instant::now();
    let Err(e) = s.database().pool().await else {
        panic!("{what}: connected");
    };
    let took = started.elapsed();
    assert_eq!(e.kind(), DatabaseErrorKind::Tls, "{what}: {e}");
    assert!(took < CONNECT_TIMEOUT + MARGIN, "{what}: took {took:?}");
    let text = format!("{e}\n{e:?}");
    assert!(text.contains("not trusted"), "{what}: {text}");
    assert!(
        !text.contains(PASSWORD) && !text.contains(APP_USER),
        "{what}: {text}"
    );
    times.push((what.to_owned(), took));
}

/// `vars` must be rejected when resolved: the rejection and its text.
fn rejected(vars: &[(&str, &str)], what: &str) -> (Rejection, String) {
    let s = settings(vars);
    let resolution = s.database_url.resolution();
    let text = resolution.to_string();
    assert!(s.database_url.is_fallback(), "{what}: not rejected: {text}");
    assert!(
        !text.contains(PASSWORD) && !text.contains(APP_USER),
        "{what}: {text}"
    );
    match resolution.fallback_reason() {
        Some(FallbackReason::Rejected { rejection, .. }) => (rejection.clone(), text),
        other => panic!("{what}: {other:?}"),
    }
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one cluster started once, its cases in the table's order"
)]
fn postgres_trusts_what_libpq_trusts() {
    let (mut cluster, tls) = match Cluster::init_tls("trust_cert_user") {
        Ok(c) => c,
        Err(why) => return common::skip("the PostgreSQL TLS trust tests", &why),
    };
    cluster.start().unwrap();
    for statement in [
        format!("CREATE ROLE {APP_USER} LOGIN"),
        "CREATE DATABASE tls_db".to_owned(),
    ] {
        cluster.sql(&statement).unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    let home_dir = shown(home.path());
    let port = cluster.port;
    let url = |host: &str, query: &str| {
        format!("postgresql://{APP_USER}:{PASSWORD}@{host}:{port}/tls_db?{query}")
    };
    let (ca, other) = (shown(&tls.ca), shown(&tls.other_ca));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut times = Vec::new();
        // Another CA signed the server's certificate than the file names.
        for (query, what) in [
            (
                format!("sslmode=require&sslrootcert={other}"),
                "require, a root file of another CA",
            ),
            (
                format!("sslmode=prefer&sslrootcert={other}"),
                "prefer, a root file of another CA",
            ),
            (
                format!("sslmode=verify-ca&sslrootcert={other}"),
                "verify-ca, another CA",
            ),
            (
                format!("sslmode=verify-full&sslrootcert={other}"),
                "verify-full, another CA",
            ),
        ] {
            let u = url("localhost", &query);
            refused(
                &[("DATABASE_URL", &u), ("HOME", &home_dir)],
                what,
                &mut times,
            )
            .await;
        }
        // The same through libpq's variables.
        let bare = url("localhost", "");
        refused(
            &[
                ("DATABASE_URL", &bare),
                ("PGSSLMODE", "require"),
                ("PGSSLROOTCERT", &other),
                ("HOME", &home_dir),
            ],
            "PGSSLMODE=require, PGSSLROOTCERT of another CA",
            &mut times,
        )
        .await;
        // ~/.postgresql/root.crt is libpq's root when none is named.
        std::fs::create_dir(home.path().join(".postgresql")).unwrap();
        std::fs::copy(&tls.other_ca, home.path().join(".postgresql/root.crt")).unwrap();
        let u = url("localhost", "sslmode=require");
        refused(
            &[("DATABASE_URL", &u), ("HOME", &home_dir)],
            "require, ~/.postgresql/root.crt of another CA",
            &mut times,
        )
        .await;
        std::fs::copy(&tls.ca, home.path().join(".postgresql/root.crt")).unwrap();
        let u = url("localhost", "sslmode=verify-full");
        connects(
            &[("DATABASE_URL", &u), ("HOME", &home_dir)],
            "verify-full, ~/.postgresql/root.crt",
        )
        .await;
        std::fs::remove_dir_all(home.path().join(".postgresql")).unwrap();

        // This machine's CAs did not sign the test's server certificate.
        let u = url("localhost", "sslrootcert=system");
        refused(
            &[("DATABASE_URL", &u), ("HOME", &home_dir)],
            "sslrootcert=system, the machine's CAs",
            &mut times,
        )
        .await;
        // What is trusted connects, and is checked by the same rules.
        for query in [
            format!("sslmode=require&sslrootcert={ca}"),
            format!("sslmode=verify-ca&sslrootcert={ca}"),
            format!("sslmode=verify-full&sslrootcert={ca}"),
        ] {
            let u = url("localhost", &query);
            connects(&[("DATABASE_URL", &u), ("HOME", &home_dir)], &query).await;
        }
        // `hostaddr`: the session goes to the address, the certificate is
        // checked against `host` (it names localhost and 127.0.0.1 only).
        let u = url(
            "localhost",
            &format!("hostaddr=127.0.0.2&sslmode=verify-full&sslrootcert={ca}"),
        );
        let addr = connects(
            &[("DATABASE_URL", &u), ("HOME", &home_dir)],
            "hostaddr with verify-full",
        )
        .await;
        assert_eq!(addr, "127.0.0.2");
        // Without `hostaddr`, 127.0.0.2 is not a name the certificate has.
        let u = url(
            "127.0.0.2",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        );
        refused(
            &[("DATABASE_URL", &u), ("HOME", &home_dir)],
            "verify-full to 127.0.0.2",
            &mut times,
        )
        .await;

        // The system's CAs hold the server's: `system` trusts them, a root
        // file of another CA does not add them.
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["system_roots", "--exact", "--nocapture", "--test-threads=1"])
            .env("SSL_CERT_FILE", &tls.ca)
            .env(
                SYSTEM_ROOTS_VAR,
                format!("{}\n{other}\n{home_dir}", url("localhost", "")),
            )
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&child.stdout);
        let err = String::from_utf8_lossy(&child.stderr);
        assert!(child.status.success(), "system_roots: {out}\n{err}");
        assert!(out.contains("1 passed"), "system_roots: {out}");
        eprint!("{err}");

        // Through the relay, a server that is not there is `Refused`, as
        // without it: what `on_unreachable` and the startup wait act on.
        let closed = dbsettings_tests::free_port();
        let u = format!(
            "postgresql://{APP_USER}:{PASSWORD}@localhost:{closed}/tls_db?sslmode=verify-full&sslrootcert={ca}"
        );
        let e = settings(&[("DATABASE_URL", &u), ("HOME", &home_dir)])
            .database()
            .pool()
            .await
            .expect_err("nothing listens");
        assert_eq!(e.kind(), DatabaseErrorKind::Refused, "{e}");
        assert!(!e.to_string().contains(PASSWORD), "{e}");

        // A verifying mode with no root at all: as libpq, each connect is
        // refused, saying what to add (the URL itself is fine).
        for mode in ["verify-full", "verify-ca"] {
            let u = url("localhost", &format!("sslmode={mode}"));
            let s = settings(&[("DATABASE_URL", &u), ("HOME", &home_dir)]);
            assert!(!s.database_url.is_fallback(), "{mode}");
            let started = Instant::now();
            let e = s.database().pool().await.expect_err(mode);
            assert_eq!(e.kind(), DatabaseErrorKind::Tls, "{e}");
            assert!(started.elapsed() < CONNECT_TIMEOUT, "{mode}");
            let text = e.to_string();
            assert!(
                text.contains("sslrootcert=system") && text.contains(mode),
                "{text}"
            );
        }

        eprintln!("\nPostgreSQL 15 (ssl = on), libpq's trust: time from connect to the Tls error");
        for (what, took) in &times {
            eprintln!("  {took:>12.3?}  {what}");
        }
    });

    // `system` with a weaker mode: rejected before any connect (libpq
    // refuses the options), saying what to write.
    for (query, problem) in [
        (
            "sslmode=require&sslrootcert=system",
            TlsFileProblem::WeakModeForSystem {
                mode: "require".into(),
            },
        ),
        (
            "sslmode=verify-ca&sslrootcert=system",
            TlsFileProblem::WeakModeForSystem {
                mode: "verify-ca".into(),
            },
        ),
    ] {
        let u = url("localhost", query);
        let (rejection, text) = rejected(&[("DATABASE_URL", &u), ("HOME", &home_dir)], query);
        match &rejection {
            Rejection::TlsFile { problem: p, .. } => assert_eq!(p, &problem, "{query}: {text}"),
            other => panic!("{query}: {other:?}"),
        }
        assert!(
            text.contains("sslrootcert") && text.contains("hint"),
            "{query}: {text}"
        );
    }
    // Two spellings of one setting that disagree: neither is guessed.
    for (query, first, second) in [
        (
            format!("sslmode=verify-full&sslrootcert={ca}&ssl-mode=disable"),
            "sslmode",
            "ssl-mode",
        ),
        (
            format!("sslrootcert={ca}&ssl-root-cert={other}&sslmode=verify-full"),
            "sslrootcert",
            "ssl-root-cert",
        ),
        (
            format!("sslrootcert={ca}&ssl-ca={other}&sslmode=verify-full"),
            "sslrootcert",
            "ssl-ca",
        ),
        (
            "sslmode=verify-full&sslmode=disable".to_owned(),
            "sslmode",
            "sslmode",
        ),
    ] {
        let u = url("localhost", &query);
        let (rejection, text) = rejected(&[("DATABASE_URL", &u), ("HOME", &home_dir)], &query);
        assert_eq!(
            rejection,
            Rejection::ParameterTwice {
                first: first.into(),
                second: second.into()
            },
            "{query}: {text}"
        );
    }
    // The same value twice is no disagreement.
    let u = url(
        "localhost",
        &format!("sslmode=verify-full&ssl-mode=verify-full&sslrootcert={ca}"),
    );
    assert!(!settings(&[("DATABASE_URL", &u)]).database_url.is_fallback());
}

/// The URL (without query), another CA's file and a HOME for
/// [`system_roots`], from [`postgres_trusts_what_libpq_trusts`].
const SYSTEM_ROOTS_VAR: &str = "DBSETTINGS_TEST_SYSTEM_ROOTS";

/// Run by [`postgres_trusts_what_libpq_trusts`] with `SSL_CERT_FILE` naming
/// its cluster's CA: the system's CAs are trusted with `sslrootcert=system`
/// (verify-full by default, as in libpq 16) and not added to a root file's.
/// Run on its own, it checks how `system` is resolved.
#[test]
fn system_roots() {
    let Some(given) = std::env::var_os(SYSTEM_ROOTS_VAR) else {
        let u = "postgresql://u@localhost/db?sslrootcert=system";
        assert!(!settings(&[("DATABASE_URL", u)]).database_url.is_fallback());
        let u = "postgresql://u@localhost/db?sslrootcert=system&sslmode=prefer";
        let (rejection, _) = rejected(&[("DATABASE_URL", u)], "system with prefer");
        assert!(matches!(
            rejection,
            Rejection::TlsFile {
                problem: TlsFileProblem::WeakModeForSystem { .. },
                ..
            }
        ));
        return;
    };
    let given = given.into_string().unwrap();
    let mut lines = given.lines();
    let (base, other, home) = (
        lines.next().unwrap(),
        lines.next().unwrap(),
        lines.next().unwrap(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut times = Vec::new();
        for query in [
            "sslrootcert=system",
            "sslmode=verify-full&sslrootcert=system",
        ] {
            let u = format!("{base}{query}");
            connects(&[("DATABASE_URL", &u), ("HOME", home)], query).await;
        }
        for mode in ["require", "verify-ca", "verify-full"] {
            let u = format!("{base}sslmode={mode}&sslrootcert={other}");
            let what = format!("{mode}, another CA's file, the server's CA in the system's store");
            refused(&[("DATABASE_URL", &u), ("HOME", home)], &what, &mut times).await;
        }
        // Not to the name: the system's CAs vouch for names only.
        let u = format!(
            "{}sslrootcert=system",
            base.replace("localhost", "127.0.0.2")
        );
        refused(
            &[("DATABASE_URL", &u), ("HOME", home)],
            "system, a name the certificate lacks",
            &mut times,
        )
        .await;
    });
}
