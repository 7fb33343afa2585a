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
//! 2. **Normalisation**, each repair named in [`Normalization`](resolution::Normalization): white space,
//!    quotes, the variable's own `NAME=` prefix, upper-case schemes,
//!    SQLAlchemy `+driver` suffixes and SQLite path rules, `sqlite3:`,
//!    `sqlite://:memory:`, Python-only SQLite parameters, Cloud SQL's empty
//!    host with a `host=` socket, and libpq's default Unix socket for a
//!    PostgreSQL URL with no host (`postgresql://user@/db`: the first of
//!    `/var/run/postgresql` and `/tmp` that holds the server's socket, else
//!    that exists; with neither, a fallback that says so).
//! 3. **Shape**: control characters, white space, placeholders, the scheme,
//!    the `//` authority, the driver being compiled in.
//! 4. **Parse**: the `url` crate, then host, port, single host,
//!    percent-escapes and UTF-8; a `#`, `/` or `?` in a password gets a hint.
//! 5. **Driver**: the sqlx connect options of the backend accept it, and
//!    the TLS certificate and key files a connect would read are usable
//!    ([`TlsFileProblem`](resolution::TlsFileProblem)).
//!
//! A failure at any layer falls back to SQLite with a
//! [`FallbackReason`](resolution::FallbackReason),
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
//! # One code path on every backend
//!
//! A service that runs on PostgreSQL in production and on its SQLite
//! fallback elsewhere writes each query once: [`on_pool!`] compiles a body
//! once per driver, with that driver's typed pool; [`sql!`] writes a
//! statement once with `$N` placeholders and makes MySQL's `?` form at
//! compile time (an untranslatable statement is a compile error); and
//! [`insert_id`] reads a new row's id with `RETURNING`, or
//! `LAST_INSERT_ID()` on MySQL.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use dbsettings::{DatabaseSettings, DatabaseUrl, insert_id, on_pool, query, query_as, sql};
//!
//! #[derive(DatabaseSettings)]
//! struct Settings {
//!     #[settings(fallback = "sqlite::memory:")]
//!     database_url: DatabaseUrl,
//! }
//!
//! let pool = Settings::from_vars([("DATABASE_URL", "")])?.database().pool().await?;
//! # on_pool!(pool, p => query(sql!("CREATE TABLE todos (id INTEGER PRIMARY KEY, title TEXT)")).execute(p).await.map(drop))?;
//! let id = on_pool!(pool, p => {
//!     insert_id(sql!("INSERT INTO todos (title) VALUES ($1) RETURNING id"))
//!         .bind("buy milk")
//!         .fetch(p)
//!         .await?
//! });
//! let todos: Vec<(i64, String)> = on_pool!(pool, p => {
//!     query_as(sql!("SELECT id, title FROM todos WHERE id = $1")).bind(id).fetch_all(p).await?
//! });
//! assert_eq!(todos, [(id, "buy milk".to_owned())]);
//! # Ok(()) }
//! ```
//!
//! # Cargo features
//!
//! - `postgres`, `mysql`, `sqlite` (all default): sqlx's drivers. Each can be
//!   turned off for a slimmer build; without `sqlite` there is no fallback,
//!   so an unusable URL is an error.
//! - `tls` (default): TLS for `sslmode=require` and managed databases, with
//!   rustls, ring and the webpki roots (no system OpenSSL).
//! - `dotenv`: `.env` files as a source ([`source::DotEnv`],
//!   [`DatabaseSettings::from_env_and_dotenv`]); the process environment is
//!   never written.
//! - `serde`: `serde::Deserialize` for [`DatabaseUrl`], so a
//!   `database_url: DatabaseUrl` field of any serde settings struct (figment,
//!   config-rs, envy) gets the layers and the fallback; `serde::Serialize`,
//!   redacted, for the health report ([`Health`]), the [`Resolution`] and
//!   the doctor's [`Report`](doctor::Report).
//! - `clap`: a value parser for a `DatabaseUrl` argument
//!   ([`DatabaseUrlParser`]) whose errors never echo the value.
//! - `metrics`: pool metrics through the [`metrics`](https://docs.rs/metrics)
//!   facade, by OpenTelemetry's names, for each pool (`database.primary`,
//!   `database.reader`): `db.client.connection.count` by
//!   `db.client.connection.state` (`idle`, `used`),
//!   `.pending_requests`, `.timeouts`, `.create_time`, `.wait_time`,
//!   `.use_time` (seconds), `.max`, `.idle.min`, `.idle.max`, and
//!   `dbsettings.connection.slow_holds`, each labelled with
//!   `db.client.connection.pool.name` and `db.system.name`. The application
//!   installs a recorder (Prometheus, OTLP, ...) before the first `pool()`;
//!   with none installed then, recording costs one branch. Waits and uses
//!   are timed for connections taken through `on_pool!`'s `p`.
//!
//! # Without the derive
//!
//! [`DatabaseUrl::from_value`] runs the same layers and fallback on a value
//! another loader read, with [`UrlOptions`] (the name in messages, the
//! fallback path, strict mode); `"...".parse::<DatabaseUrl>()` does it with
//! the defaults.
//!
//! ```
//! use dbsettings::{Backend, DatabaseUrl, UrlOptions};
//!
//! let options = UrlOptions::new().fallback("sqlite::memory:");
//! let url = DatabaseUrl::from_value(Some("postgres://app:s3cret@db/app"), &options)?;
//! assert_eq!(url.backend(), Backend::Postgres);
//! let url = DatabaseUrl::from_value(Some("[YOUR-DATABASE-URL]"), &options)?;
//! assert!(url.is_fallback());
//! # Ok::<(), dbsettings::Error>(())
//! ```
//!
//! # How the crate is built
//!
//! The folders are the pipeline, each stage importing only earlier ones
//! (`.ci/imports.py` fails CI on an import the other way):
//!
//! 1. `backend` and [`resolution`]: the leaves. The report of every
//!    decision, one family of types per file (where a URL came from, why
//!    the fallback was used, why a URL was refused, repairs, warnings, the
//!    fallback's location, settings), and [`DatabaseErrorKind`]. They
//!    import nothing of the crate but [`Backend`].
//! 2. `settings_error` ([`Error`], a [`Problem`](error::Problem) per variable) and `log`
//!    (the resolution's `tracing` events): built on the report alone.
//! 3. `source/`: where values come from ([`source::Source`], the process
//!    environment, given pairs, `.env` files, layers and prefixes), the
//!    lookup rules every field shares (empty means unset, `NAME_FILE`
//!    secrets, aliases), and libpq's `PG*` variables.
//! 4. `url/`: the resolution of one value. Its entry point (`resolve`)
//!    takes the raw value and what it is for and returns the accepted URL
//!    with its report, the SQLite fallback chosen for it, or strict mode's
//!    refusal; every loader (the derive, [`UrlOptions`], serde, clap) goes
//!    through it, and the pool's rotation path re-runs its layers. One file
//!    per layer (`normalise` for presence and repairs, `shape`, `parse`,
//!    `driver`, with `hosts`, `params` and `tls`), the fallback location
//!    and its probe (`fallback`), and redaction (`redact`).
//! 5. `pool/`: [`Database`], the typed [`Pool`], [`PoolOptions`], the
//!    bounded connect and [`Migrations`](migrations::Migrations) (embedded, or a directory named at
//!    run time), [`DatabaseError`], and [`sqlite`]'s write discipline. Every
//!    connection of every pool is made from the options of one connector:
//!    **it owns the credentials (static, `_FILE`, provider) and the host in
//!    use, each pool asks it for its options, and it hands every pool each
//!    new generation** (sqlx's `set_connect_options`), after a poll or at
//!    once when a connect is refused for its credentials. A rotated secret
//!    goes through the URL stage's own check again.
//! 6. `query/`: one code path on every backend: [`on_pool!`] (a body
//!    compiled once per driver, with its typed pool seen through the
//!    connector: [`query::PoolRef`]), [`Sql`](query::Sql) statements
//!    written once ([`sql!`], translated for MySQL at compile time),
//!    [`query`](fn@query), [`query_as`], [`query_scalar`] and [`insert_id`].
//! 7. `load/`: [`DatabaseUrl`] (the resolved URL, the pool's setup beside
//!    it, and its lazy [`Database`] handle), what the derive's generated code calls
//!    (`__private`: the field loaders, the URL field's loader, the pool
//!    options' reader, the `.env.example` template), and the URL loader
//!    without the derive ([`UrlOptions`], serde's `Deserialize`,
//!    clap's parser).
//! 8. [`doctor`]: the resolution and a bounded connect explained to people.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub use dbsettings_macros::DatabaseSettings;

