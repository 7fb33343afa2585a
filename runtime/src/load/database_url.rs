//! `DatabaseUrl`: the resolved, validated URL and how it was obtained.

use core::fmt;
use std::sync::{Arc, OnceLock};

use crate::Backend;
use crate::pool::{Configured, Database, PoolOptions, PoolSetup, Switched};
use crate::resolution::Resolution;
use crate::url::redact::redact;

/// The resolved, validated database URL plus how it was obtained.
///
/// `Display` and `Debug` are redacted: the password never appears. The only
/// way to see it is [`expose_secret`](Self::expose_secret).
#[derive(Clone)]
pub struct DatabaseUrl {
    configured: Arc<Configured>,
    /// The handle `database()` returns, shared by clones of this value.
    database: Arc<OnceLock<Database>>,
}

impl DatabaseUrl {
    pub(crate) fn new(url: String, resolution: Resolution, setup: PoolSetup) -> Self {
        let redacted = redact(&url);
        Self {
            configured: Arc::new(Configured {
                url,
                redacted,
                resolution,
                setup: Arc::new(setup),
            }),
            database: Arc::default(),
        }
    }

    /// After an `on_unreachable = "fallback"` switch, what the handle runs on.
    fn switched(&self) -> Option<&Switched> {
        self.database.get().and_then(Database::switched)
    }

    /// The lazy pool handle for this URL: the same handle on every call (and
    /// for clones of this value), so the pool is built once.
    #[must_use]
    pub fn database(&self) -> Database {
        self.database
            .get_or_init(|| Database::new(&self.configured))
            .clone()
    }

    /// The pool options in force (attributes, then environment overrides).
    #[must_use]
    pub fn pool_options(&self) -> &PoolOptions {
        &self.configured.setup.pool
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
        self.resolution().is_fallback()
    }

    /// How the URL was obtained: source, normalisations, fallback reason,
    /// warnings, SQLite location. After an `on_unreachable = "fallback"`
    /// switch, the fallback's (see [`Database::resolution`]).
    #[must_use]
    pub fn resolution(&self) -> &Resolution {
        self.switched()
            .map_or(&self.configured.resolution, |s| &s.resolution)
    }

    /// The final URL, password included. Hand it to a driver, never to a log.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        self.switched().map_or(&self.configured.url, |s| &s.url)
    }

    /// The URL with its password hidden (the same text as `Display`); after
    /// a switch, the fallback's (as [`Database::redacted_url`]).
    #[must_use]
    pub fn redacted_url(&self) -> &str {
        self.switched()
            .map_or(&self.configured.redacted, |s| &s.redacted)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.redacted_url())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("url", &self.redacted_url())
            .field("resolution", self.resolution())
            .field("pool_options", &self.configured.setup.pool)
            .finish_non_exhaustive()
    }
}
