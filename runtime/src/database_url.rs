//! `DatabaseUrl`: the resolved, validated URL and how it was obtained.

use core::fmt;

use crate::Backend;
use crate::redact::redact;
use crate::resolution::{Origin, Resolution};

/// The resolved, validated database URL plus how it was obtained.
///
/// `Display` and `Debug` are redacted: the password never appears. The only
/// way to see it is [`expose_secret`](Self::expose_secret).
#[derive(Clone)]
pub struct DatabaseUrl {
    url: String,
    redacted: String,
    resolution: Resolution,
}

impl DatabaseUrl {
    pub(crate) fn new(url: String, resolution: Resolution) -> Self {
        let redacted = redact(&url);
        Self {
            url,
            redacted,
            resolution,
        }
    }

    /// The database the URL points at.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.resolution.backend
    }

    /// Whether the SQLite fallback is used instead of a configured URL.
    #[must_use]
    pub fn is_fallback(&self) -> bool {
        self.resolution.origin == Origin::Fallback
    }

    /// How the URL was obtained: source, normalisations, fallback reason,
    /// warnings, SQLite location.
    #[must_use]
    pub fn resolution(&self) -> &Resolution {
        &self.resolution
    }

    /// The final URL, password included. Hand it to a driver, never to a log.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.url
    }

    /// The URL with its password hidden (the same text as `Display`).
    #[must_use]
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("url", &self.redacted)
            .field("resolution", &self.resolution)
            .finish()
    }
}
