//! The health of a [`Database`](crate::Database): what a readiness probe or
//! a `/health` endpoint reports. Redacted throughout.

use core::fmt;

use crate::Backend;
use crate::pool::DatabaseErrorKind;

/// A [`Database`](crate::Database)'s health, from
/// [`Database::health`](crate::Database::health). With the `serde` feature
/// it serializes to JSON as is.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Health {
    /// The backend in use (after an `on_unreachable` switch, SQLite).
    #[cfg_attr(feature = "serde", serde(serialize_with = "backend_name"))]
    pub backend: Backend,
    /// Whether the SQLite fallback is in use.
    pub fallback: bool,
    /// Why, when it is: the fallback reason, redacted.
    pub reason: Option<String>,
    /// Built, up or down.
    pub state: HealthState,
    /// The round trip of a bounded `SELECT 1`, in milliseconds, when one ran
    /// and answered.
    pub ping_ms: Option<f64>,
    /// The pool's connections, once it is built.
    pub pool: Option<PoolStats>,
    /// How many times the credentials changed since start (a `_FILE` secret
    /// rewritten, a provider's new password): 0 until the first rotation.
    pub credentials_generation: u64,
    /// Whether statements are prepared by name (false behind a
    /// transaction-mode pooler).
    pub prepared_statements: bool,
    /// For a multi-host URL, the host in use (`host:port`).
    pub host: Option<String>,
    /// Once the reader pool is built, where its reads go (and why, when a
    /// replica could not be reached).
    pub reader: Option<String>,
    /// When the reader reads from a standby: how many bytes of the
    /// primary's write-ahead log it has not replayed yet (0: caught up);
    /// `None` when it does not, or either server did not say within the
    /// report's bound. A standby that stopped replaying grows this, and
    /// [`Database::reader_after`](crate::Database::reader_after) reads from
    /// the primary meanwhile.
    pub reader_behind: Option<u64>,
    /// Protections the URL asked for that the connection does not have
    /// (`channel_binding=require`: no SCRAM channel binding), each said in
    /// words. Empty when none is missing.
    pub downgrades: Vec<String>,
}

/// Whether the database answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "state", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum HealthState {
    /// The pool has not been built (and the report was asked not to).
    NotBuilt,
    /// The pool is built and the ping answered.
    Up,
    /// The first build is running the migrations, or waiting for their
    /// lock (another session holds it): `detail` says which, and on whom.
    Migrating {
        /// What the migrations are doing.
        detail: String,
    },
    /// The build or the ping failed.
    Down {
        /// What went wrong.
        #[cfg_attr(feature = "serde", serde(serialize_with = "kind_name"))]
        kind: DatabaseErrorKind,
        /// The redacted cause.
        error: String,
    },
}

impl HealthState {
    /// Whether a readiness probe should pass.
    #[must_use]
    pub fn is_up(&self) -> bool {
        matches!(self, Self::Up)
    }
}

impl fmt::Display for HealthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotBuilt => f.write_str("not built"),
            Self::Up => f.write_str("up"),
            Self::Migrating { detail } => write!(f, "migrating: {detail}"),
            Self::Down { error, .. } => write!(f, "down: {error}"),
        }
    }
}

/// The pool's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PoolStats {
    /// Open connections, idle or in use.
    pub size: u32,
    /// Idle connections.
    pub idle: usize,
    /// The most the pool opens.
    pub max: u32,
}

#[cfg(feature = "serde")]
#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
fn backend_name<S: serde::Serializer>(b: &Backend, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(b.name())
}

#[cfg(feature = "serde")]
#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
fn kind_name<S: serde::Serializer>(k: &DatabaseErrorKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.name())
}
