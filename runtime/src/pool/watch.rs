//! What a pool says about itself, and how its connections age: one
//! [`Watch`] per pool (the primary's, the reader's).
//!
//! - **Spans** by OpenTelemetry's attribute names: `connect` (info) around
//!   every connect this crate makes itself (the first build, a reader's),
//!   `acquire` (debug) around every connection a statement through
//!   `on_pool!` takes. Their fields: `db.system.name`, `db.namespace`,
//!   `server.address`, `server.port`, `db.client.connection.pool.name`;
//!   never a user name, a password or a URL.
//! - **Metrics** (feature `metrics`, see `metrics.rs`).
//! - **Slow holders**: with `leak_threshold`, a connection held longer is
//!   logged once with where it was acquired and for how long, again when
//!   it comes back, and counted.
//! - **Ageing**: the pool's hooks retire each connection at its own
//!   jittered lifetime (`lifetime.rs`) and ping those idle longer than
//!   `idle_check` before handing them out.

use core::panic::Location;
use core::time::Duration;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_core::future::BoxFuture;
use tracing::Instrument as _;

use crate::Backend;
use crate::pool::lifetime::Lifetimes;
use crate::pool::options::PoolOptions;
use crate::url::ConnectOptions;

/// A check a pool adds before handing out a connection of a given age
/// (after a failover: whether it was opened on the host in use).
pub(crate) type Fresh = Arc<dyn Fn(Duration) -> bool + Send + Sync>;

/// Which pool of a `Database`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Primary,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Reader,
    /// The pool on the direct URL, for session work behind a pooler.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Direct,
}

/// Where a pool connects, as OpenTelemetry names it: nothing secret.
#[derive(Debug, Default)]
struct Place {
    namespace: Option<String>,
    address: Option<String>,
    port: Option<u16>,
}

/// One pool's spans, metrics, slow-holder reports and ageing.
#[derive(Debug)]
pub(crate) struct Watch {
    /// `db.client.connection.pool.name`: the URL variable's stem, lower
    /// case, and the role (`database.primary`, `database.reader`).
    pub(crate) name: String,
    /// Which pool of its handle it watches.
    pub(crate) role: Role,
    system: &'static str,
    place: Place,
    leak_threshold: Option<Duration>,
    idle_check: Duration,
    /// The bound of a ping before reuse, and of the silence checks of a
    /// statement in flight: the connect timeout.
    silence: Duration,
    lifetimes: Option<Lifetimes>,
    #[cfg(feature = "metrics")]
    pub(crate) instruments: Option<crate::pool::metrics::Instruments>,
    /// Behind a transaction-mode pooler: the sqlx pool itself is not
    /// pooler-safe, and its first direct use is said (once).
    pooled: bool,
    raw_said: AtomicBool,
    /// The settings its pool's plan sets in each transaction, in words,
    /// for that message (set when the pool joins its handle).
    pub(crate) held: std::sync::OnceLock<String>,
    /// Idle connections opened before this are turned down: the server
    /// ended sessions (`57P01`: a restart, `pg_terminate_backend`).
    ended_before: std::sync::Mutex<Option<Instant>>,
}

tokio::task_local! {
    /// In an acquire of this crate's own (`on_pool!`'s paths, health,
    /// migrations, probes), as opposed to a use of the sqlx pool itself.
    static OURS: ();
}

/// Runs `f` as this crate's own use of a pool: behind a transaction-mode
/// pooler, a use of the sqlx pool outside such a scope is said in the log.
pub(crate) async fn ours<F: Future>(f: F) -> F::Output {
    OURS.scope((), f).await
}

tokio::task_local! {
    /// In an acquire through a `Watch`: when a connect could have begun
    /// (the acquire's start, or the last idle connection turned down), for
    /// `db.client.connection.create_time`.
    static CONNECT_FROM: std::cell::Cell<Instant>;
}

