//! The real `todo_api` binary, started as a child process on a free loopback
//! port, in an empty working directory with an empty environment (only
//! `PATH`, the port and what a test sets), and driven over HTTP: fallback,
//! PostgreSQL, MariaDB, a dead primary, a garbage URL with a password, and
//! SIGTERM. The binary carries its migrations: no source tree is needed.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

/// `DBSETTINGS_TEST_STRICT` turns a skipped server test into a failure.
/// The notice is written to the process's stderr handle, which the test
/// harness does not capture, so a plain `cargo test` shows it.
fn skip(what: &str, why: &str) {
    use std::io::Write as _;
    assert!(
        std::env::var_os("DBSETTINGS_TEST_STRICT").is_none(),
        "{what} cannot run: {why} (and DBSETTINGS_TEST_STRICT forbids skipping)"
    );
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** SKIPPED: {what}: {why} ***\n"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answers(addr: &str) -> bool {
    std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2)).is_ok()
}

/// A running service, its working directory and everything it printed.
struct Service {
    child: Child,
    base: String,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
    client: reqwest::Client,
}

impl Service {
    async fn start(env: &[(&str, &str)]) -> Self {
        Self::start_as(env, None).await
    }

    /// Starts the binary, as `uid` (through `setpriv`) when given, in a
    /// fresh working directory that user owns.
    async fn start_as(env: &[(&str, &str)], uid: Option<u32>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut binary = PathBuf::from(env!("CARGO_BIN_EXE_todo_api"));
        let mut command = match uid {
            None => Command::new(&binary),
            Some(uid) => {
                // As in the image: the binary alone is copied in (it carries
                // its migrations), so the other user needs no access to the
                // build tree.
                let copied = dir.path().join("todo_api");
                std::fs::copy(&binary, &copied).unwrap();
                binary = copied;
                let owned = Command::new("chown")
                    .args([
                        "-R".to_owned(),
                        format!("{uid}:{uid}"),
                        dir.path().display().to_string(),
                    ])
                    .status()
                    .unwrap();
                assert!(owned.success());
                let mut c = Command::new("setpriv");
                c.args([
                    format!("--reuid={uid}"),
                    format!("--regid={uid}"),
                    "--clear-groups".to_owned(),
                    binary.display().to_string(),
                ]);
                c
            }
        };
        let mut child = command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PORT", port.to_string())
            .env("BIND_ADDRESS", "127.0.0.1")
            .envs(env.iter().copied())
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        for mut pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    log.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let service = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
            client: reqwest::Client::new(),
        };
        service.wait_until_serving().await;
        service
    }

    async fn wait_until_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self
                .client
                .get(format!("{}/health", self.base))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the service did not start:\n{}", self.log());
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, value, retry)
    }

    /// SIGTERM, then the exit status and how long it took.
    fn terminate(&mut self) -> (ExitStatus, Duration) {
        let started = Instant::now();
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

use reqwest::Method as M;

/// Create, list, get, update, delete, and the 404 and 422 answers; returns
/// every body seen, for leak checks.
async fn crud_round_trip(s: &Service) -> String {
    let mut seen = String::new();
    let (st, created, _) = s
        .call(M::POST, "/todos", Some(json!({"title": "  buy milk  "})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}\n{}", s.log());
    assert_eq!(created["title"], "buy milk");
    assert_eq!(created["done"], false);
    let id = created["id"].as_i64().unwrap();
    seen += &created.to_string();

    let (st, list, _) = s.call(M::GET, "/todos", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        list.as_array().unwrap().iter().any(|t| t["id"] == id),
        "{list}"
    );
    seen += &list.to_string();

    let (st, one, _) = s.call(M::GET, &format!("/todos/{id}"), None).await;
    assert_eq!(
        (st, one["title"].as_str()),
        (StatusCode::OK, Some("buy milk"))
    );

    let (st, updated, _) = s
        .call(
            M::PATCH,
            &format!("/todos/{id}"),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{updated}");
    assert_eq!(
        (updated["done"].as_bool(), updated["title"].as_str()),
        (Some(true), Some("buy milk"))
    );

    for (body, what) in [
        (json!({"title": "   "}), "empty title"),
        (json!({"title": "x".repeat(201)}), "long title"),
        (json!({"done": true}), "missing title"),
        (json!({"title": 5}), "wrong type"),
    ] {
        let (st, err, _) = s.call(M::POST, "/todos", Some(body)).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {err}");
        assert!(err["error"].is_string(), "{what}: {err}");
        seen += &err.to_string();
    }
    let (st, err, _) = s
        .call(
            M::PATCH,
            &format!("/todos/{id}"),
            Some(json!({"colour": "red"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");

    let (st, _, _) = s.call(M::DELETE, &format!("/todos/{id}"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    for (method, path) in [
        (M::GET, format!("/todos/{id}")),
        (M::DELETE, format!("/todos/{id}")),
        (M::GET, "/todos/not-a-number".to_owned()),
        (M::GET, "/nowhere".to_owned()),
    ] {
        let (st, err, _) = s.call(method, &path, None).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {err}");
        seen += &err.to_string();
    }
    seen
}

#[tokio::test]
async fn a_no_database_url_falls_back_to_sqlite_with_full_crud() {
    let s = Service::start(&[]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}\n{}", s.log());
    assert_eq!(health["backend"], "sqlite");
    assert_eq!(health["fallback"], true);
    assert_eq!(health["reason"], "`DATABASE_URL` is not set");
    assert!(
        health["location"]
            .as_str()
            .unwrap()
            .ends_with("data/app.db"),
        "{health}"
    );
    let (st, ready, _) = s.call(M::GET, "/readyz", None).await;
    assert_eq!(st, StatusCode::OK, "{ready}");
    assert_eq!(ready["state"]["state"], "up", "{ready}");
    assert_eq!(ready["fallback"], true, "{ready}");
    assert!(ready["ping_ms"].as_f64().is_some(), "{ready}");
    crud_round_trip(&s).await;
    assert!(s.log().contains("falling back to SQLite"), "{}", s.log());
    assert!(
        s.log().contains("finished processing request"),
        "request logs: {}",
        s.log()
    );
}

/// A database of its own, so its migration history is the service's alone.
/// "Already exists", from a concurrent or earlier run, is fine.
async fn create_database(admin_url: &str, statement: &'static str) {
    use dbsettings::{DatabaseSettings as _, on_pool, sqlx};
    let admin = NoMigrations::from_vars([("DATABASE_URL", admin_url)]).unwrap();
    let pool = admin.database().pool().await.unwrap();
    // Not `sql!`: DDL that differs per server, run on the one it names.
    let _ = on_pool!(pool, p => sqlx::query(statement).execute(p).await.map(drop));
}

#[derive(dbsettings::DatabaseSettings)]
struct NoMigrations {
    database_url: dbsettings::DatabaseUrl,
}

#[tokio::test]
async fn b_postgres_round_trip() {
    if !answers("127.0.0.1:5432") {
        skip(
            "the PostgreSQL service test",
            "nothing answers at 127.0.0.1:5432",
        );
        return;
    }
    let url = "postgresql://postgres@127.0.0.1:5432/dbsettings_todo";
    create_database(
        "postgresql://postgres@127.0.0.1:5432/test",
        "CREATE DATABASE dbsettings_todo",
    )
    .await;
    let s = Service::start(&[("DATABASE_URL", url)]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}\n{}", s.log());
    assert_eq!(
        (health["backend"].as_str(), health["fallback"].as_bool()),
        (Some("postgres"), Some(false))
    );
    assert_eq!(health["reason"], Value::Null);
    crud_round_trip(&s).await;
}

#[tokio::test]
async fn b_mariadb_round_trip() {
    if !answers("127.0.0.1:3306") {
        skip(
            "the MariaDB service test",
            "nothing answers at 127.0.0.1:3306",
        );
        return;
    }
    let url = "mysql://root@127.0.0.1:3306/dbsettings_todo";
    create_database(
        "mysql://root@127.0.0.1:3306/test",
        "CREATE DATABASE IF NOT EXISTS dbsettings_todo",
    )
    .await;
    let s = Service::start(&[("DATABASE_URL", url)]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}\n{}", s.log());
    assert_eq!(health["backend"], "mysql");
    crud_round_trip(&s).await;
}

#[tokio::test]
async fn c_a_refused_primary_still_starts_and_answers_503() {
    let port = free_port();
    let url = format!("postgresql://postgres:Refused-Pw-551@127.0.0.1:{port}/app");
    let s = Service::start(&[("DATABASE_URL", &url)]).await;
    let (st, health, retry) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert_eq!(retry, "5");
    // Liveness never looks at the database; readiness does.
    let (st, live, _) = s.call(M::GET, "/livez", None).await;
    assert_eq!(st, StatusCode::OK, "{live}");
    let (st, ready, retry) = s.call(M::GET, "/readyz", None).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(retry, "5");
    assert_eq!(ready["state"]["state"], "down", "{ready}");
    assert_eq!(ready["state"]["kind"], "refused", "{ready}");
    assert!(!ready.to_string().contains("Refused-Pw-551"), "{ready}");
    assert_eq!(health["status"], "unavailable");
    assert!(
        health["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{health}"
    );
    for (method, path, body) in [
        (M::GET, "/todos", None),
        (M::POST, "/todos", Some(json!({"title": "x"}))),
        (M::GET, "/todos/1", None),
        (M::DELETE, "/todos/1", None),
    ] {
        let (st, err, retry) = s.call(method, path, body).await;
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{path}: {err}");
        assert_eq!(retry, "5");
        assert_eq!(err["error"], "database unavailable");
        assert!(!err.to_string().contains("Refused-Pw-551"));
    }
    let log = s.log();
    assert!(!log.contains("panicked"), "{log}");
    assert!(!log.contains("Refused-Pw-551"), "{log}");
}

#[tokio::test]
async fn d_a_garbage_url_with_a_password_starts_on_the_fallback_and_never_shows_it() {
    let secret = "Sup3r-Secret-Pw";
    let url = format!("\"postgresql://admin:{secret}@db.internal:5432/app # production\"");
    let s = Service::start(&[("DATABASE_URL", &url)]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}");
    assert_eq!(health["fallback"], true);
    assert!(
        health["reason"].as_str().unwrap().contains("white space"),
        "{health}"
    );
    let bodies = crud_round_trip(&s).await;
    let everything = format!("{health}\n{bodies}\n{}", s.log());
    assert!(!everything.contains(secret), "{everything}");
    assert!(!everything.contains("Sup3r"), "{everything}");
}

#[tokio::test]
async fn e_sigterm_exits_cleanly_within_a_second() {
    let mut s = Service::start(&[]).await;
    let (st, _, _) = s
        .call(M::POST, "/todos", Some(json!({"title": "before shutdown"})))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (status, took) = s.terminate();
    assert!(status.success(), "exit status {status}\n{}", s.log());
    assert!(took < Duration::from_secs(1), "took {took:?} to exit");
    assert!(s.log().contains("shut down cleanly"), "{}", s.log());
    eprintln!("SIGTERM to exit: {took:?}");
}

/// What the Dockerfile sets up, without a Docker engine: the binary as uid
/// 1000 in a working directory that user owns, `/data` absent, so the
/// fallback must land in `./data`.
#[tokio::test]
async fn f_runs_as_the_container_user() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        skip("running as uid 1000", "switching users needs root");
        return;
    }
    let s = Service::start_as(&[], Some(1000)).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}\n{}", s.log());
    let location = health["location"].as_str().unwrap();
    assert!(
        location.ends_with("/data/app.db") && !location.starts_with("/data/"),
        "{health}"
    );
    crud_round_trip(&s).await;
    let meta = std::fs::metadata(location).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta),
        1000,
        "the database belongs to the container user"
    );
}
