//! The pool in production, against real components: a transaction-mode
//! PgBouncer, a password-checking PostgreSQL cluster of its own (SCRAM) for
//! rotations and providers, late starts, and the health report.

mod common;

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::capture::capture_scoped;
use common::servers::{self, POSTGRES};
use dbsettings::credentials::Credential;
use dbsettings::resolution::{Pooler, Warning};
use dbsettings::{DatabaseErrorKind, DatabaseSettings, DatabaseUrl, HealthState, Pool, sqlx};
use dbsettings_tests::{Cluster, PgBouncer};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", connect_timeout = "2s", acquire_timeout = "3s")]
    database_url: DatabaseUrl,
}

fn load(vars: &[(&str, &str)]) -> Settings {
    Settings::from_vars(vars.iter().copied()).unwrap()
}

fn pg(pool: Pool) -> sqlx::PgPool {
    match pool {
        Pool::Postgres(p) => p,
        other => panic!("not PostgreSQL: {:?}", other.backend()),
    }
}

// ---------------------------------------------------------------------------
// Transaction-mode poolers

/// 8 tasks × 150 parameterised queries over three statements; the failures.
/// Without prepared statements, each query runs in a transaction of its
/// own, so its Parse and its Bind reach the same server connection.
async fn hammer(pool: &sqlx::PgPool, prepared: bool) -> (usize, Option<String>) {
    let mut tasks = Vec::new();
    for t in 0..8_i32 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut failed = (0, None);
            for i in 0..150_i32 {
                let sql = [
                    "SELECT $1::int + 1",
                    "SELECT $1::int * 2",
                    "SELECT $1::int - 3",
                ][usize::try_from(i % 3).unwrap()];
                let query = sqlx::query_scalar(sql).bind(i + t).persistent(prepared);
                let r: Result<i32, _> = if prepared {
                    query.fetch_one(&pool).await
                } else {
                    async {
                        let mut tx = pool.begin().await?;
                        let v = query.fetch_one(&mut *tx).await?;
                        tx.commit().await?;
                        Ok(v)
                    }
                    .await
                };
                if let Err(e) = r {
                    failed.0 += 1;
                    failed.1.get_or_insert(e.to_string());
                }
            }
            failed
        }));
    }
    let mut total = (0, None);
    for t in tasks {
        let (n, first) = t.await.unwrap();
        total.0 += n;
        if total.1.is_none() {
            total.1 = first;
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_transaction_mode_pooler_nothing_fails() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let bouncer = match PgBouncer::start(5432, "test", 2) {
        Ok(b) => b,
        Err(why) => return common::skip("the PgBouncer test", &why),
    };
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/test?pgbouncer=true&sslmode=disable",
        bouncer.port
    );

    // The harness check: plain sqlx through this pooler does fail, so the
    // test below cannot pass by accident.
    let plain = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect_lazy(&format!(
            "postgresql://postgres@127.0.0.1:{}/test?sslmode=disable",
            bouncer.port
        ))
        .unwrap();
    let (plain_failed, first) = hammer(&plain, true).await;
    eprintln!("plain sqlx through PgBouncer: {plain_failed} of 1200 failed ({first:?})");
    assert!(
        plain_failed > 0,
        "the pooler does not reproduce the problem"
    );

    let s = load(&[("DATABASE_URL", &url)]);
    let r = s.database_url.resolution();
    assert_eq!(r.pooler(), Some(Pooler::Parameter));
    assert!(r.to_string().contains("pooler"), "{r}");
    assert!(
        !r.warnings()
            .iter()
            .any(|w| matches!(w, Warning::IgnoredParameter { name: Some(n) } if n == "pgbouncer")),
        "{:?}",
        r.warnings()
    );
    let db = s.database();
    assert!(!db.prepared_statements());
    let pool = pg(db.pool().await.unwrap());
    let (failed, first) = hammer(&pool, db.prepared_statements()).await;
    eprintln!("dbsettings through PgBouncer: {failed} of 1200 failed ({first:?})");
    assert_eq!(failed, 0, "{first:?}");
    // The health ping prepares nothing either.
    assert!(db.health(false).await.state.is_up());
}

#[derive(DatabaseSettings)]
struct Attribute {
    #[settings(pgbouncer = true)]
    database_url: DatabaseUrl,
}

