//! AWS RDS IAM authentication end to end, against a PostgreSQL cluster of
//! the test's own that checks passwords (SCRAM) over TLS, as RDS does: the
//! role's password is the token [`RdsIam`] signs for a pinned clock, the
//! provider logs in with it, and when the clock passes the refresh point
//! (five minutes before the token's fifteen end) a new token is signed and
//! the pool's new connections log in with it. AWS's own vector is checked
//! offline in the runtime's unit tests (`pool/rds_iam.rs`).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use common::capture::capture_scoped;
use dbsettings::credentials::{AwsCredentials, RdsIam};
use dbsettings::{DatabaseErrorKind, DatabaseSettings, DatabaseUrl, sqlx};
use dbsettings_tests::Cluster;

const USER: &str = "iam_user";
/// 2024-08-26T22:00:00Z, the clock the test pins.
const VECTOR_SECS: u64 = 1_724_709_600;

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", connect_timeout = "3s", credentials_poll = "10m")]
    database_url: DatabaseUrl,
}

fn settings(url: &str) -> Settings {
    Settings::from_vars([("DATABASE_URL", url)]).unwrap()
}

/// Ends the IAM user's sessions: the pool's next connections log in anew.
fn end_sessions(cluster: &Cluster) {
    cluster
        .sql(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{USER}'"
        ))
        .unwrap();
}

