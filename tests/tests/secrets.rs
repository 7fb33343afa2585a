//! Every secret hidden everywhere, every message intact.
//!
//! - A password that is also a public part of the URL (its database name, a
//!   setting's value) is hidden in every output alike: the URL as shown,
//!   the server's message, the resolution.
//! - The scrub is no oracle: what a failed connect says does not depend on
//!   the password, when the password does not appear in it (servers never
//!   echo one). A mask inside a message's own words (`au****ntication` for
//!   `the`) would tell the password to whoever knows the message. Checked as
//!   a property, against the real PostgreSQL and MariaDB, with passwords
//!   drawn from the words of the messages themselves.
//! - An SQLite URL with user info is a rejection that shows none of it.

mod common;

use common::capture::capture_scoped;
use common::servers::{self, MARIADB, POSTGRES};
use dbsettings::resolution::{FallbackReason, Rejection};
use dbsettings::{DatabaseErrorKind, DatabaseSettings, DatabaseUrl};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(
        env = "DATABASE_URL",
        fallback = "sqlite::memory:",
        connect_timeout = "3s"
    )]
    database_url: DatabaseUrl,
}

fn load(url: &str) -> Settings {
    Settings::from_vars([("DATABASE_URL", url)]).unwrap()
}

/// Everything a failed first connect shows: the error's text and debug
/// form, and the resolution.
async fn failure(url: &str, kind: DatabaseErrorKind) -> String {
    let s = load(url);
    let db = s.database();
    let e = db.pool().await.expect_err(url);
    assert_eq!(e.kind(), kind, "{e}");
    format!("{e}\n{e:?}\n{}", s.database_url)
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48)
        .min(400)
}

/// The words of `text` (letters or digits), as passwords to try.
fn words(text: &str) -> Vec<String> {
    let mut w: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    w.sort();
    w.dedup();
    w
}

