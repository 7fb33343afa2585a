//! `GET /metrics`: the pool's metrics in Prometheus' text format, through
//! the `metrics` facade that dbsettings records into (its `metrics`
//! feature), by OpenTelemetry's names as Prometheus renders them:
//! `db_client_connection_count{db_client_connection_state="idle"}`,
//! `db_client_connection_wait_time_seconds_bucket`, ... Labels name the
//! pool and the database system, never a URL or a user.

use std::sync::OnceLock;
use std::time::Duration;

use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Histogram buckets for the connection timings, in seconds: from half a
/// millisecond (an idle connection handed out) to 10 s (an acquire
/// timeout).
const BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the Prometheus recorder, before the pool is built (the pool
/// registers its metrics with the recorder in place then). Histograms
/// ending in `time` are true Prometheus histograms.
pub(crate) fn install() {
    let built = PrometheusBuilder::new()
        .with_recommended_naming(true)
        .set_buckets_for_metric(Matcher::Suffix("time".to_owned()), BUCKETS)
        .and_then(PrometheusBuilder::install_recorder);
    match built {
        Ok(handle) => {
            let _ = HANDLE.set(handle);
        }
        Err(e) => tracing::warn!("metrics are off: {e}"),
    }
}

/// Keeps the recorder's histograms drained; runs for the life of the
/// server.
pub(crate) async fn upkeep() {
    let Some(handle) = HANDLE.get() else { return };
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        handle.run_upkeep();
    }
}

/// `GET /metrics`.
pub(crate) async fn render() -> impl IntoResponse {
    let body = HANDLE
        .get()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
