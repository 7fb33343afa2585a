//! `DatabaseError`: why a pool could not be built, with the real cause
//! (refused, DNS, timeout, authentication, TLS, missing database) and never
//! a password.

use core::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::Backend;

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
    /// Anything else the driver reported.
    Other,
}

impl DatabaseErrorKind {
    /// Whether the server could not be reached at all (as opposed to
    /// reached and refusing): what `on_unreachable = "fallback"` acts on.
    #[must_use]
    pub fn is_unreachable(self) -> bool {
        matches!(self, Self::Refused | Self::Dns | Self::Timeout | Self::Io)
    }

    fn describe(self) -> &'static str {
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
            Self::Other => "the driver reported an error",
        }
    }
}

/// A pool could not be built. Cheap to clone: concurrent first callers of
/// `pool()` share one.
///
/// `Display` and `Debug` are redacted. The driver's own error is available
/// through [`sqlx_error`](Self::sqlx_error), unredacted.
#[derive(Clone)]
pub struct DatabaseError {
    inner: Arc<Inner>,
}

struct Inner {
    kind: DatabaseErrorKind,
    backend: Backend,
    target: String,
    detail: String,
    migration: Option<String>,
    sqlx: Option<sqlx::Error>,
}

impl DatabaseError {
    pub(crate) fn new(
        kind: DatabaseErrorKind,
        backend: Backend,
        target: &str,
        detail: String,
        sqlx: Option<sqlx::Error>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                kind,
                backend,
                target: target.to_owned(),
                detail,
                migration: None,
                sqlx,
            }),
        }
    }

    /// Classifies a driver error, with `password` scrubbed from its message.
    pub(crate) fn from_sqlx(
        error: sqlx::Error,
        backend: Backend,
        target: &str,
        password: Option<&str>,
    ) -> Self {
        let kind = classify(&error);
        let detail = scrub(&error.to_string(), password);
        Self::new(kind, backend, target, detail, Some(error))
    }

    pub(crate) fn timeout(backend: Backend, target: &str, after: Duration) -> Self {
        Self::new(
            DatabaseErrorKind::Timeout,
            backend,
            target,
            format!("no answer within {after:?}"),
            None,
        )
    }

    pub(crate) fn migration(
        backend: Backend,
        target: &str,
        name: Option<String>,
        detail: String,
        sqlx: Option<sqlx::Error>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                kind: DatabaseErrorKind::Migration,
                backend,
                target: target.to_owned(),
                detail,
                migration: name,
                sqlx,
            }),
        }
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> DatabaseErrorKind {
        self.inner.kind
    }

    /// The backend that was being connected to.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The redacted URL that was being connected to.
    #[must_use]
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// For a failed migration, its version and description.
    #[must_use]
    pub fn migration_name(&self) -> Option<&str> {
        self.inner.migration.as_deref()
    }

    /// The driver's error, when there is one. Not redacted by this crate:
    /// sqlx's messages do not carry passwords, but treat it with care.
    #[must_use]
    pub fn sqlx_error(&self) -> Option<&sqlx::Error> {
        self.inner.sqlx.as_ref()
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{} at {}: {}", i.backend, i.target, i.kind.describe())?;
        if let Some(m) = &i.migration {
            write!(f, " ({m})")?;
        }
        if !i.detail.is_empty() {
            write!(f, ": {}", i.detail)?;
        }
        Ok(())
    }
}

impl fmt::Debug for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("DatabaseError")
            .field("kind", &i.kind)
            .field("backend", &i.backend)
            .field("target", &i.target)
            .field("migration", &i.migration)
            .field("detail", &i.detail)
            .finish()
    }
}

impl std::error::Error for DatabaseError {}

/// Removes every copy of the password (plain and percent-encoded) from a
/// driver message.
pub(crate) fn scrub(message: &str, password: Option<&str>) -> String {
    let mut out = message.to_owned();
    if let Some(pw) = password.filter(|p| !p.is_empty()) {
        out = out.replace(pw, crate::redact::MASK);
        let encoded = percent_encoding::utf8_percent_encode(pw, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        out = out.replace(&encoded, crate::redact::MASK);
    }
    out
}

fn classify(error: &sqlx::Error) -> DatabaseErrorKind {
    use DatabaseErrorKind as K;
    match error {
        sqlx::Error::Io(e) => classify_io(e),
        sqlx::Error::Tls(_) => K::Tls,
        sqlx::Error::Database(db) => {
            let code = db.code();
            match code.as_deref() {
                // PostgreSQL invalid_password and invalid_authorization_specification
                // (which pg_hba.conf uses, also for "SSL off"); MySQL's SQLSTATE
                // for ER_ACCESS_DENIED_ERROR.
                Some("28P01" | "28000") => {
                    let m = db.message();
                    if m.contains("SSL") || m.contains("encryption") {
                        K::Tls
                    } else {
                        K::Auth
                    }
                }
                // PostgreSQL invalid_catalog_name.
                Some("3D000") => K::DatabaseMissing,
                _ => {
                    let m = db.message().to_lowercase();
                    if m.contains("access denied") || m.contains("authentication") {
                        K::Auth
                    } else if m.contains("unknown database") || m.contains("does not exist") {
                        // MySQL ER_BAD_DB_ERROR (SQLSTATE 42000).
                        K::DatabaseMissing
                    } else {
                        K::Other
                    }
                }
            }
        }
        _ => {
            let m = error.to_string().to_lowercase();
            if m.contains("tls") || m.contains("ssl") {
                K::Tls
            } else if m.contains("lookup address") || m.contains("name or service not known") {
                K::Dns
            } else {
                K::Other
            }
        }
    }
}

fn classify_io(e: &io::Error) -> DatabaseErrorKind {
    use DatabaseErrorKind as K;
    match e.kind() {
        io::ErrorKind::ConnectionRefused => K::Refused,
        io::ErrorKind::TimedOut => K::Timeout,
        _ => {
            let m = e.to_string().to_lowercase();
            if m.contains("lookup address")
                || m.contains("name or service not known")
                || m.contains("name resolution")
                || m.contains("no address")
            {
                K::Dns
            } else if m.contains("tls") || m.contains("certificate") {
                K::Tls
            } else {
                K::Io
            }
        }
    }
}
