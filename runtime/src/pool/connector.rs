//! The connector: every connection of every pool of a [`Database`] is made
//! from the options it hands out.
//!
//! **It owns the credentials and where they lead: each pool asks it for
//! its options, and it pushes every new generation to every pool.**
//!
//! sqlx 0.9 has no per-connection hook for credentials
//! (launchbadge/sqlx#445), but `Pool::set_connect_options` swaps the options
//! a pool's new connections use. So the connector keeps the one copy of the
//! current credentials (the URL's, a rotated `_FILE`'s, a provider's
//! password), and for each pool it was asked to follow, what that pool
//! makes of them ([`Shape`]: the host in use of a multi-host URL, a reader's
//! read-only session on its host). When the credentials change, by a poll
//! of the secret file, a provider's password running out, or an
//! authentication failure on any connect (the first build, a query through
//! `on_pool!`, a health ping), it re-reads the file or asks the provider
//! before the next attempt, and hands every pool the new options.
//!
//! [`Database`]: crate::Database

#[cfg(feature = "metrics")]
use std::sync::Weak;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use crate::Backend;
use crate::pool::Configured;
use crate::pool::connect::Endpoint;
use crate::pool::credentials::Provider;
use crate::pool::error::DatabaseError;
use crate::pool::failover::Failover;
use crate::pool::session::Plan;
use crate::pool::watch::{Role, Watch};
use crate::pool::{Pool, PoolSetup};
use crate::resolution::DatabaseErrorKind;
use crate::url::ConnectOptions;
use crate::url::redact::Secrets;

/// How many rotations' (or provider answers') secrets are kept beside the
/// URL's own: the connections of older ones are long gone, so no message
/// can echo them.
const KEPT_GENERATIONS: usize = 4;

/// What the first build's migrations are doing, for `health()`.
#[derive(Debug, Clone)]
pub(crate) enum Migrating {
    /// Waiting for the migration lock another session holds: on whom.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(dead_code, reason = "SQLite's migrations take no lock")
    )]
    Waiting(String),
    /// Running them.
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(dead_code, reason = "SQLite's migrations take no lock")
    )]
    Running,
}

/// What a pool makes of the connector's options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The primary pool: for a multi-host URL, the host in use.
    Primary,
    /// The reader pool on the URL's hosts: host `host`, read-only sessions.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Reader { host: usize },
}

/// Why the credentials are looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// The poll interval passed, or a provider's password nears its end.
    Poll,
    /// A connect was refused for its credentials.
    AuthFailed,
    /// The secret file (or its directory) changed.
    FileChanged,
    /// A provider answered on another path (a connect asked it).
    Answered,
}

/// The credentials in force.
pub(super) struct Creds {
    /// The resolved options, or the last rotated file's: the URL's own
    /// password, without a provider's.
    pub(super) base: Option<ConnectOptions>,
    /// The provider's password and when to ask again.
    pub(super) provided: Option<(String, Option<Instant>)>,
    /// The last rotation problem said, so a file that stays broken is
    /// reported once, not at every poll.
    pub(super) said: Option<String>,
    /// Whether a byte-order mark in the file was said (once).
    pub(super) bom_said: bool,
    /// The URL in force (secret): a rotation may change only its
    /// credentials.
    pub(super) url: String,
    /// When the credentials last changed.
    pub(super) changed_at: Option<Instant>,
}

