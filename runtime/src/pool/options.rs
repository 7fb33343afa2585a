//! The pool's options: its size, its bounds, what it does when the primary
//! is unreachable, its migrations. Read at load time (`crate::load`) from
//! the attributes and their environment overrides.

use core::time::Duration;

use crate::pool::migrations::Migrations;

/// `max_lifetime` when none is set: sqlx's, and `HikariCP`'s.
pub(crate) const DEFAULT_MAX_LIFETIME: Duration = Duration::from_mins(30);

/// What `pool()` does when a configured primary cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Unreachable {
    /// Return the error; the next `pool()` call tries again. A valid primary
    /// that is down is an incident: switching to an empty SQLite database
    /// would silently lose writes.
    #[default]
    Error,
    /// Fall back to the SQLite fallback database, with a warning.
    Fallback,
}

/// How the pool is sized and bounded. Every field has an attribute on the
/// `DatabaseUrl` field and an environment override named after the URL
/// variable (`DATABASE_URL` gives `DATABASE_MAX_CONNECTIONS`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolOptions {
    /// The most connections the pool opens (`max_connections`).
    ///
    /// _Default:_ 10.
    pub max_connections: u32,
    /// Connections kept open while idle (`min_connections`).
    ///
    /// _Default:_ 0 (1 for an in-memory SQLite database, which would vanish
    /// with its last connection).
    pub min_connections: u32,
    /// The bound on establishing the first connection, and each later one
    /// (`connect_timeout`).
    ///
    /// _Default:_ 5 s.
    pub connect_timeout: Duration,
    /// The bound on waiting for a free connection (`acquire_timeout`).
    ///
    /// _Default:_ 10 s.
    pub acquire_timeout: Duration,
    /// Idle connections are closed after this long (`idle_timeout`); `None`
    /// keeps them.
    ///
    /// _Default:_ 10 min.
    pub idle_timeout: Option<Duration>,
    /// What happens when the primary is unreachable (`on_unreachable`).
    ///
    /// _Default:_ [`Unreachable::Error`].
    pub on_unreachable: Unreachable,
    /// The migrations run on the first pool build: embedded from the
    /// `migrations` attribute's directory at compile time, or a directory
    /// named at run time by the override (`DATABASE_MIGRATIONS`).
    ///
    /// _Default:_ none.
    pub migrations: Option<Migrations>,
    /// The PostgreSQL URL goes through a transaction-mode pooler (PgBouncer,
    /// Supabase's or Neon's): `pgbouncer = true`, `?pgbouncer=true`, the
    /// override, or a known pooler endpoint. See [`Database::prepared_statements`](crate::Database::prepared_statements).
    ///
    /// _Default:_ false, unless the URL or its host says so.
    pub pgbouncer: bool,
    /// How long the first build keeps retrying a database that is not up
    /// yet (refused, reset, starting up, too many connections), with capped
    /// exponential backoff and jitter (`startup_wait`). `None`: fail at once.
    ///
    /// _Default:_ none.
    pub startup_wait: Option<Duration>,
    /// How often a URL or password read from a `_FILE` secret is checked for
    /// a new value (`credentials_poll`); a rotation reaches new connections
    /// within this bound.
    ///
    /// _Default:_ 10 s.
    pub credentials_poll: Duration,
    /// Connections are closed and replaced after about this long
    /// (`max_lifetime`): each at its own point of the last
    /// [`lifetime_jitter`](Self::lifetime_jitter) of it, so that a pool's
    /// connections, opened together, do not all reconnect in the same
    /// second. `None` keeps them for ever.
    ///
    /// _Default:_ 30 min.
    pub max_lifetime: Option<Duration>,
    /// How much earlier than [`max_lifetime`](Self::max_lifetime) a
    /// connection may be retired, drawn at random for each connection
    /// (`lifetime_jitter`, pgx's `MaxConnLifetimeJitter`); shorter than the
    /// lifetime.
    ///
    /// _Default:_ a tenth of `max_lifetime` (3 min).
    pub lifetime_jitter: Duration,
    /// A connection idle for longer than this is pinged before it is handed
    /// out, and replaced when it does not answer (`idle_check`; pgx pings
    /// those idle over 1 s). Zero pings at every acquire, as sqlx does.
    ///
    /// _Default:_ 1 s.
    pub idle_check: Duration,
    /// A connection held longer than this (`leak_threshold`, `HikariCP`'s
    /// `leakDetectionThreshold`) is logged once with where it was acquired
    /// and for how long, again when it comes back, and counted in the
    /// metrics. `None`: off.
    ///
    /// _Default:_ none.
    pub leak_threshold: Option<Duration>,
    /// How long the first build waits for the migration lock while
    /// another session holds it (a second replica migrating, one that
    /// hung): past it, `pool()` returns a `Migration` error naming the
    /// holder, and the next call tries again; meanwhile `health()` says
    /// whom it waits for (`migration_lock_wait`).
    ///
    /// _Default:_ 60 s.
    pub migration_lock_wait: Duration,
}

impl PoolOptions {
    /// The rules these settings break together, each once: whatever set
    /// them, attributes, `DATABASE_*` overrides and URL parameters are
    /// checked by this one function.
    pub(crate) fn broken_rules(&self) -> Vec<crate::resolution::PoolRule> {
        use crate::resolution::PoolRule;
        let mut broken = Vec::new();
        if self.min_connections > self.max_connections {
            broken.push(PoolRule::MinAboveMax {
                min: self.min_connections,
                max: self.max_connections,
            });
        }
        if let Some(max_lifetime) = self.max_lifetime {
            if max_lifetime < self.connect_timeout {
                broken.push(PoolRule::LifetimeBelowConnectTimeout {
                    max_lifetime,
                    connect_timeout: self.connect_timeout,
                });
            }
            if self.lifetime_jitter >= max_lifetime {
                broken.push(PoolRule::JitterNotBelowLifetime {
                    jitter: self.lifetime_jitter,
                    max_lifetime,
                });
            }
        }
        broken
    }
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_mins(10)),
            on_unreachable: Unreachable::Error,
            migrations: None,
            pgbouncer: false,
            startup_wait: None,
            credentials_poll: Duration::from_secs(10),
            max_lifetime: Some(DEFAULT_MAX_LIFETIME),
            lifetime_jitter: DEFAULT_MAX_LIFETIME / 10,
            idle_check: Duration::from_secs(1),
            leak_threshold: None,
            migration_lock_wait: Duration::from_mins(1),
        }
    }
}
