//! TLS against real servers: a PostgreSQL 15 cluster of its own with
//! `ssl = on` and certificates made with the `openssl` CLI (the harness's
//! `Tls` and `Cluster::init_tls`), a MariaDB of its own with TLS
//! (`MariaDb`), and servers without TLS.
//!
//! What should work connects, over TLS. Each TLS failure is
//! `DatabaseErrorKind::Tls` with a message that names its cause, well
//! within the connect timeout (the times are printed; the only bound
//! asserted is the timeout plus a generous margin). A certificate or key
//! file that cannot work is a rejection when the URL is resolved, naming
//! the parameter and the path, before any connect. No message and no log
//! line holds a password or a user name of the URL.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::capture::capture_scoped;
use common::servers::{self, MARIADB};
use dbsettings::resolution::{FallbackReason, Rejection, TlsFileProblem};
use dbsettings::{DatabaseErrorKind, DatabaseSettings, DatabaseUrl, Pool, sqlx};
use dbsettings_tests::{Cluster, MariaDb, Tls};

/// Every TLS error must come well within the connect timeout (3 s below).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// What a busy machine may add before the bound fails the test.
const MARGIN: Duration = Duration::from_secs(2);

/// The secrets of the URLs: no output may hold them.
const PASSWORD: &str = "Tls-s3cret-PW";
const APP_USER: &str = "tls_app_user";
/// The user the client certificates name.
const CERT_USER: &str = "tls_cert_user";

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

#[derive(DatabaseSettings, Debug)]
struct Strict {
    #[settings(env = "DATABASE_URL", strict)]
    database_url: DatabaseUrl,
}

fn settings(url: &str) -> Settings {
    Settings::from_vars([("DATABASE_URL", url)]).unwrap()
}

fn no_secret(text: &str, what: &str) {
    for secret in [PASSWORD, APP_USER, CERT_USER] {
        assert!(!text.contains(secret), "{what}: `{secret}` shown in {text}");
    }
}

/// The times from `pool()` to the TLS error, printed at the end.
#[derive(Default)]
struct Timings(Vec<(String, Duration)>);

impl Timings {
    fn print(&self, server: &str) {
        use std::io::Write as _;
        let mut out = std::io::stderr().lock();
        let _ = writeln!(out, "\n{server}: time from connect to the Tls error");
        for (what, took) in &self.0 {
            let _ = writeln!(out, "  {took:>12.3?}  {what}");
        }
    }
}

/// Connects with `url`; it must work.
async fn connects(url: &str, what: &str) -> Pool {
    let s = settings(url);
    assert!(
        !s.database_url.is_fallback(),
        "{what}: {}",
        s.database_url.resolution()
    );
    let started = Instant::now();
    let pool = s
        .database()
        .pool()
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    eprintln!("{what}: connected in {:?}", started.elapsed());
    pool
}

/// Connects with `url`; it must fail with a TLS error whose message holds
/// `cause`, well within the connect timeout.
async fn tls_error(url: &str, what: &str, cause: &str, timings: &mut Timings) {
    let s = settings(url);
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
    eprintln!("{what}: {:?} after {took:?}: {e}", e.kind());
    assert_eq!(e.kind(), DatabaseErrorKind::Tls, "{what}: {e}");
    assert!(took < CONNECT_TIMEOUT + MARGIN, "{what}: took {took:?}");
    let text = e.to_string();
    assert!(text.contains(cause), "{what}: `{cause}` not in {text}");
    no_secret(&format!("{text}\n{e:?}"), what);
    timings.0.push((what.to_owned(), took));
}

/// Resolves `url`: it must be rejected, falling back to SQLite. The
/// rejection and the resolution's text.
fn rejected(url: &str, what: &str) -> (Rejection, String) {
    let s = settings(url);
    let resolution = s.database_url.resolution();
    let text = resolution.to_string();
    assert!(s.database_url.is_fallback(), "{what}: not rejected: {text}");
    no_secret(&text, what);
    match resolution.fallback_reason() {
        Some(FallbackReason::Rejected { rejection, .. }) => (rejection.clone(), text),
        other => panic!("{what}: {other:?}"),
    }
}

/// `path` as it appears in a URL and in messages.
fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Whether a PostgreSQL session runs over TLS, and its client certificate.
async fn pg_ssl(pool: &Pool) -> (bool, Option<String>) {
    sqlx::query_as("SELECT ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(pool.as_postgres().unwrap())
        .await
        .unwrap()
}

/// A TLS cluster's URLs: `app` for the trusted user with a password,
/// `cert` for the user who needs a client certificate.
struct PgUrls<'a> {
    port: u16,
    ca: String,
    tls: &'a Tls,
}

