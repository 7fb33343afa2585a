//! `Database`: the lazy pool handle. Creating one never connects; the first
//! `pool()` builds the pool (one build shared by concurrent first callers),
//! later calls are an atomic load.

use core::future::Future;
use core::time::Duration;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, Weak};
use std::time::Instant;

use crate::pool::connect::{self, Target};
use crate::pool::credentials::{self, Credential, Provider, ProviderError};
use crate::pool::error::{DatabaseError, DatabaseErrorKind};
use crate::pool::failover::Failover;
use crate::pool::health::{Health, HealthState, PoolStats};
use crate::pool::{Runtime, SecretFile};
use crate::url::ConnectOptions;
use crate::url::redact::Secrets;
use crate::url::resolution::Resolution;
use crate::{Backend, DatabaseUrl, Pool};

/// A cheap, cloneable handle to a lazily built pool.
///
/// `settings.database()` returns the same handle every time, so calling it
/// per request never builds a second pool. It is `Send + Sync + 'static`, so
/// it can live in axum state and be used from spawned tasks.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use dbsettings::{DatabaseSettings, DatabaseUrl, Pool};
///
/// #[derive(DatabaseSettings)]
/// struct Settings {
///     #[settings(fallback = "sqlite::memory:")]
///     database_url: DatabaseUrl,
/// }
///
/// let settings = Settings::from_vars([("DATABASE_URL", "")])?;
/// let db = settings.database(); // never connects
/// match db.pool().await? {
///     Pool::Sqlite(pool) => {
///         let one: i64 = dbsettings::sqlx::query_scalar("SELECT 1").fetch_one(&pool).await?;
///         assert_eq!(one, 1);
///     }
///     other => unreachable!("{:?}", other.backend()),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    redacted: String,
    /// What driver messages are scrubbed of: grows with each rotation, so a
    /// retired password stays hidden too.
    secrets: RwLock<Secrets>,
    backend: Backend,
    /// The connect options new connections use: the resolved ones, then
    /// each rotation's.
    options: Mutex<Option<ConnectOptions>>,
    /// The provider's current password and when to ask again.
    provided: Mutex<Option<(String, Option<Instant>)>>,
    provider: OnceLock<Provider>,
    /// How many times the credentials changed.
    generation: AtomicU64,
    /// Wakes the credentials task at once (an authentication failure).
    recheck: Arc<tokio::sync::Notify>,
    watching: AtomicBool,
    /// The host in use of a multi-host URL, and when it last changed.
    failover: Arc<Failover>,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    following: AtomicBool,
    /// The reader pool and where its reads go, built on first use.
    reader: OnceLock<(Pool, String)>,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    reader_build: tokio::sync::Mutex<()>,
    resolution: Resolution,
    runtime: Arc<Runtime>,
    /// Set once, when `on_unreachable = "fallback"` switched to SQLite.
    switched: OnceLock<Switched>,
    pool: OnceLock<Pool>,
    /// One build at a time; holds the generation and error of the last
    /// failed build, so callers that waited for it share its result.
    build: tokio::sync::Mutex<Option<DatabaseError>>,
    failures: AtomicU64,
    builds: AtomicU64,
}

/// What the handle runs on after an `on_unreachable = "fallback"` switch.
#[derive(Debug)]
pub(crate) struct Switched {
    pub(crate) url: String,
    pub(crate) redacted: String,
    pub(crate) resolution: Resolution,
}

impl core::fmt::Debug for Database {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.redacted_url())
            .field("fallback", &self.is_fallback())
            .field("built", &self.inner.pool.get().is_some())
            .finish()
    }
}

impl Database {
    /// A handle for `url`. Never connects, never panics, works outside a
    /// Tokio runtime. Prefer `settings.database()`, which shares one handle.
    #[must_use]
    pub fn new(url: &DatabaseUrl) -> Self {
        Self {
            inner: Arc::new(Inner {
                redacted: url.configured_redacted().to_owned(),
                secrets: RwLock::new(secrets_of(url)),
                backend: url.configured_resolution().backend,
                options: Mutex::new(url.runtime().connect.clone()),
                provided: Mutex::new(None),
                provider: OnceLock::new(),
                generation: AtomicU64::new(0),
                recheck: Arc::new(tokio::sync::Notify::new()),
                watching: AtomicBool::new(false),
                failover: Arc::default(),
                following: AtomicBool::new(false),
                reader: OnceLock::new(),
                reader_build: tokio::sync::Mutex::new(()),
                resolution: url.configured_resolution().clone(),
                runtime: Arc::clone(url.runtime()),
                switched: OnceLock::new(),
                pool: OnceLock::new(),
                build: tokio::sync::Mutex::new(None),
                failures: AtomicU64::new(0),
                builds: AtomicU64::new(0),
            }),
        }
    }

