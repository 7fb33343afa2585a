//! `Database`: the lazy pool handle. Creating one never connects; the first
//! `pool()` builds the pool (one build shared by concurrent first callers),
//! later calls are an atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::pool::Runtime;
use crate::pool::connect::{self, Target};
use crate::pool::error::{DatabaseError, DatabaseErrorKind};
#[cfg(feature = "sqlite")]
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
    secrets: Secrets,
    backend: Backend,
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
                secrets: Secrets::of_url(url.configured_secret()),
                backend: url.configured_resolution().backend,
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
        self.inner.secrets.scrub(message)
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
        let started = std::time::Instant::now();
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
                Ok(self.inner.pool.get_or_init(|| pool).clone())
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

    async fn build_primary(&self) -> Result<Pool, DatabaseError> {
        let inner = &*self.inner;
        let config = &inner.runtime;
        let target = Target {
            redacted: &inner.redacted,
            secrets: &inner.secrets,
            backend: inner.backend,
        };
        let options = config.connect.as_ref().ok_or_else(|| {
            DatabaseError::new(
                DatabaseErrorKind::Other,
                inner.backend,
                &inner.redacted,
                "the driver's connect options could not be built".to_owned(),
                None,
            )
        })?;
        let pool = connect::build(options, &config.pool, &target).await?;
        if let Some(dir) = &config.pool.migrations {
            let migrations = connect::migrate(&pool, dir, &target).await?;
            tracing::info!(target: "dbsettings", migrations, dir = %dir, "migrations up to date");
        }
        Ok(pool)
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
        let pool = connect::build(&ConnectOptions::Sqlite(options), &config.pool, &target).await?;
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