impl PgUrls<'_> {
    fn app(&self, host: &str, query: &str) -> String {
        let port = self.port;
        format!("postgresql://{APP_USER}:{PASSWORD}@{host}:{port}/tls_db?{query}")
    }

    fn verified(&self, host: &str) -> String {
        self.app(
            host,
            &format!("sslmode=verify-full&sslrootcert={}", self.ca),
        )
    }

    fn cert(&self, cert: &Path, key: &Path, mode: &str) -> String {
        format!(
            "postgresql://{CERT_USER}@localhost:{}/tls_db?sslmode={mode}&sslrootcert={}&sslcert={}&sslkey={}",
            self.port,
            self.ca,
            shown(cert),
            shown(key)
        )
    }
}

/// What works, over TLS.
async fn postgres_connects(urls: &PgUrls<'_>) {
    let tls = urls.tls;
    let pool = connects(&urls.app("localhost", "sslmode=require"), "sslmode=require").await;
    assert_eq!(pg_ssl(&pool).await, (true, None));
    for host in ["localhost", "127.0.0.1"] {
        let what = format!("verify-full with sslrootcert, to {host}");
        let pool = connects(&urls.verified(host), &what).await;
        assert!(pg_ssl(&pool).await.0, "{what}");
    }
    for mode in ["verify-full", "require"] {
        let pool = connects(
            &urls.cert(&tls.client_cert, &tls.client_key, mode),
            &format!("a client certificate, sslmode={mode}"),
        )
        .await;
        let user: String = sqlx::query_scalar("SELECT current_user::text")
            .fetch_one(pool.as_postgres().unwrap())
            .await
            .unwrap();
        assert_eq!(user, CERT_USER);
        assert_eq!(
            pg_ssl(&pool).await,
            (true, Some(format!("/CN={CERT_USER}")))
        );
    }
}

/// Each failure: TLS, naming its cause.
async fn postgres_failures(urls: &PgUrls<'_>, plain: &Cluster, timings: &mut Timings) {
    let tls = urls.tls;
    let wrong_ca = format!("sslmode=verify-full&sslrootcert={}", shown(&tls.other_ca));
    let cases = [
        (
            urls.app("localhost", &wrong_ca),
            "verify-full, the wrong CA",
            "UnknownIssuer",
        ),
        (
            urls.verified("127.0.0.2"),
            "verify-full to a name the certificate lacks (127.0.0.2)",
            "certificate not valid for name \"127.0.0.2\"",
        ),
        (
            format!(
                "postgresql://{APP_USER}:{PASSWORD}@localhost:{}/postgres?sslmode=require",
                plain.port
            ),
            "sslmode=require to a server without TLS",
            "server does not support TLS",
        ),
        (
            urls.app("localhost", "sslmode=disable"),
            "sslmode=disable to a server that only has hostssl lines",
            "no encryption",
        ),
        (
            urls.verified("localhost")
                .replace(&format!("{APP_USER}:{PASSWORD}"), CERT_USER),
            "no client certificate where the server asks for one",
            "requires a valid client certificate",
        ),
        (
            urls.cert(&tls.client_cert_other_ca, &tls.client_key, "verify-full"),
            "a client certificate from a CA the server does not trust",
            "UnknownCA",
        ),
        (
            urls.cert(&tls.client_cert, &tls.stray_key, "verify-full"),
            "a client certificate with another certificate's key",
            "KeyMismatch",
        ),
    ];
    for (url, what, cause) in cases {
        tls_error(&url, what, cause, timings).await;
    }
}