impl Watch {
    /// The watch of a pool of `role` for the URL variable `var`, on
    /// `options`, sized and aged by `pool`. `memory`: an in-memory SQLite
    /// database, whose connections must never be retired.
    pub(crate) fn new(
        role: Role,
        var: &str,
        options: &ConnectOptions,
        pool: &PoolOptions,
    ) -> Arc<Self> {
        let stem = var.strip_suffix("_URL").unwrap_or(var).to_ascii_lowercase();
        let role_name = match role {
            Role::Primary => "primary",
            Role::Reader => "reader",
            Role::Direct => "direct",
        };
        let name = format!("{stem}.{role_name}");
        let (system, place, memory) = place_of(options);
        let lifetimes = pool
            .max_lifetime
            .filter(|_| !memory)
            .map(|max| Lifetimes::new(max, pool.lifetime_jitter));
        Arc::new(Self {
            #[cfg(feature = "metrics")]
            instruments: crate::pool::metrics::Instruments::new(&name, system, pool),
            name,
            role,
            system,
            place,
            leak_threshold: pool.leak_threshold,
            pooled: pool.pgbouncer && role != Role::Direct,
            raw_said: AtomicBool::new(false),
            held: std::sync::OnceLock::new(),
            ended_before: std::sync::Mutex::new(None),
            idle_check: pool.idle_check,
            silence: pool.connect_timeout,
            lifetimes,
        })
    }

