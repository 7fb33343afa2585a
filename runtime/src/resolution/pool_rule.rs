//! The rules two pool settings keep together, whatever set them (an
//! attribute, a `DATABASE_*` override, a URL parameter): one statement of
//! each, shared by the override's problem and the URL's rejection.

use core::fmt;
use core::time::Duration;

/// The most connections a pool setting may name (sqlx takes any `u32`; a
/// server takes a few hundred): a larger number is a typo.
pub(crate) const MOST_CONNECTIONS: u32 = 10_000;

/// The longest duration a pool setting may name: a week. A longer one is a
/// typo (`connect_timeout=18446744073709551615`), and a deadline that far
/// away overflows the clocks of some platforms.
pub(crate) const LONGEST: Duration = Duration::from_hours(7 * 24);

/// A rule two pool settings break together.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum PoolRule {
    /// `min_connections` above `max_connections`: the minimum could never
    /// be kept (sqlx would silently keep fewer).
    MinAboveMax {
        /// The minimum asked for.
        min: u32,
        /// The maximum in force.
        max: u32,
    },
    /// `max_lifetime` shorter than `connect_timeout`: connections would be
    /// retired about as soon as they are made.
    LifetimeBelowConnectTimeout {
        /// The lifetime asked for.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::duration"))]
        max_lifetime: Duration,
        /// The connect timeout in force.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::duration"))]
        connect_timeout: Duration,
    },
    /// `lifetime_jitter` not shorter than `max_lifetime`: a connection
    /// could be retired as soon as it is made.
    JitterNotBelowLifetime {
        /// The jitter asked for.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::duration"))]
        jitter: Duration,
        /// The lifetime in force.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::duration"))]
        max_lifetime: Duration,
    },
}

impl PoolRule {
    /// The two settings, by their attribute names: the one the rule is
    /// stated of, then the other.
    #[must_use]
    pub fn settings(&self) -> (&'static str, &'static str) {
        match self {
            Self::MinAboveMax { .. } => ("min_connections", "max_connections"),
            Self::LifetimeBelowConnectTimeout { .. } => ("max_lifetime", "connect_timeout"),
            Self::JitterNotBelowLifetime { .. } => ("lifetime_jitter", "max_lifetime"),
        }
    }

    /// What is wrong and what to do, with `first` and `second` saying
    /// where the two settings (in the order of [`settings`](Self::settings))
    /// came from.
    pub(crate) fn describe(
        &self,
        f: &mut fmt::Formatter<'_>,
        first: &str,
        second: &str,
    ) -> fmt::Result {
        match self {
            Self::MinAboveMax { min, max } => write!(
                f,
                "the minimum of {min} connections ({first}) is more than the maximum of {max} ({second}): the pool would keep fewer than asked; lower the minimum or raise the maximum"
            ),
            Self::LifetimeBelowConnectTimeout {
                max_lifetime,
                connect_timeout,
            } => write!(
                f,
                "the connections' lifetime ({max_lifetime:?}, {first}) is shorter than the connect timeout ({connect_timeout:?}, {second}): connections would be retired as soon as they are made; raise the lifetime (`0` keeps connections) or lower the timeout"
            ),
            Self::JitterNotBelowLifetime {
                jitter,
                max_lifetime,
            } => write!(
                f,
                "the lifetime jitter ({jitter:?}, {first}) is no shorter than the lifetime ({max_lifetime:?}, {second}): a connection could be retired as soon as it is made; lower the jitter or raise the lifetime"
            ),
        }
    }
}