/// The property, for one server: with any password `p`, the failure reads
/// as with a reference password, but where `p` is a public part of the URL
/// (then that part is hidden in all of it).
async fn no_oracle(template: &str, kind: DatabaseErrorKind, public: &[&str]) {
    let reference = failure(&template.replace("{PW}", "Zr9-Ref-Pw"), kind).await;
    let mut pool = words(&reference);
    // The issue's three: each read off the old mask.
    pool.extend(["the", "error", "failed", "authentication", "denied", "user"].map(String::from));
    let strategy = prop_oneof![
        prop::sample::select(pool),
        "[a-z]{1,10}",
        "[A-Za-z0-9]{3,12}",
    ];
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let rt = tokio::runtime::Handle::current();
    let result = runner.run(&strategy, |p| {
        // Letters and digits only: nothing to percent-encode.
        let url = template.replace("{PW}", &p);
        let got = tokio::task::block_in_place(|| rt.block_on(failure(&url, kind)));
        if public.contains(&p.as_str()) {
            // A public part that is the password: hidden everywhere.
            let standalone = got
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| w == p);
            prop_assert!(!standalone, "`{p}` shown: {got}");
        } else {
            prop_assert_eq!(&got, &reference, "password `{}`", p);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_reads_the_same_whatever_the_password() {
    if !servers::available("PostgreSQL", POSTGRES).await
        || !servers::available("MariaDB", MARIADB).await
    {
        return;
    }
    // PostgreSQL (trust): the database does not exist; the server echoes
    // its name, never the password.
    no_oracle(
        "postgresql://postgres:{PW}@127.0.0.1:5432/no_such_db_7?application_name=billing_svc",
        DatabaseErrorKind::DatabaseMissing,
        &["postgres", "no_such_db_7", "billing_svc", "5432"],
    )
    .await;
    // MariaDB: root has no password, so any is refused, quoting the user.
    no_oracle(
        "mysql://root:{PW}@127.0.0.1:3306/test?charset=utf8mb4",
        DatabaseErrorKind::Auth,
        &["root", "test", "utf8mb4", "3306"],
    )
    .await;
}

/// The issue's example: the password is also the database name. It is
/// hidden in the URL as shown and in the server's message alike.
#[tokio::test]
async fn a_password_that_is_also_the_database_name_is_hidden_everywhere() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let (logs, _guard) = capture_scoped();
    for url in [
        "postgresql://postgres:Hunter2Secret@127.0.0.1:5432/Hunter2Secret",
        "postgresql://postgres:Hunter2Secret@127.0.0.1:5432/test?application_name=Hunter2Secret",
        "postgresql://postgres:Hunter2Secret@127.0.0.1:5432/test?options=-c%20search_path%3DHunter2Secret",
        "postgresql://postgres:Hunter2Secret@127.0.0.1:5432/test?schema=Hunter2Secret",
        "mysql://root:Hunter2Secret@127.0.0.1:3306/test?charset=Hunter2Secret",
    ] {
        let s = load(url);
        let shown = s.database_url.to_string();
        assert!(!shown.contains("Hunter2Secret"), "{shown}");
        let resolution = s.database_url.resolution();
        let json = serde_json::to_string(resolution).unwrap();
        let text = format!("{resolution}\n{json}\n{:?}", s.database_url);
        assert!(!text.contains("Hunter2Secret"), "{text}");
        if let Err(e) = s.database().pool().await {
            let said = format!("{e}\n{e:?}");
            assert!(!said.contains("Hunter2Secret"), "{said}");
        }
    }
    let first = load("postgresql://postgres:Hunter2Secret@127.0.0.1:5432/Hunter2Secret");
    assert_eq!(
        first.database_url.to_string(),
        "postgresql://****@127.0.0.1:5432/****"
    );
    let e = first.database().pool().await.unwrap_err();
    assert!(
        e.to_string().contains(r#"database "****" does not exist"#),
        "{e}"
    );
    assert!(!logs.text().contains("Hunter2Secret"), "{}", logs.text());
}

/// A password that is one of the hosts (or a port) of a multi-host URL is
/// hidden in the hosts the resolution lists as in the URL as shown: no
/// output shows what another hides, so none can be read against another.
#[test]
fn a_password_that_is_a_host_is_hidden_in_the_host_list_too() {
    for (url, secret) in [
        (
            "postgresql://w7:dbhost7@127.0.0.1:1,dbhost7:5491/nodb",
            "dbhost7",
        ),
        (
            "postgresql://w3:5491@127.0.0.1:1,localhost:5491/nodb",
            "5491",
        ),
    ] {
        let s = load(url);
        let resolution = s.database_url.resolution();
        let json = serde_json::to_string(resolution).unwrap();
        let all = format!(
            "{}\n{resolution}\n{json}\n{:?}",
            s.database_url, s.database_url
        );
        let shown = all
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == secret);
        assert!(!shown, "`{secret}` shown: {all}");
        assert!(all.contains("****"), "{all}");
    }
}

/// `sqlite://admin:S3cret@localhost/app.db`: SQLite has no users; the URL
/// is rejected saying so, and nothing of its user info is shown anywhere.
#[tokio::test]
async fn an_sqlite_url_with_user_info_is_rejected_showing_none_of_it() {
    let (logs, _guard) = capture_scoped();
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "sqlite://admin:S3cret@localhost/app.db",
        "sqlite://S3cret@localhost/app.db",
        "sqlite://admin:S3cret@/app.db?mode=rwc",
        "sqlite:admin:S3cret@app.db",
        "sqlite:///admin:S3cret@localhost/app.db",
        "sqlite://./admin:S3cret@app.db",
    ] {
        let vars = [
            ("DATABASE_URL", url.to_owned()),
            ("HOME", dir.path().display().to_string()),
        ];
        let s = Settings::from_vars(vars.clone()).unwrap();
        let resolution = s.database_url.resolution();
        match resolution.fallback_reason() {
            Some(FallbackReason::Rejected { rejection, .. }) => {
                assert_eq!(rejection, &Rejection::SqliteUserInfo, "{url}");
            }
            other => panic!("{url}: {other:?}"),
        }
        let text = resolution.to_string();
        assert!(text.contains("SQLite has no users"), "{text}");
        assert!(text.contains("hint"), "{text}");
        let json = serde_json::to_string(resolution).unwrap();
        let report =
            dbsettings::doctor::diagnose::<Settings>(&dbsettings::source::Vars::new(vars)).await;
        let db = s.database();
        let health = db.health(true).await;
        let all = format!(
            "{text}\n{json}\n{:?}\n{}\n{}\n{health:?}",
            s.database_url, s.database_url, report.text
        );
        for secret in ["S3cret", "admin"] {
            assert!(!all.contains(secret), "`{secret}` in {all}");
        }
    }
    let logs = logs.text();
    assert!(
        !logs.contains("S3cret") && !logs.contains("admin"),
        "{logs}"
    );
}
