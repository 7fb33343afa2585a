//! Which server of several is kept, and a transaction-mode pooler.

use core::fmt;

/// Which server of a (multi-host) PostgreSQL URL to keep: libpq's
/// `target_session_attrs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionAttrs {
    /// The first that answers.
    #[default]
    Any,
    /// One that accepts writes (`transaction_read_only` off).
    ReadWrite,
    /// One that does not (`transaction_read_only` on).
    ReadOnly,
    /// One not in recovery (`pg_is_in_recovery()` false).
    Primary,
    /// One in recovery: a standby.
    Standby,
    /// A standby if one answers, else any.
    PreferStandby,
}

impl SessionAttrs {
    /// libpq's spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::ReadWrite => "read-write",
            Self::ReadOnly => "read-only",
            Self::Primary => "primary",
            Self::Standby => "standby",
            Self::PreferStandby => "prefer-standby",
        }
    }

    pub(crate) fn parse(value: &str) -> Option<Self> {
        [
            Self::Any,
            Self::ReadWrite,
            Self::ReadOnly,
            Self::Primary,
            Self::Standby,
            Self::PreferStandby,
        ]
        .into_iter()
        .find(|a| a.name() == value)
    }
}

impl fmt::Display for SessionAttrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a PostgreSQL URL is taken to go through a transaction-mode pooler
/// (PgBouncer, Supabase's pooler, Neon's), where another client's server
/// connection does not have this client's named prepared statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Pooler {
    /// `?pgbouncer=true` in the URL (Prisma's spelling); the parameter is
    /// not passed to the driver.
    Parameter,
    /// The `pgbouncer = true` attribute, or its environment override.
    Setting,
    /// A known pooler endpoint: port 6543 of `*.pooler.supabase.com`, or a
    /// `-pooler.` host of `neon.tech`.
    Endpoint {
        /// `Supabase` or `Neon`.
        service: &'static str,
    },
}

impl fmt::Display for Pooler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a transaction-mode pooler, ")?;
        match self {
            Self::Parameter => f.write_str("as `?pgbouncer=true` says"),
            Self::Setting => f.write_str("as the `pgbouncer` setting says"),
            Self::Endpoint { service } => write!(f, "{service}'s pooler endpoint"),
        }
    }
}
