//! Throughput through a transaction-mode PgBouncer against the same
//! PostgreSQL directly: 8 tasks × 100 parameterised queries, in one run.
//!
//! - `direct`: hand-written sqlx on the server, statements prepared by name
//!   and cached (sqlx's default).
//! - `direct, unnamed in a transaction`: the same with `.persistent(false)`
//!   inside a transaction of its own, to separate the cost of the pattern
//!   from the cost of the pooler.
//! - `pgbouncer, dbsettings`: the pool from `?pgbouncer=true`, queries with
//!   `.persistent(db.prepared_statements())` each in a transaction, through
//!   PgBouncer 1.18 with 4 server connections (the harness starts and stops
//!   it).
//!
//! `cargo bench -p dbsettings-tests --bench pooler`

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbsettings::{DatabaseSettings, DatabaseUrl, Pool, sqlx};
use dbsettings_tests::PgBouncer;

const TASKS: u64 = 8;
const QUERIES: u64 = 100;

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL", max_connections = 8)]
    database_url: DatabaseUrl,
}

async fn run(pool: &sqlx::PgPool, persistent: bool) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for i in 0..QUERIES {
                    let query = sqlx::query_scalar("SELECT $1::bigint + 1")
                        .bind(i64::try_from(i + t).unwrap())
                        .persistent(persistent);
                    let v: i64 = if persistent {
                        query.fetch_one(&pool).await.unwrap()
                    } else {
                        let mut tx = pool.begin().await.unwrap();
                        let v = query.fetch_one(&mut *tx).await.unwrap();
                        tx.commit().await.unwrap();
                        v
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

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _context = rt.enter();
    let bouncer = PgBouncer::start(5432, "test", 4).expect("PgBouncer runs here");
    let direct = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect_lazy("postgresql://postgres@127.0.0.1:5432/test?sslmode=disable")
        .unwrap();
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/test?pgbouncer=true&sslmode=disable",
        bouncer.port
    );
    let db = Settings::from_vars([("DATABASE_URL", url.as_str())])
        .unwrap()
        .database();
    let persistent = db.prepared_statements();
    let Pool::Postgres(pooled) = rt.block_on(db.pool()).unwrap() else {
        panic!("not PostgreSQL")
    };
    let mut g = c.benchmark_group("pooler");
    g.throughput(Throughput::Elements(TASKS * QUERIES));
    g.sample_size(20);
    g.bench_function("direct", |b| {
        b.to_async(&rt).iter_custom(|n| {
            let direct = direct.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += run(&direct, true).await;
                }
                total
            }
        });
    });
    g.bench_function("direct, unnamed in a transaction", |b| {
        b.to_async(&rt).iter_custom(|n| {
            let direct = direct.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += run(&direct, false).await;
                }
                total
            }
        });
    });
    g.bench_function("pgbouncer, dbsettings", |b| {
        b.to_async(&rt).iter_custom(|n| {
            let pooled = pooled.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += run(&pooled, persistent).await;
                }
                total
            }
        });
    });
    g.finish();
    rt.block_on(pooled.close());
    drop(bouncer);
}

criterion_group!(benches, bench);
criterion_main!(benches);