/// A version 1 client certificate: psql logs in with it, rustls refuses it,
/// so the URL is rejected at resolution, with the fix.
fn postgres_version_1_certificate(urls: &PgUrls<'_>) {
    let tls = urls.tls;
    let Some(v1) = &tls.client_cert_v1 else {
        return common::skip(
            "the version 1 client certificate check",
            "this openssl makes version 3 certificates without extensions",
        );
    };
    let out = Command::new("psql")
        .arg(format!(
            "host=localhost port={} dbname=tls_db user={CERT_USER} sslmode=verify-full sslrootcert={} sslcert={} sslkey={}",
            urls.port,
            urls.ca,
            shown(v1),
            shown(&tls.client_key)
        ))
        .args(["-X", "-q", "-t", "-A", "-c", "SELECT current_user"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        CERT_USER,
        "psql with the version 1 certificate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = Instant::now();
    let (rejection, text) = rejected(
        &urls.cert(v1, &tls.client_key, "verify-full"),
        "a version 1 client certificate",
    );
    eprintln!(
        "a version 1 client certificate: rejected at resolution in {:?}:\n{text}",
        started.elapsed()
    );
    assert_eq!(
        rejection,
        Rejection::TlsFile {
            parameter: "sslcert".into(),
            path: Some(v1.clone()),
            problem: TlsFileProblem::CertificateVersion { version: 1 },
        }
    );
    assert!(
        text.contains(&format!("`sslcert` names {}", shown(v1))),
        "{text}"
    );
    assert!(text.contains("version 3"), "{text}");
    assert!(text.contains("-extfile"), "{text}");
}

#[tokio::test]
async fn postgres_over_tls() {
    let (logs, _guard) = capture_scoped();
    let (mut cluster, tls) = match Cluster::init_tls(CERT_USER) {
        Ok(c) => c,
        Err(why) => return common::skip("the PostgreSQL TLS tests", &why),
    };
    cluster.start().unwrap();
    for statement in [
        format!("CREATE ROLE {APP_USER} LOGIN"),
        format!("CREATE ROLE {CERT_USER} LOGIN"),
        "CREATE DATABASE tls_db".to_owned(),
    ] {
        cluster.sql(&statement).unwrap();
    }
    // A PostgreSQL without TLS (initdb's `ssl = off`).
    let plain = Cluster::start_new().unwrap();
    let urls = PgUrls {
        port: cluster.port,
        ca: shown(&tls.ca),
        tls: &tls,
    };
    let mut timings = Timings::default();
    postgres_connects(&urls).await;
    postgres_failures(&urls, &plain, &mut timings).await;
    postgres_version_1_certificate(&urls);
    timings.print("PostgreSQL 15 (ssl = on)");
    no_secret(&logs.text(), "the logs");
}

/// The TLS version of a MySQL session (empty without TLS).
async fn tls_version(pool: &Pool) -> String {
    let (_, version): (String, String) = sqlx::query_as("SHOW SESSION STATUS LIKE 'Ssl_version'")
        .fetch_one(pool.as_mysql().unwrap())
        .await
        .unwrap();
    version
}

#[tokio::test]
async fn mariadb_over_tls() {
    let (logs, _guard) = capture_scoped();
    let server = match MariaDb::start_tls(CERT_USER) {
        Ok(s) => s,
        Err(why) => return common::skip("the MariaDB TLS tests", &why),
    };
    let tls = &server.tls;
    server
        .sql(&format!(
            "CREATE DATABASE tls_db; \
             CREATE USER '{APP_USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}' REQUIRE SSL; \
             GRANT ALL ON tls_db.* TO '{APP_USER}'@'127.0.0.1'; \
             CREATE USER '{CERT_USER}'@'127.0.0.1' REQUIRE SUBJECT '/CN={CERT_USER}' AND ISSUER '/CN=dbsettings test CA'; \
             GRANT ALL ON tls_db.* TO '{CERT_USER}'@'127.0.0.1'"
        ))
        .unwrap();
    let port = server.port;
    let ca = shown(&tls.ca);
    let app = |host: &str, query: &str| {
        format!("mysql://{APP_USER}:{PASSWORD}@{host}:{port}/tls_db?{query}")
    };
    let mut timings = Timings::default();

    let pool = connects(&app("127.0.0.1", "ssl-mode=REQUIRED"), "ssl-mode=REQUIRED").await;
    assert!(tls_version(&pool).await.starts_with("TLS"));
    let pool = connects(
        &app("127.0.0.1", &format!("ssl-mode=VERIFY_CA&ssl-ca={ca}")),
        "ssl-mode=VERIFY_CA with ssl-ca",
    )
    .await;
    assert!(tls_version(&pool).await.starts_with("TLS"));
    let pool = connects(
        &app(
            "localhost",
            &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"),
        ),
        "ssl-mode=VERIFY_IDENTITY with ssl-ca, to localhost",
    )
    .await;
    assert!(tls_version(&pool).await.starts_with("TLS"));
    let cert = |cert: &Path| {
        format!(
            "mysql://{CERT_USER}@127.0.0.1:{port}/tls_db?ssl-mode=VERIFY_CA&ssl-ca={ca}&ssl-cert={}&ssl-key={}",
            shown(cert),
            shown(&tls.client_key)
        )
    };
    let pool = connects(&cert(&tls.client_cert), "a client certificate, VERIFY_CA").await;
    let user: String = sqlx::query_scalar("SELECT CURRENT_USER()")
        .fetch_one(pool.as_mysql().unwrap())
        .await
        .unwrap();
    assert_eq!(user, format!("{CERT_USER}@127.0.0.1"));

    tls_error(
        &app(
            "127.0.0.1",
            &format!("ssl-mode=VERIFY_CA&ssl-ca={}", shown(&tls.other_ca)),
        ),
        "VERIFY_CA, the wrong CA",
        "UnknownIssuer",
        &mut timings,
    )
    .await;
    if let Some(v1) = &tls.client_cert_v1 {
        let (rejection, text) = rejected(&cert(v1), "a version 1 client certificate");
        assert_eq!(
            rejection,
            Rejection::TlsFile {
                parameter: "ssl-cert".into(),
                path: Some(v1.clone()),
                problem: TlsFileProblem::CertificateVersion { version: 1 },
            },
            "{text}"
        );
    }
    // The machine's MariaDB has no certificates.
    if servers::available("MariaDB", MARIADB).await {
        tls_error(
            &format!("mysql://{APP_USER}:{PASSWORD}@{MARIADB}/test?ssl-mode=REQUIRED"),
            "ssl-mode=REQUIRED to a server without TLS",
            "server does not support TLS",
            &mut timings,
        )
        .await;
    }

    timings.print("MariaDB (--ssl-cert, --ssl-key, --ssl-ca)");
    no_secret(&logs.text(), "the logs");
}

/// A version 3 client certificate of a throwaway CA, for `client.key` below.
const CLIENT_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBiDCCAS+gAwIBAgIBAjAKBggqhkjOPQQDAjAiMSAwHgYDVQQDDBdkYnNldHRp
bmdzIHVuaXQgdGVzdCBDQTAgFw0yNjEyMDIxNjAyMjhaGA8yMTI2MTEwODE2MDIy
OFowFDESMBAGA1UEAwwJY2VydF91c2VyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD
QgAENzLRh34Tf5xPvqOWPzAhPRRjGazrMPmopqEvRnlEtkujlMfMHts2jBVCjvnH
2E2+A8PsXqFfr8zoHiMnHjZkaaNiMGAwCQYDVR0TBAIwADATBgNVHSUEDDAKBggr
BgEFBQcDAjAdBgNVHQ4EFgQUBjcOAbHpLKIL167LwHvnIRKt0xEwHwYDVR0jBBgw
FoAUpGd043mWwuD3T2GhTl07eIg7gkowCgYIKoZIzj0EAwIDRwAwRAIgZuC+yuhT
5ZJ3BTnZj6Jdc/tijde47QtVl3B1y/wvDMICIFWRcCEJfOO2JquSuA4GEuHyBrlz
j1pvT0LeZPrqqymx
-----END CERTIFICATE-----
";

/// Its key, and an encrypted key (the start of one: enough to be refused).
const CLIENT_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCqtsIifmw9sdgL9J
z3sYVy0OfhwrSbCgf5pEUfS1QnKhRANCAAQ3MtGHfhN/nE++o5Y/MCE9FGMZrOsw
+aimoS9GeUS2S6OUx8we2zaMFUKO+cfYTb4Dw+xeoV+vzOgeIyceNmRp
-----END PRIVATE KEY-----
";
const ENCRYPTED_KEY: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhDQ1NzAAAAAAICCAAw
-----END ENCRYPTED PRIVATE KEY-----
";

/// Files for the resolution tests, in a temp dir, and URLs of a host that
/// does not exist (port 1): a connect would report a DNS error, never a
/// rejection.
struct Files {
    dir: tempfile::TempDir,
    missing: String,
    cert: String,
    key: String,
    encrypted: String,
    pg: String,
    my: String,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        shown(&path)
    };
    Files {
        missing: shown(&dir.path().join("missing.pem")),
        cert: write("client.crt", CLIENT_CERT),
        key: write("client.key", CLIENT_KEY),
        encrypted: write("encrypted.key", ENCRYPTED_KEY),
        pg: format!("postgresql://{APP_USER}:{PASSWORD}@db.invalid:1/app"),
        my: format!("mysql://{APP_USER}:{PASSWORD}@db.invalid:1/app"),
        dir,
    }
}

/// `url` is rejected for `problem` of the file `path` its `parameter`
/// names, and the text says so, with a hint.
fn assert_rejected(url: &str, parameter: &str, path: &str, problem: TlsFileProblem) -> String {
    let started = Instant::now();
    let (rejection, text) = rejected(url, parameter);
    let took = started.elapsed();
    assert_eq!(
        rejection,
        Rejection::TlsFile {
            parameter: parameter.into(),
            path: Some(path.into()),
            problem,
        },
        "{text}"
    );
    assert!(text.contains(&format!("`{parameter}`")), "{text}");
    assert!(text.contains("hint: "), "{text}");
    eprintln!("{parameter}: rejected in {took:?}: {rejection}");
    text
}

/// A missing file, or one that is not a certificate, is a rejection at
/// resolution naming the parameter and the path, before any connect.
#[test]
fn missing_tls_files_are_rejected_at_resolution() {
    let f = files();
    let (pg, my, missing, key) = (&f.pg, &f.my, &f.missing, &f.key);
    let dir = shown(f.dir.path());
    let cases = [
        (
            format!("{pg}?sslmode=verify-full&sslrootcert={missing}"),
            "sslrootcert",
            missing,
            TlsFileProblem::Missing,
        ),
        (
            format!("{pg}?sslmode=verify-ca&ssl-root-cert={missing}"),
            "ssl-root-cert",
            missing,
            TlsFileProblem::Missing,
        ),
        // libpq checks the chain with `require` when a root file is
        // given; a missing one is not a silent downgrade to no check.
        (
            format!("{pg}?sslmode=require&sslrootcert={missing}"),
            "sslrootcert",
            missing,
            TlsFileProblem::Missing,
        ),
        (
            format!("{pg}?sslmode=require&sslcert={missing}&sslkey={key}"),
            "sslcert",
            missing,
            TlsFileProblem::Missing,
        ),
        // sslmode=prefer, the default, uses them too when the server has TLS.
        (
            format!("{pg}?sslcert={}&sslkey={missing}", f.cert),
            "sslkey",
            missing,
            TlsFileProblem::Missing,
        ),
        (
            format!("{pg}?sslmode=require&sslcert={key}&sslkey={key}"),
            "sslcert",
            key,
            TlsFileProblem::NoCertificate,
        ),
        (
            format!("{pg}?sslmode=verify-full&sslrootcert={dir}"),
            "sslrootcert",
            &dir,
            TlsFileProblem::NotAFile,
        ),
        (
            format!("{my}?ssl-mode=VERIFY_IDENTITY&ssl-ca={missing}"),
            "ssl-ca",
            missing,
            TlsFileProblem::Missing,
        ),
        (
            format!("{my}?ssl-mode=REQUIRED&ssl-cert={missing}&ssl-key={key}"),
            "ssl-cert",
            missing,
            TlsFileProblem::Missing,
        ),
    ];
    for (url, parameter, path, problem) in cases {
        let text = assert_rejected(&url, parameter, path, problem);
        assert!(
            text.contains(&format!("`{parameter}` names {path}")),
            "{text}"
        );
    }

    // Strict mode refuses the fallback with the same words.
    let err = Strict::from_vars([(
        "DATABASE_URL",
        format!("{pg}?sslmode=verify-full&sslrootcert={missing}"),
    )])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&format!(
            "`sslrootcert` names {missing}, which does not exist"
        )),
        "{err}"
    );
    no_secret(&err, "strict");
}

