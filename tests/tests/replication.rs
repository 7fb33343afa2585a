//! High availability on a real primary and streaming standby of PostgreSQL
//! 15, started by the harness and always torn down: multi-host URLs by
//! libpq's rules, `target_session_attrs`, failover without a restart, and
//! the reader pool.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use dbsettings::resolution::{Rejection, SessionAttrs};
use dbsettings::{DatabaseErrorKind, DatabaseSettings, DatabaseUrl, Pool, sqlx};
use dbsettings_tests::{Cluster, shared_pair};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", connect_timeout = "1s", acquire_timeout = "2s")]
    database_url: DatabaseUrl,
}

fn load(url: &str) -> Settings {
    Settings::from_vars([("DATABASE_URL", url)]).unwrap()
}

fn pg(pool: Pool) -> sqlx::PgPool {
    match pool {
        Pool::Postgres(p) => p,
        other => panic!("not PostgreSQL: {:?}", other.backend()),
    }
}

/// A primary and its standby of this test alone (for a test that stops or
/// promotes one), or a loud skip.
fn pair() -> Option<(Cluster, Cluster)> {
    let primary = match Cluster::start_new() {
        Ok(c) => c,
        Err(why) => {
            common::skip("the replication tests", &why);
            return None;
        }
    };
    primary
        .sql("CREATE TABLE notes (id serial PRIMARY KEY, body text)")
        .unwrap();
    match Cluster::standby_of(&primary) {
        Ok(standby) => Some((primary, standby)),
        Err(why) => {
            common::skip("the replication tests", &why);
            None
        }
    }
}