mod backend;
pub mod doctor;
mod load;
mod log;
mod pool;
pub mod query;
pub mod resolution;
mod settings_error;
pub mod source;
#[cfg(all(feature = "postgres", feature = "tls", unix))]
mod tls_relay;
mod url;

pub use backend::Backend;
#[cfg(feature = "clap")]
pub use load::DatabaseUrlParser;
pub use load::{DatabaseUrl, STRICT_VAR, UrlOptions};
#[cfg(feature = "sqlite")]
pub use pool::sqlite;
pub use pool::{
    CAUSAL_WAIT, Database, DatabaseError, Health, HealthState, Pool, PoolOptions, PoolStats,
    Unreachable, Written,
};
pub use query::{insert_id, query, query_as, query_scalar};
pub use resolution::{DatabaseErrorKind, Resolution};
pub use settings_error::Error;

/// Why settings did not load: a [`Problem`](error::Problem) per variable,
/// which [`Error::problems`] lists.
pub mod error {
    pub use crate::settings_error::{Expected, Problem, ProblemKind};
}

/// Migrations run on the first pool build: embedded by the `migrations`
/// attribute, or a directory named at run time
/// ([`PoolOptions::migrations`]).
pub mod migrations {
    pub use crate::pool::{EmbeddedMigration, EmbeddedMigrations, Migrations};
}