    /// Whether metrics are recorded (a recorder was installed when the
    /// pool was built).
    #[cfg_attr(
        not(feature = "metrics"),
        allow(clippy::unused_self, reason = "the same signature with metrics")
    )]
    pub(crate) fn metered(&self) -> bool {
        #[cfg(feature = "metrics")]
        return self.instruments.is_some();
        #[cfg(not(feature = "metrics"))]
        false
    }

    /// The `connect` span: around the connects this crate makes itself.
    pub(crate) fn connect_span(&self) -> tracing::Span {
        tracing::info_span!(
            target: "dbsettings",
            "connect",
            db.system.name = self.system,
            db.client.connection.pool.name = %self.name,
            db.namespace = self.place.namespace.as_deref(),
            server.address = self.place.address.as_deref(),
            server.port = self.place.port,
        )
    }

    /// The `acquire` span: around a connection taken for a statement.
    fn acquire_span(&self) -> tracing::Span {
        tracing::debug_span!(
            target: "dbsettings",
            "acquire",
            db.system.name = self.system,
            db.client.connection.pool.name = %self.name,
            db.namespace = self.place.namespace.as_deref(),
            server.address = self.place.address.as_deref(),
            server.port = self.place.port,
        )
    }

    /// Takes a connection with `acquire` (the pool's, through the
    /// connector), in the `acquire` span, timing the wait and counting
    /// requests pending and timed out; the [`Hold`] times the use and
    /// reports a slow holder acquired `at`.
    pub(crate) async fn acquire<C>(
        self: &Arc<Self>,
        at: &'static Location<'static>,
        counts: impl Fn() -> (u32, usize),
        acquire: impl Future<Output = Result<C, sqlx::Error>>,
    ) -> Result<(C, Option<Hold>), sqlx::Error> {
        let span = self.acquire_span();
        let acquire = ours(acquire);
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.instruments {
            let started = Instant::now();
            m.pending.increment(1);
            let result = CONNECT_FROM
                .scope(std::cell::Cell::new(started), acquire)
                .instrument(span)
                .await;
            m.pending.decrement(1);
            m.wait_time
                .record(crate::pool::metrics::seconds(started.elapsed()));
            let (size, idle) = counts();
            m.counts(size, idle);
            if matches!(result, Err(sqlx::Error::PoolTimedOut)) {
                m.timeouts.increment(1);
            }
            return result.map(|conn| (conn, self.hold(at)));
        }
        let _ = &counts;
        let conn = acquire.instrument(span).await?;
        Ok((conn, self.hold(at)))
    }

    /// The record of a connection taken at `at`, when anything is to be
    /// told about its use.
    fn hold(self: &Arc<Self>, at: &'static Location<'static>) -> Option<Hold> {
        if self.leak_threshold.is_none() && !self.metered() {
            return None;
        }
        let since = Instant::now();
        let slow = self.leak_threshold.map(|threshold| {
            let flagged = Arc::new(AtomicBool::new(false));
            let watch = Arc::clone(self);
            let flag = Arc::clone(&flagged);
            let timer = tokio::spawn(async move {
                tokio::time::sleep(threshold).await;
                flag.store(true, Ordering::Release);
                tracing::warn!(
                    target: "dbsettings",
                    pool = %watch.name,
                    acquired_at = %at,
                    held_ms = millis(since.elapsed()),
                    "a connection of pool `{}` has been held for more than {threshold:?} (leak_threshold), acquired at {at}; it may be leaked, or held across slow work",
                    watch.name
                );
                #[cfg(feature = "metrics")]
                if let Some(m) = &watch.instruments {
                    m.slow_holds.increment(1);
                }
            });
            (flagged, timer.abort_handle())
        });
        Some(Hold {
            watch: Arc::clone(self),
            at,
            since,
            slow,
        })
    }

    /// sqlx's pool options with this watch's hooks: each new connection
    /// draws its lifetime (and its create time is recorded); before an
    /// idle connection is handed out, it is turned down when past its
    /// lifetime or not `fresh`, and pinged when idle longer than
    /// `idle_check`.
    pub(crate) fn hooks<DB: sqlx::Database>(
        self: &Arc<Self>,
        options: sqlx::pool::PoolOptions<DB>,
        fresh: Option<Fresh>,
    ) -> sqlx::pool::PoolOptions<DB> {
        let born = Arc::clone(self);
        let check = Arc::clone(self);
        options
            .max_lifetime(self.lifetimes.as_ref().map(Lifetimes::max))
            // Pinged here only when idle longer than `idle_check`.
            .test_before_acquire(false)
            .after_connect(move |_, _| {
                born.born();
                Box::pin(async { Ok(()) })
            })
            .before_acquire(move |conn, meta| check.before_acquire(fresh.as_ref(), conn, &meta))
    }

    /// Whether an idle connection may be handed out: `fresh`, within its
    /// lifetime, and, when idle longer than `idle_check`, answering a ping.
    fn before_acquire<'c, C: sqlx::Connection>(
        &self,
        fresh: Option<&Fresh>,
        conn: &'c mut C,
        meta: &sqlx::pool::PoolConnectionMetadata,
    ) -> BoxFuture<'c, Result<bool, sqlx::Error>> {
        if self.pooled && OURS.try_with(|()| ()).is_err() {
            self.said_raw();
        }
        let ended = *self
            .ended_before
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let opened_before_the_end = ended
            .zip(Instant::now().checked_sub(meta.age))
            .is_some_and(|(end, born)| born < end);
        let keep = !opened_before_the_end
            && fresh.is_none_or(|f| f(meta.age))
            && self.lifetimes.as_ref().is_none_or(|l| !l.expired(meta.age));
        if !keep {
            turned_down();
            return Box::pin(async { Ok(false) });
        }
        if meta.idle_for <= self.idle_check {
            return Box::pin(async { Ok(true) });
        }
        let bound = self.silence;
        Box::pin(async move {
            // Bounded: on a server that stopped answering (no reset, no
            // reply) an unbounded ping would cost this caller its whole
            // acquire timeout, and the dead connection would stay.
            let alive = matches!(tokio::time::timeout(bound, conn.ping()).await, Ok(Ok(())));
            if !alive {
                turned_down();
                tracing::info!(
                    target: "dbsettings",
                    "an idle connection did not answer its ping; replacing it"
                );
            }
            Ok(alive)
        })
    }

    /// The sqlx pool itself was used behind a transaction-mode pooler: said
    /// once per pool, with the way out.
    fn said_raw(&self) {
        if self.raw_said.swap(true, Ordering::Relaxed) {
            return;
        }
        let settings = match self.held.get() {
            Some(held) if !held.is_empty() => {
                format!(
                    ", and {held} are set in each transaction by `on_pool!`'s `p` only, so they do not hold there"
                )
            }
            _ => String::new(),
        };
        tracing::warn!(
            target: "dbsettings",
            pool = %self.name,
            "the sqlx pool `{}` was used directly behind a transaction-mode pooler (`pgbouncer=true`): \
             sqlx names its statements and binds them in a second round trip, which the pooler may \
             send to another server connection (`prepared statement \"sqlx_s_1\" already exists`){settings}. \
             Run statements through `on_pool!`'s `p` or `p.begin()`, and use `db.direct()` (a pool on the \
             `direct_url`) where a raw sqlx pool is needed",
            self.name
        );
    }

    /// The server ended a session: the idle connections opened before now
    /// are turned down rather than handed out (a restart ended them all).
    pub(crate) fn sessions_ended(&self) {
        *self
            .ended_before
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
    }

    /// How long a statement may go without an answer before the server is
    /// asked whether it still answers at all.
    pub(crate) fn silence(&self) -> Duration {
        self.silence
    }

    /// Whether the server still takes new connections: a TCP connect to
    /// its address within the silence bound (nothing is sent). A server
    /// this cannot reach over TCP (a Unix socket, SQLite) counts as
    /// answering.
    pub(crate) async fn answers(&self) -> bool {
        let (Some(host), Some(port)) = (&self.place.address, self.place.port) else {
            return true;
        };
        if host.starts_with('/') {
            return true;
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        matches!(
            tokio::time::timeout(self.silence, tokio::net::TcpStream::connect((host, port))).await,
            Ok(Ok(_))
        )
    }

    /// Where the server is, for messages: `host:port` (no secret).
    pub(crate) fn server(&self) -> String {
        match (&self.place.address, self.place.port) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.clone(),
            _ => "the server".to_owned(),
        }
    }

    /// A connection was just made.
    fn born(&self) {
        if let Some(l) = &self.lifetimes {
            l.born();
        }
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.instruments
            && let Ok(from) = CONNECT_FROM.try_with(std::cell::Cell::get)
        {
            m.create_time
                .record(crate::pool::metrics::seconds(from.elapsed()));
        }
    }
}

