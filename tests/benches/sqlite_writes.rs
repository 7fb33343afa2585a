//! SQLite write throughput on the fallback database: 8 tasks x 2,000
//! autocommit inserts, and 200 concurrent read-then-write transactions;
//! dbsettings' pool (WAL, `synchronous=NORMAL`, `busy_timeout`, writes through
//! `sqlite::begin_write`) against sqlx's default `SqlitePool` and against a
//! hand-tuned sqlx setup (WAL, `synchronous=NORMAL`, one writer connection).
//! Errors are counted and printed after each group: a failed insert or
//! transaction is not retried.
//!
//! `cargo bench -p dbsettings-tests --bench sqlite_writes`

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbsettings::{DatabaseSettings, DatabaseUrl, sqlx};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const TASKS: u64 = 8;
const INSERTS: u64 = 2_000;
const TRANSACTIONS: u64 = 200;

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL")]
    database_url: DatabaseUrl,
}

/// The three set-ups, each on its own file.
struct Setups {
    _dir: tempfile::TempDir,
    ours: SqlitePool,
    sqlx_default: SqlitePool,
    hand_tuned: SqlitePool,
}

async fn setups() -> Setups {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| format!("sqlite://{}/{name}.db", dir.path().display());
    // dbsettings: the fallback database, as a service gets it.
    let settings = Settings::from_vars([(
        "DBSETTINGS_DATA_DIR",
        dir.path().join("ours").to_str().unwrap(),
    )])
    .unwrap();
    assert!(settings.database_url.is_fallback());
    let ours = settings
        .database()
        .pool()
        .await
        .unwrap()
        .as_sqlite()
        .unwrap()
        .clone();
    // sqlx's defaults: rollback journal, synchronous=FULL, 10 connections.
    let sqlx_default = SqlitePoolOptions::new()
        .connect_with(
            SqliteConnectOptions::from_str(&file("default"))
                .unwrap()
                .create_if_missing(true),
        )
        .await
        .unwrap();
    // Hand-tuned: WAL, NORMAL, and a single connection, so one writer.
    let hand_tuned = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::from_str(&file("tuned"))
                .unwrap()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal),
        )
        .await
        .unwrap();
    for pool in [&ours, &sqlx_default, &hand_tuned] {
        sqlx::query("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            .execute(pool)
            .await
            .unwrap();
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
        )
        .execute(pool)
        .await
        .unwrap();
        sqlx::query("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)")
            .execute(pool)
            .await
            .unwrap();
    }
    Setups {
        _dir: dir,
        ours,
        sqlx_default,
        hand_tuned,
    }
}

async fn inserts(pool: &SqlitePool, errors: &AtomicU64) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut failed = 0;
                for i in 0..INSERTS {
                    let r = sqlx::query("INSERT INTO rows (body) VALUES (?)")
                        .bind(format!("task {t} row {i}"))
                        .execute(&pool)
                        .await;
                    failed += u64::from(r.is_err());
                }
                failed
            })
        })
        .collect();
    for t in tasks {
        errors.fetch_add(t.await.unwrap(), Ordering::Relaxed);
    }
    started.elapsed()
}

/// Reads the counter, then writes it back plus one.
async fn increment(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT n FROM counter WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("UPDATE counter SET n = ? WHERE id = 1")
        .bind(n + 1)
        .execute(&mut *conn)
        .await
        .map(drop)
}

/// 200 concurrent read-then-write transactions; `immediate` uses
/// `BEGIN IMMEDIATE` (dbsettings' write path), else sqlx's plain `BEGIN`.
async fn transactions(pool: &SqlitePool, immediate: bool, errors: &AtomicU64) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TRANSACTIONS)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                if immediate {
                    let mut tx = dbsettings::sqlite::begin_write(&pool).await?;
                    increment(&mut tx).await?;
                    tx.commit().await
                } else {
                    let mut tx = pool.begin().await?;
                    increment(&mut tx).await?;
                    tx.commit().await
                }
            })
        })
        .collect();
    for t in tasks {
        if t.await.unwrap().is_err() {
            errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    started.elapsed()
}

fn run(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = Arc::new(rt.block_on(setups()));
    let variants: [(&str, &SqlitePool, bool); 3] = [
        ("dbsettings fallback pool", &s.ours, true),
        ("sqlx default SqlitePool", &s.sqlx_default, false),
        (
            "hand-tuned sqlx (WAL, NORMAL, one writer)",
            &s.hand_tuned,
            false,
        ),
    ];

    let mut g = c.benchmark_group("8 tasks x 2000 autocommit inserts");
    g.sample_size(10);
    g.throughput(Throughput::Elements(TASKS * INSERTS));
    let mut summary = Vec::new();
    for (name, pool, _) in variants {
        let errors = AtomicU64::new(0);
        let runs = AtomicU64::new(0);
        g.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|n| {
                let (errors, runs) = (&errors, &runs);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..n {
                        total += inserts(pool, errors).await;
                        runs.fetch_add(1, Ordering::Relaxed);
                    }
                    total
                }
            });
        });
        summary.push(format!(
            "{name}: {} failed inserts of {}",
            errors.load(Ordering::Relaxed),
            runs.load(Ordering::Relaxed) * TASKS * INSERTS
        ));
    }
    g.finish();

    let mut g = c.benchmark_group("200 concurrent read-then-write transactions");
    g.sample_size(10);
    g.throughput(Throughput::Elements(TRANSACTIONS));
    for (name, pool, immediate) in variants {
        let errors = AtomicU64::new(0);
        let runs = AtomicU64::new(0);
        g.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|n| {
                let (errors, runs) = (&errors, &runs);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..n {
                        total += transactions(pool, immediate, errors).await;
                        runs.fetch_add(1, Ordering::Relaxed);
                    }
                    total
                }
            });
        });
        summary.push(format!(
            "{name}: {} failed transactions of {}",
            errors.load(Ordering::Relaxed),
            runs.load(Ordering::Relaxed) * TRANSACTIONS
        ));
    }
    g.finish();
    println!("\nerrors:");
    for line in summary {
        println!("  {line}");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    targets = run
}
criterion_main!(benches);
