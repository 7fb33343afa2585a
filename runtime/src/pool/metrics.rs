//! Pool metrics through the `metrics` facade (feature `metrics`), by
//! OpenTelemetry's names for database client connections: the library
//! records, the application picks the exporter (Prometheus, OTLP, ...).
//!
//! The handles are registered once per pool, when it is built, with the
//! recorder installed then; recording is then a call on a handle. With no
//! recorder installed at that time, nothing is registered and every
//! recording point is one branch.

use core::time::Duration;

use metrics::{Counter, Gauge, Histogram, Unit};

use crate::pool::options::PoolOptions;

/// `db.client.connection.count`, by `db.client.connection.state`.
pub(crate) const COUNT: &str = "db.client.connection.count";
/// `db.client.connection.idle.max`.
pub(crate) const IDLE_MAX: &str = "db.client.connection.idle.max";
/// `db.client.connection.idle.min`.
pub(crate) const IDLE_MIN: &str = "db.client.connection.idle.min";
/// `db.client.connection.max`.
pub(crate) const MAX: &str = "db.client.connection.max";
/// `db.client.connection.pending_requests`.
pub(crate) const PENDING: &str = "db.client.connection.pending_requests";
/// `db.client.connection.timeouts`.
pub(crate) const TIMEOUTS: &str = "db.client.connection.timeouts";
/// `db.client.connection.create_time`, in seconds.
pub(crate) const CREATE_TIME: &str = "db.client.connection.create_time";
/// `db.client.connection.wait_time`, in seconds.
pub(crate) const WAIT_TIME: &str = "db.client.connection.wait_time";
/// `db.client.connection.use_time`, in seconds.
pub(crate) const USE_TIME: &str = "db.client.connection.use_time";
/// Connections held longer than `leak_threshold` (no OpenTelemetry name).
pub(crate) const SLOW_HOLDS: &str = "dbsettings.connection.slow_holds";

/// The handles of one pool.
#[derive(Debug)]
pub(crate) struct Instruments {
    idle: Gauge,
    used: Gauge,
    pub(crate) pending: Gauge,
    pub(crate) timeouts: Counter,
    pub(crate) create_time: Histogram,
    pub(crate) wait_time: Histogram,
    pub(crate) use_time: Histogram,
    pub(crate) slow_holds: Counter,
}

impl Instruments {
    /// The handles of the pool `name` of `system`, or `None` when no
    /// recorder is installed (the facade's no-op recorder has no state).
    pub(crate) fn new(name: &str, system: &'static str, o: &PoolOptions) -> Option<Self> {
        if !metrics::with_recorder(|r| size_of_val(r) > 0) {
            return None;
        }
        describe();
        let labels = [
            ("db.client.connection.pool.name", name.to_owned()),
            ("db.system.name", system.to_owned()),
        ];
        let state = |s: &'static str| {
            let mut l = labels.to_vec();
            l.push(("db.client.connection.state", s.to_owned()));
            l
        };
        metrics::gauge!(MAX, &labels).set(o.max_connections);
        metrics::gauge!(IDLE_MAX, &labels).set(o.max_connections);
        metrics::gauge!(IDLE_MIN, &labels).set(o.min_connections);
        Some(Self {
            idle: metrics::gauge!(COUNT, &state("idle")),
            used: metrics::gauge!(COUNT, &state("used")),
            pending: metrics::gauge!(PENDING, &labels),
            timeouts: metrics::counter!(TIMEOUTS, &labels),
            create_time: metrics::histogram!(CREATE_TIME, &labels),
            wait_time: metrics::histogram!(WAIT_TIME, &labels),
            use_time: metrics::histogram!(USE_TIME, &labels),
            slow_holds: metrics::counter!(SLOW_HOLDS, &labels),
        })
    }

    /// The connection counts, from the pool's own: `size` open, `idle` of
    /// them idle.
    pub(crate) fn counts(&self, size: u32, idle: usize) {
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        self.idle.set(idle);
        self.used.set(size - idle);
    }
}

/// Seconds, as OpenTelemetry's histograms take them.
pub(crate) fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Units and descriptions, for exporters that show them.
fn describe() {
    let connections = Unit::Count;
    metrics::describe_gauge!(
        COUNT,
        connections,
        "The number of connections that are currently in the state described by db.client.connection.state"
    );
    metrics::describe_gauge!(
        IDLE_MAX,
        connections,
        "The maximum number of idle open connections allowed"
    );
    metrics::describe_gauge!(
        IDLE_MIN,
        connections,
        "The minimum number of idle open connections allowed"
    );
    metrics::describe_gauge!(
        MAX,
        connections,
        "The maximum number of open connections allowed"
    );
    metrics::describe_gauge!(
        PENDING,
        connections,
        "The number of current pending requests for an open connection"
    );
    metrics::describe_counter!(
        TIMEOUTS,
        connections,
        "The number of connection timeouts that have occurred trying to obtain a connection from the pool"
    );
    metrics::describe_histogram!(
        CREATE_TIME,
        Unit::Seconds,
        "The time it took to create a new connection"
    );
    metrics::describe_histogram!(
        WAIT_TIME,
        Unit::Seconds,
        "The time it took to obtain an open connection from the pool"
    );
    metrics::describe_histogram!(
        USE_TIME,
        Unit::Seconds,
        "The time between borrowing a connection and returning it to the pool"
    );
    metrics::describe_counter!(
        SLOW_HOLDS,
        connections,
        "Connections held longer than leak_threshold"
    );
}
