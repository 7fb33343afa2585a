//! The reader pool: read-only sessions on a replica, a standby, or the
//! primary, built on first use from the connector's options, so it follows
//! rotations like the primary.

#[cfg(feature = "postgres")]
use crate::Backend;
use crate::Pool;
use crate::pool::database::Database;
use crate::pool::error::DatabaseError;

impl Database {
    /// A pool for read-only work. On PostgreSQL its sessions are read-only
    /// (`default_transaction_read_only`), so a write through it fails
    /// loudly, and its server is, in order: the replica named by the
    /// `replica` attribute's variable (an RDS reader endpoint, say); else a
    /// standby among the URL's hosts (`prefer-standby`); else the primary.
    /// A replica that cannot be reached serves from the primary's hosts, and
    /// [`health`](Self::health) says so. On SQLite and MySQL it is the
    /// primary pool.
    ///
    /// A reader on the URL's hosts logs in with the primary's credentials,
    /// and follows their rotations (a `_FILE` rewritten, a provider's new
    /// password); a replica's URL is its own, read once.
    pub async fn reader(&self) -> Result<Pool, DatabaseError> {
        if let Some(r) = self.inner.reader.get() {
            return Ok(r.pool.clone());
        }
        let primary = self.pool().await?;
        #[cfg(feature = "postgres")]
        if primary.backend() == Backend::Postgres {
            let _turn = self.inner.reader_build.lock().await;
            if let Some(r) = self.inner.reader.get() {
                return Ok(r.pool.clone());
            }
            let built = self.build_reader().await?;
            let source = &built.source;
            tracing::info!(target: "dbsettings", "the reader pool reads from {source}");
            return Ok(self.inner.reader.get_or_init(|| built).pool.clone());
        }
        Ok(primary)
    }

    /// Where the reader pool's reads go, once it is built.
    #[must_use]
    pub fn reader_source(&self) -> Option<&str> {
        self.inner.reader.get().map(|r| r.source.as_str())
    }

    #[cfg(feature = "postgres")]
    async fn build_reader(&self) -> Result<Reader, DatabaseError> {
        use crate::pool::connect::pool_options;
        use crate::pool::connector::Shape;
        use crate::pool::failover;
        use crate::pool::session::read_only;
        use crate::pool::watch::Role;
        use crate::resolution::SessionAttrs;
        use crate::url::ConnectOptions;
        let c = self.connector();
        let config = &c.runtime;
        let deadline = failover::Deadline::after(config.pool.connect_timeout);
        let mut replica_error = None;
        if let Some(replica) = &config.replica
            && let ConnectOptions::Postgres(base) = &replica.connect
        {
            let base = crate::pool::connect::for_pg(base);
            let base = if c.plan(Role::Reader).pooled {
                base
            } else {
                read_only(&base)
            };
            let secrets = &replica.secrets;
            match failover::choose(
                &base,
                &replica.targets,
                deadline,
                secrets,
                &replica.redacted,
            )
            .await
            {
                Ok((i, probe)) => {
                    let _ = sqlx::Connection::close(probe).await;
                    let options = failover::host_options(&base, &replica.targets, i);
                    let watch = reader_watch(config, &options);
                    let pool = pool_options(&config.pool, &watch, None).connect_lazy_with(options);
                    let pool = Pool::Postgres(pool);
                    c.observe(&pool, &watch);
                    return Ok(Reader {
                        pool,
                        source: "the replica".to_owned(),
                        on: ReaderOn::Replica,
                    });
                }
                Err(e) => replica_error = Some(e),
            }
        }
        #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
        let ConnectOptions::Postgres(base) = c.options().await? else {
            unreachable!("a PostgreSQL handle has PostgreSQL options")
        };
        let mut targets = config.targets.clone();
        targets.attrs = SessionAttrs::PreferStandby;
        let deadline = failover::Deadline::after(config.pool.connect_timeout);
        let secrets = c.secrets();
        let probe_options = if c.plan(Role::Reader).pooled {
            base.clone()
        } else {
            read_only(&base)
        };
        let (i, probe) =
            failover::choose(&probe_options, &targets, deadline, &secrets, &c.redacted).await?;
        // The simple protocol: nothing is prepared (a pooler may sit between).
        let standby = sqlx::raw_sql("SELECT pg_is_in_recovery()")
            .fetch_one(&mut { probe })
            .await
            .and_then(|row| sqlx::Row::try_get::<bool, _>(&row, 0))
            .unwrap_or(false);
        let shape = Shape::Reader { host: i };
        let options = c.shaped(&ConnectOptions::Postgres(base), shape);
        #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
        let ConnectOptions::Postgres(options) = options else {
            unreachable!("shaped PostgreSQL options stay PostgreSQL's")
        };
        let watch = reader_watch(config, &options);
        let pool = pool_options(&config.pool, &watch, None).connect_lazy_with(options);
        let pool = Pool::Postgres(pool);
        c.attach(&pool, shape, &watch);
        let (mut source, on) = if standby {
            ("a standby of the URL's hosts".to_owned(), ReaderOn::Standby)
        } else {
            ("the primary".to_owned(), ReaderOn::Primary)
        };
        if let Some(e) = replica_error {
            source = format!("{source} (the replica is unreachable: {e})");
        }
        Ok(Reader { pool, source, on })
    }
}

/// The reader pool, once built: where its reads go, said and known.
pub(super) struct Reader {
    pub(super) pool: Pool,
    /// Said in the log and the health report.
    pub(super) source: String,
    pub(super) on: ReaderOn,
}

/// What server the reader pool reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(super) enum ReaderOn {
    /// The `replica` attribute's URL: one server, or an endpoint that
    /// balances over several.
    Replica,
    /// A standby among the URL's hosts: one server.
    Standby,
    /// The primary's hosts (no standby, or the replica unreachable).
    Primary,
}

/// The watch of a reader pool on `options`.
#[cfg(feature = "postgres")]
fn reader_watch(
    config: &crate::pool::PoolSetup,
    options: &sqlx::postgres::PgConnectOptions,
) -> std::sync::Arc<crate::pool::watch::Watch> {
    use crate::pool::watch::{Role, Watch};
    let options = crate::url::ConnectOptions::Postgres(options.clone());
    Watch::new(Role::Reader, &config.var, &options, &config.pool)
}