#[test]
fn pooler_endpoints_and_settings_are_named() {
    let endpoint = |url: &str| {
        load(&[("DATABASE_URL", url)])
            .database_url
            .resolution()
            .pooler()
    };
    assert_eq!(
        endpoint("postgresql://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"),
        Some(Pooler::Endpoint {
            service: "Supabase"
        })
    );
    assert_eq!(
        endpoint("postgresql://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres"),
        None,
        "the session port is not the pooler"
    );
    assert_eq!(
        endpoint("postgresql://u:p@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/db"),
        Some(Pooler::Endpoint { service: "Neon" })
    );
    assert_eq!(endpoint("postgresql://u:p@h/db?pgbouncer=false"), None);
    let s = load(&[
        ("DATABASE_URL", "postgresql://u:p@h/db"),
        ("DATABASE_PGBOUNCER", "true"),
    ]);
    assert_eq!(s.database_url.resolution().pooler(), Some(Pooler::Setting));
    assert!(!s.database().prepared_statements());
    assert!(
        Settings::from_vars([
            ("DATABASE_URL", "postgresql://u:p@h/db"),
            ("DATABASE_PGBOUNCER", "sometimes")
        ])
        .is_err()
    );
    let a = Attribute::from_vars([("DATABASE_URL", "postgresql://u:p@h/db")]).unwrap();
    assert_eq!(a.database_url.resolution().pooler(), Some(Pooler::Setting));
    // Not PostgreSQL: no pooler mode.
    let a = Attribute::from_vars([("DATABASE_URL", "mysql://u:p@h/db")]).unwrap();
    assert_eq!(a.database_url.resolution().pooler(), None);
}

// ---------------------------------------------------------------------------
// Rotating credentials

#[derive(DatabaseSettings, Debug)]
struct Rotating {
    #[settings(
        env = "DATABASE_URL",
        connect_timeout = "2s",
        acquire_timeout = "2s",
        credentials_poll = "200ms",
        max_connections = 4
    )]
    database_url: DatabaseUrl,
}

/// The password-checking cluster this binary's tests share, each with a role
/// of its own; or a loud skip.
fn cluster() -> Option<&'static Cluster> {
    match Cluster::shared() {
        Ok(c) => Some(c),
        Err(why) => {
            common::skip("the password-checking cluster tests", &why);
            None
        }
    }
}