/// The primary and standby every test that only reads from them (or writes
/// to the primary) shares, with the `notes` table on both; or a loud skip.
fn shared() -> Option<&'static (Cluster, Cluster)> {
    static NOTES: OnceLock<Result<(), String>> = OnceLock::new();
    let made = shared_pair().and_then(|pair| {
        NOTES
            .get_or_init(|| {
                let (primary, standby) = pair;
                primary.sql("CREATE TABLE notes (id serial PRIMARY KEY, body text)")?;
                // The standby was copied before the table: wait for its replay.
                let deadline = Instant::now() + Duration::from_secs(30);
                while standby.sql("SELECT to_regclass('notes') IS NOT NULL")? != "t" {
                    if Instant::now() > deadline {
                        return Err("the standby never replayed CREATE TABLE notes".into());
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(())
            })
            .clone()
            .map(|()| pair)
    });
    match made {
        Ok(pair) => Some(pair),
        Err(why) => {
            common::skip("the replication tests", &why);
            None
        }
    }
}

/// A URL listing two local hosts, keeping `attrs`.
fn two_hosts(first: &Cluster, second: &Cluster, attrs: &str) -> String {
    format!(
        "postgresql://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs={attrs}&sslmode=disable",
        first.port, second.port
    )
}

/// A URL of one local host.
fn one_host(cluster: &Cluster) -> String {
    format!(
        "postgresql://postgres@127.0.0.1:{}/postgres?sslmode=disable",
        cluster.port
    )
}

async fn in_recovery(pool: &sqlx::PgPool) -> bool {
    sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[test]
fn multi_host_urls_follow_libpqs_rules() {
    let s = load(
        "postgresql://u:Multi-Pw@h1:5432,[::1]:5433,h3/db?target_session_attrs=read-write&sslmode=disable",
    );
    let url = &s.database_url;
    assert!(!url.is_fallback(), "{}", url.resolution());
    let r = url.resolution();
    assert_eq!(r.hosts(), ["h1:5432", "[::1]:5433", "h3"]);
    assert_eq!(r.session_attrs(), SessionAttrs::ReadWrite);
    let shown = format!("{url} {url:?} {r}");
    for host in ["h1:5432", "[::1]:5433", "h3"] {
        assert!(shown.contains(host), "{shown}");
    }
    assert!(!shown.contains("Multi-Pw"), "{shown}");

    let s = load("postgresql://u@/db?host=a,b&port=1,2,3");
    assert!(matches!(
        s.database_url.resolution().fallback_reason(),
        Some(dbsettings::resolution::FallbackReason::Rejected {
            rejection: Rejection::PortList { hosts: 2, ports: 3 },
            ..
        })
    ));
    for (url, rejection) in [
        (
            "postgresql://h1,h2/db?target_session_attrs=master",
            Rejection::SessionAttrs,
        ),
        (
            "postgresql://h1,h2/db?load_balance_hosts=roundrobin",
            Rejection::LoadBalanceHosts,
        ),
        ("postgresql://h1,bad!host/db", Rejection::InvalidHost),
        ("mysql://u@h1,h2/db", Rejection::MultipleHosts),
    ] {
        let s = load(url);
        match s.database_url.resolution().fallback_reason() {
            Some(dbsettings::resolution::FallbackReason::Rejected { rejection: r, .. }) => {
                assert_eq!(*r, rejection, "{url}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_write_finds_the_primary_when_the_standby_is_listed_first() {
    let Some((primary, standby)) = shared() else {
        return;
    };
    let url = two_hosts(standby, primary, "read-write");
    let db = load(&url).database();
    let pool = pg(db.pool().await.unwrap());
    assert!(!in_recovery(&pool).await);
    assert_eq!(
        db.active_host(),
        Some(format!("127.0.0.1:{}", primary.port))
    );
    sqlx::query("INSERT INTO notes (body) VALUES ('written')")
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefer_standby_lands_on_the_standby() {
    let Some((primary, standby)) = shared() else {
        return;
    };
    let url = two_hosts(primary, standby, "prefer-standby");
    let db = load(&url).database();
    let pool = pg(db.pool().await.unwrap());
    assert!(in_recovery(&pool).await);
}

#[tokio::test]
async fn an_unsatisfiable_role_is_an_error_that_says_so() {
    #[derive(DatabaseSettings)]
    struct Patient {
        #[settings(connect_timeout = "20s", acquire_timeout = "20s")]
        database_url: DatabaseUrl,
    }
    let Some((primary, _)) = shared() else { return };
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/postgres?target_session_attrs=standby&sslmode=disable",
        primary.port
    );
    let s = Patient::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let started = Instant::now();
    let err = s.database().pool().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), DatabaseErrorKind::NoSuitableHost, "{err}");
    assert!(err.to_string().contains("is not a standby"), "{err}");
    // Said at once, not after waiting out a timeout: the timeouts are long
    // enough that no load on this machine makes an answer that slow.
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[tokio::test]
async fn when_every_host_fails_each_is_listed_with_its_cause() {
    let (a, b) = (common::servers::free_port(), common::servers::free_port());
    let (silent, task) = common::servers::silent_listener().await;
    let url = format!(
        "postgresql://u:Every-Pw@127.0.0.1:{a},{silent},127.0.0.1:{b}/db?target_session_attrs=read-write"
    );
    let started = Instant::now();
    let err = load(&url).database().pool().await.unwrap_err();
    let took = started.elapsed();
    task.abort();
    let text = err.to_string();
    for host in [
        format!("127.0.0.1:{a}"),
        silent.to_string(),
        format!("127.0.0.1:{b}"),
    ] {
        assert!(text.contains(&host), "{host} missing: {text}");
    }
    assert!(
        text.contains("refused") && text.contains("no answer"),
        "{text}"
    );
    assert!(!text.contains("Every-Pw"), "{text}");
    // The whole connect is bounded by the 1 s connect timeout (as in
    // connector.rs, ten silent hosts); the margin is for a loaded machine.
    assert!(took < Duration::from_secs(1 + 10), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_follow_a_promotion_without_a_restart() {
    let Some((mut primary, standby)) = pair() else {
        return;
    };
    let url = two_hosts(&primary, &standby, "read-write");
    let db = load(&url).database();
    let pool = pg(db.pool().await.unwrap());

    // Writers run throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let failed = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicUsize::new(0));
    let first_after = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let promoted_at = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (db, stop, failed, written) = (
            db.clone(),
            Arc::clone(&stop),
            Arc::clone(&failed),
            Arc::clone(&written),
        );
        let (first_after, promoted_at) = (Arc::clone(&first_after), Arc::clone(&promoted_at));
        writers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let pool = pg(db.pool().await.unwrap());
                let r = sqlx::query("INSERT INTO notes (body) VALUES ($1)")
                    .bind(format!("writer {w}"))
                    .execute(&pool)
                    .await;
                match r {
                    Ok(_) => {
                        written.fetch_add(1, Ordering::Relaxed);
                        if let Some(at) = *promoted_at.lock().unwrap() {
                            first_after.lock().unwrap().get_or_insert_with(|| {
                                let _ = at;
                                Instant::now()
                            });
                        }
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = written.load(Ordering::Relaxed);
    assert!(before > 0, "no write went through before the failover");

    // The primary dies; the standby is promoted.
    let standby = tokio::task::spawn_blocking(move || {
        primary.stop_now().unwrap();
        standby.promote().unwrap();
        (primary, standby)
    })
    .await
    .unwrap();
    let promoted = Instant::now();
    *promoted_at.lock().unwrap() = Some(promoted);

    let deadline = promoted + Duration::from_secs(15);
    while first_after.lock().unwrap().is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.expect("no writer panicked");
    }
    let first = first_after
        .lock()
        .unwrap()
        .expect("writes never succeeded after the promotion");
    eprintln!(
        "failover: first write {:?} after the promotion; {} writes failed, {} succeeded",
        first.saturating_duration_since(promoted),
        failed.load(Ordering::Relaxed),
        written.load(Ordering::Relaxed)
    );
    assert!(!in_recovery(&pool).await);
    assert_eq!(
        db.active_host(),
        Some(format!("127.0.0.1:{}", standby.1.port))
    );
    drop(standby);
}

#[derive(DatabaseSettings, Debug)]
struct WithReplica {
    #[settings(
        env = "DATABASE_URL",
        replica = "DATABASE_REPLICA_URL",
        connect_timeout = "1s",
        acquire_timeout = "2s"
    )]
    database_url: DatabaseUrl,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reader_reads_from_the_replica_and_refuses_writes() {
    let Some((primary, standby)) = shared() else {
        return;
    };
    let s = WithReplica::from_vars([
        ("DATABASE_URL", one_host(primary)),
        ("DATABASE_REPLICA_URL", one_host(standby)),
    ])
    .unwrap();
    let db = s.database();
    let reader = pg(db.reader().await.unwrap());
    assert!(in_recovery(&reader).await, "reads go to the replica");
    assert_eq!(db.reader_source(), Some("the replica"));
    let err = sqlx::query("INSERT INTO notes (body) VALUES ('through the reader')")
        .execute(&reader)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("read-only transaction"), "{err}");

    // The writer pool is the primary.
    let writer = pg(db.pool().await.unwrap());
    assert!(!in_recovery(&writer).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_replica_the_reader_prefers_a_standby_of_the_hosts() {
    let Some((primary, standby)) = shared() else {
        return;
    };
    let url = two_hosts(primary, standby, "read-write");
    let db = load(&url).database();
    let reader = pg(db.reader().await.unwrap());
    assert!(in_recovery(&reader).await);
    // Even a reader on the primary is read-only.
    let primary_only = load(&one_host(primary)).database();
    let reader = pg(primary_only.reader().await.unwrap());
    assert!(!in_recovery(&reader).await);
    let err = sqlx::query("INSERT INTO notes (body) VALUES ('x')")
        .execute(&reader)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("read-only transaction"), "{err}");
    assert_eq!(primary_only.reader_source(), Some("the primary"));
}

#[tokio::test]
async fn a_reader_whose_replica_is_down_serves_from_the_primary_and_says_so() {
    let Some((primary, _)) = shared() else { return };
    let down = common::servers::free_port();
    let s = WithReplica::from_vars([
        ("DATABASE_URL", one_host(primary)),
        (
            "DATABASE_REPLICA_URL",
            format!("postgresql://reader:Replica-Pw@127.0.0.1:{down}/postgres"),
        ),
    ])
    .unwrap();
    let db = s.database();
    let reader = pg(db.reader().await.unwrap());
    assert!(!in_recovery(&reader).await);
    let health = db.health(false).await;
    let said = health.reader.unwrap();
    assert!(
        said.contains("the primary") && said.contains("unreachable"),
        "{said}"
    );
    assert!(!said.contains("Replica-Pw"), "{said}");
}

#[tokio::test]
async fn on_sqlite_the_reader_is_the_primary_pool() {
    let s = load("sqlite::memory:");
    let db = s.database();
    let reader = db.reader().await.unwrap();
    assert_eq!(reader.backend(), dbsettings::Backend::Sqlite);
    assert!(db.reader_source().is_none());
}

#[test]
fn the_template_lists_the_replica_variable() {
    let text = WithReplica::env_example();
    assert!(
        text.contains("# DATABASE_REPLICA_URL=postgresql://"),
        "{text}"
    );
    assert!(text.contains("DATABASE_REPLICA_URL_FILE"), "{text}");
}