/// Credentials from a provider (an IAM token, a vault lease):
/// [`Database::set_credentials_provider`].
pub mod credentials {
    /// AWS RDS and Aurora IAM authentication tokens (feature `rds-iam`).
    #[cfg(feature = "rds-iam")]
    pub use crate::pool::{AwsCredentials, RdsIam};
    pub use crate::pool::{Credential, ProviderError};
}
/// The sqlx this crate is built on, re-exported so users need no second
/// dependency.
pub use sqlx;
pub use url::fallback::DATA_DIR_VAR;

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
/// Every attribute is checked at compile time: an unknown or duplicated key,
/// a value of the wrong kind or a rule broken across fields is an error on
/// the narrowest span, all of them at once.
///
/// ## On the struct
///
/// - `prefix = "APP_"`: prefixes every variable name derived from a field
///   name (not explicit `env` or `alias` names). _Default:_ none.
/// - `crate = "path"`: the path generated code names `dbsettings` by, for a
///   facade crate that re-exports it or a renamed dependency
///   (`crate = "my_facade::dbsettings"`). _Default:_ `::dbsettings`.
///
/// ## On any field
///
/// - `env = "NAME"`: the variable's name. _Default:_ the field name
///   upper-cased, with the struct's prefix.
/// - `alias = "NAME"`: another name tried, in order, after `env`;
///   repeatable. Each name is also read as `NAME_FILE`, a secret file.
/// - `default = <expr>`: the value when unset, type-checked against the
///   field (`default = 7860`, `default = Level::Info`); a string literal
///   suits text fields (`String`, `PathBuf`, ...). Not on `Option` fields.
///   On the URL field: a URL used when no variable is set.
/// - `nested`: the field is another `DatabaseSettings` struct, loaded with
///   its own prefix; with `prefix = "REPLICA_"` on the field, that prefix.
///   _Default prefix:_ the field name upper-cased and `_`, after the
///   struct's own prefix.
///
/// ## On the `DatabaseUrl` field
///
/// Each pool attribute has an environment override named after the URL
/// variable without `_URL` (`DATABASE_URL` gives `DATABASE_MAX_CONNECTIONS`,
/// ...); an operator's override beats the code's attribute.
///
/// - `fallback = "sqlite:..."`: where the SQLite fallback goes. An absolute
///   path or `sqlite::memory:` comes first; a relative path is tried after
///   `$DBSETTINGS_DATA_DIR` and `/data`. _Default:_ none: `app.db` in
///   `$DBSETTINGS_DATA_DIR`, `/data`, `./data`, the temp directory, memory.
/// - `strict`: refuse the fallback; a missing or unusable URL is an error.
///   _Default:_ off. _Override:_ `DBSETTINGS_STRICT=1` (for every URL field).
/// - `libpq = false`: do not build a PostgreSQL URL from libpq's `PGHOST`,
///   `PGDATABASE`, ... when no URL variable is set. _Default:_ true.
/// - `max_connections = 10`: the pool's size. _Default:_ 10.
///   _Override:_ `DATABASE_MAX_CONNECTIONS`.
/// - `min_connections = 0`: connections kept open. _Default:_ 0.
///   _Override:_ `DATABASE_MIN_CONNECTIONS`.
/// - `connect_timeout = "5s"`: the bound on each connect, the first
///   included, over all the hosts of a multi-host URL; also the bound on a
///   health report. _Default:_ 5 s. _Override:_ `DATABASE_CONNECT_TIMEOUT`.
/// - `acquire_timeout = "10s"`: the bound on waiting for a free connection.
///   _Default:_ 10 s. _Override:_ `DATABASE_ACQUIRE_TIMEOUT`.
/// - `idle_timeout = "10m"`: idle connections close after this; `0` keeps
///   them. _Default:_ 10 min. _Override:_ `DATABASE_IDLE_TIMEOUT`.
/// - `on_unreachable = "fallback"`: when the primary cannot be reached,
///   switch to the SQLite fallback for the life of the process instead of
///   returning the error. _Default:_ `"error"`. _Override:_
///   `DATABASE_ON_UNREACHABLE`.
/// - `pgbouncer = true`: the PostgreSQL URL goes through a transaction-mode
///   pooler; named in the resolution, [`Database::prepared_statements`]
///   turns false, and the pool [`on_pool!`] hands a body runs statements
///   unnamed, each in a transaction of its own. Also set by
///   `?pgbouncer=true` and by Supabase's and Neon's pooler endpoints.
///   _Default:_ false. _Override:_ `DATABASE_PGBOUNCER`.
/// - `startup_wait = "30s"`: how long the first build retries a database
///   that is not up yet (refused, reset, starting up, too many
///   connections), with capped exponential backoff and jitter.
///   _Default:_ none (fail at once). _Override:_ `DATABASE_STARTUP_WAIT`.
/// - `credentials_poll = "10s"`: how often a URL read from a `_FILE` secret
///   is checked for a new value. _Default:_ 10 s. _Override:_
///   `DATABASE_CREDENTIALS_POLL`.
/// - `max_lifetime = "30m"`: connections are retired and replaced after
///   about this long, each at its own random point of the last
///   `lifetime_jitter` of it, so connections opened together do not all
///   reconnect in the same second; `0` keeps them. At least the connect
///   timeout (a compile error, or a start-up error naming the variable).
///   _Default:_ 30 min. _Override:_ `DATABASE_MAX_LIFETIME`.
/// - `lifetime_jitter = "3m"`: how much earlier than `max_lifetime` a
///   connection may be retired (pgx's `MaxConnLifetimeJitter`); shorter
///   than the lifetime. _Default:_ a tenth of `max_lifetime`.
///   _Override:_ `DATABASE_LIFETIME_JITTER`.
/// - `idle_check = "1s"`: a connection idle longer than this is pinged
///   before it is handed out, and replaced when it does not answer (pgx's
///   rule); `0` pings at every acquire. _Default:_ 1 s. _Override:_
///   `DATABASE_IDLE_CHECK`.
/// - `leak_threshold = "30s"`: a connection taken through `on_pool!`'s `p`
///   and held longer is logged (warn) once with the file and line that
///   acquired it (`p.acquire()`, `p.begin()`, or the `on_pool!` of a
///   statement) and how long, again when it comes back, and counted in the
///   metrics; above zero. _Default:_ off. _Override:_
///   `DATABASE_LEAK_THRESHOLD`.
/// - `migration_lock_wait = "60s"`: how long the first build waits for the
///   migration lock while another session holds it (a replica migrating,
///   one that hung); meanwhile `health()` answers at once with
///   `HealthState::Migrating` naming the holder, and past it `pool()`
///   returns a `Migration` error that names it (PostgreSQL: pid,
///   `application_name`, client address, since when); the next call tries
///   again. A run that fails lets the lock go. Above zero. _Default:_ 60 s.
///   _Override:_ `DATABASE_MIGRATION_LOCK_WAIT`.
/// - `replica = "DATABASE_REPLICA_URL"`: the variable of a read replica's
///   URL (an RDS reader endpoint, say), for [`Database::reader`]; unset,
///   reads go to a standby of the URL's hosts, else to the primary.
///   _Default:_ none.
/// - `direct_url = "DATABASE_DIRECT_URL"`: the variable of a direct URL to
///   the same PostgreSQL database, bypassing a transaction-mode pooler
///   (Prisma's `directUrl`), through the same layers (and `_FILE`); when it
///   is set, migrations run on it. Unset, migrations behind a pooler run
///   with a pooler-safe runner (one transaction each, a transaction-level
///   lock, nothing prepared). _Default:_ none.
/// - `migrations = "migrations"`: a directory with `postgres/`, `mysql/`
///   and `sqlite/` migrations (sqlx's `<VERSION>_<DESCRIPTION>.sql` files),
///   run on the first pool build. Like `sqlx::migrate!`, it is resolved at
///   compile time against the deriving crate's `CARGO_MANIFEST_DIR` and
///   embedded in the binary, which then needs no source tree. A missing
///   directory, one with none of the three sub-directories, a file without
///   a version, two files with one version or a file that is not UTF-8 is
///   a compile error on the attribute. An edited file is picked up by the
///   next build (each is `include_str!`-ed); for an added or removed file
///   to be, add a `build.rs` with
///   `println!("cargo:rerun-if-changed=migrations");` (sqlx's advice too).
///   _Default:_ none. _Override:_ `DATABASE_MIGRATIONS=/path`, a directory
///   read at run time instead (migrations shipped beside the binary); one
///   that does not exist is a `DatabaseError` naming it.
///
/// Durations are `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
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

