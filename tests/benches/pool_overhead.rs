//! Pool overhead: `SELECT 1` throughput with 8 tasks through
//! `db.pool().await` against a hand-built sqlx pool with the same options,
//! on the local PostgreSQL and on an SQLite file; and the cost of `pool()`
//! once the pool is built, against cloning a stored pool. And the README's
//! query path, `on_pool!`'s `p` with a bound argument (the credential
//! retry, the replay of a statement that met an ended session), against
//! the same statement written with sqlx on the hand-built pool.
//!
//! `cargo bench -p dbsettings-tests --bench pool_overhead`

use std::str::FromStr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbsettings::{Database, DatabaseSettings, DatabaseUrl, Pool, on_pool, query_scalar, sql, sqlx};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const TASKS: u64 = 8;
const QUERIES: u64 = 200;
const PG_URL: &str = "postgresql://postgres@127.0.0.1:5432/test";

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL", max_connections = 8)]
    database_url: DatabaseUrl,
}

fn ours(url: &str) -> Database {
    Settings::from_vars([("DATABASE_URL", url)])
        .unwrap()
        .database()
}

async fn select_one(pool: &Pool) {
    let rows = match pool {
        Pool::Postgres(p) => sqlx::query("SELECT 1")
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
        Pool::Sqlite(p) => sqlx::query("SELECT 1")
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
        _ => unreachable!(),
    };
    std::hint::black_box(rows);
}

/// 8 tasks, each fetching the pool through the handle for every query.
async fn through_handle(db: &Database) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                for _ in 0..QUERIES {
                    select_one(&db.pool().await.unwrap()).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

/// The same with a pool held directly: the same query on the same path.
async fn direct(pool: &Pool) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for _ in 0..QUERIES {
                    select_one(&pool).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

/// Criterion measures one variant after the other, and on two cores shared
/// with the database server the drift between them is several percent. This
/// alternates the two variants round by round and compares medians.
fn interleaved(rt: &tokio::runtime::Runtime, what: &str, db: &Database, hand: &Pool) {
    const ROUNDS: usize = 30;
    let queries = f64::from(u32::try_from(TASKS * QUERIES).unwrap());
    let per_second = |d: Duration| queries / d.as_secs_f64();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    rt.block_on(async {
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                a.push(per_second(through_handle(db).await));
                b.push(per_second(direct(hand).await));
            } else {
                b.push(per_second(direct(hand).await));
                a.push(per_second(through_handle(db).await));
            }
        }
    });
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ma, mb) = (median(&mut a), median(&mut b));
    println!(
        "\ninterleaved, {what}, {ROUNDS} rounds of {} queries: dbsettings {ma:.0}/s, hand-built {mb:.0}/s, ratio {:.3}\n",
        TASKS * QUERIES,
        ma / mb
    );
}

/// Interleaved, then criterion: the handle against the pool held directly.
fn compare(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    what: &str,
    db: &Database,
    hand: &Pool,
) {
    interleaved(rt, what, db, hand);
    let mut g = c.benchmark_group(format!("SELECT 1, 8 tasks, {what}"));
    g.throughput(Throughput::Elements(TASKS * QUERIES));
    g.bench_function("dbsettings db.pool().await per query", |b| {
        b.to_async(rt).iter_custom(|n| async move {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                total += through_handle(db).await;
            }
            total
        });
    });
    g.bench_function("hand-built pool, same options", |b| {
        b.to_async(rt).iter_custom(|n| async move {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                total += direct(hand).await;
            }
            total
        });
    });
    g.finish();
}

