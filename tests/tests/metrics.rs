//! The pool metrics with a recorder installed (Prometheus' exporter, as
//! an application would): OpenTelemetry's names and labels, waits, uses,
//! creations, timeouts and slow holders counted, and nothing secret.
//! One test: the recorder is global to this binary.

mod common;

use std::time::Duration;

use common::servers::{self, POSTGRES};
use dbsettings::{DatabaseSettings, DatabaseUrl, on_pool, query, sql};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(
        env = "DATABASE_URL",
        max_connections = 2,
        min_connections = 1,
        acquire_timeout = "300ms",
        leak_threshold = "200ms"
    )]
    database_url: DatabaseUrl,
}

/// The value of the first rendered line that starts with `name` and
/// holds every one of `labels`.
fn value(rendered: &str, name: &str, labels: &[&str]) -> u64 {
    rendered
        .lines()
        .find(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{rendered}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_records_by_opentelemetry_names() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_recommended_naming(true)
        .install_recorder()
        .unwrap();
    let url = "postgresql://postgres:m3tr1c-pw@127.0.0.1:5432/test?sslmode=disable";
    let settings = Settings::from_vars([("DATABASE_URL", url)]).unwrap();
    let pool = settings.database().pool().await.unwrap();
    for _ in 0..5 {
        on_pool!(pool, p => query(sql!("SELECT 1")).execute(p).await.map(drop).unwrap());
    }
    // Both connections held: a third request waits, then times out; the
    // two are held past the leak threshold.
    on_pool!(pool, p => {
        let a = p.acquire().await.unwrap();
        let b = p.acquire().await.unwrap();
        let third = p.acquire().await;
        assert!(matches!(third, Err(dbsettings::sqlx::Error::PoolTimedOut)), "{third:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop((a, b));
    });
    tokio::time::sleep(Duration::from_millis(1200)).await;
    check(&handle.render());
    settings.database().close().await;
}

/// What the run above must have recorded.
fn check(rendered: &str) {
    let pool_labels = [
        "db_client_connection_pool_name=\"database.primary\"",
        "db_system_name=\"postgresql\"",
    ];
    let with = |extra: &'static str| {
        let mut l = pool_labels.to_vec();
        l.push(extra);
        l
    };
    assert_eq!(value(rendered, "db_client_connection_max", &pool_labels), 2);
    assert_eq!(
        value(rendered, "db_client_connection_idle_min", &pool_labels),
        1
    );
    assert_eq!(
        value(rendered, "db_client_connection_idle_max", &pool_labels),
        2
    );
    assert_eq!(
        value(
            rendered,
            "db_client_connection_timeouts_total",
            &pool_labels
        ),
        1
    );
    assert_eq!(
        value(
            rendered,
            "db_client_connection_pending_requests",
            &pool_labels
        ),
        0
    );
    // 5 statements and 3 acquires, the timed-out one included.
    assert_eq!(
        value(
            rendered,
            "db_client_connection_wait_time_seconds_count",
            &pool_labels
        ),
        8
    );
    assert_eq!(
        value(
            rendered,
            "db_client_connection_use_time_seconds_count",
            &pool_labels
        ),
        7
    );
    assert!(
        value(
            rendered,
            "db_client_connection_create_time_seconds_count",
            &pool_labels
        ) >= 1
    );
    assert_eq!(
        value(
            rendered,
            "dbsettings_connection_slow_holds_total",
            &pool_labels
        ),
        2
    );
    // Sampled every second: both back and idle, none used.
    let idle = value(
        rendered,
        "db_client_connection_count",
        &with("db_client_connection_state=\"idle\""),
    );
    let used = value(
        rendered,
        "db_client_connection_count",
        &with("db_client_connection_state=\"used\""),
    );
    assert_eq!((idle, used), (2, 0), "{rendered}");
    for secret in ["m3tr1c-pw", "postgres:", "postgresql://"] {
        assert!(!rendered.contains(secret), "{secret} in:\n{rendered}");
    }
}
