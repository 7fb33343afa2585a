//! Throughput through PgBouncer 1.18, in one run: 8 tasks × 100
//! parameterised queries each, the README's query code.
//!
//! - `session mode, plain sqlx`: the reference. Each client keeps its server
//!   connection, so sqlx's named, cached statements work: what the pooler's
//!   hop itself costs.
//! - `transaction mode, dbsettings`: the pool from `?pgbouncer=true`, the
//!   README's `on_pool!(pool, p => query_scalar(sql!(..)).bind(n).fetch_one(p))`,
//!   which runs each statement unnamed in a transaction of its own.
//! - `transaction mode, dbsettings, with settings`: the same with
//!   `schema` and `statement_timeout` in the URL, which each transaction
//!   sets (`SET LOCAL`) in the round trip of its `BEGIN`.
//! - `direct, plain sqlx`: the server without a pooler, for scale.
//!
//! Each bouncer has 8 server connections. `cargo bench -p dbsettings-tests
//! --bench pooler`

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbsettings::{DatabaseSettings, DatabaseUrl, Pool, on_pool, query_scalar, sql, sqlx};
use dbsettings_tests::PgBouncer;

const TASKS: i64 = 8;
const QUERIES: i64 = 100;

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL", max_connections = 8)]
    database_url: DatabaseUrl,
}

async fn run(pool: &Pool) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for i in 0..QUERIES {
                    let v: i64 = on_pool!(pool, p => {
                        query_scalar(sql!("SELECT $1::bigint + 1")).bind(i + t).fetch_one(p).await
                    })
                    .unwrap();
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

fn plain(url: &str) -> Pool {
    Pool::Postgres(
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect_lazy(url)
            .unwrap(),
    )
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _context = rt.enter();
    let transaction = PgBouncer::start_in("transaction", 5432, "test", 8).expect("PgBouncer runs");
    let session = PgBouncer::start_in("session", 5432, "test", 8).expect("PgBouncer runs");
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/test?pgbouncer=true&sslmode=disable",
        transaction.port
    );
    let db = Settings::from_vars([("DATABASE_URL", url.as_str())])
        .unwrap()
        .database();
    let pooled = rt.block_on(db.pool()).unwrap();
    let with_settings = Settings::from_vars([(
        "DATABASE_URL",
        format!("{url}&schema=public&statement_timeout=30s").as_str(),
    )])
    .unwrap()
    .database();
    let with_settings = rt.block_on(with_settings.pool()).unwrap();
    let variants = [
        (
            "session mode, plain sqlx",
            plain(&format!(
                "postgresql://postgres@127.0.0.1:{}/test?sslmode=disable",
                session.port
            )),
        ),
        ("transaction mode, dbsettings", pooled),
        ("transaction mode, dbsettings, with settings", with_settings),
        (
            "direct, plain sqlx",
            plain("postgresql://postgres@127.0.0.1:5432/test?sslmode=disable"),
        ),
    ];
    let mut g = c.benchmark_group("pooler");
    g.throughput(Throughput::Elements(
        u64::try_from(TASKS * QUERIES).unwrap(),
    ));
    g.sample_size(20);
    for (name, pool) in &variants {
        g.bench_function(*name, |b| {
            b.to_async(&rt).iter_custom(|n| {
                let pool = pool.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..n {
                        total += run(&pool).await;
                    }
                    total
                }
            });
        });
    }
    g.finish();
    for (_, pool) in &variants {
        rt.block_on(pool.close());
    }
    drop((transaction, session));
}

criterion_group!(benches, bench);
criterion_main!(benches);
