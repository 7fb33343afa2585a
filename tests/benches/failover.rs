//! The extra connect cost of `target_session_attrs`: a connection to the
//! local PostgreSQL with sqlx alone, against the same connection followed by
//! the role check dbsettings sends (`pg_is_in_recovery()` and
//! `transaction_read_only`, in one simple-protocol round trip).
//!
//! `cargo bench -p dbsettings-tests --bench failover`

use criterion::{Criterion, criterion_group, criterion_main};
use dbsettings::sqlx::{self, Connection as _};

const URL: &str = "postgresql://postgres@127.0.0.1:5432/test?sslmode=disable";

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut g = c.benchmark_group("connect");
    g.sample_size(50);
    g.bench_function("sqlx connect", |b| {
        b.to_async(&rt).iter(|| async {
            let conn = sqlx::PgConnection::connect(URL).await.unwrap();
            conn.close().await.unwrap();
        });
    });
    g.bench_function("connect + role check", |b| {
        b.to_async(&rt).iter(|| async {
            let mut conn = sqlx::PgConnection::connect(URL).await.unwrap();
            let row = sqlx::raw_sql(
                "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            std::hint::black_box(row);
            conn.close().await.unwrap();
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