/// Who the pool logs in as, once a read goes through (a connection the
/// terminate ended may be met first), within five seconds.
async fn logged_in_as(pg: &sqlx::PgPool) -> Option<String> {
    let asked = Instant::now();
    while asked.elapsed() < Duration::from_secs(5) {
        match sqlx::query_scalar::<_, String>("SELECT current_user::text")
            .fetch_one(pg)
            .await
        {
            Ok(user) => return Some(user),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    None
}

#[tokio::test]
async fn iam_tokens_log_in_and_are_renewed_before_they_end() {
    let (logs, _guard) = capture_scoped();
    let (mut cluster, tls) = match Cluster::init_tls("iam_cert_user") {
        Ok(c) => c,
        Err(why) => return common::skip("the RDS IAM test", &why),
    };
    // As RDS: the IAM user logs in with a password (the token), over TLS.
    let hba = format!(
        "local all all trust\nhostssl all {USER} 127.0.0.0/8 scram-sha-256\nhostssl all all 127.0.0.0/8 trust\n"
    );
    std::fs::write(cluster.data().join("pg_hba.conf"), hba).unwrap();
    cluster.start().unwrap();
    let port = cluster.port;
    let ca = tls.ca.display().to_string();
    let url = format!(
        "postgresql://{USER}@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={ca}"
    );

    let keys = AwsCredentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI-secret-key",
        Some("session-token-x".to_owned()),
    );
    let start = UNIX_EPOCH + Duration::from_secs(VECTOR_SECS);
    let now = Arc::new(Mutex::new(start));
    let clock = Arc::clone(&now);
    let iam = RdsIam::new("localhost", port, "us-east-1", USER)
        .with_credentials(keys.clone())
        .with_clock(move || *clock.lock().unwrap());
    let first = iam.token_at(&keys, start).unwrap();
    cluster
        .sql(&format!("CREATE ROLE {USER} LOGIN PASSWORD '{first}'"))
        .unwrap();

    let s = settings(&url);
    let db = s.database();
    iam.clone().install(&db).unwrap();
    // One provider per database.
    assert!(iam.clone().install(&db).is_err());
    let pool = db.pool().await.unwrap_or_else(|e| panic!("{e}"));
    let pg = pool.as_postgres().unwrap();
    let who: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(pg)
        .await
        .unwrap();
    assert_eq!(who, USER);
    assert!(!db.redact(&format!("token {first}")).contains(&first));

    let generation = db.credentials_generation();
    // Eleven minutes on (past the ten a token is used): a new token, which
    // the server now expects; the old sessions end, new ones log in with it.
    *now.lock().unwrap() = start + Duration::from_mins(11);
    let second = iam
        .token_at(&keys, start + Duration::from_mins(11))
        .unwrap();
    assert_ne!(second, first);
    cluster
        .sql(&format!("ALTER ROLE {USER} PASSWORD '{second}'"))
        .unwrap();
    db.recheck_credentials();
    let asked = Instant::now();
    while db.credentials_generation() == generation {
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "the provider was not asked"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    end_sessions(&cluster);
    let answered = logged_in_as(pg).await;
    assert_eq!(answered.as_deref(), Some(USER));

    // The server now wants a token it did not get (its clock and ours
    // moved on): the refused login asks the provider again, which signs
    // anew, and the read goes through.
    *now.lock().unwrap() = start + Duration::from_mins(12);
    let third = iam
        .token_at(&keys, start + Duration::from_mins(12))
        .unwrap();
    cluster
        .sql(&format!("ALTER ROLE {USER} PASSWORD '{third}'"))
        .unwrap();
    end_sessions(&cluster);
    // A health ping meets the refusal (as `on_pool!`'s statements would):
    // the provider is asked again.
    let health = db.health(false).await;
    assert!(
        matches!(health.state, dbsettings::HealthState::Up),
        "{health:?}"
    );
    let answered = logged_in_as(pg).await;
    assert_eq!(
        answered.as_deref(),
        Some(USER),
        "the refused login did not get a new token"
    );
    for token in [&first, &second, &third] {
        assert!(!db.redact(token).contains(token.as_str()));
    }
    db.close().await;
    let logs = logs.text();
    for secret in [
        first.as_str(),
        second.as_str(),
        "wJalrXUtnFEMI-secret-key",
        "session-token-x",
    ] {
        assert!(!logs.contains(secret), "a secret in the logs");
    }
}

/// No TLS, no token: RDS refuses IAM logins without TLS, and the token
/// must not cross the network in the clear. And the region comes from an
/// RDS host name.
#[test]
fn a_url_without_tls_is_refused_and_the_region_is_read_off_the_host() {
    let plain =
        settings("postgresql://app@db.abc123.us-east-1.rds.amazonaws.com/app?sslmode=prefer")
            .database();
    let err = RdsIam::for_database(&plain).unwrap_err().to_string();
    assert!(err.contains("weaker than `require`"), "{err}");
    let by_hand = RdsIam::new(
        "db.abc123.us-east-1.rds.amazonaws.com",
        5432,
        "us-east-1",
        "app",
    );
    let err = by_hand.install(&plain).unwrap_err().to_string();
    assert!(err.contains("weaker than `require`"), "{err}");
    let tls =
        settings("postgresql://app@db.abc123.us-east-1.rds.amazonaws.com/app?sslmode=require")
            .database();
    let iam = RdsIam::for_database(&tls).unwrap();
    let shown = format!("{iam:?}");
    assert!(
        shown.contains("us-east-1") && shown.contains("5432"),
        "{shown}"
    );
    let mysql =
        settings("mysql://app@db.x.eu-west-1.rds.amazonaws.com/app?ssl-mode=REQUIRED").database();
    assert!(format!("{:?}", RdsIam::for_database(&mysql).unwrap()).contains("eu-west-1"));
}

/// A provider without AWS credentials: a `Credentials` error naming the
/// variable, within the connect timeout, showing no secret.
#[tokio::test]
async fn no_aws_credentials_is_a_credentials_error_naming_the_variable() {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        // The process has credentials: nothing to show missing.
        eprintln!(
            "AWS_ACCESS_KEY_ID is set here: the missing-credentials check has nothing to check"
        );
        return;
    }
    let db = settings("postgresql://app@127.0.0.1:5432/test?sslmode=require").database();
    RdsIam::new("127.0.0.1", 5432, "us-east-1", "app")
        .install(&db)
        .unwrap();
    let started = Instant::now();
    let err = db.pool().await.unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::Credentials, "{err}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
}
