//! `DatabaseUrl`: the resolved, validated URL and how it was obtained.

use core::fmt;
use std::sync::{Arc, OnceLock};

use crate::Backend;
// The pool stage's handle, which this value owns (and what it needs of
// it): the URL stage's one import of it here. The pool, in turn, calls the
// URL stage's check on a rotated secret (`pool::credentials`).
use crate::pool::{Database, PoolOptions, Runtime, Switched};
use crate::url::redact::redact;
use crate::url::resolution::{Origin, Resolution};

/// The resolved, validated database URL plus how it was obtained.
///
/// `Display` and `Debug` are redacted: the password never appears. The only
/// way to see it is [`expose_secret`](Self::expose_secret).
#[derive(Clone)]
pub struct DatabaseUrl {
    url: String,
    redacted: String,
    resolution: Resolution,
    runtime: Arc<Runtime>,
    /// The handle `database()` returns, shared by clones of this value.
    database: Arc<OnceLock<Database>>,
}

impl DatabaseUrl {
    pub(crate) fn new(url: String, resolution: Resolution, runtime: Runtime) -> Self {
        let redacted = redact(&url);
        Self {
            url,
            redacted,
            resolution,
            runtime: Arc::new(runtime),
            database: Arc::default(),
        }
    }

    pub(crate) fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// After an `on_unreachable = "fallback"` switch, what the handle runs on.
    fn switched(&self) -> Option<&Switched> {
        self.database.get().and_then(Database::switched)
    }

    /// The URL as resolved, before any switch.
    pub(crate) fn configured_secret(&self) -> &str {
        &self.url
    }

    pub(crate) fn configured_redacted(&self) -> &str {
        &self.redacted
    }

    pub(crate) fn configured_resolution(&self) -> &Resolution {
        &self.resolution
    }

    /// The lazy pool handle for this URL: the same handle on every call (and
    /// for clones of this value), so the pool is built once.
    #[must_use]
    pub fn database(&self) -> Database {
        self.database.get_or_init(|| Database::new(self)).clone()
    }

    /// The pool options in force (attributes, then environment overrides).
    #[must_use]
    pub fn pool_options(&self) -> &PoolOptions {
        &self.runtime.pool
    }

    /// The database in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.resolution().backend
    }

    /// Whether the SQLite fallback is used instead of a configured URL:
    /// because the URL was unusable, or because `on_unreachable =
    /// "fallback"` switched when the primary could not be reached.
    #[must_use]
    pub fn is_fallback(&self) -> bool {
        self.resolution().origin == Origin::Fallback
    }

    /// How the URL was obtained: source, normalisations, fallback reason,
    /// warnings, SQLite location. After an `on_unreachable = "fallback"`
    /// switch, the fallback's (see [`Database::resolution`]).
    #[must_use]
    pub fn resolution(&self) -> &Resolution {
        self.switched().map_or(&self.resolution, |s| &s.resolution)
    }

    /// The final URL, password included. Hand it to a driver, never to a log.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        self.switched().map_or(&self.url, |s| &s.url)
    }

    /// The URL with its password hidden (the same text as `Display`).
    #[must_use]
    pub fn redacted(&self) -> &str {
        self.switched().map_or(&self.redacted, |s| &s.redacted)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("url", &self.redacted())
            .field("resolution", self.resolution())
            .field("pool_options", &self.runtime.pool)
            .finish_non_exhaustive()
    }
}
