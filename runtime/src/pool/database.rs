//! `Database`: the lazy pool handle. Creating one never connects; the first
//! `pool()` builds the pool (one build shared by concurrent first callers,
//! in `build`), later calls are an atomic load. Connections are made from
//! the options of the handle's connector (`connector`), which the primary
//! and the reader pool (`reader`) both follow.

use core::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crate::pool::Configured;
use crate::pool::connector::{Connector, Why};
use crate::pool::credentials::{self, Credential, ProviderError};
use crate::pool::error::DatabaseError;
use crate::pool::health::{Health, HealthState, PoolStats};
use crate::resolution::DatabaseErrorKind;
use crate::resolution::Resolution;
use crate::{Backend, Pool};

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
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    /// Every connection of every pool of this handle is made from its
    /// options; it owns the credentials and the host in use.
    pub(super) connector: Arc<Connector>,
    pub(super) resolution: Resolution,
    /// Set once, when `on_unreachable = "fallback"` switched to SQLite.
    pub(super) switched: OnceLock<Switched>,
    pub(super) pool: OnceLock<Pool>,
    /// One build at a time; holds the error of the last failed build, so
    /// callers that waited for it share its result.
    pub(super) build: tokio::sync::Mutex<Option<DatabaseError>>,
    pub(super) failures: AtomicU64,
    pub(super) builds: AtomicU64,
    /// The reader pool and where its reads go, built on first use.
    pub(super) reader: OnceLock<crate::pool::reader::Reader>,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(super) reader_build: tokio::sync::Mutex<()>,
    /// The pool on the direct URL, built on first use.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(super) direct: OnceLock<Pool>,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(super) following: AtomicBool,
    /// How far the reader's server was last seen to have replayed the
    /// primary's log (`reader_after`).
    pub(super) replayed: AtomicU64,
    /// When a `reader_after` wait last ran out.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(super) lag_seen: std::sync::Mutex<Option<Instant>>,
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
    /// A handle for a resolved URL. Never connects, never panics, works
    /// outside a Tokio runtime. Only a `DatabaseUrl` makes one (its
    /// `database()`), so the URL and its handle see the same switch.
    pub(crate) fn new(configured: &Configured) -> Self {
        Self {
            inner: Arc::new(Inner {
                connector: Arc::new(Connector::new(configured)),
                resolution: configured.resolution.clone(),
                switched: OnceLock::new(),
                pool: OnceLock::new(),
                build: tokio::sync::Mutex::new(None),
                failures: AtomicU64::new(0),
                builds: AtomicU64::new(0),
                reader: OnceLock::new(),
                reader_build: tokio::sync::Mutex::new(()),
                direct: OnceLock::new(),
                following: AtomicBool::new(false),
                replayed: AtomicU64::new(0),
                lag_seen: std::sync::Mutex::new(None),
            }),
        }
    }

    pub(super) fn connector(&self) -> &Arc<Connector> {
        &self.inner.connector
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
            .map_or(&self.inner.connector.redacted, |s| &s.redacted)
    }

    /// Whether this handle runs on the SQLite fallback: because the URL was
    /// unusable, or because `on_unreachable = "fallback"` switched when the
    /// primary could not be reached.
    #[must_use]
    pub fn is_fallback(&self) -> bool {
        self.resolution().is_fallback()
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
        self.inner.connector.secrets().scrub(message)
    }

    /// Whether queries may be prepared by name: false behind a
    /// transaction-mode pooler (see [`Resolution::pooler`]), where the next
    /// transaction may run on another server connection that does not have
    /// this one's statements. There, the pool that [`on_pool!`](crate::on_pool!)
    /// hands a body runs each statement unnamed, in a transaction of its
    /// own (or in the caller's, from `p.begin()`): nothing to write per
    /// query.
    #[must_use]
    pub fn prepared_statements(&self) -> bool {
        !self.inner.connector.runtime.pool.pgbouncer
    }

    /// Sets a credential provider: an async function returning the password
    /// and how long it is good for (an AWS RDS or Cloud SQL IAM token, a
    /// Vault lease). It is asked before the first connect, again shortly
    /// before each password runs out, and at once after an authentication
    /// failure; new connections of the primary and the reader pool use the
    /// new password, open ones are kept. A provider that fails, does not
    /// answer within the connect timeout or returns a credential valid for
    /// 0 s fails that connect with its cause, and the next one asks again.
    /// `valid_for: None` (or `Duration::MAX`) never runs out.
    ///
    /// Set it before the first `pool()`; returns false (and changes nothing)
    /// when a provider was set already.
    ///
    /// ```no_run
    /// # async fn token() -> Result<String, dbsettings::credentials::ProviderError> { Ok(String::new()) }
    /// # fn demo(db: &dbsettings::Database) {
    /// use std::time::Duration;
    /// db.set_credentials_provider(|| async {
    ///     let token = token().await?; // e.g. an RDS IAM auth token
    ///     Ok(dbsettings::credentials::Credential::new(token, Some(Duration::from_secs(15 * 60))))
    /// });
    /// # }
    /// ```
    pub fn set_credentials_provider<F, Fut>(&self, provider: F) -> bool
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Credential, ProviderError>> + Send + 'static,
    {
        self.inner
            .connector
            .set_provider(credentials::provider(provider))
    }

    /// Where and as whom the server URL logs in, and whether its TLS mode
    /// requires TLS: what a token for it is signed for.
    #[cfg(feature = "rds-iam")]
    pub(crate) fn login(&self) -> Option<crate::pool::rds_iam::Login> {
        use crate::url::ConnectOptions;
        let connect = self.inner.connector.runtime.connect.as_ref().ok()?;
        match connect {
            #[cfg(feature = "postgres")]
            ConnectOptions::Postgres(o) => {
                use sqlx::postgres::PgSslMode as M;
                // Behind dbsettings' TLS relay, sqlx's own mode is
                // `disable`; the relay's is the URL's.
                #[cfg(all(feature = "tls", unix))]
                let relayed = o
                    .get_socket()
                    .and_then(|d| crate::tls_relay::trust_of(d))
                    .is_some_and(|t| t.required);
                #[cfg(not(all(feature = "tls", unix)))]
                let relayed = false;
                Some(crate::pool::rds_iam::Login {
                    host: o.get_host().to_owned(),
                    port: o.get_port(),
                    user: o.get_username().to_owned(),
                    tls_required: relayed
                        || matches!(o.get_ssl_mode(), M::Require | M::VerifyCa | M::VerifyFull),
                    hosts: self.inner.connector.runtime.targets.hosts.len(),
                })
            }
            #[cfg(feature = "mysql")]
            ConnectOptions::MySql(o) => {
                use sqlx::mysql::MySqlSslMode as M;
                Some(crate::pool::rds_iam::Login {
                    host: o.get_host().to_owned(),
                    port: o.get_port(),
                    user: o.get_username().to_owned(),
                    tls_required: matches!(
                        o.get_ssl_mode(),
                        M::Required | M::VerifyCa | M::VerifyIdentity
                    ),
                    hosts: 1,
                })
            }
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Re-reads a `_FILE` secret (or asks the provider) now rather than at
    /// the next poll. Rarely needed: an authentication failure on any
    /// connect (the first build, a query through `on_pool!`, a health
    /// ping) does it already.
    pub fn recheck_credentials(&self) {
        self.inner.connector.wake();
    }

    /// How many times the credentials changed since start.
    #[must_use]
    pub fn credentials_generation(&self) -> u64 {
        self.inner.connector.generation()
    }

    /// The health report: backend, fallback and reason, state, a ping and
    /// its latency, the pool's connections, the credentials generation. A
    /// pool that is not built is built only when `build` is true (a
    /// readiness probe wants that; a dashboard may not).
    ///
    /// The whole report is bounded by one connect timeout, however many
    /// hosts the URL lists: a readiness probe gets its answer in time.
    pub async fn health(&self, build: bool) -> Health {
        let bound = self.inner.connector.runtime.pool.connect_timeout;
        let started = Instant::now();
        let state = async {
            // A build waiting for the migration lock answers at once.
            if self.get().is_none()
                && let Some(detail) = self.inner.connector.migrating_now()
            {
                return (HealthState::Migrating { detail }, None);
            }
            match (self.get().cloned(), build) {
                (None, false) => (HealthState::NotBuilt, None),
                (Some(pool), _) => self.ping(&pool).await,
                // The build, or as soon as it waits for the migration lock
                // (another session holds it), that: the build goes on, on
                // its own task.
                (None, true) => {
                    let building = core::pin::pin!(self.pool());
                    let migrating = core::pin::pin!(async {
                        loop {
                            if let Some(detail) = self.inner.connector.lock_wait_now() {
                                return detail;
                            }
                            tokio::time::sleep(core::time::Duration::from_millis(20)).await;
                        }
                    });
                    match futures_util::future::select(building, migrating).await {
                        futures_util::future::Either::Left((Ok(pool), _)) => self.ping(&pool).await,
                        futures_util::future::Either::Left((Err(e), _)) => (down(&e), None),
                        futures_util::future::Either::Right((detail, _)) => {
                            (HealthState::Migrating { detail }, None)
                        }
                    }
                }
            }
        };
        let (state, ping_ms) = tokio::time::timeout(bound, state)
            .await
            .unwrap_or_else(|_| {
                let error = format!("no answer within {:?}", started.elapsed());
                (
                    HealthState::Down {
                        kind: DatabaseErrorKind::Timeout,
                        error,
                    },
                    None,
                )
            });
        let reader_behind = tokio::time::timeout(
            bound.saturating_sub(started.elapsed()),
            self.reader_behind(),
        )
        .await
        .ok()
        .flatten();
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
                max: self.inner.connector.runtime.pool.max_connections,
            }),
            credentials_generation: self.credentials_generation(),
            prepared_statements: self.prepared_statements(),
            host: self.active_host(),
            reader: self.reader_source().map(str::to_owned),
            reader_behind,
            downgrades: resolution
                .warnings()
                .iter()
                .filter(|w| matches!(w, crate::resolution::Warning::Downgrade { .. }))
                .map(ToString::to_string)
                .collect(),
        }
    }

    /// A `SELECT 1` on the pool. A refusal of the credentials makes the
    /// connector look at them again, and the ping tries once more.
    async fn ping(&self, pool: &Pool) -> (HealthState, Option<f64>) {
        let started = Instant::now();
        let seen = self.inner.connector.generation();
        // Within the connect timeout, less a little, so the report itself
        // (bounded by the connect timeout) says what the ping met.
        let bound = self
            .inner
            .connector
            .runtime
            .pool
            .connect_timeout
            .mul_f64(0.9);
        let mut result = crate::pool::watch::ours(pool.ping_within(bound)).await;
        if let Err(e) = &result
            && self.inner.connector.is_auth(e)
            && self
                .inner
                .connector
                .refresh_since(seen, Why::AuthFailed)
                .await
        {
            result = crate::pool::watch::ours(pool.ping_within(bound)).await;
        }
        match result {
            Ok(()) => (
                HealthState::Up,
                Some(started.elapsed().as_secs_f64() * 1000.0),
            ),
            Err(e) => {
                let c = &self.inner.connector;
                let e =
                    DatabaseError::from_sqlx(e, pool.backend(), self.redacted_url(), &c.secrets());
                (down(&e), None)
            }
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

    /// Closes the pools (the primary's and the reader's), if they were
    /// built, waiting for connections in use.
    pub async fn close(&self) {
        if let Some(reader) = self.inner.reader.get() {
            reader.pool.close().await;
        }
        if let Some(direct) = self.inner.direct.get() {
            direct.close().await;
        }
        if let Some(pool) = self.inner.pool.get() {
            pool.close().await;
        }
    }

    /// The host in use, as `host:port`, for a multi-host URL.
    #[must_use]
    pub fn active_host(&self) -> Option<String> {
        let c = &self.inner.connector;
        let targets = &c.runtime.targets;
        (self.get().is_some() && !targets.hosts.is_empty())
            .then(|| {
                targets
                    .shown(&c.secrets())
                    .get(c.failover.active())
                    .cloned()
            })
            .flatten()
    }
}

fn down(e: &DatabaseError) -> HealthState {
    HealthState::Down {
        kind: e.kind(),
        error: e.to_string(),
    }
}
