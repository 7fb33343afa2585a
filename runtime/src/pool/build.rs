//! The first build of a [`Database`]'s pool: one at a time (concurrent
//! first callers share it), retried while the server is starting up when a
//! startup wait is set, with migrations, and the switch to the SQLite
//! fallback when `on_unreachable = "fallback"` asks for it.

use core::time::Duration;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;

use crate::Pool;
use crate::pool::connect::{self, Hosts};
use crate::pool::connector::{Shape, Why};
use crate::pool::database::Database;
use crate::pool::error::DatabaseError;
use crate::pool::watch::{Role, Watch};
use crate::resolution::DatabaseErrorKind;

impl Database {
    /// The first build, on a task of its own: a caller that stops waiting
    /// (a request cut, a health check's bound) does not cut the build in
    /// the middle (a migration, the migration lock held), and the next
    /// caller finds it running or done.
    pub(super) async fn build_slow(&self) -> Result<Pool, DatabaseError> {
        let c = self.connector();
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(DatabaseError::no_runtime(c.backend, &c.redacted));
        }
        let this = self.clone();
        // The caller's subscriber and span go with it: its logs are the
        // caller's, as if it ran inline (a scoped subscriber sees them).
        let build = async move { this.build_once().await }
            .instrument(tracing::Span::current())
            .with_current_subscriber();
        match tokio::spawn(build).await {
            Ok(outcome) => outcome,
            Err(e) => Err(DatabaseError::options(
                c.backend,
                &c.redacted,
                format!("the pool's build task ended: {e}"),
            )),
        }
    }

    async fn build_once(&self) -> Result<Pool, DatabaseError> {
        let inner = &*self.inner;
        let c = self.connector();
        // Rotations are followed from the first call on, whether this build
        // succeeds or not: a secret fixed after a failed start is used.
        c.watch();
        let seen = inner.failures.load(Ordering::Acquire);
        let mut last_error = inner.build.lock().await;
        if let Some(pool) = inner.pool.get() {
            return Ok(pool.clone());
        }
        if inner.failures.load(Ordering::Acquire) != seen
            && let Some(e) = last_error.as_ref()
        {
            // A build finished while this caller waited: share its result.
            return Err(e.clone());
        }
        inner.builds.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        match self.build_primary().await {
            Ok(pool) => {
                tracing::info!(
                    target: "dbsettings",
                    backend = pool.backend().name(),
                    url = %c.redacted,
                    elapsed_ms = millis(started),
                    "database pool ready in {:?}",
                    started.elapsed()
                );
                *last_error = None;
                let pool = inner.pool.get_or_init(|| pool).clone();
                self.follow_failover();
                Ok(pool)
            }
            Err(error) => {
                tracing::error!(
                    target: "dbsettings",
                    kind = ?error.kind(),
                    elapsed_ms = millis(started),
                    "database connect failed: {error}"
                );
                #[cfg(feature = "sqlite")]
                if error.kind().is_unreachable()
                    && let Some(choice) = &c.runtime.unreachable_fallback
                {
                    match self.build_fallback(choice, &error).await {
                        Ok(pool) => {
                            *last_error = None;
                            return Ok(inner.pool.get_or_init(|| pool).clone());
                        }
                        Err(e) => tracing::error!(
                            target: "dbsettings",
                            "the SQLite fallback failed too: {e}"
                        ),
                    }
                }
                *last_error = Some(error.clone());
                inner.failures.fetch_add(1, Ordering::Release);
                Err(error)
            }
        }
    }

    /// Builds the primary's pool. With a startup wait, transient failures
    /// (refused, reset, starting up, too many connections) are retried with
    /// capped exponential backoff and jitter until the deadline; the last
    /// attempt starts before it, so the wait never exceeds it by more than
    /// one connect timeout. Anything else returns at once.
    async fn build_primary(&self) -> Result<Pool, DatabaseError> {
        let wait = self.connector().runtime.pool.startup_wait;
        let deadline = wait.map(|w| Instant::now() + w);
        let mut delay = Duration::from_millis(100);
        loop {
            let error = match self.connect_primary().await {
                Ok(pool) => return Ok(pool),
                Err(e) => e,
            };
            let now = Instant::now();
            let Some(deadline) = deadline.filter(|d| error.kind().is_transient() && now < *d)
            else {
                return Err(error);
            };
            let pause = jittered(delay).min(deadline - now);
            tracing::warn!(
                target: "dbsettings",
                kind = error.kind().name(),
                "the database is not up yet ({error}); trying again in {pause:?}"
            );
            tokio::time::sleep(pause).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// One attempt: the connector's options, the bounded probe, the pool
    /// (attached to the connector, so it follows rotations), the
    /// migrations. A refusal of the credentials makes the connector look
    /// at them again (re-read the file, ask the provider); when they
    /// changed, the attempt is made once more with the new ones.
    async fn connect_primary(&self) -> Result<Pool, DatabaseError> {
        let c = self.connector();
        let mut again = true;
        loop {
            // The generation these options are of: a change since (by the
            // file's watch, another caller) counts as new credentials.
            let seen = c.generation();
            let options = c.options().await?;
            let secrets = c.secrets();
            let target = c.target(&secrets);
            let hosts = Hosts {
                targets: &c.runtime.targets,
                failover: &c.failover,
            };
            let watch = Watch::new(Role::Primary, &c.runtime.var, &options, &c.runtime.pool);
            let built = connect::build(&options, &c.runtime.pool, &target, &hosts, &watch);
            let pool = match built.await {
                Ok(pool) => pool,
                Err(e) if e.kind() == DatabaseErrorKind::Auth && again => {
                    again = false;
                    if c.refresh_since(seen, Why::AuthFailed).await {
                        continue;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            c.attach(&pool, Shape::Primary, &watch);
            if let Some(migrations) = &c.runtime.pool.migrations {
                let count = crate::pool::migrate::run(
                    &pool,
                    migrations,
                    (c, c.plan(Role::Primary)),
                    &target,
                )
                .await?;
                tracing::info!(target: "dbsettings", migrations = count, "migrations up to date");
            }
            return Ok(pool);
        }
    }
}

/// Milliseconds since `started`, for the log.
fn millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// `delay` give or take a quarter, so that many services restarted together
/// do not retry in step.
fn jittered(delay: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let quarter = delay / 4;
    let spread = u32::try_from(quarter.as_micros().max(1)).unwrap_or(u32::MAX);
    delay.saturating_sub(quarter) + Duration::from_micros(u64::from(nanos % (spread * 2)))
}
