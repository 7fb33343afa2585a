//! The switch to the SQLite fallback when the primary is unreachable and
//! `on_unreachable = "fallback"` asks for it: for the life of the process.

use crate::pool::connect::{self, Endpoint, Hosts};
use crate::pool::database::{Database, Switched};
use crate::pool::error::DatabaseError;
use crate::pool::watch::{Role, Watch};
use crate::{Backend, Pool};

impl Database {
    /// `on_unreachable = "fallback"`: the SQLite fallback chosen at
    /// resolution, with the primary's failure as the reason. Once it is
    /// built, the handle reports it everywhere (`resolution`, `is_fallback`,
    /// the `DatabaseUrl` it came from).
    pub(super) async fn build_fallback(
        &self,
        choice: &crate::url::fallback::Choice,
        cause: &DatabaseError,
    ) -> Result<Pool, DatabaseError> {
        use crate::url::ConnectOptions;
        use crate::url::redact::Secrets;
        let c = self.connector();
        tracing::warn!(
            target: "dbsettings",
            location = %choice.location,
            "the primary database is unreachable ({cause}); falling back to SQLite as `on_unreachable = \"fallback\"` asks, until the process restarts"
        );
        let none = Secrets::default();
        let target = Endpoint {
            redacted: &choice.url,
            secrets: &none,
            backend: Backend::Sqlite,
        };
        let options = crate::url::driver::sqlite_options(&choice.url)
            .map_err(|e| DatabaseError::from_sqlx(e, Backend::Sqlite, &choice.url, &none))?;
        let single = crate::url::Targets::default();
        let hosts = Hosts {
            targets: &single,
            failover: &c.failover,
        };
        let options = ConnectOptions::Sqlite(options);
        let watch = Watch::new(Role::Primary, &c.runtime.var, &options, &c.runtime.pool);
        let pool = connect::build(&options, &c.runtime.pool, &target, &hosts, &watch).await?;
        c.observe(&pool, &watch);
        if let Some(migrations) = &c.runtime.pool.migrations {
            crate::pool::migrate::run(
                &pool,
                migrations,
                (c, &crate::pool::session::Plan::default()),
                &target,
            )
            .await?;
        }
        let resolution = self.inner.resolution.switched_to(
            choice.location.clone(),
            choice.candidates.clone(),
            &c.runtime.var,
            cause.kind(),
            cause.to_string(),
        );
        let _ = self.inner.switched.set(Switched {
            url: choice.url.clone(),
            redacted: crate::url::redact::redact(&choice.url),
            resolution,
        });
        Ok(pool)
    }
}
