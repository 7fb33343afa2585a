//! Multi-host PostgreSQL: choosing the host that fits `target_session_attrs`
//! (libpq's rules), and following a failover without a restart.
//!
//! sqlx connects a pool to one host. The host is chosen here with a bounded
//! probe of each in turn; the pool gets that host's options. A check every
//! half second (on the pool's own connections) sees the host go away or
//! change role (a promotion, a demotion), chooses again, hands the pool the
//! new host's options, and marks the moment: connections opened before it
//! are dropped when next acquired, so no query goes to the old server.

use core::time::Duration;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::Backend;
use crate::pool::error::DatabaseError;
use crate::resolution::DatabaseErrorKind;
use crate::resolution::SessionAttrs;
use crate::url::Targets;
use crate::url::redact::Secrets;

/// How often the chosen host is checked.
pub(crate) const CHECK_EVERY: Duration = Duration::from_millis(500);

/// The longest pause between rounds when no host fits.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How often the hosts are tried while none fits, for the first
/// [`QUICK_FOR`]: a manager's failover takes from a second (a switchover)
/// to tens of seconds (a dead node: `pg_auto_failover`'s defaults take about
/// 50 s, Patroni's TTL is 30 s), and libpq's users, connecting anew, find
/// the new primary as soon as it is up. A try is a connect to each host
/// (a refused one costs nothing) and one round trip on the one that
/// answers.
const QUICK_EVERY: Duration = Duration::from_millis(100);
const QUICK_FOR: Duration = Duration::from_mins(1);

/// How often a failover that has not found a host is said in the log.
const SAY_EVERY: Duration = Duration::from_secs(5);

/// The bound of one whole connect, whatever the host count: each attempt
/// gets an equal share of what remains, so ten silent hosts under a 1 s
/// connect timeout take 1 s in all, not 10, and a host that answers quickly
/// leaves its unused share to the ones after it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Instant,
    total: Duration,
}

impl Deadline {
    /// `total` from now.
    pub(crate) fn after(total: Duration) -> Self {
        Self {
            at: Instant::now() + total,
            total,
        }
    }

    /// The time for the next attempt when `left` attempts remain
    /// (including it).
    fn share(&self, left: usize) -> Duration {
        let remaining = self.at.saturating_duration_since(Instant::now());
        remaining / u32::try_from(left.max(1)).unwrap_or(u32::MAX)
    }
}

/// The host a pool is on, and when it last changed.
#[derive(Debug, Default)]
pub(crate) struct Failover {
    active: AtomicUsize,
    switched_at: Mutex<Option<Instant>>,
}

impl Failover {
    /// The index of the host in use.
    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Points new connections at host `to`, without marking older ones
    /// stale yet: the pools are handed its options first.
    pub(crate) fn point(&self, to: usize) {
        self.active.store(to, Ordering::Release);
    }

    /// Records a (new) host in use; connections older than now are stale.
    pub(crate) fn switch(&self, to: usize) {
        self.active.store(to, Ordering::Release);
        *self
            .switched_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    /// Whether a connection `age` old was opened after the last switch.
    pub(crate) fn fresh(&self, age: Duration) -> bool {
        self.switched_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none_or(|at| age <= at.elapsed())
    }
}

/// The options of host `i`: the accepted options with its host and port.
pub(crate) fn host_options(
    base: &PgConnectOptions,
    targets: &Targets,
    i: usize,
) -> PgConnectOptions {
    let Some((host, port)) = targets.hosts.get(i) else {
        return base.clone();
    };
    let port = port.unwrap_or(targets.default_port);
    if host.starts_with('/') {
        base.clone().socket(host).port(port)
    } else {
        #[cfg(all(feature = "tls", unix))]
        return crate::url::trust::for_host(base, host, port);
        #[cfg(not(all(feature = "tls", unix)))]
        base.clone().host(host).port(port)
    }
}

/// Whether the session fits `attrs`; `standby_only` is the first pass of
/// `prefer-standby`.
async fn fits(
    conn: &mut PgConnection,
    attrs: SessionAttrs,
    standby_only: bool,
) -> Result<Option<&'static str>, sqlx::Error> {
    use sqlx::Row as _;
    if attrs == SessionAttrs::Any && !standby_only {
        return Ok(None);
    }
    // The simple protocol: nothing is prepared (a pooler may sit between).
    let row = sqlx::raw_sql("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
        .fetch_one(&mut *conn)
        .await?;
    let in_recovery: bool = row.try_get(0)?;
    let read_only = row.try_get::<String, _>(1)? == "on";
    let misfit = match attrs {
        _ if standby_only => (!in_recovery).then_some("is not a standby"),
        SessionAttrs::ReadWrite => read_only.then_some("is read-only"),
        SessionAttrs::ReadOnly => (!read_only).then_some("accepts writes"),
        SessionAttrs::Primary => in_recovery.then_some("is a standby, not a primary"),
        SessionAttrs::Standby => (!in_recovery).then_some("is not a standby"),
        _ => None,
    };
    Ok(misfit)
}

/// The order to try the hosts in: as listed, or shuffled.
fn order(targets: &Targets) -> Vec<usize> {
    let mut order: Vec<usize> = (0..targets.hosts.len().max(1)).collect();
    if targets.random && order.len() > 1 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut seed = u64::from(nanos) | 1;
        for i in (1..order.len()).rev() {
            // xorshift: enough to spread load, not cryptography.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let j = usize::try_from(seed % (i as u64 + 1)).unwrap_or(0);
            order.swap(i, j);
        }
    }
    order
}

