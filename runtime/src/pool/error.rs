//! `DatabaseError`: why a pool could not be built, with the real cause
//! (refused, DNS, timeout, authentication, TLS, missing database) and never
//! a password.

use core::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::Backend;
use crate::resolution::DatabaseErrorKind;
use crate::url::redact::Secrets;

/// A pool could not be built. Cheap to clone: concurrent first callers of
/// `pool()` share one.
///
/// `Display` and `Debug` are redacted: the driver's message is scrubbed of
/// the user name, the password and secret parameters, in every form. It
/// deliberately has no [`source`](std::error::Error::source): the driver's
/// error may carry them, and error reporters print the whole chain. The
/// driver's own error is available through [`sqlx_error`](Self::sqlx_error),
/// unredacted.
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
    /// The one place an error is assembled; callers use the named
    /// constructors below, which say what happened.
    fn new(
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

    /// Classifies a driver error, with every secret-bearing part of the URL
    /// (user name, password, secret parameters) scrubbed from its message:
    /// servers echo user names, and a user name can hold a password whose
    /// delimiter went missing.
    pub(crate) fn from_sqlx(
        error: sqlx::Error,
        backend: Backend,
        target: &str,
        secrets: &Secrets,
    ) -> Self {
        let kind = classify(&error, backend);
        if kind == DatabaseErrorKind::Other
            && backend == Backend::Postgres
            && error
                .to_string()
                .contains("non-UTF-8 string for its error message")
            && secrets.cut_inside_a_character(PG_NAME_BYTES)
        {
            // PostgreSQL cuts the role name it was sent to 63 bytes, by
            // bytes, and echoes it in its refusal: cut inside a character,
            // the message is not UTF-8 and sqlx cannot read it.
            let detail = "the server's refusal could not be read: it names the user cut at 63 \
                          bytes, inside a character (PostgreSQL's longest role name); check the \
                          user name, or a password whose `:` went missing"
                .to_owned();
            return Self::new(
                DatabaseErrorKind::Auth,
                backend,
                target,
                detail,
                Some(error),
            );
        }
        let detail = secrets.scrub(&error.to_string());
        Self::new(kind, backend, target, detail, Some(error))
    }

    /// `pool()` called outside a Tokio runtime.
    pub(crate) fn no_runtime(backend: Backend, target: &str) -> Self {
        Self::new(
            DatabaseErrorKind::NoRuntime,
            backend,
            target,
            "call pool() from within a Tokio runtime".to_owned(),
            None,
        )
    }

    /// The credentials could not be had: the provider failed, panicked,
    /// did not answer or gave an expired one; a rotated secret was
    /// unusable. `detail` is already scrubbed.
    pub(crate) fn credentials(backend: Backend, target: &str, detail: String) -> Self {
        Self::new(
            DatabaseErrorKind::Credentials,
            backend,
            target,
            detail,
            None,
        )
    }

    /// The driver's connect options could not be built from the resolved
    /// URL; `detail` is the driver's (scrubbed) reason.
    pub(crate) fn options(backend: Backend, target: &str, detail: String) -> Self {
        Self::new(DatabaseErrorKind::Other, backend, target, detail, None)
    }

    /// No host of a multi-host URL would do: each failed (`kind` the
    /// shared kind of their failures) or none was of the kind asked for
    /// (`NoSuitableHost`); `detail` names every host and why.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn every_host(kind: DatabaseErrorKind, target: &str, detail: String) -> Self {
        Self::new(kind, Backend::Postgres, target, detail, None)
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

    /// The driver's (scrubbed) message, or the kind's words without one.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn detail_or_kind(&self) -> String {
        if self.inner.detail.is_empty() {
            self.inner.kind.describe().to_owned()
        } else {
            format!("{}: {}", self.inner.kind.describe(), self.inner.detail)
        }
    }

    /// For a failed migration, its version and description.
    #[must_use]
    pub fn migration_name(&self) -> Option<&str> {
        self.inner.migration.as_deref()
    }

    /// The driver's error, when there is one, for matching on its type.
    ///
    /// **Not redacted**: servers echo the user name (which can hold a
    /// password whose `:` or `@` went missing), so never print or log it;
    /// `Display` and `Debug` of this error are the redacted forms.
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

/// PostgreSQL's longest name (`NAMEDATALEN - 1`), in bytes.
const PG_NAME_BYTES: usize = 63;