/// An idle connection was turned down: the connect that replaces it
/// starts now.
fn turned_down() {
    let _ = CONNECT_FROM.try_with(|from| from.set(Instant::now()));
}

/// A connection in use: on drop (when it goes back to the pool), its use
/// time is recorded, and a slow holder reported as back.
#[derive(Debug)]
pub(crate) struct Hold {
    watch: Arc<Watch>,
    at: &'static Location<'static>,
    since: Instant,
    slow: Option<(Arc<AtomicBool>, tokio::task::AbortHandle)>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let held = self.since.elapsed();
        #[cfg(feature = "metrics")]
        if let Some(m) = &self.watch.instruments {
            m.use_time.record(crate::pool::metrics::seconds(held));
        }
        if let Some((flagged, timer)) = &self.slow {
            timer.abort();
            if flagged.load(Ordering::Acquire) {
                tracing::warn!(
                    target: "dbsettings",
                    pool = %self.watch.name,
                    acquired_at = %self.at,
                    held_ms = millis(held),
                    "the connection of pool `{}` acquired at {} came back after {held:?}",
                    self.watch.name,
                    self.at
                );
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `db.system.name` (OpenTelemetry's values are the URL schemes:
/// `postgresql`, `mysql`, `sqlite`), where the pool connects, and whether
/// it is an in-memory SQLite database.
fn place_of(options: &ConnectOptions) -> (&'static str, Place, bool) {
    match options {
        #[cfg(feature = "postgres")]
        ConnectOptions::Postgres(o) => (
            Backend::Postgres.scheme(),
            Place {
                namespace: o.get_database().map(str::to_owned),
                address: Some(o.get_host().to_owned()),
                port: Some(o.get_port()),
            },
            false,
        ),
        #[cfg(feature = "mysql")]
        ConnectOptions::MySql(o) => (
            Backend::MySql.scheme(),
            Place {
                namespace: o.get_database().map(str::to_owned),
                address: Some(o.get_host().to_owned()),
                port: Some(o.get_port()),
            },
            false,
        ),
        #[cfg(feature = "sqlite")]
        ConnectOptions::Sqlite(o) => {
            let file = o.get_filename().to_string_lossy().into_owned();
            let memory = file.starts_with(crate::url::driver::MEMORY_PREFIX);
            let place = Place {
                namespace: (!memory).then_some(file),
                ..Place::default()
            };
            (Backend::Sqlite.scheme(), place, memory)
        }
    }
}
