//! Running a pool's migrations: sqlx's `Migrator` on the pool, or, for a
//! PostgreSQL URL behind a transaction-mode pooler, on the direct URL when
//! one is set, and else with a pooler-safe runner of its own.
//!
//! sqlx's migrator holds a session-level `pg_advisory_lock` and keeps its
//! books with prepared statements: through a transaction-mode pooler the
//! lock and the unlock can land on different server connections (the lock
//! stays held), and the second start fails on a statement name another
//! client left behind. The pooler-safe runner keeps sqlx's books (the same
//! `_sqlx_migrations` table and checksums, so a later run through a direct
//! URL agrees) but runs each migration in a transaction of its own, holding
//! a transaction-level advisory lock, with the simple query protocol only:
//! nothing is prepared and nothing outlives the transaction.

use sqlx::migrate::Migrator;

use crate::Pool;
use crate::pool::connect::Endpoint;
use crate::pool::connector::Connector;
use crate::pool::error::DatabaseError;
use crate::pool::migrations::Migrations;
use crate::pool::session::Plan;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::pool::watch::ours;

/// Runs the backend's migrations (see the module docs for where); returns
/// how many the source holds.
#[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
pub(crate) async fn run(
    pool: &Pool,
    migrations: &Migrations,
    (c, plan): (&Connector, &Plan),
    target: &Endpoint<'_>,
) -> Result<usize, DatabaseError> {
    let runtime = &c.runtime;
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(unused_mut, reason = "the lock's runners set its locking")
    )]
    let mut migrator = load(pool, migrations, target).await?;
    let count = migrator.iter().count();
    let result = match pool {
        #[cfg(feature = "postgres")]
        Pool::Postgres(p) => match &runtime.direct {
            Some(direct) => return run_direct(&mut migrator, direct, c, target).await,
            None if plan.pooled => {
                let settings = plan.statement.clone();
                return ours(behind_pooler(p, &migrator, settings, target))
                    .await
                    .map(|()| count);
            }
            None => {
                let conn = ours(p.acquire()).await.map_err(|e| driver(e, target))?;
                let lock = crate::pool::migration_lock::PgLock::of(conn).await;
                locked(lock, &mut migrator, c, target).await
            }
        },
        #[cfg(feature = "mysql")]
        Pool::MySql(p) => {
            let conn = ours(p.acquire()).await.map_err(|e| driver(e, target))?;
            let lock = crate::pool::migration_lock::MySqlLock::of(conn).await;
            locked(lock, &mut migrator, c, target).await
        }
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(p) => reported(migrator.run(p).await, &migrator, target),
    };
    result.map(|()| count)
}

/// A driver error on the way to the migrations, as a `Migration` error.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn driver(e: sqlx::Error, target: &Endpoint<'_>) -> DatabaseError {
    let detail = target
        .secrets
        .scrub(&format!("no connection for the migrations: {e}"));
    DatabaseError::migration(target.backend, target.redacted, None, detail, Some(e))
}

/// sqlx's migrator on the lock's connection, under the migration lock
/// taken here (see `migration_lock`): bounded, visible in `health()`, let
/// go after any outcome, the connection closed when that cannot be
/// confirmed.
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn locked<L: crate::pool::migration_lock::Lock>(
    lock: Result<L, sqlx::Error>,
    migrator: &mut Migrator,
    c: &Connector,
    target: &Endpoint<'_>,
) -> Result<(), DatabaseError> {
    use crate::pool::migration_lock::{release, take};
    let mut lock = lock.map_err(|e| driver(e, target))?;
    migrator.set_locking(false);
    take(&mut lock, c, target)
        .await
        .map_err(|e| e.into_error(target))?;
    let result = migrator.run_direct(None, lock.conn(), false).await;
    if !release(&mut lock, c, target).await {
        lock.close_on_drop();
    }
    reported(result, migrator, target)
}