/// Tries the hosts in order and keeps the first whose session fits. The
/// error lists each host with its own cause.
/// The whole choice is bounded by `deadline` (see [`Deadline`]).
pub(crate) async fn choose(
    base: &PgConnectOptions,
    targets: &Targets,
    deadline: Deadline,
    secrets: &Secrets,
    redacted: &str,
) -> Result<(usize, PgConnection), DatabaseError> {
    let shown = targets.shown(secrets);
    let name = |i: usize| {
        shown
            .get(i)
            .cloned()
            .unwrap_or_else(|| "the host".to_owned())
    };
    let passes: &[bool] = if targets.attrs == SessionAttrs::PreferStandby {
        &[true, false]
    } else {
        &[false]
    };
    let mut causes: Vec<(String, DatabaseErrorKind, String)> = Vec::new();
    let order = order(targets);
    let mut left = order.len() * passes.len();
    for &standby_only in passes {
        for &i in &order {
            let timeout = deadline.share(left);
            left -= 1;
            let options = host_options(base, targets, i);
            let attempt = async {
                let mut conn = PgConnection::connect_with(&options).await?;
                match fits(&mut conn, targets.attrs, standby_only).await {
                    Ok(None) => Ok(Ok(conn)),
                    Ok(Some(misfit)) => {
                        let _ = conn.close().await;
                        Ok(Err(misfit))
                    }
                    Err(e) => Err(e),
                }
            };
            match tokio::time::timeout(timeout, attempt).await {
                Ok(Ok(Ok(conn))) => return Ok((i, conn)),
                Ok(Ok(Err(misfit))) => {
                    // A server of the wrong role is remembered once.
                    if !causes.iter().any(|(h, ..)| *h == name(i)) {
                        causes.push((
                            name(i),
                            DatabaseErrorKind::NoSuitableHost,
                            misfit.to_owned(),
                        ));
                    }
                }
                Ok(Err(e)) => {
                    let e = DatabaseError::from_sqlx(e, Backend::Postgres, redacted, secrets);
                    causes.retain(|(h, ..)| *h != name(i));
                    causes.push((name(i), e.kind(), e.detail_or_kind()));
                }
                Err(_) => {
                    causes.retain(|(h, ..)| *h != name(i));
                    causes.push((
                        name(i),
                        DatabaseErrorKind::Timeout,
                        format!(
                            "no answer within {timeout:?} (its share of {:?})",
                            deadline.total
                        ),
                    ));
                }
            }
        }
    }
    let kind = match causes.first() {
        Some((_, k, _)) if causes.iter().all(|(_, other, _)| other == k) => *k,
        _ => DatabaseErrorKind::NoSuitableHost,
    };
    let listed = causes
        .iter()
        .map(|(h, _, why)| format!("{h}: {why}"))
        .collect::<Vec<_>>()
        .join("; ");
    let detail = if kind == DatabaseErrorKind::NoSuitableHost {
        format!("for target_session_attrs={}: {listed}", targets.attrs)
    } else {
        format!("on every host: {listed}")
    };
    Err(DatabaseError::every_host(kind, redacted, detail))
}