    /// The backend this handle connects to: the configured URL's, or
    /// SQLite after an `on_unreachable = "fallback"` switch.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.resolution().backend
    }

    /// The redacted URL this handle connects to (after a switch, the SQLite
    /// fallback's).
    #[must_use]
    pub fn redacted_url(&self) -> &str {
        self.switched()
            .map_or(&self.inner.redacted, |s| &s.redacted)
    }

    /// Whether this handle runs on the SQLite fallback: because the URL was
    /// unusable, or because `on_unreachable = "fallback"` switched when the
    /// primary could not be reached.
    #[must_use]
    pub fn is_fallback(&self) -> bool {
        self.resolution().fallback_reason().is_some()
    }

    /// How the database in use was chosen. After an `on_unreachable =
    /// "fallback"` switch: the fallback, with the unreachable primary's
    /// redacted error as the reason, and the SQLite location.
    ///
    /// A switch is for the life of the process: when the primary comes back,
    /// the handle stays on SQLite (what was written there is not moved), and
    /// the next start uses the primary again.
    #[must_use]
    pub fn resolution(&self) -> &Resolution {
        self.switched()
            .map_or(&self.inner.resolution, |s| &s.resolution)
    }

    /// `message` (a driver error from a query, say) without any
    /// secret-bearing part of this handle's URL: user name, password and
    /// secret parameters, raw and percent-decoded. Servers echo user names
    /// in their errors, so log query errors through this.
    ///
    /// ```
    /// # let settings = <Settings as dbsettings::DatabaseSettings>::from_vars([
    /// #     ("DATABASE_URL", "postgresql://app;s3cret@localhost/db")]).unwrap();
    /// # #[derive(dbsettings::DatabaseSettings)] struct Settings { database_url: dbsettings::DatabaseUrl }
    /// let db = dbsettings::DatabaseSettings::database(&settings);
    /// let said = r#"password authentication failed for user "app;s3cret""#;
    /// assert_eq!(db.redact(said), r#"password authentication failed for user "****""#);
    /// ```
    #[must_use]
    pub fn redact(&self, message: &str) -> String {
        self.secrets().scrub(message)
    }

    fn secrets(&self) -> Secrets {
        self.inner
            .secrets
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether queries may be prepared by name: false behind a
    /// transaction-mode pooler (see [`Resolution::pooler`]), where the next
    /// transaction may run on another server connection that does not have
    /// this one's statements. There, run each query unnamed inside a
    /// transaction of its own, so its Parse and its Bind reach the same
    /// server connection:
    ///
    /// ```no_run
    /// # async fn demo(db: &dbsettings::Database, pool: &dbsettings::sqlx::PgPool) -> Result<(), dbsettings::sqlx::Error> {
    /// let mut tx = pool.begin().await?;
    /// let n: i64 = dbsettings::sqlx::query_scalar("SELECT count(*) FROM todos WHERE done = $1")
    ///     .bind(false)
    ///     .persistent(db.prepared_statements())
    ///     .fetch_one(&mut *tx)
    ///     .await?;
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// Neither half is enough alone with sqlx 0.9. A statement cache of 0
    /// still prepares by name (and never closes): through PgBouncer 1.18 in
    /// transaction mode, 935 of 1,200 queries failed that way. Unnamed
    /// statements outside a transaction send Parse and Bind in two rounds
    /// that the pooler may give to two servers ("unnamed prepared statement
    /// does not exist" under load). Both together: none failed.
    #[must_use]
    pub fn prepared_statements(&self) -> bool {
        !self.inner.runtime.pool.pgbouncer
    }

    /// Sets a credential provider: an async function returning the password
    /// and how long it is good for (an AWS RDS or Cloud SQL IAM token, a
    /// Vault lease). It is asked before the first connect, and again shortly
    /// before each password runs out (or at once, after an authentication
    /// failure); new connections use the new password, open ones are kept.
    /// A provider that fails or does not answer within the connect timeout
    /// fails that connect with its cause, and the next one asks again.
    ///
    /// Set it before the first `pool()`; returns false (and changes nothing)
    /// when a provider was set already.
    ///
    /// ```no_run
    /// # async fn token() -> Result<String, dbsettings::ProviderError> { Ok(String::new()) }
    /// # fn demo(db: &dbsettings::Database) {
    /// use std::time::Duration;
    /// db.set_credentials_provider(|| async {
    ///     let token = token().await?; // e.g. an RDS IAM auth token
    ///     Ok(dbsettings::Credential::new(token, Some(Duration::from_secs(15 * 60))))
    /// });
    /// # }
    /// ```
    pub fn set_credentials_provider<F, Fut>(&self, provider: F) -> bool
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Credential, ProviderError>> + Send + 'static,
    {
        self.inner
            .provider
            .set(credentials::provider(provider))
            .is_ok()
    }

    /// Re-reads a `_FILE` secret (or asks the provider) now rather than at
    /// the next poll: call it when a query fails to authenticate.
    pub fn recheck_credentials(&self) {
        self.inner.recheck.notify_one();
    }

    /// How many times the credentials changed since start.
    #[must_use]
    pub fn credentials_generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Relaxed)
    }

    /// The health report: backend, fallback and reason, state, a ping
    /// bounded by the connect timeout and its latency, the pool's
    /// connections, the credentials generation. A pool that is not built is
    /// built only when `build` is true (a readiness probe wants that; a
    /// dashboard may not).
    pub async fn health(&self, build: bool) -> Health {
        let (state, ping_ms) = match (self.get().cloned(), build) {
            (None, false) => (HealthState::NotBuilt, None),
            (Some(pool), _) => self.ping(&pool).await,
            (None, true) => match self.pool().await {
                Ok(pool) => self.ping(&pool).await,
                Err(e) => (
                    HealthState::Down {
                        kind: e.kind(),
                        error: e.to_string(),
                    },
                    None,
                ),
            },
        };
        let resolution = self.resolution();
        Health {
            backend: self.backend(),
            fallback: self.is_fallback(),
            reason: resolution.fallback_reason().map(ToString::to_string),
            state,
            ping_ms,
            pool: self.get().map(|p| PoolStats {
                size: p.size(),
                idle: p.num_idle(),
                max: self.inner.runtime.pool.max_connections,
            }),
            credentials_generation: self.credentials_generation(),
            prepared_statements: self.prepared_statements(),
            host: self.active_host(),
            reader: self.reader_source().map(str::to_owned),
        }
    }

    async fn ping(&self, pool: &Pool) -> (HealthState, Option<f64>) {
        let bound = self.inner.runtime.pool.connect_timeout;
        let started = Instant::now();
        match tokio::time::timeout(bound, pool.ping()).await {
            Ok(Ok(())) => (
                HealthState::Up,
                Some(started.elapsed().as_secs_f64() * 1000.0),
            ),
            Ok(Err(e)) => {
                let e = DatabaseError::from_sqlx(
                    e,
                    pool.backend(),
                    self.redacted_url(),
                    &self.secrets(),
                );
                if e.kind() == DatabaseErrorKind::Auth {
                    self.recheck_credentials();
                }
                (
                    HealthState::Down {
                        kind: e.kind(),
                        error: e.to_string(),
                    },
                    None,
                )
            }
            Err(_) => (
                HealthState::Down {
                    kind: DatabaseErrorKind::Timeout,
                    error: format!("the ping did not answer within {bound:?}"),
                },
                None,
            ),
        }
    }

    pub(crate) fn switched(&self) -> Option<&Switched> {
        self.inner.switched.get()
    }

    /// The pool, built on first use.
    ///
    /// The first build is bounded by the connect timeout and its error says
    /// why (refused, DNS, timeout, authentication, TLS, missing database).
    /// When it fails, every caller waiting for that build gets its error, and
    /// the next call tries again (unless `on_unreachable = "fallback"`
    /// switched to SQLite). Migrations, when configured, run here.
    pub async fn pool(&self) -> Result<Pool, DatabaseError> {
        if let Some(pool) = self.inner.pool.get() {
            return Ok(pool.clone());
        }
        self.build_slow().await
    }

    /// The pool if it is already built: never waits, never connects.
    #[must_use]
    pub fn get(&self) -> Option<&Pool> {
        self.inner.pool.get()
    }

    /// How many pool builds were started so far (diagnostics; concurrent
    /// first callers share one).
    #[doc(hidden)]
    #[must_use]
    pub fn builds(&self) -> u64 {
        self.inner.builds.load(Ordering::Relaxed)
    }

    /// Closes the pool, if it was built, waiting for connections in use.
    pub async fn close(&self) {
        if let Some(pool) = self.inner.pool.get() {
            pool.close().await;
        }
    }

    async fn build_slow(&self) -> Result<Pool, DatabaseError> {
        let inner = &*self.inner;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(DatabaseError::new(
                DatabaseErrorKind::NoRuntime,
                inner.backend,
                &inner.redacted,
                "call pool() from within a Tokio runtime".to_owned(),
                None,
            ));
        }
        let seen = self.inner.failures.load(Ordering::Acquire);
        let mut last_error = self.inner.build.lock().await;
        if let Some(pool) = self.inner.pool.get() {
            return Ok(pool.clone());
        }
        if self.inner.failures.load(Ordering::Acquire) != seen
            && let Some(e) = last_error.as_ref()
        {
            // A build finished while this caller waited: share its result.
            return Err(e.clone());
        }
        self.inner.builds.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        match self.build_primary().await {
            Ok(pool) => {
                tracing::info!(
                    target: "dbsettings",
                    backend = pool.backend().name(),
                    url = %inner.redacted,
                    elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "database pool ready in {:?}",
                    started.elapsed()
                );
                *last_error = None;
                let pool = self.inner.pool.get_or_init(|| pool).clone();
                self.watch_credentials();
                self.follow_failover();
                Ok(pool)
            }
            Err(error) => {
                tracing::error!(
                    target: "dbsettings",
                    kind = ?error.kind(),
                    elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "database connect failed: {error}"
                );
                #[cfg(feature = "sqlite")]
                if error.kind().is_unreachable()
                    && let Some(choice) = &inner.runtime.unreachable_fallback
                {
                    match self.build_fallback(choice, &error).await {
                        Ok(pool) => {
                            *last_error = None;
                            return Ok(self.inner.pool.get_or_init(|| pool).clone());
                        }
                        Err(e) => tracing::error!(
                            target: "dbsettings",
                            "the SQLite fallback failed too: {e}"
                        ),
                    }
                }
                *last_error = Some(error.clone());
                self.inner.failures.fetch_add(1, Ordering::Release);
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
        let wait = self.inner.runtime.pool.startup_wait;
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

    /// One attempt: the current options (with the provider's password),
    /// the bounded probe, the pool, the migrations. An authentication
    /// failure re-reads a `_FILE` secret at once and tries again if it
    /// changed.
    async fn connect_primary(&self) -> Result<Pool, DatabaseError> {
        let inner = &*self.inner;
        let config = &inner.runtime;
        let mut reread = config.secret_file.is_some();
        loop {
            let options = self.connect_options().await?;
            let secrets = self.secrets();
            let target = Target {
                redacted: &inner.redacted,
                secrets: &secrets,
                backend: inner.backend,
            };
            let hosts = self.hosts();
            let pool = match connect::build(&options, &config.pool, &target, &hosts).await {
                Ok(pool) => pool,
                Err(e) if e.kind() == DatabaseErrorKind::Auth && reread => {
                    reread = false;
                    if let Some(file) = &config.secret_file
                        && self.reread_secret(file, &mut None)
                    {
                        continue;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            };
            if let Some(dir) = &config.pool.migrations {
                let migrations = connect::migrate(&pool, dir, &target).await?;
                tracing::info!(target: "dbsettings", migrations, dir = %dir, "migrations up to date");
            }
            return Ok(pool);
        }
    }

    /// The options new connections use now: the latest resolved ones, with
    /// the provider's password when there is a provider (asked when there is
    /// none yet or it ran out).
    async fn connect_options(&self) -> Result<ConnectOptions, DatabaseError> {
        let inner = &*self.inner;
        let base = inner
            .options
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| {
                DatabaseError::new(
                    DatabaseErrorKind::Other,
                    inner.backend,
                    &inner.redacted,
                    "the driver's connect options could not be built".to_owned(),
                    None,
                )
            })?;
        if inner.provider.get().is_none() {
            return Ok(base);
        }
        let current = inner
            .provided
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let password = match current {
            Some((pw, until)) if until.is_none_or(|u| Instant::now() < u) => pw,
            _ => self.ask_provider().await?,
        };
        Ok(connect::with_password(&base, &password))
    }

    /// Asks the provider for a password, bounded by the connect timeout.
    async fn ask_provider(&self) -> Result<String, DatabaseError> {
        let inner = &*self.inner;
        let Some(provider) = inner.provider.get() else {
            return Err(DatabaseError::new(
                DatabaseErrorKind::Credentials,
                inner.backend,
                &inner.redacted,
                "no credential provider is set".to_owned(),
                None,
            ));
        };
        let bound = inner.runtime.pool.connect_timeout;
        let fail = |detail: String| {
            DatabaseError::new(
                DatabaseErrorKind::Credentials,
                inner.backend,
                &inner.redacted,
                detail,
                None,
            )
        };
        let credential = match tokio::time::timeout(bound, provider()).await {
            Err(_) => return Err(fail(format!("no answer within {bound:?}"))),
            Ok(Err(e)) => return Err(fail(self.redact(&e.to_string()))),
            Ok(Ok(c)) => c,
        };
        let refresh = credential
            .valid_for
            .map(|v| Instant::now() + credentials::refresh_after(v));
        {
            let mut secrets = inner
                .secrets
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            *secrets = secrets.with(&credential.password);
        }
        let changed = {
            let mut slot = inner
                .provided
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let changed = slot
                .as_ref()
                .is_some_and(|(old, _)| *old != credential.password);
            *slot = Some((credential.password.clone(), refresh));
            changed
        };
        if changed {
            inner.generation.fetch_add(1, Ordering::Relaxed);
        }
        Ok(credential.password)
    }

    fn hosts(&self) -> connect::Hosts<'_> {
        connect::Hosts {
            targets: &self.inner.runtime.targets,
            failover: &self.inner.failover,
        }
    }

    /// A pool for read-only work. On PostgreSQL its sessions are read-only
    /// (`default_transaction_read_only`), so a write through it fails
    /// loudly, and its server is, in order: the replica named by the
    /// `replica` attribute's variable (an RDS reader endpoint, say); else a
    /// standby among the URL's hosts (`prefer-standby`); else the primary.
    /// A replica that cannot be reached serves from the primary's hosts, and
    /// [`health`](Self::health) says so. On SQLite and MySQL it is the
    /// primary pool.
    pub async fn reader(&self) -> Result<Pool, DatabaseError> {
        if let Some((pool, _)) = self.inner.reader.get() {
            return Ok(pool.clone());
        }
        let primary = self.pool().await?;
        #[cfg(feature = "postgres")]
        if primary.backend() == Backend::Postgres {
            let _turn = self.inner.reader_build.lock().await;
            if let Some((pool, _)) = self.inner.reader.get() {
                return Ok(pool.clone());
            }
            let (pool, source) = self.build_reader().await?;
            tracing::info!(target: "dbsettings", "the reader pool reads from {source}");
            return Ok(self.inner.reader.get_or_init(|| (pool, source)).0.clone());
        }
        Ok(primary)
    }

    /// Where the reader pool's reads go, once it is built.
    #[must_use]
    pub fn reader_source(&self) -> Option<&str> {
        self.inner.reader.get().map(|(_, s)| s.as_str())
    }

    #[cfg(feature = "postgres")]
    async fn build_reader(&self) -> Result<(Pool, String), DatabaseError> {
        use crate::pool::failover;
        use crate::url::resolution::SessionAttrs;
        let inner = &*self.inner;
        let config = &inner.runtime;
        let timeout = config.pool.connect_timeout;
        let read_only = |o: &sqlx::postgres::PgConnectOptions| {
            connect::for_pg(o).options([("default_transaction_read_only", "on")])
        };
        let mut replica_error = None;
        if let Some(replica) = &config.replica
            && let ConnectOptions::Postgres(base) = &replica.connect
        {
            match failover::choose(
                &read_only(base),
                &replica.targets,
                timeout,
                &replica.secrets,
                &replica.redacted,
            )
            .await
            {
                Ok((i, probe)) => {
                    let _ = sqlx::Connection::close(probe).await;
                    let options = failover::host_options(&read_only(base), &replica.targets, i);
                    let pool = connect::pool_options(&config.pool).connect_lazy_with(options);
                    return Ok((Pool::Postgres(pool), "the replica".to_owned()));
                }
                Err(e) => replica_error = Some(e),
            }
        }
        let Ok(ConnectOptions::Postgres(base)) = self.connect_options().await else {
            return Err(DatabaseError::new(
                DatabaseErrorKind::Other,
                inner.backend,
                &inner.redacted,
                "the driver's connect options could not be built".to_owned(),
                None,
            ));
        };
        let mut targets = config.targets.clone();
        targets.attrs = SessionAttrs::PreferStandby;
        let (i, probe) = failover::choose(
            &read_only(&base),
            &targets,
            timeout,
            &self.secrets(),
            &inner.redacted,
        )
        .await?;
        let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .persistent(false)
            .fetch_one(&mut { probe })
            .await
            .unwrap_or(false);
        let options = failover::host_options(&read_only(&base), &targets, i);
        let pool = connect::pool_options(&config.pool).connect_lazy_with(options);
        let mut source = if standby {
            "a standby of the URL's hosts".to_owned()
        } else {
            "the primary".to_owned()
        };
        if let Some(e) = replica_error {
            source = format!("{source} (the replica is unreachable: {e})");
        }
        Ok((Pool::Postgres(pool), source))
    }

    /// The host in use, as `host:port`, for a multi-host URL.
    #[must_use]
    pub fn active_host(&self) -> Option<String> {
        let targets = &self.inner.runtime.targets;
        (self.get().is_some() && !targets.hosts.is_empty())
            .then(|| targets.shown().get(self.inner.failover.active()).cloned())
            .flatten()
    }

    /// Starts the task that follows a failover, once, for a PostgreSQL URL
    /// with a choice of hosts or a role to keep.
    #[cfg_attr(not(feature = "postgres"), allow(clippy::unused_self))]
    fn follow_failover(&self) {
        #[cfg(feature = "postgres")]
        {
            let inner = &*self.inner;
            if inner.backend != Backend::Postgres
                || self.switched().is_some()
                || !self.hosts().choose()
                || inner.following.swap(true, Ordering::AcqRel)
            {
                return;
            }
            tokio::spawn(follow_failover(Arc::downgrade(&self.inner)));
        }
    }

    /// Starts the task that follows rotations, once, when there is anything
    /// to follow: a `_FILE` secret or a provider. It holds only a weak
    /// reference, so it ends with the last handle.
    fn watch_credentials(&self) {
        let inner = &*self.inner;
        let follows = inner.runtime.secret_file.is_some() || inner.provider.get().is_some();
        if !follows
            || inner.backend == Backend::Sqlite
            || inner.watching.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let recheck = Arc::clone(&inner.recheck);
        tokio::spawn(follow_credentials(weak, recheck));
    }

    /// Re-reads the `_FILE` secret; when it holds a new, valid URL, new
    /// connections use it. `last` is the content seen before (`None`: read
    /// it now). Returns whether the credentials changed. A file that
    /// disappears, cannot be read or holds an invalid URL keeps the current
    /// credentials, and says why in the log (never the value).
    fn reread_secret(&self, file: &SecretFile, last: &mut Option<String>) -> bool {
        let inner = &*self.inner;
        let path = file.path.to_string_lossy();
        let text = match crate::source::read_secret_file(&path) {
            Ok(text) => text,
            Err(e) => {
                tracing::warn!(
                    target: "dbsettings",
                    var = %file.file_var,
                    "the secret file named by `{}` {}; keeping the current credentials",
                    file.file_var,
                    e.describe()
                );
                return false;
            }
        };
        if last.as_deref() == Some(text.as_str()) {
            return false;
        }
        let first_look = last.is_none();
        *last = Some(text.clone());
        let machine = crate::url::Machine {
            cwd: &file.cwd,
            sockets: &file.sockets,
        };
        let checked = crate::url::check(&text, &file.var, machine, &file.libpq);
        let accepted = match checked.outcome {
            Ok(a) if a.backend == inner.backend => a,
            Ok(_) => {
                tracing::warn!(
                    target: "dbsettings",
                    var = %file.file_var,
                    "the secret file named by `{}` now names another kind of database; keeping the current credentials (restart to switch)",
                    file.file_var
                );
                return false;
            }
            Err(refusal) => {
                tracing::warn!(
                    target: "dbsettings",
                    var = %file.file_var,
                    "the secret file named by `{}` no longer holds a usable URL ({}); keeping the current credentials",
                    file.file_var,
                    match refusal {
                        crate::url::Refusal::Absent(_) => "it is empty".to_owned(),
                        crate::url::Refusal::Rejected(r) => r.to_string(),
                    }
                );
                return false;
            }
        };
        let same = {
            let current = inner.options.lock().unwrap_or_else(PoisonError::into_inner);
            current
                .as_ref()
                .is_some_and(|c| format!("{c:?}") == format!("{:?}", accepted.connect))
        };
        if same || first_look {
            // A rewrite with the same URL, or the value the pool has.
            return false;
        }
        {
            let mut secrets = inner
                .secrets
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            *secrets = secrets.merged(&Secrets::of_url(&accepted.url));
        }
        let mut options = accepted.connect;
        if let Some((pw, _)) = inner
            .provided
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            options = connect::with_password(&options, pw);
        }
        if let Some(pool) = inner.pool.get() {
            connect::replace_options(pool, &options, &self.hosts());
        }
        *inner.options.lock().unwrap_or_else(PoisonError::into_inner) = Some(options);
        let generation = inner.generation.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(
            target: "dbsettings",
            var = %file.file_var,
            generation,
            "the secret file named by `{}` changed: new connections use the new credentials",
            file.file_var
        );
        true
    }

    /// `on_unreachable = "fallback"`: the SQLite fallback chosen at
    /// resolution, with the primary's failure as the reason. Once it is
    /// built, the handle reports it everywhere (`resolution`, `is_fallback`,
    /// the `DatabaseUrl` it came from).
    #[cfg(feature = "sqlite")]
    async fn build_fallback(
        &self,
        choice: &crate::url::fallback::Choice,
        cause: &DatabaseError,
    ) -> Result<Pool, DatabaseError> {
        let inner = &*self.inner;
        let config = &inner.runtime;
        tracing::warn!(
            target: "dbsettings",
            location = %choice.location,
            "the primary database is unreachable ({cause}); falling back to SQLite as `on_unreachable = \"fallback\"` asks, until the process restarts"
        );
        let none = Secrets::default();
        let target = Target {
            redacted: &choice.url,
            secrets: &none,
            backend: Backend::Sqlite,
        };
        let options = crate::url::driver::sqlite_options(&choice.url)
            .map_err(|e| DatabaseError::from_sqlx(e, Backend::Sqlite, &choice.url, &none))?;
        let single = crate::url::Targets::default();
        let hosts = connect::Hosts {
            targets: &single,
            failover: &inner.failover,
        };
        let pool = connect::build(
            &ConnectOptions::Sqlite(options),
            &config.pool,
            &target,
            &hosts,
        )
        .await?;
        if let Some(dir) = &config.pool.migrations {
            connect::migrate(&pool, dir, &target).await?;
        }
        let mut resolution = Resolution {
            origin: crate::url::resolution::Origin::Fallback,
            backend: Backend::Sqlite,
            fallback_reason: Some(crate::url::resolution::FallbackReason::Unreachable {
                var: config.var.clone(),
                kind: cause.kind(),
                error: cause.to_string(),
            }),
            location: Some(choice.location.clone()),
            candidates: choice.candidates.clone(),
            pooler: None,
            hosts: Vec::new(),
            session_attrs: crate::url::resolution::SessionAttrs::Any,
            ..inner.resolution.clone()
        };
        if choice.location == crate::url::resolution::Location::Memory {
            resolution
                .warnings
                .push(crate::url::resolution::Warning::InMemory);
        }
        let _ = inner.switched.set(Switched {
            url: choice.url.clone(),
            redacted: crate::url::redact::redact(&choice.url),
            resolution,
        });
        Ok(pool)
    }
}

