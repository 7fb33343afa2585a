//! Seeing inside the pool (issue 19), without a metrics recorder: each
//! connection's jittered lifetime, the idle check, slow holders reported
//! with where they were acquired, spans by OpenTelemetry's attribute
//! names, and the bounds refused at start-up. With a recorder:
//! `tests/metrics.rs`.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::capture::{Captured, capture_scoped};
use common::servers::{self, POSTGRES, POSTGRES_URL};
use dbsettings::{DatabaseSettings, DatabaseUrl, PoolOptions, on_pool, query_scalar, sql};

#[derive(DatabaseSettings)]
struct Plain {
    #[settings(env = "DATABASE_URL")]
    database_url: DatabaseUrl,
}

/// Overrides that contradict each other are refused when the settings
/// load, each naming the variable at fault and not echoing its value.
#[test]
fn bounds_out_of_order_are_refused_at_start_up_naming_the_variable() {
    let url = ("DATABASE_URL", POSTGRES_URL);
    let cases = [
        // Shorter than the default connect timeout (5 s).
        (
            vec![("DATABASE_MAX_LIFETIME", "2s")],
            "DATABASE_MAX_LIFETIME",
        ),
        // Made shorter than the lifetime by the connect timeout's override.
        (
            vec![
                ("DATABASE_MAX_LIFETIME", "30s"),
                ("DATABASE_CONNECT_TIMEOUT", "45s"),
            ],
            "DATABASE_MAX_LIFETIME",
        ),
        (
            vec![("DATABASE_CONNECT_TIMEOUT", "31m")],
            "DATABASE_CONNECT_TIMEOUT",
        ),
        // Larger than the default lifetime (30 min), and equal to one set.
        (
            vec![("DATABASE_LIFETIME_JITTER", "31m")],
            "DATABASE_LIFETIME_JITTER",
        ),
        (
            vec![
                ("DATABASE_MAX_LIFETIME", "1m"),
                ("DATABASE_LIFETIME_JITTER", "60s"),
            ],
            "DATABASE_LIFETIME_JITTER",
        ),
        (
            vec![("DATABASE_LEAK_THRESHOLD", "0s")],
            "DATABASE_LEAK_THRESHOLD",
        ),
        (vec![("DATABASE_IDLE_CHECK", "soon")], "DATABASE_IDLE_CHECK"),
    ];
    for (vars, at_fault) in cases {
        let text = match Plain::from_vars(vars.iter().copied().chain([url])) {
            Ok(_) => panic!("{vars:?} was accepted"),
            Err(e) => e.to_string(),
        };
        assert!(text.contains(&format!("`{at_fault}`")), "{vars:?}: {text}");
        if at_fault != "DATABASE_LEAK_THRESHOLD" && at_fault != "DATABASE_IDLE_CHECK" {
            assert!(text.contains("retired as soon as"), "{vars:?}: {text}");
        }
        assert!(!text.contains("soon\""), "{text}");
        assert!(!text.contains("postgres@"), "{text}");
    }
    // `0` keeps connections: no lifetime, so no rule.
    let kept = Plain::from_vars([url, ("DATABASE_MAX_LIFETIME", "0")]).unwrap();
    assert_eq!(kept.database_url.pool_options().max_lifetime, None);
}

#[test]
fn defaults_and_a_jitter_that_follows_the_lifetime() {
    let d = PoolOptions::default();
    // The macro checks attributes against these (macros/src/valid.rs).
    assert_eq!(d.connect_timeout, Duration::from_secs(5));
    assert_eq!(d.max_lifetime, Some(Duration::from_mins(30)));
    assert_eq!(d.lifetime_jitter, Duration::from_mins(3));
    assert_eq!(d.idle_check, Duration::from_secs(1));
    assert_eq!(d.leak_threshold, None);
    let s = Plain::from_vars([
        ("DATABASE_URL", POSTGRES_URL),
        ("DATABASE_MAX_LIFETIME", "10m"),
        ("DATABASE_LEAK_THRESHOLD", "30s"),
    ])
    .unwrap();
    let o = s.database_url.pool_options();
    assert_eq!(o.max_lifetime, Some(Duration::from_mins(10)));
    assert_eq!(o.lifetime_jitter, Duration::from_mins(1));
    assert_eq!(o.leak_threshold, Some(Duration::from_secs(30)));
}

