//! The URL field's loader without the derive: [`UrlOptions`] and
//! [`DatabaseUrl::from_value`], for a value that some other loader read (a
//! serde settings struct, a command-line flag, a string). The same layers,
//! fallback, redaction and strict mode as `#[derive(DatabaseSettings)]`.

use core::fmt;
use core::str::FromStr;
use std::sync::Arc;

use crate::DatabaseUrl;
use crate::load::url_field::{Beside, finish};
use crate::load::{PoolSpec, pool_options};
use crate::resolution::Origin;
use crate::settings_error::{Error, Problem, ProblemKind};
use crate::source::{self, Environment, Source};
use crate::url::fallback::Places;
use crate::url::resolve::{Raw, Request, attribute_location, resolve, unset};

/// The name a value goes by when none is given: the variable most services
/// read it from.
const DEFAULT_NAME: &str = "DATABASE_URL";

/// How [`DatabaseUrl::from_value`] treats a value: the name it goes by,
/// where the fallback goes, whether the fallback is allowed. A builder:
/// start from [`UrlOptions::new`], set what differs, then hand it to
/// [`DatabaseUrl::from_value`], serde ([`deserialize`](Self::deserialize))
/// or clap ([`value_parser`](Self::value_parser)).
///
/// ```
/// use dbsettings::{Backend, DatabaseUrl, UrlOptions};
/// use dbsettings::resolution::{FallbackReason, Rejection};
/// use dbsettings::source::Vars;
///
/// let options = UrlOptions::new()
///     .var("APP_DATABASE_URL")
///     .fallback("sqlite::memory:")
///     // Hermetic: read no switch or override from the process environment.
///     .environment(Vars::default());
///
/// // A pasted secret: quoted, with SQLAlchemy's driver suffix.
/// let url = DatabaseUrl::from_value(Some("'postgresql+asyncpg://app:s3cret@db/app'"), &options)?;
/// assert_eq!(url.backend(), Backend::Postgres);
/// assert_eq!(url.to_string(), "postgresql://****@db/app");
///
/// // An unencoded `#` in the password: the fallback, with the reason.
/// let url = DatabaseUrl::from_value(Some("postgresql://app:p#ss@db/app"), &options)?;
/// assert!(url.is_fallback());
/// assert!(matches!(
///     url.resolution().fallback_reason(),
///     Some(FallbackReason::Rejected { rejection: Rejection::PasswordNeedsEncoding { .. }, .. })
/// ));
///
/// // Strict mode refuses the fallback, naming the variable, never the value.
/// let strict = options.strict(true);
/// let err = DatabaseUrl::from_value(Some("postgresql://app:p#ss@db/app"), &strict).unwrap_err();
/// assert!(err.to_string().contains("`APP_DATABASE_URL` was rejected"));
/// assert!(!err.to_string().contains("p#ss"));
/// # Ok::<(), dbsettings::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct UrlOptions {
    var: Option<String>,
    fallback: Option<String>,
    strict: bool,
    libpq: bool,
    environment: Arc<dyn Source + Send + Sync>,
}

impl Default for UrlOptions {
    fn default() -> Self {
        Self {
            var: None,
            fallback: None,
            strict: false,
            libpq: true,
            environment: Arc::new(Environment),
        }
    }
}

impl fmt::Debug for UrlOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlOptions")
            .field("var", &self.var)
            .field("fallback", &self.fallback)
            .field("strict", &self.strict)
            .field("libpq", &self.libpq)
            .finish_non_exhaustive()
    }
}

impl UrlOptions {
    /// The defaults: the name `DATABASE_URL`, the fallback's default
    /// places, not strict, libpq's variables read, the process environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// The name the value goes by: in messages, in the resolution
    /// ([`Origin::Given`]) and in logs. Its upper-cased form (`-` read as
    /// `_`) is the variable whose `NAME=` prefix a pasted value may carry,
    /// and names the pool's overrides (`DATABASE_URL` gives
    /// `DATABASE_MAX_CONNECTIONS`, ...).
    ///
    /// _Default:_ `DATABASE_URL`; through serde, `database_url`; through
    /// clap, the argument's `env` name.
    pub fn var(mut self, name: impl Into<String>) -> Self {
        self.var = Some(name.into());
        self
    }

    /// Where the SQLite fallback goes, as the derive's `fallback`
    /// attribute: an absolute path or `sqlite::memory:` comes first; a
    /// relative path is tried after `$DBSETTINGS_DATA_DIR` and `/data`.
    /// A URL that is not SQLite makes [`DatabaseUrl::from_value`] an error.
    ///
    /// _Default:_ none: `app.db` in `$DBSETTINGS_DATA_DIR`, `/data`,
    /// `./data`, the temp directory, then memory.
    pub fn fallback(mut self, sqlite_url: impl Into<String>) -> Self {
        self.fallback = Some(sqlite_url.into());
        self
    }

