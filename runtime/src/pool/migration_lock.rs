//! The migration lock, taken by dbsettings rather than by sqlx's migrator:
//! bounded, visible, and always let go.
//!
//! sqlx's migrator waits for its lock for ever (`pg_advisory_lock`,
//! MySQL's `GET_LOCK(.., -1)`), and returns an error (a history that
//! disagrees with the binary, a migration that fails) without unlocking,
//! so the connection goes back to the pool holding a session-level lock
//! and the next build waits on it for ever. Here the lock is the same one
//! (the key sqlx derives from the database's name, so a replica running
//! sqlx's own migrator and this one exclude each other), tried without
//! waiting every 250 ms until `migration_lock_wait`, with the holder said
//! in `health()` meanwhile; the migrator runs with its own locking off;
//! the lock is released after any outcome, and the connection closed
//! when that cannot be confirmed.

use core::time::Duration;
use std::time::Instant;

use crate::pool::connect::Endpoint;
use crate::pool::connector::{Connector, Migrating};
use crate::pool::error::DatabaseError;

/// How often a held lock is tried again.
const RETRY: Duration = Duration::from_millis(250);

/// sqlx's lock key for a database name (sqlx-postgres' and sqlx-mysql's
/// `generate_lock_id`).
fn lock_key(database: &str) -> i64 {
    const CRC_IEEE: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    0x3d32_ad9e * i64::from(CRC_IEEE.checksum(database.as_bytes()))
}

/// One backend's lock on a connection it owns: take it without waiting,
/// say who holds it, let go.
pub(crate) trait Lock: Send {
    /// The driver's connection, which sqlx's migrator runs on.
    type Conn: sqlx::migrate::Migrate + Send;
    /// The connection the lock is taken on.
    fn conn(&mut self) -> &mut Self::Conn;
    /// Has the connection closed rather than pooled when dropped.
    fn close_on_drop(&mut self);
    /// Tries the lock once; whether it is now held by this session.
    fn try_lock(&mut self) -> impl Future<Output = Result<bool, sqlx::Error>> + Send;
    /// Who holds it, in words (no secret: pid, application, client, since).
    fn holder(&mut self) -> impl Future<Output = String> + Send;
    /// Lets it go; whether the server confirmed.
    fn unlock(&mut self) -> impl Future<Output = bool> + Send;
}