/// The migrator of the pool's backend.
async fn load(
    pool: &Pool,
    migrations: &Migrations,
    target: &Endpoint<'_>,
) -> Result<Migrator, DatabaseError> {
    let backend = pool.backend();
    let fail = |detail: String| {
        DatabaseError::migration(target.backend, target.redacted, None, detail, None)
    };
    match migrations {
        Migrations::Embedded(embedded) => embedded.migrator(backend).ok_or_else(|| {
            fail(format!(
                "no {backend} migrations are embedded: {}/{} did not exist when the program was built; add it and rebuild, or set the migrations directory at run time",
                embedded.dir(),
                backend.name()
            ))
        }),
        Migrations::Directory { path, var } => {
            let cwd = || std::env::current_dir().unwrap_or_default();
            if !path.is_dir() {
                let what = if path.exists() {
                    "which is not a directory".to_owned()
                } else if path.is_absolute() {
                    "which does not exist".to_owned()
                } else {
                    format!("which does not exist (relative to {})", cwd().display())
                };
                return Err(fail(format!(
                    "`{var}` names the migrations directory {}, {what}; fix the path, or unset `{var}` to use the embedded migrations",
                    path.display(),
                )));
            }
            let sub = path.join(backend.name());
            if !sub.is_dir() {
                return Err(fail(format!(
                    "the migrations directory {} (from `{var}`) has no {} sub-directory",
                    path.display(),
                    backend.name()
                )));
            }
            Migrator::new(sub.as_path())
                .await
                .map_err(|e| fail(format!("cannot read the migrations: {e}")))
        }
    }
}

/// sqlx's outcome, as a redacted error naming the migration that failed.
pub(crate) fn reported(
    result: Result<(), sqlx::migrate::MigrateError>,
    migrator: &Migrator,
    target: &Endpoint<'_>,
) -> Result<(), DatabaseError> {
    let fail = |detail: String, name: Option<String>, e: Option<sqlx::Error>| {
        DatabaseError::migration(target.backend, target.redacted, name, detail, e)
    };
    let name_of = |version: i64| {
        migrator
            .iter()
            .find(|m| m.version == version)
            .map(|m| format!("{}_{}", m.version, m.description))
    };
    match result {
        Ok(()) => Ok(()),
        Err(sqlx::migrate::MigrateError::ExecuteMigration(e, version)) => {
            let detail = target.secrets.scrub(&e.to_string());
            Err(fail(detail, name_of(version), Some(e)))
        }
        Err(sqlx::migrate::MigrateError::Execute(e)) => {
            let detail = target.secrets.scrub(&e.to_string());
            Err(fail(detail, None, Some(e)))
        }
        Err(e) => Err(fail(target.secrets.scrub(&e.to_string()), None, None)),
    }
}

/// sqlx's migrator on a single connection to the direct URL (Prisma's
/// `directUrl`): the pooler is bypassed for the lock and the books.
#[cfg(feature = "postgres")]
async fn run_direct(
    migrator: &mut Migrator,
    direct: &crate::pool::Direct,
    c: &Connector,
    target: &Endpoint<'_>,
) -> Result<usize, DatabaseError> {
    #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
    let crate::url::ConnectOptions::Postgres(options) = &direct.connect else {
        unreachable!("a direct URL is PostgreSQL's")
    };
    let direct_target = Endpoint {
        redacted: &direct.redacted,
        secrets: &direct.secrets,
        backend: crate::Backend::Postgres,
    };
    let timeout = c.runtime.pool.connect_timeout;
    // One connection, for the lock and the books; closed afterwards.
    let pool = sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
        .max_connections(1)
        .acquire_timeout(timeout)
        .connect_lazy_with(crate::pool::connect::for_pg(options));
    let unreachable = |why: String| {
        DatabaseError::migration(
            target.backend,
            &direct.redacted,
            None,
            format!("the direct URL for migrations cannot be reached: {why}"),
            None,
        )
    };
    let conn = match tokio::time::timeout(timeout, pool.acquire()).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            let e = DatabaseError::from_sqlx(
                e,
                crate::Backend::Postgres,
                &direct.redacted,
                &direct.secrets,
            );
            return Err(unreachable(e.to_string()));
        }
        Err(_) => return Err(unreachable(format!("no answer within {timeout:?}"))),
    };
    let lock = crate::pool::migration_lock::PgLock::of(conn).await;
    let result = locked(lock, migrator, c, &direct_target).await;
    pool.close().await;
    tracing::info!(target: "dbsettings", url = %direct.redacted, "migrations ran through the direct URL");
    result.map(|()| migrator.iter().count())
}