// The crate's README (what crates.io shows), its examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// Used by generated code, not public API: no semver guarantees.
#[doc(hidden)]
pub mod __private {
    pub use crate::load::template::{TemplateKind, template_entry, template_nested};
    pub use crate::load::{
        Collector, PoolSpec, TextDefault, UrlSpec, database_url, optional, required, text_default,
        with_default,
    };
    pub use crate::pool::{EmbeddedMigration, EmbeddedMigrations};
    pub use crate::query::{Dispatch, Off, dispatch, sql, sql_returning_id};
    pub use crate::source::Source;
    pub use crate::{
        __dbsettings_mysql_arm as mysql_arm, __dbsettings_postgres_arm as postgres_arm,
        __dbsettings_sqlite_arm as sqlite_arm,
    };
    pub use dbsettings_macros::statement;
    pub use sqlx;

    /// The parameter table as the README shows it (a test compares them).
    #[must_use]
    pub fn parameter_table() -> String {
        crate::url::params::markdown()
    }
}

/// A statement written once with PostgreSQL's `$1`, `$2`, ... placeholders,
/// as a [`Sql`](query::Sql) value holding its MySQL form too, translated at compile
/// time (`?` for each `$N`; sqlx's SQLite driver reads `$N` itself).
///
/// The SQL is lexed, not searched: `$N` inside `'...'` and `E'...'`
/// strings, `"..."` and `` `...` `` identifiers and `--` or `/* */`
/// comments is left alone. MySQL's `?` is positional, so the parameters
/// must appear as `$1`, `$2`, ... in order, each once; a statement without
/// such a translation (a `$N` reused, out of order or missing, a bare `?`,
/// an unterminated string) is a compile error on its literal, saying why.
/// The MySQL form is lexed again with MySQL's rules, and a statement MySQL
/// would read differently is a compile error saying what to write instead:
/// a backslash in a string, `#`, `--` without white space after it, a
/// comment inside a comment, `/*!`, a `$$` dollar quote.
///
/// An `INSERT` that ends in `RETURNING <column>` is a
/// `Sql<`[`ReturningId`](query::ReturningId)`>`, which [`insert_id`] takes.
///
/// ```
/// use dbsettings::{Backend, sql};
///
/// let q = sql!("UPDATE todos SET title = $1 WHERE id = $2 AND title <> '$1'");
/// assert_eq!(q.on(Backend::MySql), "UPDATE todos SET title = ? WHERE id = ? AND title <> '$1'");
/// assert_eq!(q.on(Backend::Sqlite), q.postgres());
/// ```
///
/// ```compile_fail
/// // `$1` twice: MySQL's `?` cannot say "the first parameter again".
/// let q = dbsettings::sql!("SELECT * FROM t WHERE a = $1 OR b = $1");
/// ```
#[macro_export]
macro_rules! sql {
    ($($statement:tt)*) => {
        $crate::__private::statement!($crate, $($statement)*)
    };
}
