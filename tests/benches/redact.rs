//! `db.redact()` stays flat while a credential provider turns: one
//! `redact()` of a server message on a fresh handle, against the same after
//! a minute of a provider answering a new 1.5 KB token every 100 ms (600
//! answers, asked for at once here rather than waited for). The secrets kept
//! are the URL's and the last few answers' (see `seams.rs`), so both should
//! cost the same; before the bound, 200 answers took one `redact()` from
//! 7.5 µs to 95 µs, and it kept growing.
//!
//! Needs the local PostgreSQL (trust: any password logs in).
//!
//! `cargo bench -p dbsettings-tests --bench redact`

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use dbsettings::credentials::Credential;
use dbsettings::{Database, DatabaseSettings, DatabaseUrl};

const PG_URL: &str = "postgresql://postgres:Pw-9-secret@127.0.0.1:5432/test";
const TURNS: usize = 600;

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL")]
    database_url: DatabaseUrl,
}

fn message() -> String {
    format!(
        "PostgreSQL at postgresql://****@127.0.0.1:5432/test: password authentication failed for user \"postgres\" (token-0007-{})",
        "x".repeat(1500)
    )
}

async fn turned(db: &Database, turns: usize) {
    let asked = Arc::new(AtomicUsize::new(0));
    db.set_credentials_provider({
        let asked = Arc::clone(&asked);
        move || {
            let n = asked.fetch_add(1, Ordering::Relaxed);
            async move {
                Ok(Credential::new(
                    format!("token-{n:04}-{}", "x".repeat(1500)),
                    Some(Duration::from_millis(100)),
                ))
            }
        }
    });
    db.pool().await.unwrap();
    for _ in 0..turns {
        let before = db.credentials_generation();
        db.recheck_credentials();
        let started = Instant::now();
        while db.credentials_generation() == before && started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let available = rt.block_on(async {
        tokio::net::TcpStream::connect("127.0.0.1:5432")
            .await
            .is_ok()
    });
    if !available {
        eprintln!("SKIPPED: the redact bench needs PostgreSQL on 127.0.0.1:5432");
        return;
    }
    let settings = || Settings::from_vars([("DATABASE_URL", PG_URL)]).unwrap();
    let fresh = settings().database();
    rt.block_on(turned(&fresh, 1));
    let old = settings().database();
    rt.block_on(turned(&old, TURNS));
    let said = message();
    let mut group = c.benchmark_group("redact");
    group.bench_function("after 1 provider answer", |b| {
        b.iter(|| black_box(fresh.redact(black_box(&said))));
    });
    group.bench_function("after 600 answers (a minute at 100 ms)", |b| {
        b.iter(|| black_box(old.redact(black_box(&said))));
    });
    group.finish();
    rt.block_on(async {
        fresh.close().await;
        old.close().await;
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