/// The pooler-safe runner (see the module docs).
#[cfg(feature = "postgres")]
async fn behind_pooler(
    pool: &sqlx::PgPool,
    migrator: &Migrator,
    settings: Option<sqlx_core::sql_str::SqlStr>,
    target: &Endpoint<'_>,
) -> Result<(), DatabaseError> {
    use sqlx::Row as _;
    use sqlx::{AssertSqlSafe, raw_sql};
    // Per database, as sqlx's own lock is; a key of its own, as this lock
    // is held per transaction.
    const LOCK: &str =
        "SELECT pg_advisory_xact_lock(hashtext('dbsettings migrations ' || current_database()))";
    const BOOKS: &str = "CREATE TABLE IF NOT EXISTS _sqlx_migrations (\n\
        version BIGINT PRIMARY KEY,\n\
        description TEXT NOT NULL,\n\
        installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),\n\
        success BOOLEAN NOT NULL,\n\
        checksum BYTEA NOT NULL,\n\
        execution_time BIGINT NOT NULL\n)";
    let fail = |detail: String, name: Option<String>, e: Option<sqlx::Error>| {
        DatabaseError::migration(target.backend, target.redacted, name, detail, e)
    };
    let driver = |e: sqlx::Error, name: Option<String>| {
        fail(target.secrets.scrub(&e.to_string()), name, Some(e))
    };
    for m in migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
    {
        let name = format!("{}_{}", m.version, m.description);
        let mut tx = pool.begin().await.map_err(|e| driver(e, None))?;
        if let Some(settings) = &settings {
            // The URL's schema and settings, as the service's own
            // transactions have them.
            raw_sql(settings.clone())
                .execute(&mut *tx)
                .await
                .map_err(|e| driver(e, None))?;
        }
        raw_sql(LOCK)
            .execute(&mut *tx)
            .await
            .map_err(|e| driver(e, None))?;
        raw_sql(BOOKS)
            .execute(&mut *tx)
            .await
            .map_err(|e| driver(e, None))?;
        let seen = raw_sql(AssertSqlSafe(format!(
            "SELECT encode(checksum, 'hex'), success FROM _sqlx_migrations WHERE version = {}",
            m.version
        )))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| driver(e, None))?;
        if let Some(row) = seen {
            let checksum: String = row.try_get(0).map_err(|e| driver(e, None))?;
            let success: bool = row.try_get(1).map_err(|e| driver(e, None))?;
            let _ = tx.rollback().await;
            if !success {
                return Err(fail(
                    "a previous run of this migration failed part-way (it is marked dirty); repair the database by hand, then delete its row from _sqlx_migrations".to_owned(),
                    Some(name),
                    None,
                ));
            }
            if checksum != hex(&m.checksum) {
                return Err(fail(
                    "it was applied, then its file changed; restore the file, or write a new migration".to_owned(),
                    Some(name),
                    None,
                ));
            }
            continue;
        }
        if m.no_tx {
            let _ = tx.rollback().await;
            return Err(fail(
                "it must run outside a transaction (`-- no-transaction`), which a transaction-mode pooler cannot do safely; set a direct URL for migrations (the `direct_url` attribute)".to_owned(),
                Some(name),
                None,
            ));
        }
        let started = std::time::Instant::now();
        raw_sql(m.sql.clone())
            .execute(&mut *tx)
            .await
            .map_err(|e| driver(e, Some(name.clone())))?;
        let elapsed = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        // Every value is a number or hex digits: nothing to escape.
        let books = format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ({}, convert_from(decode('{}', 'hex'), 'UTF8'), TRUE, decode('{}', 'hex'), {elapsed})",
            m.version,
            hex(m.description.as_bytes()),
            hex(&m.checksum),
        );
        raw_sql(AssertSqlSafe(books))
            .execute(&mut *tx)
            .await
            .map_err(|e| driver(e, Some(name.clone())))?;
        tx.commit().await.map_err(|e| driver(e, Some(name)))?;
    }
    Ok(())
}

/// `bytes` as lower-case hex digits.
#[cfg(feature = "postgres")]
fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