/// The credentials task: every poll interval (or at once when woken),
/// re-reads the `_FILE` secret; when the provider's password nears its end,
/// asks again. Ends when the last handle is dropped.
async fn follow_credentials(weak: Weak<Inner>, recheck: Arc<tokio::sync::Notify>) {
    let mut last: Option<String> = None;
    loop {
        let (poll, refresh_at) = {
            let Some(inner) = weak.upgrade() else { return };
            let refresh_at = inner
                .provided
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .and_then(|(_, at)| *at);
            if last.is_none()
                && let Some(file) = &inner.runtime.secret_file
            {
                // The value the pool was built with.
                last = crate::source::read_secret_file(&file.path.to_string_lossy()).ok();
            }
            (inner.runtime.pool.credentials_poll, refresh_at)
        };
        let wait = refresh_at.map_or(poll, |at| {
            poll.min(at.saturating_duration_since(Instant::now()))
        });
        let woken = tokio::time::timeout(wait, recheck.notified()).await.is_ok();
        let Some(inner) = weak.upgrade() else { return };
        let db = Database { inner };
        if let Some(file) = db.inner.runtime.secret_file.clone() {
            db.reread_secret(&file, &mut last);
        }
        let due = refresh_at.is_some_and(|at| Instant::now() >= at);
        if db.inner.provider.get().is_some() && (due || woken) {
            match db.ask_provider().await {
                Ok(password) => {
                    let base = db
                        .inner
                        .options
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone();
                    if let (Some(base), Some(pool)) = (base, db.inner.pool.get()) {
                        connect::replace_options(
                            pool,
                            &connect::with_password(&base, &password),
                            &db.hosts(),
                        );
                    }
                }
                Err(e) => tracing::warn!(
                    target: "dbsettings",
                    "the credential provider failed ({e}); keeping the current password"
                ),
            }
        }
    }
}

