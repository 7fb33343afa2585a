//! Helpers shared by the todo service's tests: the skip rule, and the real
//! `todo_api` binary started as a child process on a free loopback port, in
//! an empty working directory with an empty environment (only `PATH`, the
//! port, [`TOKEN`] as its `STATUS_TOKEN`, and what a test sets).
#![allow(dead_code, unreachable_pub)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

/// The `STATUS_TOKEN` every service is started with, unless a test sets
/// its own (empty: none).
pub const TOKEN: &str = "test-status-token-0123456789";

/// `DBSETTINGS_TEST_STRICT` turns a skipped server test into a failure.
/// The notice is written to the process's stderr handle, which the test
/// harness does not capture, so a plain `cargo test` shows it.
pub fn skip(what: &str, why: &str) {
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn answers(addr: &str) -> bool {
    std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2)).is_ok()
}

/// A running service, its working directory and everything it printed.
pub struct Service {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
    client: reqwest::Client,
}

impl Service {
    pub async fn start(env: &[(&str, &str)]) -> Self {
        Self::start_as(env, None).await
    }

    /// Starts the binary, as `uid` (through `setpriv`) when given, in a
    /// fresh working directory that user owns.
    pub async fn start_as(env: &[(&str, &str)], uid: Option<u32>) -> Self {
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
            .env("STATUS_TOKEN", TOKEN)
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
            // Redirects are not followed: the page's forms answer with them.
            // A request that hangs fails the test, which kills the service.
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_mins(1))
                .build()
                .unwrap(),
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

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// A request to `path`, to add headers to; send it with [`Answer::to`].
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// A JSON call, as a visitor: status, body, `Retry-After`.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
        self.call_with(self.request(method, path), body).await
    }

    /// The same as the owner, with `Authorization: Bearer` [`TOKEN`].
    pub async fn owner_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
        self.call_with(self.request(method, path).bearer_auth(TOKEN), body)
            .await
    }

    async fn call_with(
        &self,
        mut req: reqwest::RequestBuilder,
        body: Option<Value>,
    ) -> (StatusCode, Value, String) {
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

    /// `GET path`, as a browser asks for a page.
    pub async fn get(&self, path: &str) -> Answer {
        Answer::of(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `GET path` as the owner.
    pub async fn owner_get(&self, path: &str) -> Answer {
        Answer::to(self.request(reqwest::Method::GET, path).bearer_auth(TOKEN)).await
    }

    /// `POST path` with an HTML form's `fields`.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        Answer::of(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// SIGTERM, then the exit status and how long it took.
    pub fn terminate(&mut self) -> (ExitStatus, Duration) {
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

/// An answer to a page request: status, headers and body as text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    /// Sends `request`, and reads its answer.
    pub async fn to(request: reqwest::RequestBuilder) -> Self {
        Self::of(request.send().await.unwrap()).await
    }

    async fn of(response: reqwest::Response) -> Self {
        Self {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    /// A header's value, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }
}
