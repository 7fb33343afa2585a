//! Building a pool: a bounded first connect that reports the real cause,
//! SQLite bootstrap (WAL checked once), then migrations (embedded, or from
//! the directory an override names).

use crate::pool::error::DatabaseError;
use crate::pool::options::PoolOptions;
use crate::url::ConnectOptions;
#[cfg(feature = "sqlite")]
use crate::url::driver::{MEMORY_PREFIX, SQLITE_BUSY_TIMEOUT};
use crate::url::redact::Secrets;
use crate::{Backend, Pool};
use core::time::Duration;
use std::future::Future;
use std::sync::Arc;

use tracing::Instrument as _;

use crate::pool::watch::{Fresh, Watch};

/// Where a pool connects, for messages: the redacted URL and the secrets to
/// scrub from driver messages.
pub(crate) struct Endpoint<'a> {
    pub(crate) redacted: &'a str,
    pub(crate) secrets: &'a Secrets,
    pub(crate) backend: Backend,
}

/// sqlx hands `[::1]` to the resolver as a name, which fails: the brackets
/// belong to URL syntax, not to the address.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn unbracket(host: &str) -> Option<&str> {
    host.strip_prefix('[')?.strip_suffix(']')
}

/// Runs a connect attempt under the connect timeout, classifying failures.
async fn bounded<T>(
    target: &Endpoint<'_>,
    timeout: Duration,
    attempt: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, DatabaseError> {
    match tokio::time::timeout(timeout, attempt).await {
        Err(_) => Err(DatabaseError::timeout(
            target.backend,
            target.redacted,
            timeout,
        )),
        Ok(Err(e)) => Err(DatabaseError::from_sqlx(
            e,
            target.backend,
            target.redacted,
            target.secrets,
        )),
        Ok(Ok(v)) => Ok(v),
    }
}

/// Builds the pool for `options`: one bounded probe connection first, so a
/// dead server is reported with its cause in milliseconds instead of as
/// sqlx's `PoolTimedOut` after the whole acquire timeout.
#[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
pub(crate) async fn build(
    options: &ConnectOptions,
    pool: &PoolOptions,
    target: &Endpoint<'_>,
    hosts: &Hosts<'_>,
    watch: &Arc<Watch>,
) -> Result<Pool, DatabaseError> {
    let built = async {
        Ok(match for_driver(options) {
            #[cfg(feature = "postgres")]
            ConnectOptions::Postgres(o) if hosts.choose() => {
                Pool::Postgres(choose_then_pool(&o, pool, target, hosts, watch).await?)
            }
            #[cfg(feature = "postgres")]
            ConnectOptions::Postgres(o) => {
                Pool::Postgres(probe_then_pool::<sqlx::PgConnection>(o, pool, target, watch).await?)
            }
            #[cfg(feature = "mysql")]
            ConnectOptions::MySql(o) => {
                Pool::MySql(probe_then_pool::<sqlx::MySqlConnection>(o, pool, target, watch).await?)
            }
            #[cfg(feature = "sqlite")]
            ConnectOptions::Sqlite(o) => build_sqlite(&o, pool, target, watch).await?,
        })
    };
    built.instrument(watch.connect_span()).await
}

/// The options as the driver needs them: bracketed IPv6 hosts unbracketed.
pub(crate) fn for_driver(options: &ConnectOptions) -> ConnectOptions {
    match options {
        #[cfg(feature = "postgres")]
        ConnectOptions::Postgres(o) => ConnectOptions::Postgres(match unbracket(o.get_host()) {
            Some(h) => o.clone().host(h),
            None => o.clone(),
        }),
        #[cfg(feature = "mysql")]
        ConnectOptions::MySql(o) => ConnectOptions::MySql(match unbracket(o.get_host()) {
            Some(h) => o.clone().host(h),
            None => o.clone(),
        }),
        #[cfg(feature = "sqlite")]
        ConnectOptions::Sqlite(o) => ConnectOptions::Sqlite(o.clone()),
    }
}

/// PostgreSQL options as the driver needs them (IPv6 unbracketed).
#[cfg(feature = "postgres")]
pub(crate) fn for_pg(o: &sqlx::postgres::PgConnectOptions) -> sqlx::postgres::PgConnectOptions {
    match unbracket(o.get_host()) {
        Some(h) => o.clone().host(h),
        None => o.clone(),
    }
}

/// `options` with a provider's `password` in place of the URL's. On MySQL
/// over required TLS, the server may ask for the password in the clear
/// (`mysql_clear_password`, as RDS IAM and Azure Entra logins do): sqlx
/// refuses unless told, and the TLS protects it.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(unused_variables)
)]
pub(crate) fn with_password(options: &ConnectOptions, password: &str) -> ConnectOptions {
    match options {
        #[cfg(feature = "postgres")]
        ConnectOptions::Postgres(o) => ConnectOptions::Postgres(o.clone().password(password)),
        #[cfg(feature = "mysql")]
        ConnectOptions::MySql(o) => {
            use sqlx::mysql::MySqlSslMode as M;
            let tls = matches!(
                o.get_ssl_mode(),
                M::Required | M::VerifyCa | M::VerifyIdentity
            );
            ConnectOptions::MySql(o.clone().password(password).enable_cleartext_plugin(tls))
        }
        #[allow(unreachable_patterns)]
        other => other.clone(),
    }
}