    /// Refuse the fallback: a missing or unusable value is an error.
    ///
    /// _Default:_ off. `DBSETTINGS_STRICT=1` in the environment turns it on.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// With no value, build a PostgreSQL URL from libpq's `PGHOST`,
    /// `PGDATABASE`, ... variables of the environment, as the derive does.
    ///
    /// _Default:_ on.
    pub fn libpq(mut self, libpq: bool) -> Self {
        self.libpq = libpq;
        self
    }

    /// The variables read besides the value: `DBSETTINGS_STRICT`,
    /// `DBSETTINGS_DATA_DIR`, the pool's overrides, libpq's `PG*`. Give
    /// [`Vars`](crate::source::Vars) for a hermetic test.
    ///
    /// _Default:_ the process environment.
    pub fn environment(mut self, source: impl Source + Send + Sync + 'static) -> Self {
        self.environment = Arc::new(source);
        self
    }

    /// Runs the layers on `raw` (`None` or empty: no value) and falls back
    /// when it is missing or unusable, as the derive does for its field.
    /// An error only when strict mode refuses the fallback, when no SQLite
    /// driver is compiled in to fall back to, when a pool override in the
    /// environment is invalid, or when the `fallback` is not an SQLite URL.
    /// The error names the variable, never the value.
    pub(crate) fn resolve(&self, raw: Option<&str>) -> Result<DatabaseUrl, Error> {
        self.resolve_as(raw, DEFAULT_NAME)
    }

    /// `resolve`, with the name a loader gives when
    /// [`var`](Self::var) was not set.
    pub(crate) fn resolve_as(
        &self,
        raw: Option<&str>,
        default_name: &str,
    ) -> Result<DatabaseUrl, Error> {
        let name = self.var.as_deref().unwrap_or(default_name);
        let env_name = env_name(name);
        let environment: &dyn Source = &*self.environment;
        if let Some(fallback) = &self.fallback
            && crate::Backend::Sqlite.is_compiled_in()
            && attribute_location(Some(fallback)).is_none()
        {
            return Err(Error::new(vec![Problem::new(
                name,
                ProblemKind::Invalid {
                    type_name: "fallback",
                    reason: "the fallback is not an SQLite URL such as sqlite://data/app.db or sqlite::memory:".to_owned(),
                    padded: false,
                },
            )]));
        }
        let pool = pool_options::resolve(&PoolSpec::default(), &env_name, environment);
        let provenance = pool_options::provenance(&PoolSpec::default(), &env_name, environment);
        let given = Origin::Given {
            name: name.to_owned(),
        };
        // Empty means unset, as for every variable the derive reads.
        let (value, origin) = match raw.filter(|r| !r.is_empty()) {
            Some(raw) => (Ok(raw.to_owned()), given),
            None if self.libpq
                && let Some(url) = source::libpq::url(environment) =>
            {
                (Ok(url), Origin::Libpq)
            }
            None => (Err(unset(name)), given),
        };
        let raw = Raw {
            value,
            origin,
            file: None,
        };
        let places = Places::system();
        let (checked_pool, checked_from) = (pool.clone().ok(), provenance.clone());
        let rules = |url: &crate::url::params::UrlSettings| {
            checked_pool
                .as_ref()
                .and_then(|p| super::url_settings::broken_by_url(url, p, &checked_from))
        };
        let request = Request {
            name,
            prefix_var: &env_name,
            fallback: self.fallback.as_deref(),
            strict: self.strict,
            source: environment,
            places: &places,
            pool_rules: Some(&rules),
        };
        let beside = Beside {
            pool,
            provenance,
            replica: None,
            direct: None,
        };
        finish(resolve(raw, &request), &request, beside).map_err(Error::new)
    }
}