/// Takes the lock on `lock` within the connector's `migration_lock_wait`,
/// saying in `health()` meanwhile whom it waits for; then that the
/// migrations run.
pub(crate) async fn take<L: Lock>(
    lock: &mut L,
    c: &Connector,
    target: &Endpoint<'_>,
) -> Result<(), LockedError> {
    let wait = c.runtime.pool.migration_lock_wait;
    let started = Instant::now();
    let deadline = started + wait;
    loop {
        match lock.try_lock().await {
            Ok(true) => break,
            Ok(false) => {}
            Err(e) => {
                c.migrating(None);
                return Err(LockedError::Driver(e));
            }
        }
        let holder = lock.holder().await;
        if Instant::now() >= deadline {
            c.migrating(None);
            let detail = format!(
                "the migration lock is held by another session ({holder}) and was not let go \
                 within {wait:?} (`migration_lock_wait`): a migration still running elsewhere, or a \
                 session that hung holding it (end it with `SELECT pg_terminate_backend(pid)` on \
                 PostgreSQL, `KILL id` on MySQL); the next call tries again"
            );
            tracing::warn!(target: "dbsettings", url = %target.redacted, "{detail}");
            return Err(LockedError::Waited(detail));
        }
        c.migrating(Some(Migrating::Waiting(format!(
            "waiting for the migration lock ({:.1} s of {wait:?}), held by {holder}",
            started.elapsed().as_secs_f64()
        ))));
        tokio::time::sleep(RETRY.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
    c.migrating(Some(Migrating::Running));
    Ok(())
}

/// Lets the lock go after any outcome; whether the server confirmed (when
/// not, the connection must be closed, not pooled).
pub(crate) async fn release<L: Lock>(lock: &mut L, c: &Connector, target: &Endpoint<'_>) -> bool {
    let released = lock.unlock().await;
    c.migrating(None);
    if !released {
        tracing::warn!(
            target: "dbsettings",
            url = %target.redacted,
            "the migration lock was not confirmed released; its connection is closed"
        );
    }
    released
}

/// Why a locked run failed.
pub(crate) enum LockedError {
    /// The lock was not let go within the wait: the detail, holder named.
    Waited(String),
    /// The lock could not be tried.
    Driver(sqlx::Error),
}

impl LockedError {
    /// As a `Migration` error of `target`.
    pub(crate) fn into_error(self, target: &Endpoint<'_>) -> DatabaseError {
        match self {
            Self::Waited(detail) => {
                DatabaseError::migration(target.backend, target.redacted, None, detail, None)
            }
            Self::Driver(e) => {
                let detail = target.secrets.scrub(&format!("the migration lock: {e}"));
                DatabaseError::migration(target.backend, target.redacted, None, detail, Some(e))
            }
        }
    }
}

/// PostgreSQL's: sqlx's session-level advisory lock on the database.
#[cfg(feature = "postgres")]
pub(crate) struct PgLock {
    conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    key: i64,
}

#[cfg(feature = "postgres")]
impl PgLock {
    /// The lock of the database `conn` is on.
    pub(crate) async fn of(
        mut conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    ) -> Result<Self, sqlx::Error> {
        let database: String = sqlx::query_scalar("SELECT current_database()")
            .persistent(false)
            .fetch_one(&mut *conn)
            .await?;
        Ok(Self {
            key: lock_key(&database),
            conn,
        })
    }
}

#[cfg(feature = "postgres")]
impl Lock for PgLock {
    type Conn = sqlx::PgConnection;

    fn conn(&mut self) -> &mut sqlx::PgConnection {
        &mut self.conn
    }

    fn close_on_drop(&mut self) {
        self.conn.close_on_drop();
    }

    async fn try_lock(&mut self) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(self.key)
            .persistent(false)
            .fetch_one(&mut *self.conn)
            .await
    }

    async fn holder(&mut self) -> String {
        // A bigint advisory key is kept as two 32-bit halves.
        let row: Result<Option<(i32, String, String, String)>, _> = sqlx::query_as(
            "SELECT a.pid, coalesce(a.application_name, ''), \
                    coalesce(host(a.client_addr), 'a local socket'), \
                    coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), '?') \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid = (($1 >> 32) & 4294967295)::oid \
               AND l.objid = ($1 & 4294967295)::oid \
             LIMIT 1",
        )
        .bind(self.key)
        .persistent(false)
        .fetch_optional(&mut *self.conn)
        .await;
        match row {
            Ok(Some((pid, app, client, since))) => {
                let app = if app.is_empty() {
                    String::new()
                } else {
                    format!(", application_name `{app}`")
                };
                format!("PostgreSQL pid {pid}{app}, from {client}, connected since {since}")
            }
            Ok(None) => "a session that let it go a moment ago".to_owned(),
            Err(_) => "a session this role may not see".to_owned(),
        }
    }

    async fn unlock(&mut self) -> bool {
        sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
            .bind(self.key)
            .persistent(false)
            .fetch_one(&mut *self.conn)
            .await
            .unwrap_or(false)
    }
}

/// MySQL's and MariaDB's: sqlx's named lock on the database.
#[cfg(feature = "mysql")]
pub(crate) struct MySqlLock {
    conn: sqlx::pool::PoolConnection<sqlx::MySql>,
    name: String,
}

#[cfg(feature = "mysql")]
impl MySqlLock {
    /// The lock of the database `conn` is on.
    pub(crate) async fn of(
        mut conn: sqlx::pool::PoolConnection<sqlx::MySql>,
    ) -> Result<Self, sqlx::Error> {
        let database: Option<String> = sqlx::query_scalar("SELECT DATABASE()")
            .fetch_one(&mut *conn)
            .await?;
        Ok(Self {
            name: format!("{:x}", lock_key(&database.unwrap_or_default())),
            conn,
        })
    }
}

#[cfg(feature = "mysql")]
impl Lock for MySqlLock {
    type Conn = sqlx::MySqlConnection;

    fn conn(&mut self) -> &mut sqlx::MySqlConnection {
        &mut self.conn
    }

    fn close_on_drop(&mut self) {
        self.conn.close_on_drop();
    }

    async fn try_lock(&mut self) -> Result<bool, sqlx::Error> {
        let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
            .bind(&self.name)
            .fetch_one(&mut *self.conn)
            .await?;
        Ok(got == Some(1))
    }

    async fn holder(&mut self) -> String {
        let row: Result<Option<(i64, String, i64)>, _> = sqlx::query_as(
            "SELECT CAST(p.ID AS SIGNED), COALESCE(p.HOST, ''), CAST(COALESCE(p.TIME, 0) AS SIGNED) \
             FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?)",
        )
        .bind(&self.name)
        .fetch_optional(&mut *self.conn)
        .await;
        match row {
            Ok(Some((id, host, time))) => {
                format!("MySQL connection {id}, from {host}, in its current state for {time} s")
            }
            Ok(None) => "a session that let it go a moment ago".to_owned(),
            Err(_) => "a session this user may not see".to_owned(),
        }
    }

    async fn unlock(&mut self) -> bool {
        sqlx::query_scalar::<_, Option<i64>>("SELECT RELEASE_LOCK(?)")
            .bind(&self.name)
            .fetch_one(&mut *self.conn)
            .await
            .is_ok_and(|r| r == Some(1))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_key_is_sqlxs() {
        // sqlx-postgres' generate_lock_id("test"): 0x3d32ad9e * crc32("test").
        assert_eq!(super::lock_key("test"), 0x3d32_ad9e * 0xd87f_7e0c);
        assert_eq!(format!("{:x}", super::lock_key("test")), "33c13cc34135e768");
    }
}
