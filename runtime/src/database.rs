//! `Database`: the lazy pool handle. Creating one never connects; the first
//! `pool()` builds the pool (one build shared by concurrent first callers),
//! later calls are an atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

#[cfg(feature = "sqlite")]
use crate::connect::ConnectOptions;
use crate::connect::{self, Target};
use crate::database_url::Runtime;
use crate::db_error::{DatabaseError, DatabaseErrorKind};
#[cfg(feature = "sqlite")]
use crate::fallback::{self, Places};
#[cfg(feature = "sqlite")]
use crate::options::Unreachable;
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
    url: String,
    redacted: String,
    backend: Backend,
    runtime: Arc<Runtime>,
    pool: OnceLock<Pool>,
    /// One build at a time; holds the generation and error of the last
    /// failed build, so callers that waited for it share its result.
    build: tokio::sync::Mutex<Option<DatabaseError>>,
    failures: AtomicU64,
    builds: AtomicU64,
}

impl core::fmt::Debug for Database {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Database")
            .field("url", &self.inner.redacted)
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
                url: url.expose_secret().to_owned(),
                redacted: url.redacted().to_owned(),
                backend: url.backend(),
                runtime: Arc::clone(url.runtime()),
                pool: OnceLock::new(),
                build: tokio::sync::Mutex::new(None),
                failures: AtomicU64::new(0),
                builds: AtomicU64::new(0),
            }),
        }
    }

    /// The backend of the configured URL (the pool's may differ after an
    /// `on_unreachable = "fallback"` switch: see [`Pool::backend`]).
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The redacted URL this handle connects to.
    #[must_use]
    pub fn redacted_url(&self) -> &str {
        &self.inner.redacted
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
                    && inner.runtime.pool.on_unreachable == Unreachable::Fallback
                    && inner.backend != Backend::Sqlite
                {
                    match self.build_fallback(&error).await {
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
            password: connect::password_of(&inner.url),
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
            tracing::info!(target: "dbsettings", migrations, dir, "migrations up to date");
        }
        Ok(pool)
    }

    /// `on_unreachable = "fallback"`: the SQLite fallback, chosen as at
    /// resolution, with the primary's failure as the reason.
    #[cfg(feature = "sqlite")]
    async fn build_fallback(&self, cause: &DatabaseError) -> Result<Pool, DatabaseError> {
        let config = &self.inner.runtime;
        let places = Places::system();
        let attribute = crate::load::attribute_location(config.fallback, &places.cwd);
        let choice = fallback::choose(attribute.as_ref(), config.data_dir.as_deref(), &places);
        tracing::warn!(
            target: "dbsettings",
            location = %choice.location,
            "the primary database is unreachable ({}); falling back to SQLite as `on_unreachable = \"fallback\"` asks",
            cause
        );
        let target = Target {
            redacted: &choice.url,
            password: None,
            backend: Backend::Sqlite,
        };
        let options = connect::sqlite_options(&choice.url)
            .map_err(|e| DatabaseError::from_sqlx(e, Backend::Sqlite, &choice.url, None))?;
        let pool = connect::build(&ConnectOptions::Sqlite(options), &config.pool, &target).await?;
        if let Some(dir) = &config.pool.migrations {
            connect::migrate(&pool, dir, &target).await?;
        }
        Ok(pool)
    }
}
