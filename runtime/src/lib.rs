//! Database settings for Rust services that never crash at startup.
//!
//! `#[derive(DatabaseSettings)]` on a plain struct generates loading from the
//! environment, a layered validation of `DATABASE_URL` and a fallback to an
//! embedded SQLite database in a writable place when the URL is missing or
//! unusable. Every decision is explained (see [`Resolution`]) and logged under
//! the `tracing` target `dbsettings`; no output ever contains a password.
//!
//! ```
//! use dbsettings::{Backend, DatabaseSettings, DatabaseUrl};
//!
//! #[derive(DatabaseSettings, Debug)]
//! #[settings(prefix = "APP_")]
//! struct Settings {
//!     #[settings(env = "DATABASE_URL", alias = "POSTGRES_URL", fallback = "sqlite::memory:")]
//!     database_url: DatabaseUrl,
//!     #[settings(default = 7860)]
//!     port: u16,
//!     log_level: Option<String>,
//! }
//!
//! // A pasted secret: quoted, with SQLAlchemy's driver suffix.
//! let settings = Settings::from_vars([
//!     ("DATABASE_URL", "\"postgresql+asyncpg://app:s3cret@db:5432/app\""),
//!     ("APP_LOG_LEVEL", "debug"),
//! ])?;
//! assert_eq!(settings.database_url.backend(), Backend::Postgres);
//! assert_eq!(settings.database_url.to_string(), "postgresql://****@db:5432/app");
//! assert_eq!(settings.port, 7860);
//!
//! // Nothing set: the SQLite fallback, with the reason recorded.
//! let settings = Settings::from_vars([("APP_PORT", "8080")])?;
//! assert!(settings.database_url.is_fallback());
//! println!("{}", settings.database_url.resolution());
//! # Ok::<(), dbsettings::Error>(())
//! ```
//!
//! # Resolution layers
//!
//! 1. **Presence**: unset, empty, white space or a null token (`None`,
//!    `null`, `undefined`) is missing.
//! 2. **Normalisation**, each repair named in [`Normalization`]: white space,
//!    quotes, the variable's own `NAME=` prefix, upper-case schemes,
//!    SQLAlchemy `+driver` suffixes and SQLite path rules, `sqlite3:`,
//!    `sqlite://:memory:`, Python-only SQLite parameters, Cloud SQL's empty
//!    host with a `host=` socket.
//! 3. **Shape**: control characters, white space, placeholders, the scheme,
//!    the `//` authority, the driver being compiled in.
//! 4. **Parse**: the `url` crate, then host, port, single host,
//!    percent-escapes and UTF-8; a `#`, `/` or `?` in a password gets a hint.
//! 5. **Driver**: the sqlx connect options of the backend accept it.
//!
//! A failure at any layer falls back to SQLite with a [`FallbackReason`],
//! unless strict mode is on (the `strict` attribute, or
//! `DBSETTINGS_STRICT=1`), which makes it an [`Error`] instead.
//!
//! # Fallback location
//!
//! The first of these that passes a real test write is used, parent
//! directories created: the `fallback` attribute's path; `$DBSETTINGS_DATA_DIR`;
//! `/data` when present (persistent storage on Hugging Face Spaces); `./data`;
//! the OS temp directory; and last an in-memory database, with a warning.
//!
//! # Cargo features
//!
//! `postgres`, `mysql` and `sqlite` (all default) compile in sqlx's drivers.

pub use dbsettings_macros::DatabaseSettings;

mod backend;
mod connect;
mod database;
mod database_url;
mod db_error;
pub mod doctor;
mod driver;
mod error;
mod fallback;
mod load;
mod log;
mod options;
mod pool;
mod redact;
mod resolution;
mod resolve;
pub mod source;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod template;

pub use backend::Backend;
pub use database::Database;
pub use database_url::DatabaseUrl;
pub use db_error::{DatabaseError, DatabaseErrorKind};
pub use error::{Error, Problem, ProblemKind};
pub use fallback::DATA_DIR_VAR;
pub use load::STRICT_VAR;
pub use options::{PoolOptions, Unreachable, parse_duration};
pub use pool::Pool;
pub use resolution::{
    Absence, Candidate, CandidateKind, Component, FallbackReason, Location, Normalization, Origin,
    Rejection, Resolution, Skip, Warning,
};
/// The sqlx this crate is built on, re-exported so users need no second
/// dependency.
pub use sqlx;