/// Whether the pool's host still fits, asked on one of its connections.
pub(crate) async fn still_fits(
    pool: &sqlx::PgPool,
    attrs: SessionAttrs,
    timeout: Duration,
) -> bool {
    // An idle connection; else a new one, briefly: sqlx's pool retries a
    // refused connect until its own deadline, and a host that refuses is
    // a host to choose again for (the choice keeps it when it fits).
    let conn = match pool.try_acquire() {
        Some(conn) => Some(conn),
        None => {
            let brief = timeout.min(Duration::from_millis(250));
            let taken = crate::pool::watch::ours(pool.acquire());
            tokio::time::timeout(brief, taken)
                .await
                .ok()
                .and_then(Result::ok)
        }
    };
    let Some(mut conn) = conn else {
        return false;
    };
    let check = crate::pool::watch::ours(async move { fits(&mut conn, attrs, false).await });
    matches!(tokio::time::timeout(timeout, check).await, Ok(Ok(None)))
}

impl crate::pool::Database {
    /// Starts the task that follows a failover, once, for a PostgreSQL URL
    /// with a choice of hosts or a role to keep.
    pub(crate) fn follow_failover(&self) {
        let c = self.connector();
        if c.backend != Backend::Postgres
            || self.switched().is_some()
            || !c.choose()
            || self.inner.following.swap(true, Ordering::AcqRel)
        {
            return;
        }
        tokio::spawn(follow(std::sync::Arc::downgrade(c)));
    }
}

/// The failover task: every half second, checks on the pool's own
/// connections that the host still answers and fits; when not, chooses
/// again (bounded backoff while none fits), hands the pool the new host and
/// drops the connections to the old one. Ends with the last handle.
async fn follow(weak: std::sync::Weak<crate::pool::connector::Connector>) {
    use crate::pool::connector::Shape;
    use crate::url::ConnectOptions;
    let mut pause = CHECK_EVERY;
    // Since when no host fits, and when that was last said.
    let mut unfit_since: Option<Instant> = None;
    let mut said_at: Option<Instant> = None;
    // Whether this round was woken by a failure on the host in use.
    let mut woken;
    loop {
        {
            // At the pause's end, or at once when a connect failed, a
            // session was ended or a write was refused as read-only on the
            // host in use. While no host fits, the whole pause: callers
            // failing many times a second must not make the choice spin.
            let Some(c) = weak.upgrade() else { return };
            let wake = std::sync::Arc::clone(&c.failover_wake);
            drop(c);
            woken = if unfit_since.is_some() {
                tokio::time::sleep(pause).await;
                false
            } else {
                tokio::time::timeout(pause, wake.notified()).await.is_ok()
            };
        }
        let Some(c) = weak.upgrade() else { return };
        let Some(crate::Pool::Postgres(pool)) = c.attached(Shape::Primary) else {
            return;
        };
        let config = &c.runtime;
        let timeout = config.pool.connect_timeout;
        // While no host fits, straight to choosing: the pool's check would
        // wait its whole bound on a host that refuses connections (sqlx's
        // pool retries a refused connect until its deadline).
        if unfit_since.is_none() && !woken && still_fits(&pool, config.targets.attrs, timeout).await
        {
            pause = CHECK_EVERY;
            unfit_since = None;
            said_at = None;
            continue;
        }
        let Ok(ConnectOptions::Postgres(base)) = c.options().await else {
            continue;
        };
        let secrets = c.secrets();
        let shown = config.targets.shown(&secrets);
        let from = shown.get(c.failover.active()).cloned();
        let deadline = Deadline::after(timeout);
        match choose(&base, &config.targets, deadline, &secrets, &c.redacted).await {
            Ok((i, probe)) if i == c.failover.active() => {
                // The same host fits again (a slow answer, a blip): keep
                // its connections.
                let _ = probe.close().await;
                pause = CHECK_EVERY;
                unfit_since = None;
                said_at = None;
            }
            Ok((i, probe)) => {
                let _ = probe.close().await;
                c.failover.point(i);
                c.push().await;
                c.failover.switch(i);
                c.switched.notify_waiters();
                tracing::warn!(
                    target: "dbsettings",
                    from = from.as_deref(),
                    to = shown.get(i).map(String::as_str),
                    "failover: the pool now connects to another host"
                );
                pause = CHECK_EVERY;
                unfit_since = None;
                said_at = None;
            }
            Err(e) => {
                let since = *unfit_since.get_or_insert_with(Instant::now);
                pause = if since.elapsed() < QUICK_FOR {
                    QUICK_EVERY
                } else {
                    (pause * 2).clamp(CHECK_EVERY, MAX_BACKOFF)
                };
                if said_at.is_none_or(|at| at.elapsed() >= SAY_EVERY) {
                    said_at = Some(Instant::now());
                    tracing::error!(
                        target: "dbsettings",
                        "failover: {e}; trying again every {pause:?} (said every {SAY_EVERY:?})"
                    );
                }
            }
        }
    }
}