#[derive(DatabaseSettings)]
struct Jittered {
    #[settings(
        env = "DATABASE_URL",
        max_connections = 20,
        connect_timeout = "1s",
        max_lifetime = "4s",
        lifetime_jitter = "3s"
    )]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings)]
struct Unjittered {
    #[settings(
        env = "DATABASE_URL",
        max_connections = 20,
        connect_timeout = "1s",
        max_lifetime = "4s",
        lifetime_jitter = "0s"
    )]
    database_url: DatabaseUrl,
}

/// 20 connections opened together, then kept busy by 20 tasks for
/// `run_for`: when each was last seen (its backend process id), that is
/// when it was retired, from the moment they were all open.
async fn reconnects(settings: &impl DatabaseSettings, run_for: Duration) -> Vec<Duration> {
    let pool = settings.database().pool().await.unwrap();
    let pid = sql!("SELECT pg_backend_pid()");
    // Open 20 at once: each task holds its connection until all have one.
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let opened: Vec<_> = (0..20)
        .map(|_| {
            let (pool, barrier) = (pool.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                on_pool!(pool, p => {
                    let mut conn = p.acquire().await.unwrap();
                    let id: i32 = query_scalar(pid).fetch_one(&mut *conn).await.unwrap();
                    barrier.wait().await;
                    id
                })
            })
        })
        .collect();
    let mut first = HashSet::new();
    for t in opened {
        first.insert(t.await.unwrap());
    }
    assert_eq!(first.len(), 20, "20 connections opened together");
    let t0 = Instant::now();
    // When each of the first 20 was last seen: when it was retired.
    let seen = Arc::new(Mutex::new(
        first
            .into_iter()
            .map(|id| (id, Duration::ZERO))
            .collect::<HashMap<i32, Duration>>(),
    ));
    let busy: Vec<_> = (0..20)
        .map(|_| {
            let (pool, seen) = (pool.clone(), Arc::clone(&seen));
            tokio::spawn(async move {
                while t0.elapsed() < run_for {
                    let id: i32 =
                        on_pool!(pool, p => query_scalar(pid).fetch_one(p).await.unwrap());
                    if let Some(last) = seen.lock().unwrap().get_mut(&id) {
                        *last = t0.elapsed();
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    for t in busy {
        t.await.unwrap();
    }
    settings.database().close().await;
    let mut times: Vec<Duration> = seen.lock().unwrap().values().copied().collect();
    times.sort();
    times
}

/// Issue 19's test: with a 4 s lifetime and 3 s of jitter, the 20
/// connections are replaced over at least half the jitter window, never
/// before the lifetime less the jitter; without jitter, all at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_opened_together_reconnect_over_the_jitter_window() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let vars = [("DATABASE_URL", POSTGRES_URL)];
    let jittered = reconnects(&Jittered::from_vars(vars).unwrap(), Duration::from_secs(5)).await;
    let flat = reconnects(
        &Unjittered::from_vars(vars).unwrap(),
        Duration::from_secs(5),
    )
    .await;
    let spread = |t: &[Duration]| t.last().unwrap().saturating_sub(t[0]);
    println!(
        "20 connections, max_lifetime 4s: with lifetime_jitter 3s, retired from {:?} to {:?} (spread {:?}); without jitter, from {:?} to {:?} (spread {:?})",
        jittered[0],
        jittered.last().unwrap(),
        spread(&jittered),
        flat[0],
        flat.last().unwrap(),
        spread(&flat),
    );
    // Their lifetimes count from their births, just before t0; all are
    // retired by the lifetime.
    assert!(jittered[0] >= Duration::from_millis(900), "{jittered:?}");
    assert!(
        *jittered.last().unwrap() < Duration::from_millis(4500),
        "{jittered:?}"
    );
    assert!(
        spread(&jittered) >= Duration::from_millis(1500),
        "reconnects not spread over half the 3 s window: {jittered:?}"
    );
    assert!(flat[0] >= Duration::from_millis(3900), "{flat:?}");
    assert!(
        spread(&flat) < spread(&jittered),
        "{flat:?} vs {jittered:?}"
    );
}

#[derive(DatabaseSettings)]
struct Checked {
    #[settings(env = "DATABASE_URL", max_connections = 1, idle_check = "100ms")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings)]
struct Unchecked {
    #[settings(env = "DATABASE_URL", max_connections = 1, idle_check = "1h")]
    database_url: DatabaseUrl,
}

/// The backend of the pool's one connection is ended by the server while
/// it is idle; the next statement runs on a new connection (the idle
/// check pings it first, or the statement meets `57P01` and runs again).
async fn after_the_server_ends_an_idle_connection(
    settings: &impl DatabaseSettings,
) -> Result<(i32, i32), dbsettings::sqlx::Error> {
    let pool = settings.database().pool().await.unwrap();
    let pid = sql!("SELECT pg_backend_pid()");
    let before: i32 = on_pool!(pool, p => query_scalar(pid).fetch_one(p).await)?;
    let admin = dbsettings::sqlx::PgPool::connect(POSTGRES_URL)
        .await
        .unwrap();
    dbsettings::sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(before)
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = on_pool!(pool, p => query_scalar(pid).fetch_one(p).await);
    settings.database().close().await;
    Ok((before, after?))
}

#[tokio::test]
async fn an_idle_connection_is_pinged_and_replaced_when_dead() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let vars = [("DATABASE_URL", POSTGRES_URL)];
    let (before, after) =
        after_the_server_ends_an_idle_connection(&Checked::from_vars(vars).unwrap())
            .await
            .expect("the idle check replaces the dead connection");
    assert_ne!(before, after);
    // Idle for less than the bound: handed out unchecked, the statement
    // meets the dead connection (57P01, before the server saw it) and runs
    // once more on a fresh one.
    let (before, after) =
        after_the_server_ends_an_idle_connection(&Unchecked::from_vars(vars).unwrap())
            .await
            .expect("a statement that met an ended session runs again");
    assert_ne!(before, after);
}

#[derive(DatabaseSettings)]
struct Watched {
    #[settings(env = "DATABASE_URL", leak_threshold = "200ms")]
    database_url: DatabaseUrl,
}

/// A connection held past `leak_threshold` is reported once, with the file
/// and line that acquired it, and again when it comes back.
#[tokio::test]
async fn a_slow_holder_is_reported_with_where_it_was_acquired() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/held.db", dir.path().display());
    let settings = Watched::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let pool = settings.database().pool().await.unwrap();
    let (log, _guard) = capture_scoped();
    let line = line!() + 2;
    on_pool!(pool, p => {
        let conn = p.acquire().await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let text = log.text();
        assert_eq!(text.matches("held for more than 200ms").count(), 1, "{text}");
        assert!(text.contains(&format!("acquired at {}:{line}:", file!())), "{text}");
        assert!(!text.contains("came back"), "{text}");
        drop(conn);
    });
    let text = log.text();
    assert!(text.contains("came back after"), "{text}");
    let at = format!("acquired at {}:{line}:", file!());
    assert_eq!(text.matches(&at).count(), 2, "{text}");
    // Returned in time: nothing said.
    log.clear();
    on_pool!(pool, p => drop(p.acquire().await.unwrap()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!log.text().contains("held for more than"), "{}", log.text());
}

/// The spans of a connect and of an acquire carry OpenTelemetry's
/// attribute names, and nothing secret.
#[tokio::test]
async fn connect_and_acquire_spans_by_opentelemetry_names() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::NEW)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Trust authentication: the password is sent nowhere, and must show
    // nowhere.
    let url = "postgresql://postgres:s3cr3t-pw@127.0.0.1:5432/test";
    let settings = Plain::from_vars([("DATABASE_URL", url)]).unwrap();
    let pool = settings.database().pool().await.unwrap();
    let one: i32 = on_pool!(pool, p => query_scalar(sql!("SELECT 1")).fetch_one(p).await.unwrap());
    assert_eq!(one, 1);
    let text = log.text();
    for span in ["connect{", "acquire{"] {
        let line = text
            .lines()
            .find(|l| l.contains(span))
            .unwrap_or_else(|| panic!("no {span} span in:\n{text}"));
        for field in [
            "db.system.name=\"postgresql\"",
            "db.client.connection.pool.name=database.primary",
            "db.namespace=\"test\"",
            "server.address=\"127.0.0.1\"",
            "server.port=5432",
        ] {
            assert!(line.contains(field), "{field} missing: {line}");
        }
    }
    assert!(!text.contains("s3cr3t-pw"), "{text}");
    assert!(!text.contains("postgres:"), "{text}");
    settings.database().close().await;
}
