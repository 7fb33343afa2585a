//! The pool stage: the lazy [`Database`] handle, the typed [`Pool`], its
//! [`PoolOptions`], the bounded connect, [`Migrations`], [`DatabaseError`]
//! and SQLite's write discipline. It is built from what the URL stage
//! resolved (connect options, the fallback chosen for an unreachable
//! primary, the hosts to choose from); the one part of resolution it runs
//! again is the URL stage's own check of a rotated `_FILE` secret.
//!
//! One job a file:
//!
//! - `database`: the public handle ([`Database`]) and its health report;
//! - `build`: the single-flight first build, the startup wait, migrations;
//! - `switch`: the switch to the SQLite fallback (`on_unreachable =
//!   "fallback"`);
//! - `connector`: the one place connections are made from. It owns the
//!   credentials (static, `_FILE`, provider) and their generation, the host
//!   in use and the session set-up; each pool asks it for its options, and
//!   it hands every pool each new generation;
//! - `connect`: a bounded probe and the pool on it, SQLite's bootstrap;
//! - `failover`: choosing among a multi-host URL's hosts, under one
//!   deadline, and following a failover;
//! - `reader`: the read-only pool;
//! - `session`: the session set-up (read-only readers, settings behind a
//!   pooler);
//! - `credentials`: the provider and `_FILE` types;
//! - `migrations`: embedded or run-time migrations, also behind a
//!   transaction-mode pooler or through a direct URL;
//! - `watch`: what each pool says about itself (spans, slow holders, and
//!   with `metrics.rs` the metrics by OpenTelemetry's names) and how its
//!   connections age (`lifetime.rs`: a jittered lifetime each, an idle
//!   check).

mod build;
mod causal;
pub(crate) mod connect;
pub(crate) mod connector;
mod credentials;
mod database;
mod direct;
#[cfg(feature = "postgres")]
pub(crate) mod failover;
#[cfg(not(feature = "postgres"))]
pub(crate) mod failover {
    //! Multi-host URLs are PostgreSQL's: nothing to follow without it.

    /// The host a pool is on (always the one).
    #[derive(Debug, Default)]
    pub(crate) struct Failover;

    impl Failover {
        /// The index of the host in use: the only one.
        #[allow(clippy::unused_self, reason = "the same signature as with PostgreSQL")]
        pub(crate) fn active(&self) -> usize {
            0
        }
    }

    impl crate::pool::Database {
        /// Nothing to follow without PostgreSQL.
        #[allow(clippy::unused_self, reason = "the same signature as with PostgreSQL")]
        pub(crate) fn follow_failover(&self) {}
    }
}
pub(crate) mod error;
mod health;
mod lifetime;
#[cfg(feature = "metrics")]
mod metrics;
pub(crate) mod migrate;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod migration_lock;
mod migrations;
mod options;
#[cfg(feature = "rds-iam")]
pub(crate) mod rds_iam;
mod reader;
pub(crate) mod registry;
pub(crate) mod session;
pub(crate) mod silence;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqlite")]
mod switch;
pub(crate) mod watch;

pub(crate) use crate::resolution::DatabaseErrorKind;
pub use causal::{CAUSAL_WAIT, Written};
pub(crate) use credentials::SecretFile;
pub use credentials::{Credential, ProviderError};
pub use database::Database;
pub(crate) use database::Switched;
pub use error::DatabaseError;
pub use health::{Health, HealthState, PoolStats};
pub use migrations::{EmbeddedMigration, EmbeddedMigrations, Migrations};
pub use options::{PoolOptions, Unreachable};
#[cfg(feature = "rds-iam")]
pub use rds_iam::{AwsCredentials, RdsIam};

use std::sync::Arc;

use crate::Backend;
use crate::url::ConnectOptions;

/// What a [`Database`] handle is made from: the resolved URL (password
/// included), its redacted form and report, and the pool's setup.
#[derive(Debug)]
pub(crate) struct Configured {
    pub(crate) url: String,
    pub(crate) redacted: String,
    pub(crate) resolution: crate::resolution::Resolution,
    pub(crate) setup: Arc<PoolSetup>,
}

/// What the pool needs beyond the URL, fixed at resolution time.
#[derive(Debug)]
pub(crate) struct PoolSetup {
    pub(crate) pool: PoolOptions,
    /// Built from the same source as the URL, so `from_vars` stays
    /// hermetic; or the driver's reason it could not be, which the first
    /// `pool()` returns.
    pub(crate) connect: Result<ConnectOptions, String>,
    /// The URL variable, for messages.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) var: String,
    /// With `on_unreachable = "fallback"` on a server URL: the SQLite
    /// fallback, chosen at resolution like any other.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) unreachable_fallback: Option<crate::url::fallback::Choice>,
    /// The `_FILE` secret the URL was read from, watched for rotations.
    pub(crate) secret_file: Option<SecretFile>,
    /// The hosts of a multi-host PostgreSQL URL and which to keep.
    pub(crate) targets: crate::url::Targets,
    /// A direct URL for migrations (the `direct_url` attribute), resolved:
    /// used instead of a transaction-mode pooler's.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) direct: Option<Direct>,
    /// Session settings (`search_path`, ...) that a transaction-mode pooler
    /// would drop as startup options: set in each transaction instead.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) session: Vec<(String, String)>,
    /// A read replica's URL (the `replica` attribute), resolved.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) replica: Option<Replica>,
}