impl DatabaseErrorKind {
    /// The kind of a statement's error, as `on_pool!`'s `p` and the sqlx
    /// pool return them (`sqlx::Error`), on `backend`: what a caller
    /// matches on to tell a server that stopped answering
    /// ([`Silent`](Self::Silent)) from a refusal, a timeout or a
    /// constraint.
    #[must_use]
    pub fn of(error: &sqlx::Error, backend: Backend) -> Self {
        classify(error, backend)
    }
}

pub(crate) fn classify(error: &sqlx::Error, backend: Backend) -> DatabaseErrorKind {
    use DatabaseErrorKind as K;
    match error {
        sqlx::Error::Io(e) if crate::pool::silence::is_silent_io(e) => K::Silent,
        sqlx::Error::Io(e) => classify_io(e, backend),
        sqlx::Error::Tls(_) => K::Tls,
        sqlx::Error::Database(db) => {
            // The TLS relay's refusals say what kept the server away.
            #[cfg(all(feature = "postgres", feature = "tls", unix))]
            if let Some(kind) = crate::tls_relay::kind_of(&**db) {
                return kind;
            }
            let code = db.code();
            match code.as_deref() {
                // PostgreSQL invalid_password and invalid_authorization_specification
                // (which pg_hba.conf uses, also for "SSL off" and for a
                // missing or refused client certificate); MySQL's SQLSTATE
                // for ER_ACCESS_DENIED_ERROR.
                Some("28P01" | "28000") => {
                    let m = db.message();
                    if m.contains("SSL") || m.contains("encryption") || m.contains("certificate") {
                        K::Tls
                    } else {
                        K::Auth
                    }
                }
                // PostgreSQL invalid_catalog_name.
                Some("3D000") => K::DatabaseMissing,
                // PostgreSQL cannot_connect_now: starting up, shutting down,
                // in recovery without hot standby.
                Some("57P03") => K::NotReady,
                // PostgreSQL too_many_connections; MySQL's 1040 comes as
                // SQLSTATE 08004.
                Some("53300" | "08004") => K::TooManyConnections,
                // SQLite's SQLITE_BUSY and SQLITE_LOCKED (and their extended
                // codes): another connection or process holds the lock.
                Some(c)
                    if backend == Backend::Sqlite
                        && matches!(c.parse::<u32>().map(|n| n & 0xff), Ok(5 | 6)) =>
                {
                    K::Locked
                }
                _ => {
                    let m = db.message().to_lowercase();
                    if m.contains("access denied") || m.contains("authentication") {
                        K::Auth
                    } else if m.contains("unknown database") || m.contains("does not exist") {
                        // MySQL ER_BAD_DB_ERROR (SQLSTATE 42000).
                        K::DatabaseMissing
                    } else if m.contains("too many connections") {
                        K::TooManyConnections
                    } else {
                        K::Other
                    }
                }
            }
        }
        _ => {
            let m = error.to_string().to_lowercase();
            // sqlx's configuration errors for the client's certificate and
            // key ("no keys found pem file", "user auth key and certs must
            // be given together") come at connect time.
            if m.contains("tls") || m.contains("ssl") || m.contains("pem") || m.contains("certs") {
                K::Tls
            } else if m.contains("lookup address") || m.contains("name or service not known") {
                K::Dns
            } else {
                K::Other
            }
        }
    }
}

fn classify_io(e: &io::Error, backend: Backend) -> DatabaseErrorKind {
    use DatabaseErrorKind as K;
    match e.kind() {
        io::ErrorKind::ConnectionRefused => K::Refused,
        io::ErrorKind::TimedOut => K::Timeout,
        // The only files a server connect reads are TLS certificates and
        // keys (`sslrootcert`, `PGSSLROOTCERT`, ...): a configuration
        // mistake, not an outage to fall back from.
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied | io::ErrorKind::IsADirectory
            if backend != Backend::Sqlite =>
        {
            K::Tls
        }
        _ => {
            let m = e.to_string().to_lowercase();
            if m.contains("lookup address")
                || m.contains("name or service not known")
                || m.contains("name resolution")
                || m.contains("no address")
            {
                K::Dns
            } else if m.contains("tls")
                || m.contains("certificate")
                // rustls inside the stream, after the handshake: TLS 1.3
                // servers refuse a client certificate with an alert
                // ("received fatal alert: UnknownCA").
                || m.contains("fatal alert")
                || m.contains("peer is incompatible")
                || m.contains("peer misbehaved")
            {
                K::Tls
            } else {
                K::Io
            }
        }
    }
}
