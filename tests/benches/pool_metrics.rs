//! The cost of the pool metrics: `SELECT 1` through `on_pool!` with 8 tasks
//! on the local PostgreSQL, on a pool built before a recorder was
//! installed (nothing recorded: one branch per point) against one built
//! after Prometheus' recorder was (every acquire, wait, use and count
//! recorded), in the same process, alternating round by round.
//!
//! `cargo bench -p dbsettings-tests --bench pool_metrics`

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dbsettings::{Database, DatabaseSettings, DatabaseUrl, Pool, on_pool, query, sql};

const TASKS: u64 = 8;
const QUERIES: u64 = 200;
const PG_URL: &str = "postgresql://postgres@127.0.0.1:5432/test";

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL", max_connections = 8)]
    database_url: DatabaseUrl,
}

/// 8 tasks, each running its queries through `on_pool!`'s `p`.
async fn run(db: &Database) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                for _ in 0..QUERIES {
                    let pool: Pool = db.pool().await.unwrap();
                    let rows = on_pool!(pool, p => query(sql!("SELECT 1")).execute(p).await.unwrap().rows_affected());
                    std::hint::black_box(rows);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

/// Rounds of the interleaved comparison.
const ROUNDS: usize = 30;

fn metrics_cost(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let database = || {
        Settings::from_vars([("DATABASE_URL", PG_URL)])
            .unwrap()
            .database()
    };
    let plain = database();
    if rt.block_on(plain.pool()).is_err() {
        eprintln!("*** SKIPPED: pool metrics cost: nothing answers at 127.0.0.1:5432 ***");
        return;
    }
    // Built now, the first pool registered no metrics; the second, built
    // after the recorder is installed, records everything.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_recommended_naming(true)
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).unwrap();
    let metered = database();
    rt.block_on(metered.pool()).unwrap();

    let queries = f64::from(u32::try_from(TASKS * QUERIES).unwrap());
    let per_second = |d: Duration| queries / d.as_secs_f64();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    rt.block_on(async {
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                with.push(per_second(run(&metered).await));
                without.push(per_second(run(&plain).await));
            } else {
                without.push(per_second(run(&plain).await));
                with.push(per_second(run(&metered).await));
            }
        }
    });
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mw, mo) = (median(&mut with), median(&mut without));
    let rendered = handle.render();
    let waits = rendered
        .lines()
        .find(|l| l.starts_with("db_client_connection_wait_time_seconds_count"))
        .unwrap_or("no wait-time count rendered")
        .to_owned();
    println!(
        "\ninterleaved, {ROUNDS} rounds of {} queries: with a recorder {mw:.0}/s, without {mo:.0}/s, ratio {:.3} ({waits})\n",
        TASKS * QUERIES,
        mw / mo
    );

    let mut g = c.benchmark_group("SELECT 1 through on_pool!, 8 tasks, PostgreSQL");
    g.throughput(Throughput::Elements(TASKS * QUERIES));
    for (name, db) in [("Prometheus recorder", &metered), ("no recorder", &plain)] {
        g.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|n| async move {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    total += run(db).await;
                }
                total
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = metrics_cost
}
criterion_main!(benches);
