//! The session pool: a typed sqlx pool whose connections are sessions of
//! their own, for code that needs a raw `PgPool` (sqlx's `query!` macros, a
//! session store, a job queue's `LISTEN`) or session state (`SET`,
//! advisory locks, `VACUUM`).
//!
//! On a direct connection that is the primary pool itself. Behind a
//! transaction-mode pooler, where a connection is the client's for one
//! transaction only, it is a pool on the direct URL (the `direct_url`
//! attribute: the server's own port, Prisma's `directUrl`); without one it
//! is an error that says so.

use crate::Pool;
use crate::pool::database::Database;
use crate::pool::error::DatabaseError;

impl Database {
    /// A pool for session work: its connections are sessions of their own,
    /// on which everything sqlx does works as it does on a server (named
    /// statements, `SET`, advisory locks, `LISTEN`, statements outside a
    /// transaction).
    ///
    /// On a direct connection (and on MySQL and SQLite) it is
    /// [`pool`](Self::pool)'s. Behind a transaction-mode pooler
    /// (`pgbouncer=true`) it is a pool on the URL the `direct_url`
    /// attribute names, built on first use with the primary's pool
    /// settings; without a direct URL it is an error naming the attribute.
    pub async fn direct(&self) -> Result<Pool, DatabaseError> {
        let primary = self.pool().await?;
        let c = self.connector();
        if !c.plan(crate::pool::watch::Role::Primary).pooled {
            return Ok(primary);
        }
        if let Some(pool) = self.inner.direct.get() {
            return Ok(pool.clone());
        }
        #[cfg(feature = "postgres")]
        if let Some(direct) = &c.runtime.direct {
            return Ok(self
                .inner
                .direct
                .get_or_init(|| self.direct_pool(direct))
                .clone());
        }
        Err(DatabaseError::options(
            c.backend,
            &c.redacted,
            "behind a transaction-mode pooler (`pgbouncer=true`) a connection is yours for one \
             transaction only, so a pool for session work needs the server's own URL: name its \
             variable with the `direct_url` attribute (`direct_url = \"DATABASE_DIRECT_URL\"`) \
             and set it"
                .to_owned(),
        ))
    }

    #[cfg(feature = "postgres")]
    fn direct_pool(&self, direct: &crate::pool::Direct) -> Pool {
        use crate::pool::connect::{for_pg, pool_options};
        use crate::pool::watch::{Role, Watch};
        use crate::url::ConnectOptions;
        #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
        let ConnectOptions::Postgres(options) = &direct.connect else {
            unreachable!("a direct URL is PostgreSQL's")
        };
        let c = self.connector();
        let options = for_pg(options);
        let watch = Watch::new(
            Role::Direct,
            &c.runtime.var,
            &ConnectOptions::Postgres(options.clone()),
            &c.runtime.pool,
        );
        let pool =
            Pool::Postgres(pool_options(&c.runtime.pool, &watch, None).connect_lazy_with(options));
        c.observe(&pool, &watch);
        tracing::info!(target: "dbsettings", url = %direct.redacted, "the session pool connects through the direct URL");
        pool
    }
}