/// The secrets of `url` and of the user its options log in as: `PGUSER`
/// supplies it when the URL names none, and servers echo it.
fn secrets_of(url: &DatabaseUrl) -> Secrets {
    let secrets = Secrets::of_url(url.configured_secret());
    match &url.runtime().connect {
        #[cfg(feature = "postgres")]
        Some(ConnectOptions::Postgres(o)) => secrets.with(o.get_username()),
        #[cfg(feature = "mysql")]
        Some(ConnectOptions::MySql(o)) => secrets.with(o.get_username()),
        _ => secrets,
    }
}

/// The failover task: every half second, checks on the pool's own
/// connections that the host still answers and fits; when not, chooses
/// again (bounded backoff while none fits), hands the pool the new host and
/// drops the connections to the old one. Ends with the last handle.
#[cfg(feature = "postgres")]
async fn follow_failover(weak: Weak<Inner>) {
    use crate::pool::failover;
    let mut pause = failover::CHECK_EVERY;
    loop {
        tokio::time::sleep(pause).await;
        let Some(inner) = weak.upgrade() else { return };
        let db = Database { inner };
        let Some(Pool::Postgres(pool)) = db.get().cloned() else {
            return;
        };
        let config = &db.inner.runtime;
        let timeout = config.pool.connect_timeout;
        if failover::still_fits(&pool, config.targets.attrs, timeout).await {
            pause = failover::CHECK_EVERY;
            continue;
        }
        let Ok(ConnectOptions::Postgres(base)) = db.connect_options().await else {
            continue;
        };
        let base = connect::for_pg(&base);
        match failover::choose(
            &base,
            &config.targets,
            timeout,
            &db.secrets(),
            &db.inner.redacted,
        )
        .await
        {
            Ok((i, probe)) if i == db.inner.failover.active() => {
                // The same host fits again (a slow answer, a blip): keep
                // its connections.
                let _ = sqlx::Connection::close(probe).await;
                pause = failover::CHECK_EVERY;
            }
            Ok((i, probe)) => {
                let _ = sqlx::Connection::close(probe).await;
                let from = db.active_host();
                pool.set_connect_options(failover::host_options(&base, &config.targets, i));
                db.inner.failover.switch(i);
                tracing::warn!(
                    target: "dbsettings",
                    from = from.as_deref(),
                    to = db.active_host().as_deref(),
                    "failover: the pool now connects to another host"
                );
                pause = failover::CHECK_EVERY;
            }
            Err(e) => {
                tracing::error!(target: "dbsettings", "failover: {e}; trying again in {pause:?}");
                pause = (pause * 2).min(failover::MAX_BACKOFF);
            }
        }
    }
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