/// Keys sqlx cannot use are rejected at resolution too; files that no
/// connect reads are not looked at (such URLs work today).
#[test]
fn unusable_keys_are_rejected_and_unread_files_ignored() {
    let f = files();
    let (pg, my, missing) = (&f.pg, &f.my, &f.missing);
    let text = assert_rejected(
        &format!(
            "{pg}?sslmode=require&sslcert={}&sslkey={}",
            f.cert, f.encrypted
        ),
        "sslkey",
        &f.encrypted,
        TlsFileProblem::EncryptedKey,
    );
    assert!(text.contains("openssl pkey"), "{text}");
    assert_rejected(
        &format!("{pg}?sslmode=prefer&sslkey={}", f.key),
        "sslkey",
        &f.key,
        TlsFileProblem::Unpaired {
            missing: "sslcert".into(),
        },
    );
    assert_rejected(
        &format!("{pg}?sslmode=require&sslcert={}&sslkey={}", f.cert, f.cert),
        "sslkey",
        &f.cert,
        TlsFileProblem::NoKey,
    );

    for url in [
        format!("{pg}?sslmode=disable&sslcert={missing}&sslkey={missing}"),
        format!("{my}?ssl-mode=DISABLED&ssl-ca={missing}&ssl-cert={missing}"),
        format!("{my}?ssl-mode=REQUIRED&ssl-ca={missing}"),
    ] {
        let s = settings(&url);
        assert!(
            !s.database_url.is_fallback(),
            "{}",
            s.database_url.resolution()
        );
    }
}