/// The hosts of a (multi-host) PostgreSQL URL and the failover state of
/// the pool built on them.
pub(crate) struct Hosts<'a> {
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) targets: &'a crate::url::Targets,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) failover: &'a Arc<crate::pool::failover::Failover>,
}

impl Hosts<'_> {
    /// Whether there is a choice to make: several hosts, or a role to check.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn choose(&self) -> bool {
        self.targets.choose()
    }
}

/// Chooses the host (see `failover::choose`), then a lazy pool on it whose
/// connections opened before a later failover are dropped when acquired.
#[cfg(feature = "postgres")]
async fn choose_then_pool(
    base: &sqlx::postgres::PgConnectOptions,
    pool: &PoolOptions,
    target: &Endpoint<'_>,
    hosts: &Hosts<'_>,
    watch: &Arc<Watch>,
) -> Result<sqlx::PgPool, DatabaseError> {
    use crate::pool::failover;
    let deadline = failover::Deadline::after(pool.connect_timeout);
    let (i, probe) = failover::choose(
        base,
        hosts.targets,
        deadline,
        target.secrets,
        target.redacted,
    )
    .await?;
    let _ = sqlx::Connection::close(probe).await;
    hosts.failover.switch(i);
    let marks = Arc::clone(hosts.failover);
    let options = failover::host_options(base, hosts.targets, i);
    let fresh: Fresh = Arc::new(move |age| marks.fresh(age));
    Ok(pool_options(pool, watch, Some(fresh)).connect_lazy_with(options))
}

/// One bounded probe connection, then a lazy pool with the same options.
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn probe_then_pool<C: sqlx::Connection>(
    options: <C as sqlx::Connection>::Options,
    pool: &PoolOptions,
    target: &Endpoint<'_>,
    watch: &Arc<Watch>,
) -> Result<sqlx::Pool<C::Database>, DatabaseError>
where
    C::Database: sqlx::Database<Connection = C>,
{
    let probe = bounded(target, pool.connect_timeout, C::connect_with(&options)).await?;
    let _ = probe.close().await;
    Ok(pool_options(pool, watch, None).connect_lazy_with(options))
}

/// sqlx's options for every pool: sized and bounded by `o`, with the
/// hooks of `watch` (each connection's own lifetime, the idle check, the
/// create time) and the extra check `fresh`.
pub(crate) fn pool_options<DB: sqlx::Database>(
    o: &PoolOptions,
    watch: &Arc<Watch>,
    fresh: Option<Fresh>,
) -> sqlx::pool::PoolOptions<DB> {
    let options = sqlx::pool::PoolOptions::new()
        .max_connections(o.max_connections)
        .min_connections(o.min_connections)
        .acquire_timeout(o.acquire_timeout)
        .idle_timeout(o.idle_timeout);
    watch.hooks(options, fresh)
}

#[cfg(feature = "sqlite")]
async fn build_sqlite(
    o: &sqlx::sqlite::SqliteConnectOptions,
    pool: &PoolOptions,
    target: &Endpoint<'_>,
    watch: &Arc<Watch>,
) -> Result<Pool, DatabaseError> {
    use sqlx::Connection as _;
    let memory = o.get_filename().starts_with(MEMORY_PREFIX);
    // The probe gives up waiting for a lock before the connect timeout
    // fires, so a file locked by another process is reported as locked,
    // not as a server that did not answer.
    let lock_wait = (pool.connect_timeout * 4 / 5).min(SQLITE_BUSY_TIMEOUT);
    let mut probe = bounded(
        target,
        pool.connect_timeout,
        sqlx::SqliteConnection::connect_with(&o.clone().busy_timeout(lock_wait)),
    )
    .await?;
    if !memory {
        // WAL is a property of the database file: set once here, and check
        // what SQLite answered (it refuses on some network file systems).
        let mode: String = bounded(
            target,
            pool.connect_timeout,
            sqlx::query_scalar("PRAGMA journal_mode=WAL").fetch_one(&mut probe),
        )
        .await?;
        if mode.eq_ignore_ascii_case("wal") {
            tracing::info!(target: "dbsettings", "SQLite journal mode: WAL");
        } else {
            tracing::warn!(
                target: "dbsettings",
                mode,
                "SQLite refused WAL (journal mode is {mode}): readers will wait for writers; is the file on a network mount?"
            );
        }
    }
    let mut options = pool_options::<sqlx::Sqlite>(pool, watch, None);
    if memory {
        // The database lives as long as one connection does (its watch
        // retires none).
        options = options
            .min_connections(pool.min_connections.max(1))
            .idle_timeout(None)
            .max_lifetime(None);
    }
    let built = options.connect_lazy_with(o.clone());
    if memory {
        // Hand the probe to the pool's life: keep one connection open until
        // the pool holds its own.
        let _ = bounded(target, pool.connect_timeout, built.acquire()).await?;
    }
    let _ = probe.close().await;
    Ok(Pool::Sqlite(built))
}