/// Settings loaded from environment variables, with a resolved database URL.
///
/// Implement it with `#[derive(DatabaseSettings)]`, which generates:
///
/// - [`from_source`](Self::from_source), and so `from_env` and `from_vars`:
///   every field read from its variable (the field name upper-cased with the
///   struct's `prefix`, or its `env`, then its `alias`es), `NAME_FILE` read as
///   a secret file, empty treated as unset, every problem reported at once;
/// - [`database_url`](Self::database_url): the one `DatabaseUrl` field,
///   resolved through the layers, falling back to SQLite when unusable.
///
/// # Attributes
///
/// On the struct:
/// - `#[settings(prefix = "APP_")]`: prefixes every env name derived from a
///   field name (not explicit `env` or `alias` names).
///
/// On fields:
/// - `env = "NAME"`: the variable's name. _Default:_ the field name
///   upper-cased, with the prefix.
/// - `alias = "NAME"`: another name tried, in order, after `env`; repeatable.
/// - `default = <expr>`: the value when unset, type-checked against the field
///   (`default = 7860`, `default = Level::Info`); a string literal suits text
///   fields (`String`, `PathBuf`, ...). Not on `Option` fields.
/// - `fallback = "sqlite:..."` (URL field): where the SQLite fallback goes
///   first. _Default:_ none, so `$DBSETTINGS_DATA_DIR`, `/data`, `./data`, the
///   temp directory, memory.
/// - `strict` (URL field): refuse the fallback; a missing or unusable URL is
///   an error. _Default:_ off, unless `DBSETTINGS_STRICT` is set.
///
/// Field types: `DatabaseUrl` (exactly one), any `FromStr` type (required
/// unless it has a `default`), `Option<T>` (absent is `None`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a settings struct",
    label = "`#[derive(DatabaseSettings)]` is missing on this type",
    note = "a `nested` field's type must derive `DatabaseSettings` too"
)]
pub trait DatabaseSettings: Sized {
    /// Loads the settings from `source`. The other constructors call this.
    fn from_source(source: &dyn source::Source) -> Result<Self, Error>;

    /// Loads the settings from the process environment.
    fn from_env() -> Result<Self, Error> {
        Self::from_source(&source::Environment)
    }

    /// Loads the settings from the given pairs only, ignoring the process
    /// environment: hermetic, for tests.
    fn from_vars<I, K, V>(vars: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self::from_source(&source::Vars::new(vars))
    }

    /// Loads the settings from the process environment over the `.env` file
    /// of the working directory (feature `dotenv`): a variable set in both
    /// comes from the environment, a missing file is nothing, and the
    /// environment is never written. Each value's origin says which file
    /// supplied it.
    #[cfg(feature = "dotenv")]
    fn from_env_and_dotenv() -> Result<Self, Error> {
        let dotenv = source::DotEnv::load(".env")?;
        Self::from_source(&source::Layered::new(source::Environment, dotenv))
    }

    /// The resolved database URL.
    fn database_url(&self) -> &DatabaseUrl;

    /// A `.env.example` for these settings: every variable with its aliases,
    /// default, whether it is required and the field's doc comment. The URL
    /// is shown as an example, never a real value.
    #[must_use]
    fn env_example() -> String {
        let mut out =
            String::from("# Generated by dbsettings: every variable these settings read.\n");
        Self::__template("", &mut out);
        out
    }

    /// Used by generated code, not public API.
    #[doc(hidden)]
    fn __template(prefix: &str, out: &mut String) {
        let _ = (prefix, out);
    }

    /// The lazy pool handle: the same handle on every call, so calling it per
    /// request never builds a second pool. Never connects, never panics,
    /// works outside a Tokio runtime; `database().pool().await` connects.
    fn database(&self) -> Database {
        self.database_url().database()
    }
}

/// Used by generated code, not public API: no semver guarantees.
#[doc(hidden)]
pub mod __private {
    pub use crate::load::{
        Collector, TextDefault, UrlSpec, database_url, optional, required, text_default,
        with_default,
    };
    pub use crate::options::PoolSpec;
    pub use crate::source::Source;
    pub use crate::template::{TemplateKind, template_entry, template_nested};
    pub use sqlx;
}
