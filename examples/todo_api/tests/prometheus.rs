//! A real exporter and a real scraper: the `todo_api` binary on the local
//! PostgreSQL serves `/metrics`, Debian's `prometheus` scrapes it every
//! second on loopback, and its HTTP API shows the pool's metrics move as
//! requests come in. `/metrics` shows no URL, user or password.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Service, answers, free_port, skip};
use reqwest::Method;
use serde_json::{Value, json};

/// The password in the URL: the local server trusts loopback, so it is
/// sent nowhere, and must show nowhere. A database of its own keeps its
/// migration history the service's alone.
const URL: &str = "postgresql://postgres:pr0m-s3cret@127.0.0.1:5432/dbsettings_todo_metrics";

/// Creates the test's database with `psql` ("already exists", from an
/// earlier run, is fine).
fn create_database() {
    let _ = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc"])
        .arg("CREATE DATABASE dbsettings_todo_metrics")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Debian's Prometheus, when installed.
fn prometheus_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("prometheus"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let debian = PathBuf::from("/usr/bin/prometheus");
        debian.is_file().then_some(debian)
    })
}

/// A Prometheus server scraping `target` every second, stopped (and its
/// data removed) when dropped.
struct Prometheus {
    child: Child,
    api: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(binary: &PathBuf, target: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: todo_api\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self {
            child,
            api: format!("http://127.0.0.1:{port}/api/v1/query"),
            _dir: dir,
        }
    }

    /// The instant vector of `query`, as Prometheus answers it (empty while
    /// it has not scraped, or is not up yet).
    async fn query(&self, query: &str) -> Vec<Value> {
        let Ok(resp) = reqwest::Client::new()
            .get(format!("{}?query={}", self.api, encode(query)))
            .send()
            .await
        else {
            return Vec::new();
        };
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The sum of `query`'s values, once Prometheus has one that `ok`
    /// accepts; fails after 30 s.
    async fn wait_for(&self, query: &str, ok: impl Fn(f64) -> bool) -> (f64, Vec<Value>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let result = self.query(query).await;
            let sum: f64 = result
                .iter()
                .filter_map(|r| r["value"][1].as_str()?.parse::<f64>().ok())
                .sum();
            if !result.is_empty() && ok(sum) {
                return (sum, result);
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus has no acceptable `{query}` after 30 s: {result:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// `text` percent-encoded for a query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"_.-".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn some_requests(service: &Service, n: usize) {
    for i in 0..n {
        let (status, _, _) = service
            .call(
                Method::POST,
                "/todos",
                Some(json!({ "title": format!("scraped {i}") })),
            )
            .await;
        assert!(status.is_success(), "{status}");
        let (status, _, _) = service.call(Method::GET, "/todos", None).await;
        assert!(status.is_success(), "{status}");
    }
}

#[tokio::test]
async fn prometheus_scrapes_the_pool_metrics_and_sees_them_move() {
    let Some(binary) = prometheus_binary() else {
        skip(
            "the Prometheus test",
            "no `prometheus` binary (Debian's package `prometheus`)",
        );
        return;
    };
    if !answers("127.0.0.1:5432") {
        skip("the Prometheus test", "nothing answers at 127.0.0.1:5432");
        return;
    }
    create_database();
    let service = Service::start(&[("DATABASE_URL", URL)]).await;
    some_requests(&service, 5).await;

    // The exporter's own page: OpenTelemetry's names, no secret.
    let page = service.get("/metrics").await;
    assert!(page.status.is_success(), "{}", page.status);
    assert!(page.header("content-type").starts_with("text/plain"));
    for name in [
        "db_client_connection_count{",
        "db_client_connection_state=\"idle\"",
        "db_client_connection_state=\"used\"",
        "db_client_connection_pool_name=\"database.primary\"",
        "db_system_name=\"postgresql\"",
        "db_client_connection_pending_requests{",
        "db_client_connection_max{",
        "db_client_connection_idle_min{",
        "db_client_connection_idle_max{",
        "db_client_connection_wait_time_seconds_bucket{",
        "db_client_connection_use_time_seconds_bucket{",
        "db_client_connection_create_time_seconds_bucket{",
    ] {
        assert!(page.body.contains(name), "no {name} in:\n{}", page.body);
    }
    for secret in ["pr0m-s3cret", "postgres:", "postgresql://", "5432/"] {
        assert!(!page.body.contains(secret), "{secret} in:\n{}", page.body);
    }

    // The scraper: Prometheus' API sees the counts and the wait-time
    // histogram, and sees the histogram grow with more requests.
    let prometheus = Prometheus::start(&binary, service.base.trim_start_matches("http://"));
    let (_, counts) = prometheus
        .wait_for("db_client_connection_count", |_| true)
        .await;
    let states: Vec<&str> = counts
        .iter()
        .filter_map(|r| r["metric"]["db_client_connection_state"].as_str())
        .collect();
    assert!(
        states.contains(&"idle") && states.contains(&"used"),
        "{counts:?}"
    );
    let (open, _) = prometheus
        .wait_for("sum(db_client_connection_count)", |v| v >= 1.0)
        .await;
    let waits = "sum(db_client_connection_wait_time_seconds_count)";
    let (before, _) = prometheus.wait_for(waits, |v| v >= 10.0).await;
    some_requests(&service, 10).await;
    let (after, _) = prometheus.wait_for(waits, |v| v >= before + 20.0).await;
    let (p99, _) = prometheus
        .wait_for(
            "histogram_quantile(0.99, sum by (le) (db_client_connection_wait_time_seconds_bucket))",
            f64::is_finite,
        )
        .await;
    println!(
        "Prometheus saw {open} open connection(s), {before} then {after} connection waits, p99 wait {p99} s"
    );
    assert!(!service.log().contains("pr0m-s3cret"), "{}", service.log());
}
