//! How a database URL was obtained: its source, every normalisation, the
//! reason for a fallback and the fallback locations tried. Nothing here ever
//! holds a password or a variable's value, except the path of a TLS
//! certificate or key file ([`Rejection::TlsFile`]): a file name is no
//! secret, and it is what the user has to fix.
//!
//! With the `serde` feature every type here is `serde::Serialize`: enums as
//! objects tagged by a snake-case `kind` (`{"kind": "rejected", ...}`), and
//! a [`Resolution`] with each reason's human message and hint alongside.
//! The machine-readable form holds no more than the `Display` one: no
//! password, no value.

mod error_kind;
mod location;
mod normalization;
mod origin;
mod pool_rule;
mod reason;
mod rejection;
#[cfg(feature = "serde")]
pub(crate) mod serde;
mod setting;
mod tls_file;
mod topology;
mod warning;

use core::fmt;
use std::path::Path;

use crate::Backend;

pub use error_kind::DatabaseErrorKind;
pub use location::{Candidate, CandidateKind, Location, Skip};
pub use normalization::Normalization;
pub use origin::{Absence, Origin};
pub use pool_rule::PoolRule;
pub(crate) use pool_rule::{LONGEST, MOST_CONNECTIONS};
pub use reason::{FallbackReason, ReadError};
pub use rejection::{Component, Rejection};
pub use setting::{Setting, SettingSource};
pub use tls_file::TlsFileProblem;
pub use topology::{Pooler, SessionAttrs};
pub use warning::Warning;

/// How a [`DatabaseUrl`](crate::DatabaseUrl) was obtained.
///
/// Its `Debug` output holds no password and no variable value.
#[derive(Debug, Clone)]
pub struct Resolution {
    pub(crate) origin: Origin,
    pub(crate) backend: Backend,
    pub(crate) fallback_reason: Option<FallbackReason>,
    pub(crate) normalizations: Vec<Normalization>,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) location: Option<Location>,
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) pooler: Option<Pooler>,
    pub(crate) hosts: Vec<String>,
    pub(crate) session_attrs: SessionAttrs,
    pub(crate) settings: Vec<Setting>,
}

impl Resolution {
    /// The pool and session settings chosen by an override, a URL
    /// parameter or an attribute, each with where it came from and what it
    /// won over.
    #[must_use]
    pub fn settings(&self) -> &[Setting] {
        &self.settings
    }

    /// A configured URL that passed every layer. What else it says (a
    /// pooler, several hosts, settings) is added with the `with_*` steps.
    pub(crate) fn accepted(
        origin: Origin,
        backend: Backend,
        normalizations: Vec<Normalization>,
        warnings: Vec<Warning>,
        location: Option<Location>,
    ) -> Self {
        Self {
            origin,
            backend,
            fallback_reason: None,
            normalizations,
            warnings,
            location,
            candidates: Vec::new(),
            pooler: None,
            hosts: Vec::new(),
            session_attrs: SessionAttrs::Any,
            settings: Vec::new(),
        }
    }

    /// The SQLite fallback, at `location` after trying `candidates`, for
    /// `reason`; the normalisations and warnings of the value it replaces
    /// are kept (an in-memory location adds its own warning).
    pub(crate) fn fallback(
        reason: FallbackReason,
        normalizations: Vec<Normalization>,
        mut warnings: Vec<Warning>,
        location: Location,
        candidates: Vec<Candidate>,
    ) -> Self {
        if location == Location::Memory && !warnings.contains(&Warning::InMemory) {
            warnings.push(Warning::InMemory);
        }
        Self {
            origin: Origin::Fallback,
            backend: Backend::Sqlite,
            fallback_reason: Some(reason),
            normalizations,
            warnings,
            location: Some(location),
            candidates,
            pooler: None,
            hosts: Vec::new(),
            session_attrs: SessionAttrs::Any,
            settings: Vec::new(),
        }
    }

    /// This resolution, through a transaction-mode pooler when `pooler`.
    pub(crate) fn with_pooler(mut self, pooler: Option<Pooler>) -> Self {
        self.pooler = pooler;
        self
    }