/// Runs `SELECT 1` every 20 ms until stopped; counts failures and records
/// when the last one happened.
struct Load {
    failures: Arc<AtomicUsize>,
    last_failure: Arc<std::sync::Mutex<Option<Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    fn start(pool: sqlx::PgPool) -> Self {
        let failures = Arc::new(AtomicUsize::new(0));
        let last_failure = Arc::new(std::sync::Mutex::new(None));
        let (f, l) = (Arc::clone(&failures), Arc::clone(&last_failure));
        let task = tokio::spawn(async move {
            loop {
                let r: Result<i32, _> = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await;
                if r.is_err() {
                    f.fetch_add(1, Ordering::Relaxed);
                    *l.lock().unwrap() = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self {
            failures,
            last_failure,
            task,
        }
    }
}

// One thread, so the credentials task logs where the capture listens.
#[tokio::test]
async fn a_rewritten_secret_file_reaches_new_connections_without_a_restart() {
    let Some(cluster) = cluster() else { return };
    let (old_pw, new_pw) = ("Rot-Old-Pw-4711", "Rot-New-Pw-0815");
    cluster
        .sql(&format!("CREATE ROLE rotating LOGIN PASSWORD '{old_pw}'"))
        .unwrap();
    let url = |pw: &str| {
        format!(
            "postgresql://rotating:{pw}@127.0.0.1:{}/postgres",
            cluster.port
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("database_url");
    std::fs::write(&secret, format!("{}\n", url(old_pw))).unwrap();
    let (logs, _guard) = capture_scoped();

    let s = Rotating::from_vars([("DATABASE_URL_FILE", secret.to_str().unwrap())]).unwrap();
    let db = s.database();
    let pool = pg(db.pool().await.unwrap());
    let load = Load::start(pool.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(load.failures.load(Ordering::Relaxed), 0);

    // Rotate: the role's password, then the file (as a secret store does,
    // in place), then every session of the role is cut.
    cluster
        .sql(&format!("ALTER ROLE rotating PASSWORD '{new_pw}'"))
        .unwrap();
    let rotated = Instant::now();
    let mut f = std::fs::File::create(&secret).unwrap();
    writeln!(f, "{}", url(new_pw)).unwrap();
    drop(f);
    cluster
        .sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'rotating'")
        .unwrap();

    // Queries resume within the poll bound (200 ms) plus a reconnect.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut recovered = None;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ok: Result<i32, _> = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await;
        if ok.is_ok() && db.credentials_generation() >= 1 {
            recovered = Some(rotated.elapsed());
            break;
        }
    }
    let recovered = recovered.expect("queries never resumed after the rotation");
    load.task.abort();
    let failed = load.failures.load(Ordering::Relaxed);
    eprintln!(
        "rotation: first good query after {recovered:?}, {failed} queries failed, last failure {:?} after the rotation",
        load.last_failure
            .lock()
            .unwrap()
            .map(|t| t.saturating_duration_since(rotated))
    );
    assert_eq!(db.credentials_generation(), 1);
    assert_eq!(db.health(false).await.credentials_generation, 1);

    // The old password is refused now: the rotation was real.
    let old = sqlx::PgPool::connect(&url(old_pw)).await;
    let err = old
        .expect_err("the old password must be refused")
        .to_string();
    assert!(err.contains("password authentication failed"), "{err}");

    let text = logs.text();
    assert!(text.contains("changed"), "{text}");
    for pw in [old_pw, new_pw] {
        assert!(!text.contains(pw), "{pw} in the logs:\n{text}");
    }
}

// One thread, so the credentials task logs where the capture listens.
#[tokio::test]
async fn a_broken_secret_file_keeps_the_current_credentials() {
    let Some(cluster) = cluster() else { return };
    cluster
        .sql("CREATE ROLE kept LOGIN PASSWORD 'Keep-Pw-1'")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("url");
    std::fs::write(
        &secret,
        format!(
            "postgresql://kept:Keep-Pw-1@127.0.0.1:{}/postgres",
            cluster.port
        ),
    )
    .unwrap();
    let (logs, _guard) = capture_scoped();
    let s = Rotating::from_vars([("DATABASE_URL_FILE", secret.to_str().unwrap())]).unwrap();
    let db = s.database();
    let pool = pg(db.pool().await.unwrap());
    // Each problem is said once, when a poll meets it: wait for that, not
    // for a time a loaded machine may not keep.
    let kept = "keeping the current credentials";
    for (said, broken) in [(1, Some("not a url Keep-Pw-2")), (2, Some("")), (3, None)] {
        match broken {
            Some(text) => std::fs::write(&secret, text).unwrap(),
            None => std::fs::remove_file(&secret).unwrap(),
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while logs.text().matches(kept).count() < said {
            assert!(Instant::now() < deadline, "never said:\n{}", logs.text());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(db.credentials_generation(), 0, "{broken:?}");
    }
    // New connections still log in with the current credentials.
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'kept'")
        .execute(&pool)
        .await
        .ok();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(one, 1);
    let text = logs.text();
    assert!(!text.contains("Keep-Pw"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_provider_is_asked_before_connects_and_when_it_expires() {
    let Some(cluster) = cluster() else { return };
    cluster
        .sql("CREATE ROLE iam LOGIN PASSWORD 'Token-1'")
        .unwrap();
    let s = Rotating::from_vars([(
        "DATABASE_URL",
        format!("postgresql://iam@127.0.0.1:{}/postgres", cluster.port).as_str(),
    )])
    .unwrap();
    let db = s.database();
    let calls = Arc::new(AtomicUsize::new(0));
    let token = Arc::new(std::sync::Mutex::new("Token-1".to_owned()));
    let (c, t) = (Arc::clone(&calls), Arc::clone(&token));
    assert!(db.set_credentials_provider(move || {
        let c = Arc::clone(&c);
        let t = Arc::clone(&t);
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            let pw = t.lock().unwrap().clone();
            Ok(Credential::new(pw, Some(Duration::from_millis(500))))
        }
    }));
    let pool = pg(db.pool().await.unwrap());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "asked once before the first connect"
    );
    // Asked again as each 500 ms token nears its end: twice more within a
    // bound a loaded machine keeps (never, if expiry did not ask).
    let asking = Instant::now();
    while calls.load(Ordering::SeqCst) < 3 {
        assert!(
            asking.elapsed() < Duration::from_secs(10),
            "asked {} times in 10 s with a 500 ms token",
            calls.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The token changes: new connections use the new one.
    cluster.sql("ALTER ROLE iam PASSWORD 'Token-2'").unwrap();
    *token.lock().unwrap() = "Token-2".to_owned();
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster
        .sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'iam'")
        .unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(one, 1);
    assert!(db.credentials_generation() >= 1);
}

#[tokio::test]
async fn a_provider_that_fails_or_hangs_fails_that_connect_with_its_cause() {
    #[derive(DatabaseSettings)]
    struct Quick {
        #[settings(connect_timeout = "300ms")]
        database_url: DatabaseUrl,
    }
    let s = Quick::from_vars([("DATABASE_URL", "postgresql://u@127.0.0.1:1/db")]).unwrap();
    let db = s.database();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    db.set_credentials_provider(move || {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Err("the token service said no (Secret-Tok-9)".into())
            } else {
                std::future::pending().await
            }
        }
    });
    let err = db.pool().await.unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::Credentials, "{err}");
    assert!(err.to_string().contains("said no"), "{err}");
    let started = Instant::now();
    let err = db.pool().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), DatabaseErrorKind::Credentials, "{err}");
    assert!(err.to_string().contains("no answer"), "{err}");
    // A hanging provider is cut at the 300 ms connect timeout (it would
    // hang forever); the margin is for a loaded machine.
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the next connect asks again"
    );
}

// ---------------------------------------------------------------------------
// Startup wait

#[derive(DatabaseSettings, Debug)]
struct Patient {
    #[settings(env = "DATABASE_URL", connect_timeout = "1s", startup_wait = "20s")]
    database_url: DatabaseUrl,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_starts_listening_later_is_waited_for() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let port = servers::free_port();
    let s = Patient::from_vars([(
        "DATABASE_URL",
        format!("postgresql://postgres@127.0.0.1:{port}/test").as_str(),
    )])
    .unwrap();
    let db = s.database();
    let started = Instant::now();
    let opener = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        servers::proxy(&format!("127.0.0.1:{port}"), POSTGRES).await
    });
    let pool = db.pool().await.expect("the wait covers the late start");
    let waited = started.elapsed();
    let (_, proxy) = opener.await.unwrap();
    eprintln!("startup wait: the pool was ready {waited:?} after the first try (listener at 2 s)");
    assert!(waited >= Duration::from_secs(2), "{waited:?}");
    pool.ping().await.unwrap();
    proxy.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_started_while_the_handle_waits_is_used() {
    let mut cluster = match Cluster::init() {
        Ok(c) => c,
        Err(why) => return common::skip("the startup-wait cluster test", &why),
    };
    let s = Patient::from_vars([(
        "DATABASE_URL",
        format!("postgresql://postgres@127.0.0.1:{}/postgres", cluster.port).as_str(),
    )])
    .unwrap();
    let db = s.database();
    let waiting = tokio::spawn({
        let db = db.clone();
        async move { db.pool().await.map(|_| Instant::now()) }
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.start().unwrap();
        (cluster, Instant::now())
    })
    .await
    .unwrap();
    let (cluster, up) = cluster;
    let ready = waiting
        .await
        .unwrap()
        .expect("the pool comes up with the server");
    eprintln!(
        "startup wait: first good connect {:?} after the server was up",
        ready.saturating_duration_since(up)
    );
    drop(cluster);
}

#[tokio::test]
async fn permanent_failures_return_at_once_under_a_startup_wait() {
    let started = Instant::now();
    let s =
        Patient::from_vars([("DATABASE_URL", "postgresql://u@no-such-host.invalid/db")]).unwrap();
    let err = s.database().pool().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), DatabaseErrorKind::Dns, "{err}");
    // Before the 20 s wait's deadline: it did not wait. Load does not
    // stretch a failed lookup that far.
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[tokio::test]
async fn a_startup_wait_ends_at_its_deadline_with_the_last_cause() {
    #[derive(DatabaseSettings)]
    struct Short {
        #[settings(connect_timeout = "500ms", startup_wait = "1500ms")]
        database_url: DatabaseUrl,
    }
    let port = servers::free_port();
    let s = Short::from_vars([(
        "DATABASE_URL",
        format!("postgresql://u@127.0.0.1:{port}/db").as_str(),
    )])
    .unwrap();
    let started = Instant::now();
    let err = s.database().pool().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), DatabaseErrorKind::Refused, "{err}");
    // It waited its 1.5 s and ended there: at most one last connect
    // timeout (0.5 s) later, with 1 s of margin for a loaded machine (a
    // second wait would end at 3 s).
    assert!(took >= Duration::from_millis(1400), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

// ---------------------------------------------------------------------------
// Health

#[tokio::test]
async fn the_health_report_says_built_up_or_down() {
    let s = load(&[("DATABASE_URL", "sqlite::memory:")]);
    let db = s.database();
    let h = db.health(false).await;
    assert_eq!(h.state, HealthState::NotBuilt);
    assert!(db.get().is_none(), "a report without build does not build");
    let h = db.health(true).await;
    assert!(h.state.is_up(), "{:?}", h.state);
    assert!(h.ping_ms.is_some());
    let stats = h.pool.unwrap();
    assert_eq!(stats.max, 10);
    let json = serde_json::to_value(&h).unwrap();
    assert_eq!(json["backend"], "sqlite");
    assert_eq!(json["state"]["state"], "up");
    assert_eq!(json["credentials_generation"], 0);

    let port = servers::free_port();
    let s = load(&[(
        "DATABASE_URL",
        format!("postgresql://u:Health-Pw@127.0.0.1:{port}/db").as_str(),
    )]);
    let h = s.database().health(true).await;
    match &h.state {
        HealthState::Down { kind, error } => {
            assert_eq!(*kind, DatabaseErrorKind::Refused);
            assert!(!error.contains("Health-Pw"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    let json = serde_json::to_string(&h).unwrap();
    assert!(json.contains("\"kind\":\"refused\""), "{json}");
    assert!(!json.contains("Health-Pw"), "{json}");
}