/// The variable a name stands for: `database_url` and `--database-url`
/// give `DATABASE_URL`.
fn env_name(name: &str) -> String {
    name.trim_start_matches('-')
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

impl DatabaseUrl {
    /// Resolves a value read by some other loader (a config file, a flag)
    /// through the layers, falling back when it is missing or unusable:
    /// the derive's field without the derive. `None` or empty is no value.
    ///
    /// An error only when strict mode refuses the fallback, when no SQLite
    /// driver is compiled in to fall back to, when a pool override in the
    /// environment is invalid, or when the `fallback` is not an SQLite URL.
    /// The error names the variable, never the value. See [`UrlOptions`].
    pub fn from_value(raw: Option<&str>, options: &UrlOptions) -> Result<Self, Error> {
        options.resolve(raw)
    }
}

/// `"postgresql://...".parse::<DatabaseUrl>()`: the layers and the fallback
/// with the default [`UrlOptions`] (the process environment's
/// `DBSETTINGS_STRICT`, `DBSETTINGS_DATA_DIR` and pool overrides apply).
/// An unusable value falls back; it is an error only in strict mode, and
/// the error never holds the value.
impl FromStr for DatabaseUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UrlOptions::default().resolve(Some(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;
    use crate::resolution::{Absence, FallbackReason, Location, Rejection};
    use crate::source::Vars;

    fn hermetic(dir: &std::path::Path) -> UrlOptions {
        let data = dir.to_str().unwrap().to_owned();
        UrlOptions::new().environment(Vars::new([(crate::DATA_DIR_VAR, data)]))
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name("database_url"), "DATABASE_URL");
        assert_eq!(env_name("--database-url"), "DATABASE_URL");
        assert_eq!(env_name("APP_DB"), "APP_DB");
    }

    #[test]
    fn a_given_value_is_recorded_under_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let url = hermetic(dir.path())
            .var("primary")
            .resolve(Some("PRIMARY=postgresql://u:Given-Pw-1@db/app"))
            .unwrap();
        assert_eq!(url.backend(), Backend::Postgres);
        assert_eq!(
            url.resolution().origin(),
            &Origin::Given {
                name: "primary".into()
            }
        );
        assert_eq!(url.expose_secret(), "postgresql://u:Given-Pw-1@db/app");
    }

    #[test]
    fn no_value_falls_back_into_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let url = hermetic(dir.path()).resolve(None).unwrap();
        assert!(url.is_fallback());
        assert_eq!(
            url.resolution().fallback_reason(),
            Some(&FallbackReason::Missing {
                var: "DATABASE_URL".into(),
                absence: Absence::Unset
            })
        );
        assert_eq!(
            url.resolution().location(),
            Some(&Location::File(dir.path().join("app.db")))
        );
    }

    #[test]
    fn the_fallback_option_and_strict_mode() {
        let dir = tempfile::tempdir().unwrap();
        let options = hermetic(dir.path()).fallback("sqlite::memory:");
        let url = options.resolve(Some("mysql://u:p@h:99999/db")).unwrap();
        assert_eq!(url.resolution().location(), Some(&Location::Memory));
        assert!(matches!(
            url.resolution().fallback_reason(),
            Some(FallbackReason::Rejected {
                rejection: Rejection::InvalidPort,
                ..
            })
        ));
        let err = options.clone().strict(true).resolve(None).unwrap_err();
        assert!(matches!(
            err.problems()[0].kind(),
            ProblemKind::FallbackRefused { .. }
        ));
        // The environment's switch, as for the derive.
        let strict_env = options.environment(Vars::new([(crate::STRICT_VAR, "1")]));
        assert!(strict_env.resolve(Some("")).is_err());
    }

    #[test]
    fn a_fallback_that_is_not_sqlite_is_an_error() {
        let err = UrlOptions::new()
            .environment(Vars::default())
            .fallback("postgresql://u:Fallback-Pw@h/db")
            .resolve(Some("sqlite::memory:"))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("not an SQLite URL"), "{text}");
        assert!(!text.contains("Fallback-Pw"), "{text}");
    }

    #[test]
    fn libpq_variables_stand_in_for_a_missing_value() {
        let pg = Vars::new([("PGHOST", "db.internal"), ("PGUSER", "app")]);
        let url = UrlOptions::new()
            .environment(pg.clone())
            .resolve(None)
            .unwrap();
        assert_eq!(url.resolution().origin(), &Origin::Libpq);
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_owned();
        let off = UrlOptions::new()
            .libpq(false)
            .environment(Vars::new([
                ("PGHOST", "db.internal"),
                (crate::DATA_DIR_VAR, data.as_str()),
            ]))
            .resolve(None)
            .unwrap();
        assert!(off.is_fallback());
    }

    #[test]
    fn pool_overrides_follow_the_name() {
        let url = UrlOptions::new()
            .var("replica_url")
            .environment(Vars::new([("REPLICA_MAX_CONNECTIONS", "3")]))
            .resolve(Some("sqlite::memory:"))
            .unwrap();
        assert_eq!(url.pool_options().max_connections, 3);
        let err = UrlOptions::new()
            .environment(Vars::new([("DATABASE_MAX_CONNECTIONS", "many")]))
            .resolve(Some("sqlite::memory:"))
            .unwrap_err();
        assert_eq!(err.problems()[0].var(), "DATABASE_MAX_CONNECTIONS");
    }
}
