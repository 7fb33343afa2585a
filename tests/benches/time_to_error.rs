//! Time to a clear error with an unreachable primary: a refused port and a
//! listener that never answers, for `Database::pool()` against sqlx's
//! `PgPoolOptions::new().connect_lazy(..)` and a first acquire, with sqlx's
//! defaults and with the same timeout. Before the timed runs it prints, once
//! each, how long every variant took and what its error says (sqlx's default
//! against a silent server takes its whole 30 s acquire timeout).
//!
//! `cargo bench -p dbsettings-tests --bench time_to_error`

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use dbsettings::{Database, DatabaseSettings, DatabaseUrl, sqlx};
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL", connect_timeout = "500ms")]
    database_url: DatabaseUrl,
}

fn ours(url: &str) -> Database {
    // A new URL, so a new handle, each time: every call is a first connect.
    Settings::from_vars([("DATABASE_URL", url)])
        .unwrap()
        .database()
}

async fn ours_error(url: &str) -> String {
    ours(url).pool().await.unwrap_err().to_string()
}

async fn sqlx_error(url: &str, timeout: Option<Duration>) -> String {
    let mut options = PgPoolOptions::new();
    if let Some(t) = timeout {
        options = options.acquire_timeout(t);
    }
    let pool = options.connect_lazy(url).unwrap();
    pool.acquire().await.unwrap_err().to_string()
}

fn refused_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("postgresql://postgres:secret@127.0.0.1:{port}/test")
}

/// A listener that accepts and never answers, for the life of the runtime.
async fn silent_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    format!("postgresql://postgres:secret@{addr}/test")
}

fn report(rt: &tokio::runtime::Runtime) {
    rt.block_on(async {
        let refused = refused_url();
        let silent = silent_url().await;
        let same = Some(Duration::from_millis(500));
        println!("\n| scenario | variant | time to error | what the error says |");
        println!("|---|---|---|---|");
        for (scenario, url) in [("refused port", &refused), ("silent listener", &silent)] {
            let started = Instant::now();
            let e = ours_error(url).await;
            println!("| {scenario} | dbsettings `pool()`, connect_timeout 500 ms | {:.3} s | {e} |", started.elapsed().as_secs_f64());
            let started = Instant::now();
            let e = sqlx_error(url, same).await;
            println!("| {scenario} | sqlx `connect_lazy` + acquire, acquire_timeout 500 ms | {:.3} s | {e} |", started.elapsed().as_secs_f64());
            let started = Instant::now();
            let e = sqlx_error(url, None).await;
            println!("| {scenario} | sqlx `connect_lazy` + acquire, defaults | {:.3} s | {e} |", started.elapsed().as_secs_f64());
        }
        println!();
    });
}

fn time_to_error(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    report(&rt);
    let refused = refused_url();
    let silent = rt.block_on(silent_url());
    let same = Some(Duration::from_millis(500));

    let mut g = c.benchmark_group("refused port");
    g.bench_function("dbsettings pool()", |b| {
        b.to_async(&rt).iter(|| ours_error(&refused));
    });
    g.bench_function("sqlx connect_lazy + acquire, 500 ms", |b| {
        b.to_async(&rt).iter(|| sqlx_error(&refused, same));
    });
    g.finish();

    let mut g = c.benchmark_group("silent listener");
    g.sample_size(10);
    g.bench_function("dbsettings pool(), connect_timeout 500 ms", |b| {
        b.to_async(&rt).iter(|| ours_error(&silent));
    });
    g.bench_function("sqlx connect_lazy + acquire, acquire_timeout 500 ms", |b| {
        b.to_async(&rt).iter(|| sqlx_error(&silent, same));
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = time_to_error
}
criterion_main!(benches);
