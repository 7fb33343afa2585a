//! Settings load: `from_vars` for a URL and 8 typed fields, against `envy`
//! (serde) into the same fields plus `url::Url::parse`; and the cost of
//! resolution alone for a valid, a normalised and a rejected URL.
//!
//! `cargo bench -p dbsettings-tests --bench settings_load`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dbsettings::{DatabaseSettings, DatabaseUrl};
use serde::Deserialize;

#[derive(DatabaseSettings)]
#[allow(dead_code)]
struct Ours {
    #[settings(env = "DATABASE_URL", fallback = "sqlite::memory:")]
    database_url: DatabaseUrl,
    port: u16,
    host: String,
    workers: usize,
    debug: bool,
    log_level: String,
    timeout_secs: u64,
    max_body: u32,
    name: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Theirs {
    database_url: String,
    port: u16,
    host: String,
    workers: usize,
    debug: bool,
    log_level: String,
    timeout_secs: u64,
    max_body: u32,
    name: String,
}

#[derive(DatabaseSettings)]
#[allow(dead_code)]
struct UrlOnly {
    #[settings(env = "DATABASE_URL", fallback = "sqlite::memory:")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings)]
#[allow(dead_code)]
struct UrlToFile {
    #[settings(env = "DATABASE_URL")]
    database_url: DatabaseUrl,
}

fn vars(url: &str) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", url),
        ("PORT", "7860"),
        ("HOST", "0.0.0.0"),
        ("WORKERS", "8"),
        ("DEBUG", "false"),
        ("LOG_LEVEL", "info"),
        ("TIMEOUT_SECS", "30"),
        ("MAX_BODY", "1048576"),
        ("NAME", "todo-api"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

const PG: &str = "postgresql://app:s3cret@db.internal:5432/app?sslmode=require";
const MYSQL: &str = "mysql://app:s3cret@db.internal:3306/app";

fn settings_load(c: &mut Criterion) {
    let mut g = c.benchmark_group("settings_load");
    for (name, url) in [("postgres", PG), ("mysql", MYSQL)] {
        let v = vars(url);
        g.bench_function(format!("dbsettings from_vars, {name} URL"), |b| {
            b.iter(|| Ours::from_vars(black_box(v.clone())).unwrap());
        });
        g.bench_function(format!("envy + url::Url::parse, {name} URL"), |b| {
            b.iter(|| {
                let t: Theirs = envy::from_iter(black_box(v.clone())).unwrap();
                url::Url::parse(&t.database_url).unwrap()
            });
        });
    }
    g.finish();
}

fn resolution(c: &mut Criterion) {
    let mut g = c.benchmark_group("resolution");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    for (name, url) in [
        ("valid postgres", PG),
        ("valid mysql", MYSQL),
        ("valid sqlite file", "sqlite://data/app.db"),
        (
            "needs 4 normalisations",
            " \"POSTGRESQL+asyncpg://app:s3cret@db.internal:5432/app\"\n",
        ),
        (
            "rejected (unencoded #)",
            "postgresql://app:s3#cret@db.internal:5432/app",
        ),
        ("missing", ""),
    ] {
        let v = [("DATABASE_URL", url)];
        g.bench_function(format!("{name}, memory fallback"), |b| {
            b.iter(|| UrlOnly::from_vars(black_box(v)).unwrap());
        });
    }
    let v = [
        ("DATABASE_URL", "postgresql://app:s3#cret@db/app"),
        ("DBSETTINGS_DATA_DIR", data.as_str()),
    ];
    g.bench_function("rejected, file fallback with a test write", |b| {
        b.iter(|| UrlToFile::from_vars(black_box(v)).unwrap());
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = settings_load, resolution
}
criterion_main!(benches);
