//! A todo web service on `dbsettings` and axum: the shape of a backend that
//! runs locally against PostgreSQL and on Hugging Face Spaces with whatever
//! `DATABASE_URL` it was given, or none.
//!
//! - `GET /`: the front page, what a Space shows: which database and why,
//!   whether the data is kept, and the todo list, newest first, a page at a
//!   time, with plain HTML forms (`POST /`, `POST /todos/{id}/done`,
//!   `POST /todos/{id}/delete`, each answering with a redirect back to the
//!   page); see `src/page.rs`.
//! - `POST /owner`, `POST /owner/forget`: the owner form, which sets (or
//!   clears) the cookie that carries the status token.
//! - `GET /livez`: liveness; never touches the database.
//! - `GET /readyz`: readiness, dbsettings' health report (state, ping
//!   latency, pool connections, credentials generation); 503 while down.
//! - `GET /health`: which database, whether it is the fallback and why; 503
//!   while the database is unreachable.
//! - `POST /todos`, `GET /todos`, `GET /todos/{id}`, `PATCH /todos/{id}`,
//!   `DELETE /todos/{id}`: JSON in and out; 422 for invalid input, 404 for a
//!   missing row, 503 with `Retry-After` while the database is unavailable.
//! - `GET /metrics`: the pool's metrics in Prometheus' format (see
//!   `src/metrics.rs`).
//!
//! A visitor sees whether the database works and why in a few words; its
//! details (host, database, paths, what the server said) are the owner's,
//! who presents `STATUS_TOKEN`. Cross-site writes are refused, bodies are
//! small, anonymous writes are rate-limited: see `src/access.rs`.

mod access;
mod api;
mod metrics;
mod page;
mod store;
mod visitor;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use dbsettings::{DatabaseSettings, DatabaseUrl};

pub use access::{
    BODY_LIMIT, DetailsError, StatusDetails, StatusToken, TokenError, WRITE_BURST, WRITE_PERIOD,
};
pub use api::{AppState, router};
pub use page::PAGE_SIZE;

/// The service's settings, all from the environment.
#[derive(DatabaseSettings, Debug)]
pub struct Settings {
    /// The database. Without a usable `DATABASE_URL`: SQLite in
    /// `./data/app.db`, or `/data/app.db` on a Space with persistent storage.
    #[settings(
        env = "DATABASE_URL",
        alias = "POSTGRES_URL",
        connect_timeout = "3s",
        acquire_timeout = "3s",
        migrations = "migrations"
    )]
    pub database_url: DatabaseUrl,
    /// The HTTP port; Hugging Face Spaces routes to 7860.
    #[settings(default = 7860)]
    pub port: u16,
    /// The address to listen on; `0.0.0.0` inside a container.
    #[settings(env = "BIND_ADDRESS", default = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub bind_address: IpAddr,
    /// After SIGTERM, how long requests in flight may take before they are
    /// cut (their connections closed) and the process exits: under the 30 s
    /// after which Kubernetes sends SIGKILL, so the pool is closed and the
    /// exit code is 0 even while requests wait on a lock.
    #[settings(env = "SHUTDOWN_GRACE_SECS", default = 10)]
    pub shutdown_grace_secs: u64,
    /// The owner's token (set it as a Space secret): requests that carry it,
    /// as `Authorization: Bearer <token>` or through the page's owner form
    /// (a cookie), see the database's details (host, database, file paths,
    /// what the server said) and are not rate-limited. 16 to 512 letters,
    /// digits or `-._~+/=`: `openssl rand -hex 32`. Unset: nobody sees the
    /// details; visitors always see whether the database works, and why
    /// in a few words.
    pub status_token: Option<StatusToken>,
    /// Who sees the database's details: `owner` (whoever presents
    /// `STATUS_TOKEN`) or `everyone` (local development only: never on a
    /// public Space).
    #[settings(default = StatusDetails::Owner)]
    pub status_details: StatusDetails,
}

/// Serves until `shutdown` completes, then lets in-flight requests finish
/// for at most `shutdown_grace_secs` (those still waiting then, on a lock
/// held elsewhere or a server that stopped answering, have their
/// connections closed), and closes the pool within a second more.
pub async fn serve(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = SocketAddr::new(settings.bind_address, settings.port);
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    let db = settings.database();
    let state = AppState::new(&settings);
    state.access.log_policy();

    // Build the pool (and run migrations) now rather than on the first
    // request; a failure is logged and the next request tries again.
    let warm = db.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.pool().await {
            tracing::warn!("database not available yet: {e}");
        }
    });

    tokio::spawn(metrics::upkeep());

    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    // The signal, seen by the server (stop accepting, drain) and by the
    // deadline after it.
    let (signalled, mut seen) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = signalled.send(true);
    });
    let mut drained = seen.clone();
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
        let _ = drained.wait_for(|s| *s).await;
    });
    let deadline = async move {
        let _ = seen.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result?,
        () = deadline => tracing::warn!(
            "requests still in flight {grace:?} after the shutdown signal: their connections are closed"
        ),
    }
    // `close` waits for connections in use: those of requests cut above
    // come back only as the runtime drops their tasks.
    if tokio::time::timeout(Duration::from_secs(1), db.close())
        .await
        .is_err()
    {
        tracing::warn!("the pool was closed with connections still in use");
    }
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Completes on SIGTERM (what container runtimes send) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}

/// The binary: logs, settings, serve.
#[must_use]
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    // Before the pool is built: it registers its metrics then.
    metrics::install();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(2);
        }
    };
    tracing::info!(
        "database: {} ({})",
        settings.database_url,
        settings.database_url.resolution()
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(settings, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}