/// 8 tasks, the README's query through `on_pool!`'s `p` (`readme`), or the
/// same statement with sqlx on the sqlx pool.
async fn bound_query(pool: &Pool, readme: bool) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for i in 0..QUERIES {
                    let n = i64::try_from(i + t).unwrap();
                    let v: i64 = if readme {
                        on_pool!(pool, p => query_scalar(sql!("SELECT $1::bigint + 1")).bind(n).fetch_one(p).await).unwrap()
                    } else {
                        sqlx::query_scalar("SELECT $1::bigint + 1")
                            .bind(n)
                            .fetch_one(pool.as_postgres().unwrap())
                            .await
                            .unwrap()
                    };
                    std::hint::black_box(v);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

/// `on_pool!`'s `p` against sqlx on the hand-built pool, alternated round
/// by round (medians), then criterion.
fn readme_path(c: &mut Criterion, rt: &tokio::runtime::Runtime, ours: &Pool, hand: &Pool) {
    const ROUNDS: usize = 30;
    let queries = f64::from(u32::try_from(TASKS * QUERIES).unwrap());
    let per_second = |d: Duration| queries / d.as_secs_f64();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    rt.block_on(async {
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                a.push(per_second(bound_query(ours, true).await));
                b.push(per_second(bound_query(hand, false).await));
            } else {
                b.push(per_second(bound_query(hand, false).await));
                a.push(per_second(bound_query(ours, true).await));
            }
        }
    });
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (ma, mb) = (a[ROUNDS / 2], b[ROUNDS / 2]);
    println!(
        "\ninterleaved, PostgreSQL, the README's query, {ROUNDS} rounds: on_pool!'s p {ma:.0}/s, sqlx on the hand-built pool {mb:.0}/s, ratio {:.3}\n",
        ma / mb
    );
    let mut g = c.benchmark_group("SELECT $1 + 1, 8 tasks, PostgreSQL, no ping before acquire");
    g.throughput(Throughput::Elements(TASKS * QUERIES));
    g.bench_function("on_pool!'s p", |bench| {
        bench.to_async(rt).iter_custom(|n| async move {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                total += bound_query(ours, true).await;
            }
            total
        });
    });
    g.bench_function("sqlx on the hand-built pool", |bench| {
        bench.to_async(rt).iter_custom(|n| async move {
            let mut total = Duration::ZERO;
            for _ in 0..n {
                total += bound_query(hand, false).await;
            }
            total
        });
    });
    g.finish();
}

fn postgres(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = ours(PG_URL);
    if rt.block_on(db.pool()).is_err() {
        eprintln!("*** SKIPPED: PostgreSQL pool overhead: nothing answers at 127.0.0.1:5432 ***");
        return;
    }
    let hand = Pool::Postgres(
        rt.block_on(PgPoolOptions::new().max_connections(8).connect(PG_URL))
            .unwrap(),
    );
    compare(c, &rt, "PostgreSQL", &db, &hand);
    // The same options as dbsettings' pool: no ping before each acquire
    // (dbsettings pings a connection idle longer than `idle_check` only),
    // so that what differs is the path a statement takes.
    let same = Pool::Postgres(
        rt.block_on(
            PgPoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
                .connect(PG_URL),
        )
        .unwrap(),
    );
    let ours = rt.block_on(db.pool()).unwrap();
    readme_path(c, &rt, &ours, &same);
}

fn sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = ours(&format!("sqlite://{}/ours.db", dir.path().display()));
    rt.block_on(db.pool()).unwrap();
    let options =
        SqliteConnectOptions::from_str(&format!("sqlite://{}/hand.db", dir.path().display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
    let hand = Pool::Sqlite(
        rt.block_on(
            SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options),
        )
        .unwrap(),
    );
    compare(c, &rt, "SQLite", &db, &hand);
}

fn pool_after_build(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = ours("sqlite::memory:");
    let stored = rt.block_on(db.pool()).unwrap();
    let mut g = c.benchmark_group("getting the pool once built");
    g.bench_function("dbsettings db.pool().await", |b| {
        b.to_async(&rt).iter(|| db.pool());
    });
    g.bench_function("clone of a stored Pool", |b| {
        b.iter(|| stored.clone());
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = postgres, sqlite, pool_after_build
}
criterion_main!(benches);
