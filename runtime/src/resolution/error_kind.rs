//! What went wrong when connecting or migrating, as a kind to match on.

/// What went wrong when connecting or migrating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DatabaseErrorKind {
    /// Nothing listens at the address: the server is down or the port wrong.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// The server did not answer within the connect timeout.
    Timeout,
    /// The server refused the credentials (or the `pg_hba.conf` rules).
    Auth,
    /// TLS failed, or the server requires it and it was not offered.
    Tls,
    /// The database named in the URL does not exist.
    DatabaseMissing,
    /// Another I/O error (for SQLite: the file cannot be opened or created).
    Io,
    /// A migration failed.
    Migration,
    /// `pool()` ran outside a Tokio runtime.
    NoRuntime,
    /// The server is up but not accepting connections yet (PostgreSQL's
    /// `57P03`, "the database system is starting up").
    NotReady,
    /// The server has no connection slot left (PostgreSQL's `53300`,
    /// MySQL's error 1040).
    TooManyConnections,
    /// The credential provider failed or did not answer in time.
    Credentials,
    /// No host of a multi-host URL fits `target_session_attrs` (or each
    /// failed differently); the message lists each host with its cause.
    NoSuitableHost,
    /// SQLite: another connection or process holds the database's lock
    /// (`database is locked`) for longer than the connect timeout.
    Locked,
    /// The server stopped answering a statement in flight, and took no new
    /// connection either: a network path that died without a reset, a
    /// frozen host (see `on_pool!`'s silence check).
    Silent,
    /// Anything else the driver reported.
    Other,
}

impl DatabaseErrorKind {
    /// Whether the server could not be reached at all (as opposed to
    /// reached and refusing): what `on_unreachable = "fallback"` acts on.
    #[must_use]
    pub fn is_unreachable(self) -> bool {
        matches!(
            self,
            Self::Refused | Self::Dns | Self::Timeout | Self::Io | Self::Silent
        )
    }

    /// Whether a later attempt may succeed without anything being changed:
    /// what a startup wait retries (refused, reset, timed out, starting up,
    /// too many connections). Authentication, DNS, TLS and a missing
    /// database are not.
    #[must_use]
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::Refused | Self::Timeout | Self::Io | Self::NotReady | Self::TooManyConnections
        )
    }

    /// A short, stable name: `refused`, `dns`, `timeout`, `auth`, ...
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Dns => "dns",
            Self::Timeout => "timeout",
            Self::Auth => "auth",
            Self::Tls => "tls",
            Self::DatabaseMissing => "database_missing",
            Self::Io => "io",
            Self::Migration => "migration",
            Self::NoRuntime => "no_runtime",
            Self::NotReady => "not_ready",
            Self::TooManyConnections => "too_many_connections",
            Self::Credentials => "credentials",
            Self::NoSuitableHost => "no_suitable_host",
            Self::Locked => "locked",
            Self::Silent => "silent",
            Self::Other => "other",
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Refused => "connection refused: nothing listens at the address",
            Self::Dns => "the host name does not resolve",
            Self::Timeout => "the server did not answer in time",
            Self::Auth => "authentication failed",
            Self::Tls => "TLS failed",
            Self::DatabaseMissing => "the database does not exist",
            Self::Io => "an I/O error",
            Self::Migration => "a migration failed",
            Self::NoRuntime => "no Tokio runtime is running",
            Self::Locked => "the database is locked by another connection or process",
            Self::NotReady => "the server is starting up",
            Self::TooManyConnections => "the server has no connection slot left",
            Self::Credentials => "the credential provider failed",
            Self::NoSuitableHost => "no host fits",
            Self::Silent => "the server stopped answering",
            Self::Other => "the driver reported an error",
        }
    }
}