/// A direct URL for migrations, resolved like the primary.
#[derive(Debug)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) struct Direct {
    pub(crate) connect: ConnectOptions,
    pub(crate) redacted: String,
    pub(crate) secrets: crate::url::redact::Secrets,
}

/// A read replica, resolved like the primary.
#[derive(Debug)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) struct Replica {
    pub(crate) connect: ConnectOptions,
    pub(crate) targets: crate::url::Targets,
    pub(crate) redacted: String,
    pub(crate) secrets: crate::url::redact::Secrets,
}

/// A typed sqlx pool. Not `AnyPool`: the typed pools bind dates, UUIDs and
/// JSON, set SQLite pragmas, and share one `sqlite::memory:` database.
///
/// Cloning is cheap (the pools are reference-counted).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Pool {
    /// A PostgreSQL pool.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    /// A MySQL or MariaDB pool.
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlPool),
    /// An SQLite pool, tuned for a web server (WAL, `busy_timeout`,
    /// `synchronous=NORMAL`, `foreign_keys=ON`). Write transactions go
    /// through [`sqlite::begin_write`](crate::sqlite::begin_write).
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
}

impl Pool {
    /// The backend of this pool.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            Self::MySql(_) => Backend::MySql,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The PostgreSQL pool, if that is the backend.
    #[cfg(feature = "postgres")]
    #[must_use]
    pub fn as_postgres(&self) -> Option<&sqlx::PgPool> {
        match self {
            Self::Postgres(p) => Some(p),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The MySQL pool, if that is the backend.
    #[cfg(feature = "mysql")]
    #[must_use]
    pub fn as_mysql(&self) -> Option<&sqlx::MySqlPool> {
        match self {
            Self::MySql(p) => Some(p),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The SQLite pool, if that is the backend.
    #[cfg(feature = "sqlite")]
    #[must_use]
    pub fn as_sqlite(&self) -> Option<&sqlx::SqlitePool> {
        match self {
            Self::Sqlite(p) => Some(p),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Runs `SELECT 1`: a health check. It uses the simple query protocol,
    /// so it prepares nothing (a transaction-mode pooler stays happy).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => sqlx::raw_sql("SELECT 1").execute(p).await.map(drop),
            #[cfg(feature = "mysql")]
            Self::MySql(p) => sqlx::raw_sql("SELECT 1").execute(p).await.map(drop),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => sqlx::raw_sql("SELECT 1").execute(p).await.map(drop),
        }
    }

    /// [`ping`](Self::ping) on one connection, within `bound`: past it the
    /// connection is closed, not pooled (its server stopped answering), and
    /// the error is an I/O `TimedOut` that says so.
    pub(crate) async fn ping_within(&self, bound: core::time::Duration) -> Result<(), sqlx::Error> {
        async fn one<DB: sqlx::Database>(
            pool: &sqlx::Pool<DB>,
            bound: core::time::Duration,
        ) -> Result<(), sqlx::Error>
        where
            for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
        {
            let mut conn = pool.acquire().await?;
            match tokio::time::timeout(bound, sqlx::raw_sql("SELECT 1").execute(&mut *conn)).await {
                Ok(done) => done.map(drop),
                Err(_) => {
                    conn.close_on_drop();
                    Err(sqlx::Error::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("the server did not answer a ping within {bound:?}"),
                    )))
                }
            }
        }
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => one::<sqlx::Postgres>(p, bound).await,
            #[cfg(feature = "mysql")]
            Self::MySql(p) => one::<sqlx::MySql>(p, bound).await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => one::<sqlx::Sqlite>(p, bound).await,
        }
    }

    /// Closes the pool: waits for connections in use to be returned.
    pub async fn close(&self) {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => p.close().await,
            #[cfg(feature = "mysql")]
            Self::MySql(p) => p.close().await,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => p.close().await,
        }
    }

    /// The number of idle connections.
    #[must_use]
    pub fn num_idle(&self) -> usize {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => p.num_idle(),
            #[cfg(feature = "mysql")]
            Self::MySql(p) => p.num_idle(),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => p.num_idle(),
        }
    }

    /// The number of open connections, idle or in use.
    #[must_use]
    pub fn size(&self) -> u32 {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(p) => p.size(),
            #[cfg(feature = "mysql")]
            Self::MySql(p) => p.size(),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(p) => p.size(),
        }
    }
}
