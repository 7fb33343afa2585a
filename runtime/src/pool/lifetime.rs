//! Connections that age well: each connection of a pool gets its own
//! lifetime, `max_lifetime` less a random part of `lifetime_jitter`, so
//! connections opened together (a start, a failover, a burst) are retired
//! over the jitter window instead of all in the same second.
//!
//! sqlx has one `max_lifetime` per pool and no room for a value per
//! connection, and its hooks see a connection's age, not its identity. So
//! each birth is written down here (`after_connect`: its instant and its
//! lifetime), and `before_acquire` finds a connection's own entry from its
//! age: the last birth at or before `now - age`. The pool's own
//! `max_lifetime` stays the hard upper bound.

use core::time::Duration;
use std::collections::BTreeMap;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// The births of a pool's connections and the lifetime each one drew.
#[derive(Debug)]
pub(crate) struct Lifetimes {
    max: Duration,
    jitter: Duration,
    births: Mutex<BTreeMap<Instant, Duration>>,
}

impl Lifetimes {
    pub(crate) fn new(max: Duration, jitter: Duration) -> Self {
        Self {
            max,
            jitter: jitter.min(max),
            births: Mutex::new(BTreeMap::new()),
        }
    }

    /// The pool's upper bound.
    pub(crate) fn max(&self) -> Duration {
        self.max
    }

    /// A connection was just made: draws its lifetime. Entries older than
    /// the longest lifetime are dropped, as no connection that old is ever
    /// handed out again (the pool retires it first).
    pub(crate) fn born(&self) {
        let now = Instant::now();
        let life = self.max.saturating_sub(self.jitter.mul_f64(fraction()));
        let mut births = self.births.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = now.checked_sub(self.max + Duration::from_secs(1)) {
            *births = births.split_off(&old);
        }
        births.insert(now, life);
    }

    /// Whether a connection of `age` is past its own lifetime.
    pub(crate) fn expired(&self, age: Duration) -> bool {
        if age < self.max.saturating_sub(self.jitter) {
            return false;
        }
        let Some(born) = Instant::now().checked_sub(age) else {
            return false;
        };
        let births = self.births.lock().unwrap_or_else(PoisonError::into_inner);
        let life = births
            .range(..=born)
            .next_back()
            .map_or(self.max, |(_, life)| *life);
        age >= life
    }
}

/// A random number in `[0, 1)`: std's per-process random hash keys, fed a
/// counter, so that each call differs.
fn fraction() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    // 53 bits: exactly representable in an f64.
    #[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
    let unit = (hasher.finish() >> 11) as f64 / (1_u64 << 53) as f64;
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_connection_draws_a_lifetime_within_the_window() {
        let l = Lifetimes::new(Duration::from_secs(100), Duration::from_secs(40));
        for _ in 0..200 {
            l.born();
            std::thread::sleep(Duration::from_micros(5));
        }
        let lives: Vec<Duration> = l.births.lock().unwrap().values().copied().collect();
        assert_eq!(lives.len(), 200);
        assert!(lives.iter().all(|d| *d > Duration::from_mins(1)));
        assert!(lives.iter().all(|d| *d <= Duration::from_secs(100)));
        let (lo, hi) = (lives.iter().min().unwrap(), lives.iter().max().unwrap());
        assert!(
            hi.saturating_sub(*lo) > Duration::from_secs(30),
            "{lo:?}..{hi:?}"
        );
    }

    #[test]
    fn young_connections_never_expire_and_old_ones_do() {
        let l = Lifetimes::new(Duration::from_secs(10), Duration::from_secs(5));
        l.born();
        assert!(!l.expired(Duration::from_secs(4)));
        assert!(l.expired(Duration::from_secs(10)));
        let fractions: Vec<f64> = (0..1000).map(|_| fraction()).collect();
        assert!(fractions.iter().all(|f| (0.0..1.0).contains(f)));
        let mean = fractions.iter().sum::<f64>() / 1000.0;
        assert!((0.4..0.6).contains(&mean), "{mean}");
    }
}