pub(crate) struct Connector {
    pub(crate) backend: Backend,
    pub(crate) redacted: String,
    pub(crate) runtime: Arc<PoolSetup>,
    pub(crate) failover: Arc<Failover>,
    /// What driver messages are scrubbed of: `held_secrets` merged, kept
    /// ready for every scrub (a retired password stays hidden too, for the
    /// kept generations).
    pub(super) secrets: RwLock<Secrets>,
    /// The URL's own secrets (at start-up), and those of the last
    /// [`KEPT_GENERATIONS`] rotations or provider answers: what messages
    /// can still echo. A provider that turns every 100 ms must not grow the
    /// list (and every scrub's time) for ever.
    held_secrets: Mutex<(Secrets, std::collections::VecDeque<Secrets>)>,
    pub(super) creds: Mutex<Creds>,
    pub(super) provider: OnceLock<Provider>,
    /// How many times the credentials changed.
    pub(super) generation: AtomicU64,
    /// One look at the credentials at a time: callers that failed together
    /// share one re-read.
    refreshing: tokio::sync::Mutex<()>,
    /// Wakes the credentials task.
    pub(super) wake: Arc<tokio::sync::Notify>,
    /// Wakes the failover task at once: a write on the primary pool was
    /// refused as read-only (`25006`), as by a primary that a manager
    /// (Patroni, `pg_auto_failover`) demoted to a standby.
    pub(crate) failover_wake: Arc<tokio::sync::Notify>,
    /// Told when the failover task moved the pool to another host: callers
    /// waiting in sqlx's connect backoff for the old one start again.
    pub(crate) switched: tokio::sync::Notify,
    /// Tells the credentials task a provider answered (on any path): its
    /// next ask is due at another time, and the pools may be behind.
    pub(super) answered: Arc<tokio::sync::Notify>,
    /// While the first build runs the migrations or waits for their lock:
    /// what it is doing, for `health()`.
    migrating_now: Mutex<Option<Migrating>>,
    /// The generation every attached pool has; one push at a time, so an
    /// older generation never lands after a newer one.
    pushed: AtomicU64,
    pushing: tokio::sync::Mutex<()>,
    watching: AtomicBool,
    /// The pools that follow the credentials, and their shapes.
    attached: Mutex<Vec<(Pool, Shape)>>,
    /// The pools whose connection counts are sampled for the metrics.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    metered: Mutex<Vec<(Pool, Arc<Watch>)>>,
    /// How the primary's sessions get their settings.
    primary_plan: Arc<Plan>,
    /// How the reader's sessions get theirs (read-only).
    reader_plan: Arc<Plan>,
    /// The direct URL's pool: startup parameters, as any direct pool.
    direct_plan: Arc<Plan>,
}

impl core::fmt::Debug for Connector {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connector")
            .field("url", &self.redacted)
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

impl Connector {
    pub(crate) fn new(url: &Configured) -> Self {
        let secrets = secrets_of(url);
        Self {
            backend: url.resolution.backend,
            redacted: url.redacted.clone(),
            runtime: Arc::clone(&url.setup),
            failover: Arc::default(),
            held_secrets: Mutex::new((secrets.clone(), std::collections::VecDeque::new())),
            secrets: RwLock::new(secrets),
            creds: Mutex::new(Creds {
                base: url.setup.connect.clone().ok(),
                provided: None,
                said: None,
                bom_said: false,
                url: url.url.clone(),
                changed_at: None,
            }),
            provider: OnceLock::new(),
            generation: AtomicU64::new(0),
            refreshing: tokio::sync::Mutex::new(()),
            wake: Arc::new(tokio::sync::Notify::new()),
            answered: Arc::new(tokio::sync::Notify::new()),
            failover_wake: Arc::new(tokio::sync::Notify::new()),
            switched: tokio::sync::Notify::new(),
            pushed: AtomicU64::new(0),
            migrating_now: Mutex::new(None),
            pushing: tokio::sync::Mutex::new(()),
            watching: AtomicBool::new(false),
            attached: Mutex::new(Vec::new()),
            metered: Mutex::new(Vec::new()),
            primary_plan: Arc::new(Plan::new(
                url.setup.pool.pgbouncer,
                false,
                &url.setup.session,
            )),
            reader_plan: Arc::new(Plan::new(
                url.setup.pool.pgbouncer,
                true,
                &url.setup.session,
            )),
            direct_plan: Arc::default(),
        }
    }