    /// This resolution, with the hosts of a multi-host URL and the rule
    /// that chooses among them.
    pub(crate) fn with_hosts(mut self, hosts: Vec<String>, attrs: SessionAttrs) -> Self {
        self.hosts = hosts;
        self.session_attrs = attrs;
        self
    }

    /// This resolution, with the settings chosen other than by default.
    pub(crate) fn with_settings(mut self, settings: Vec<Setting>) -> Self {
        self.settings = settings;
        self
    }

    /// The resolution after an `on_unreachable = "fallback"` switch: this
    /// one's normalisations and warnings, with the SQLite fallback at
    /// `location` and the unreachable primary (`var`, the error's kind and
    /// redacted text) as the reason.
    #[cfg(feature = "sqlite")]
    pub(crate) fn switched_to(
        &self,
        location: Location,
        candidates: Vec<Candidate>,
        var: &str,
        kind: DatabaseErrorKind,
        error: String,
    ) -> Self {
        let reason = FallbackReason::Unreachable {
            var: var.to_owned(),
            kind,
            error,
        };
        Self::fallback(
            reason,
            self.normalizations.clone(),
            self.warnings.clone(),
            location,
            candidates,
        )
    }

    /// Where the URL came from.
    #[must_use]
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Whether the SQLite fallback is in use instead of a configured URL
    /// (the one rule [`DatabaseUrl::is_fallback`](crate::DatabaseUrl::is_fallback)
    /// and [`Database::is_fallback`](crate::Database::is_fallback) share).
    #[must_use]
    pub fn is_fallback(&self) -> bool {
        self.origin == Origin::Fallback
    }

    /// Why the fallback was used, when it was.
    #[must_use]
    pub fn fallback_reason(&self) -> Option<&FallbackReason> {
        self.fallback_reason.as_ref()
    }

    /// The repairs applied to the raw value, in order (also those applied to
    /// a value that was then rejected).
    #[must_use]
    pub fn normalizations(&self) -> &[Normalization] {
        &self.normalizations
    }

    /// Warnings about the result.
    #[must_use]
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// For SQLite, where the database lives (an absolute path, or memory).
    #[must_use]
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// For SQLite, the absolute path of the database file.
    #[must_use]
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.location {
            Some(Location::File(p)) => Some(p),
            _ => None,
        }
    }

    /// The fallback locations tried, in order, with why each was skipped.
    #[must_use]
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The hosts of a multi-host PostgreSQL URL, in order, as `host:port`
    /// (empty for a one-host URL).
    #[must_use]
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Which server of the hosts is kept (`target_session_attrs`).
    #[must_use]
    pub fn session_attrs(&self) -> SessionAttrs {
        self.session_attrs
    }

    /// Why the URL is taken to go through a transaction-mode pooler, when
    /// it is (PostgreSQL only).
    #[must_use]
    pub fn pooler(&self) -> Option<Pooler> {
        self.pooler
    }
}

impl fmt::Display for Resolution {
    /// A multi-line, human explanation: source, repairs, reason, location.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {}", self.backend, self.origin)?;
        if let Some(loc) = &self.location {
            write!(f, " ({loc})")?;
        }
        if let Some(reason) = &self.fallback_reason {
            write!(f, "\n  because {reason}")?;
            if let Some(hint) = reason.hint() {
                write!(f, "\n  hint: {hint}")?;
            }
        }
        for n in &self.normalizations {
            write!(f, "\n  normalised: {n}")?;
        }
        for c in &self.candidates {
            match &c.skipped {
                None => write!(f, "\n  fallback: {} at {}: chosen", c.kind, c.location)?,
                Some(skip) => write!(f, "\n  fallback: {} at {}: {skip}", c.kind, c.location)?,
            }
        }
        if !self.hosts.is_empty() || self.session_attrs != SessionAttrs::Any {
            write!(
                f,
                "\n  hosts: {} (keep: {})",
                self.hosts.join(", "),
                self.session_attrs
            )?;
        }
        if let Some(pooler) = &self.pooler {
            write!(
                f,
                "\n  pooler: {pooler}: statements through `on_pool!` run unnamed, each in a transaction of its own"
            )?;
        }
        for setting in &self.settings {
            write!(f, "\n  setting: {setting}")?;
        }
        for w in &self.warnings {
            write!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}