    /// Says what the migrations are doing (`None`: nothing).
    #[cfg_attr(
        not(any(feature = "postgres", feature = "mysql")),
        allow(dead_code, reason = "SQLite's migrations take no lock")
    )]
    pub(crate) fn migrating(&self, now: Option<Migrating>) {
        *self
            .migrating_now
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// What the migrations are doing, if they run.
    pub(crate) fn migrating_now(&self) -> Option<String> {
        match &*self
            .migrating_now
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Some(Migrating::Waiting(detail)) => Some(detail.clone()),
            Some(Migrating::Running) => Some("running the migrations".to_owned()),
            None => None,
        }
    }

    /// Whom the first build waits for, while it waits for the migration
    /// lock.
    pub(crate) fn lock_wait_now(&self) -> Option<String> {
        match &*self
            .migrating_now
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            Some(Migrating::Waiting(detail)) => Some(detail.clone()),
            _ => None,
        }
    }

    /// How the sessions of the pool of `role` get their settings.
    pub(crate) fn plan(&self, role: Role) -> &Arc<Plan> {
        match role {
            Role::Primary => &self.primary_plan,
            Role::Reader => &self.reader_plan,
            Role::Direct => &self.direct_plan,
        }
    }

    pub(crate) fn secrets(&self) -> Secrets {
        self.secrets
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn add_value(&self, value: &str) {
        self.add_secret(&Secrets::default().with(value));
    }

    /// `more` joins the secrets messages are scrubbed of; the oldest of the
    /// kept generations leaves when there are more than
    /// [`KEPT_GENERATIONS`] (the URL's own stay).
    pub(super) fn add_secret(&self, more: &Secrets) {
        let mut held = self
            .held_secrets
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (base, recent) = &mut *held;
        recent.push_back(more.clone());
        while recent.len() > KEPT_GENERATIONS {
            recent.pop_front();
        }
        let all = recent.iter().fold(base.clone(), |all, s| all.merged(s));
        *self.secrets.write().unwrap_or_else(PoisonError::into_inner) = all;
    }

    /// Where connections go, for messages.
    pub(crate) fn target<'a>(&'a self, secrets: &'a Secrets) -> Endpoint<'a> {
        Endpoint {
            redacted: &self.redacted,
            secrets,
            backend: self.backend,
        }
    }

    pub(super) fn creds(&self) -> std::sync::MutexGuard<'_, Creds> {
        self.creds.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_provider(&self, provider: Provider) -> bool {
        self.provider.set(provider).is_ok()
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Wakes the credentials task: a re-read now rather than at the poll.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// A [`DatabaseError::credentials`] of this connector's URL.
    pub(super) fn credentials_error(&self, detail: String) -> DatabaseError {
        DatabaseError::credentials(self.backend, &self.redacted, detail)
    }

    /// The options new connections use now: the latest base, with the
    /// provider's password when there is a provider (asked when there is
    /// none yet or it ran out), as the driver needs them.
    pub(crate) async fn options(&self) -> Result<ConnectOptions, DatabaseError> {
        let base = self.creds().base.clone().ok_or_else(|| {
            let why = self
                .runtime
                .connect
                .as_ref()
                .err()
                .map_or("no reason given", String::as_str);
            let detail = format!("the driver's connect options could not be built: {why}");
            DatabaseError::options(self.backend, &self.redacted, self.secrets().scrub(&detail))
        })?;
        if self.provider.get().is_none() {
            return Ok(crate::pool::connect::for_driver(&base));
        }
        let current = self.creds().provided.clone();
        let password = match current {
            Some((pw, until)) if until.is_none_or(|u| Instant::now() < u) => pw,
            _ => self.ask_provider().await?.0,
        };
        Ok(crate::pool::connect::for_driver(
            &crate::pool::connect::with_password(&base, &password),
        ))
    }

    /// What `shape` makes of `options`.
    #[cfg_attr(not(feature = "postgres"), allow(clippy::unused_self))]
    pub(crate) fn shaped(&self, options: &ConnectOptions, shape: Shape) -> ConnectOptions {
        #[cfg(feature = "postgres")]
        #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
        if let ConnectOptions::Postgres(o) = options {
            use crate::pool::failover::host_options;
            let targets = &self.runtime.targets;
            return ConnectOptions::Postgres(match shape {
                Shape::Primary if self.choose() => host_options(o, targets, self.failover.active()),
                Shape::Primary => o.clone(),
                // Behind a pooler, read-only in each transaction instead
                // (a pooler refuses or ignores the `options` parameter).
                Shape::Reader { host } if self.reader_plan.pooled => host_options(o, targets, host),
                Shape::Reader { host } => {
                    host_options(&crate::pool::session::read_only(o), targets, host)
                }
            });
        }
        let _ = shape;
        options.clone()
    }

    /// Whether there is a host to choose: several, or a role to check.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn choose(&self) -> bool {
        self.runtime.targets.choose()
    }

    /// Makes `pool` a pool of this connector's handle, told about by
    /// `watch`: `on_pool!` finds both from it, and with metrics its
    /// connection counts are sampled every second (sqlx closes idle
    /// connections without a hook to say so).
    pub(crate) fn observe(self: &Arc<Self>, pool: &Pool, watch: &Arc<Watch>) {
        let _ = watch.held.set(self.plan(watch.role).names());
        crate::pool::registry::register(pool, self, watch);
        #[cfg(feature = "metrics")]
        if watch.metered() && tokio::runtime::Handle::try_current().is_ok() {
            let mut metered = self.metered.lock().unwrap_or_else(PoisonError::into_inner);
            metered.push((pool.clone(), Arc::clone(watch)));
            if metered.len() == 1 {
                tokio::spawn(sample(Arc::downgrade(self)));
            }
        }
    }

    /// Has `pool` follow the credentials from now on, as `shape`; the
    /// options it holds now are brought up to date at once.
    pub(crate) fn attach(self: &Arc<Self>, pool: &Pool, shape: Shape, watch: &Arc<Watch>) {
        self.observe(pool, watch);
        let (base, provided) = {
            let creds = self.creds();
            (creds.base.clone(), creds.provided.clone())
        };
        if let Some(options) = base {
            let options = match provided {
                Some((pw, _)) => crate::pool::connect::with_password(&options, &pw),
                None => options,
            };
            set_options(
                pool,
                &self.shaped(&crate::pool::connect::for_driver(&options), shape),
            );
        }
        self.attached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((pool.clone(), shape));
    }

    /// The attached pool of `shape`, if any.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn attached(&self, shape: Shape) -> Option<Pool> {
        self.attached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(_, s)| *s == shape)
            .map(|(p, _)| p.clone())
    }

    /// Hands every attached pool the options of the credentials in force
    /// (after a rotation, or a failover that moved the primary's host).
    pub(crate) async fn push(&self) {
        let _turn = self.pushing.lock().await;
        let generation = self.generation();
        let Ok(options) = self.options().await else {
            return;
        };
        self.pushed.store(generation, Ordering::Relaxed);
        let attached = self
            .attached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for (pool, shape) in &attached {
            set_options(pool, &self.shaped(&options, *shape));
        }
    }

    /// Looks at the credentials again: re-reads the `_FILE` secret, and asks
    /// the provider when its password is due or a connect was refused.
    /// Returns whether they changed (and every pool has the new ones).
    /// Callers that come while a look is under way wait for it and share
    /// its outcome.
    pub(crate) async fn refresh(&self, why: Why) -> bool {
        self.refresh_since(self.generation(), why).await
    }

    /// [`refresh`](Self::refresh), for a caller that saw generation
    /// `before`: a change since then (another caller's look) counts.
    pub(crate) async fn refresh_since(&self, before: u64, why: Why) -> bool {
        if self.generation() == before {
            let _turn = self.refreshing.lock().await;
            if self.generation() == before {
                self.look(why).await;
            }
        }
        // Whoever changed them (this look, another caller's, a provider
        // asked for a connect), every pool gets them.
        if self.pushed.load(Ordering::Relaxed) != self.generation() {
            self.push().await;
        }
        self.generation() != before
    }

    /// One look at the credentials: the file re-read, the provider asked
    /// when its answer is due or a connect was refused.
    async fn look(&self, why: Why) {
        if let Some(file) = &self.runtime.secret_file {
            self.reread(file);
        }
        let due = self
            .creds()
            .provided
            .as_ref()
            .and_then(|(_, at)| *at)
            .is_some_and(|at| Instant::now() >= at);
        if self.provider.get().is_some()
            && (due || why == Why::AuthFailed)
            && let Err(e) = self.ask_provider().await
        {
            tracing::warn!(
                target: "dbsettings",
                "the credential provider failed ({e}); keeping the current password"
            );
        }
    }

    /// Starts the task that follows rotations, once, when there is anything
    /// to follow: a `_FILE` secret or a provider. It starts with the first
    /// `pool()`, whether that build succeeds or not, and holds only a weak
    /// reference, so it ends with the last handle.
    pub(crate) fn watch(self: &Arc<Self>) {
        let follows = self.runtime.secret_file.is_some() || self.provider.get().is_some();
        if !follows
            || self.backend == Backend::Sqlite
            || tokio::runtime::Handle::try_current().is_err()
            || self.watching.swap(true, Ordering::AcqRel)
        {
            return;
        }
        tokio::spawn(crate::pool::credentials::follow(Arc::downgrade(self)));
    }

    /// A connection from `pool`. A connect refused for its credentials
    /// makes the connector look at them again (re-read the file, ask the
    /// provider); when they changed, since this caller's attempt began (by
    /// its own look or another caller's), it tries again with the new ones.
    /// While a rotation is under way (the credentials changed within the
    /// connect timeout: a secret written before the server's `ALTER ROLE`),
    /// it keeps trying, with a short backoff, until the connect timeout.
    /// Nothing has run on the server yet at that point, so a retry cannot
    /// repeat a statement.
    pub(crate) async fn acquire<DB: sqlx::Database>(
        &self,
        pool: &sqlx::Pool<DB>,
    ) -> Result<sqlx::pool::PoolConnection<DB>, sqlx::Error> {
        let mut seen = self.generation();
        // Boxed: sqlx's acquire and the switch's wait make a large future,
        // which every statement's future would carry.
        let mut failed = match Box::pin(self.acquire_following(pool)).await {
            Err(e) if self.is_auth(&e) => e,
            Err(e) => {
                // No connection to the host in use: with several hosts,
                // the failover task looks again now, not at its next round.
                if self.choose() {
                    self.failover_wake.notify_one();
                }
                return Err(e);
            }
            other => return other,
        };
        let bound = self.runtime.pool.connect_timeout;
        let deadline = Instant::now() + bound;
        let mut backoff = core::time::Duration::from_millis(10);
        loop {
            let changed = self.refresh_since(seen, Why::AuthFailed).await;
            if !changed && !self.rotated_within(bound) || Instant::now() >= deadline {
                return Err(failed);
            }
            if !changed {
                tokio::time::sleep(backoff.min(deadline.saturating_duration_since(Instant::now())))
                    .await;
                backoff = (backoff * 2).min(core::time::Duration::from_millis(200));
            }
            seen = self.generation();
            failed = match pool.acquire().await {
                Err(e) if self.is_auth(&e) => e,
                other => return other,
            };
        }
    }

    /// `pool.acquire()`; with several hosts, started again when the
    /// failover task moves the pool (sqlx's pool retries a refused connect
    /// to the old host with a backoff of up to a fifth of the acquire
    /// timeout, reading the new host only at its next try).
    async fn acquire_following<DB: sqlx::Database>(
        &self,
        pool: &sqlx::Pool<DB>,
    ) -> Result<sqlx::pool::PoolConnection<DB>, sqlx::Error> {
        if !self.choose() {
            return pool.acquire().await;
        }
        let deadline = Instant::now() + self.runtime.pool.acquire_timeout;
        loop {
            let switched = core::pin::pin!(self.switched.notified());
            let taken = core::pin::pin!(pool.acquire());
            match futures_util::future::select(taken, switched).await {
                futures_util::future::Either::Left((taken, _)) => return taken,
                futures_util::future::Either::Right(((), _)) if Instant::now() < deadline => {}
                futures_util::future::Either::Right(((), taken)) => return taken.await,
            }
        }
    }

    /// Whether the credentials changed within `window`.
    fn rotated_within(&self, window: core::time::Duration) -> bool {
        self.creds()
            .changed_at
            .is_some_and(|at| at.elapsed() < window)
    }

    /// Whether `e` is a refusal of the credentials.
    pub(crate) fn is_auth(&self, e: &sqlx::Error) -> bool {
        crate::pool::error::classify(e, self.backend) == DatabaseErrorKind::Auth
    }
}

/// Every second, the connection counts of the metered pools, until the
/// last handle is dropped.
#[cfg(feature = "metrics")]
async fn sample(weak: Weak<Connector>) {
    loop {
        tokio::time::sleep(core::time::Duration::from_secs(1)).await;
        let Some(c) = weak.upgrade() else { return };
        let metered = c.metered.lock().unwrap_or_else(PoisonError::into_inner);
        for (pool, watch) in metered.iter() {
            if let Some(m) = &watch.instruments {
                m.counts(pool.size(), pool.num_idle());
            }
        }
    }
}

fn set_options(pool: &Pool, options: &ConnectOptions) {
    match (pool, options) {
        #[cfg(feature = "postgres")]
        (Pool::Postgres(p), ConnectOptions::Postgres(o)) => p.set_connect_options(o.clone()),
        #[cfg(feature = "mysql")]
        (Pool::MySql(p), ConnectOptions::MySql(o)) => p.set_connect_options(o.clone()),
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

/// Whether two sets of options connect the same way. sqlx's options have
/// no `PartialEq`; their `Debug` lists every field (it is compared, never
/// shown).
pub(super) fn same_options(a: &ConnectOptions, b: &ConnectOptions) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// The secrets of `url` and of the user its options log in as: `PGUSER`
/// supplies it when the URL names none, and servers echo it.
fn secrets_of(url: &Configured) -> Secrets {
    let secrets = Secrets::of_url(&url.url);
    match &url.setup.connect {
        #[cfg(feature = "postgres")]
        Ok(ConnectOptions::Postgres(o)) => secrets.with(o.get_username()),
        #[cfg(feature = "mysql")]
        Ok(ConnectOptions::MySql(o)) => secrets.with(o.get_username()),
        _ => secrets,
    }
}
