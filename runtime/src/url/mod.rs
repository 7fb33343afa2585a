//! How a database URL is resolved: the five layers (one file each, or a
//! group), the fallback location and redaction; the report of every
//! decision is the leaf module [`resolution`](crate::resolution).
//!
//! [`check`] runs the layers on one raw value: [`normalise`] (presence and
//! repairs), [`shape`], [`parse`], [`driver`] (the sqlx connect options,
//! which the pool is then built with). The URL field's loader
//! (`crate::load`) calls it, then [`fallback`] when the value is unusable.

pub(crate) mod driver;
pub(crate) mod fallback;
mod hosts;
pub(crate) mod normalise;
pub(crate) mod params;
mod parse;
pub(crate) mod redact;
pub(crate) mod resolve;
mod shape;
mod tls;
pub(crate) mod trust;

use fallback::Places;

pub(crate) use driver::ConnectOptions;
#[cfg(feature = "sqlite")]
pub(crate) use parse::sqlite_is_memory;

use crate::Backend;
use crate::resolution::{self, Absence, Location, Normalization, Rejection, Warning};
use crate::source::Source;
use normalise::normalise;

/// A URL that passed every layer.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub(crate) url: String,
    pub(crate) backend: Backend,
    pub(crate) location: Option<Location>,
    pub(crate) warnings: Vec<Warning>,
    /// The driver's connect options, built by layer 5.
    pub(crate) connect: ConnectOptions,
    /// What the URL's parameters ask of the pool and the sessions.
    pub(crate) settings: params::UrlSettings,
    /// What the URL says of a transaction-mode pooler.
    pub(crate) pooler: Option<resolution::Pooler>,
    /// The hosts of a multi-host PostgreSQL URL (empty for one host) and
    /// which to keep.
    pub(crate) targets: Targets,
}

impl Accepted {
    /// The connect options of a direct connection to this URL: the
    /// driver's, with `session` (the URL's own session settings, or
    /// another's) as startup parameters.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub(crate) fn connect_with_session(&self, session: &params::UrlSettings) -> ConnectOptions {
        match &self.connect {
            #[cfg(feature = "postgres")]
            ConnectOptions::Postgres(o) if !session.session.is_empty() => ConnectOptions::Postgres(
                o.clone().options(
                    session
                        .session
                        .iter()
                        .map(|(n, v, _)| (n.as_str(), v.as_str())),
                ),
            ),
            other => other.clone(),
        }
    }
}

/// The hosts of a PostgreSQL URL to choose from, and the rule to choose by.
/// Each host's connect options are the accepted ones with its host and port.
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) struct Targets {
    /// Host and port (when given); empty for a one-host URL.
    pub(crate) hosts: Vec<(String, Option<u16>)>,
    pub(crate) attrs: resolution::SessionAttrs,
    /// `load_balance_hosts=random`.
    pub(crate) random: bool,
    /// The port of a host listed without one (`PGPORT`, else 5432).
    pub(crate) default_port: u16,
}

impl Targets {
    /// Whether there is a host to choose: several, or a role to check.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn choose(&self) -> bool {
        self.hosts.len() > 1 || self.attrs != resolution::SessionAttrs::Any
    }

    /// `host:port` of each host, for messages: a host or port that is one
    /// of `secrets`' passwords hidden, as in the URL as shown.
    pub(crate) fn shown(&self, secrets: &redact::Secrets) -> Vec<String> {
        self.hosts
            .iter()
            .map(|(h, p)| {
                let h = if h.contains(':') {
                    format!("[{h}]")
                } else {
                    h.clone()
                };
                let h = secrets.hide_components(&h);
                p.map_or(h.clone(), |p| {
                    format!("{h}:{}", secrets.hide_components(&p.to_string()))
                })
            })
            .collect()
    }
}

/// Why a value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    Absent(Absence),
    Rejected(Rejection),
}

/// The outcome of checking one raw value.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) normalizations: Vec<Normalization>,
    pub(crate) outcome: Result<Accepted, Refusal>,
}

/// Runs every layer on `raw`, the value of the variable `var`, on
/// `machine`. PostgreSQL defaults come from `source`, never from the
/// ambient environment.
pub(crate) fn check(raw: &str, var: &str, places: &Places, source: &dyn Source) -> Checked {
    let mut normalizations = Vec::new();
    let outcome = normalise(raw, var, &places.sockets, &mut normalizations)
        .and_then(|url| validate(url, places, source));
    Checked {
        normalizations,
        outcome,
    }
}

/// The scheme of `s`: the text before the first `:` when it is a valid URL
/// scheme (a letter, then letters, digits, `+`, `-`, `.`).
pub(crate) fn scheme_of(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .then_some(scheme)
}

/// Layers 3 to 5 on a normalised value.
fn validate(s: String, places: &Places, source: &dyn Source) -> Result<Accepted, Refusal> {
    let backend = shape::shape(&s).map_err(Refusal::Rejected)?;
    let mut warnings = Vec::new();
    let mut targets = Targets::default();
    let mut checked = s.clone();
    let location = match backend {
        Backend::Sqlite => {
            Some(parse::sqlite_location(&s, &places.cwd).map_err(Refusal::Rejected)?)
        }
        Backend::Postgres => {
            // libpq's multi-host form: the layers check the first host's
            // URL, each other host on its own.
            let list = hosts::split(&s).map_err(Refusal::Rejected)?;
            for (host, _) in list.hosts.iter().skip(1) {
                parse::check_listed_host(host).map_err(Refusal::Rejected)?;
            }
            parse::parse_server_url(&list.single, backend, &places.sockets)
                .map_err(Refusal::Rejected)?;
            checked = list.single;
            let default_port = crate::source::text_var(source, "PGPORT", &mut warnings)
                .and_then(|p| p.parse().ok())
                .unwrap_or(5432);
            targets = Targets {
                hosts: list.hosts,
                attrs: list.attrs,
                random: list.random,
                default_port,
            };
            None
        }
        Backend::MySql => {
            parse::parse_server_url(&s, backend, &places.sockets).map_err(Refusal::Rejected)?;
            None
        }
    };
    let (connect, settings) =
        driver::accepts(&checked, backend, source, &mut warnings).map_err(Refusal::Rejected)?;
    tls::check(&checked, &connect, &places.cwd).map_err(Refusal::Rejected)?;
    #[cfg(all(feature = "postgres", feature = "tls", unix))]
    let connect =
        trust::as_libpq(&checked, connect, source, &places.cwd).map_err(Refusal::Rejected)?;
    if location == Some(Location::Memory) {
        warnings.push(Warning::InMemory);
    }
    let pooler = if backend == Backend::Postgres {
        driver::pooler_of(&checked).map_err(Refusal::Rejected)?
    } else {
        None
    };
    Ok(Accepted {
        url: s,
        backend,
        location,
        warnings,
        connect,
        settings,
        pooler,
        targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolution::Component;
    use crate::source::Vars;

    fn run(raw: &str) -> Checked {
        let places = Places {
            cwd: "/work".into(),
            ..Places::default()
        };
        check(raw, "DATABASE_URL", &places, &Vars::default())
    }

    fn url(raw: &str) -> String {
        match run(raw).outcome {
            Ok(a) => a.url,
            Err(e) => panic!("{raw:?} rejected: {e:?}"),
        }
    }

    fn rejection(raw: &str) -> Rejection {
        match run(raw).outcome {
            Err(Refusal::Rejected(r)) => r,
            other => panic!("{raw:?}: expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn presence() {
        for raw in [
            "   ",
            "None",
            "NULL",
            "undefined",
            "\"\"",
            "''",
            "DATABASE_URL=",
        ] {
            assert!(
                matches!(run(raw).outcome, Err(Refusal::Absent(_))),
                "{raw:?} should be missing"
            );
        }
    }

    #[test]
    fn each_normalisation_is_named() {
        let c = run(" 'export DATABASE_URL=\"POSTGRESQL+asyncpg://u:p@h/db\"' ");
        assert_eq!(c.outcome.unwrap().url, "postgresql://u:p@h/db");
        assert_eq!(
            c.normalizations,
            vec![
                Normalization::Trimmed,
                Normalization::Unquoted,
                Normalization::VariablePrefix,
                Normalization::Unquoted,
                Normalization::SchemeLowercased,
                Normalization::DriverSuffix {
                    driver: "asyncpg".into()
                },
            ]
        );
    }

    #[test]
    fn sqlite_forms() {
        assert_eq!(url("sqlite+aiosqlite:///rel.db"), "sqlite:rel.db");
        assert_eq!(url("sqlite+aiosqlite:////abs/x.db"), "sqlite:///abs/x.db");
        assert_eq!(url("sqlite://"), "sqlite::memory:");
        assert_eq!(url("sqlite:///:memory:"), "sqlite::memory:");
        assert_eq!(url("sqlite:///../up.db"), "sqlite:../up.db");
        assert_eq!(
            url("sqlite:x.db?check_same_thread=false&mode=rwc"),
            "sqlite:x.db?mode=rwc"
        );
        assert_eq!(
            run("sqlite:///srv/x.db").outcome.unwrap().location,
            Some(Location::File("/srv/x.db".into()))
        );
        assert_eq!(
            run("sqlite://rel/x.db").outcome.unwrap().location,
            Some(Location::File("/work/rel/x.db".into()))
        );
        assert_eq!(rejection("sqlite:"), Rejection::MissingPath);
        for url in [
            "sqlite://admin:S3cret@localhost/app.db",
            "sqlite://S3cret@localhost/app.db?mode=rwc",
            "sqlite://admin:S3cret@/app.db",
        ] {
            assert_eq!(rejection(url), Rejection::SqliteUserInfo, "{url}");
        }
        for url in [
            "sqlite:admin:S3cret@localhost/app.db",
            "sqlite:admin:S3cret@app.db",
            "sqlite:///admin:S3cret@localhost/app.db",
            "sqlite:////abs/admin:S3cret@x.db",
            "sqlite://./admin:S3cret@app.db",
            "sqlite://data/me@home.db",
        ] {
            assert_eq!(rejection(url), Rejection::SqliteUserInfo, "{url}");
        }
        // A file name's `@`, encoded.
        assert!(run("sqlite://data/me%40home.db").outcome.is_ok());
        assert!(matches!(
            rejection("sqlite:x.db?journal=wal"),
            Rejection::DriverRejected { parameter: Some(p), .. } if p == "journal"
        ));
    }

    #[test]
    fn shape_rejections() {
        assert_eq!(
            rejection("postgresql://u:p@h/db\u{0}"),
            Rejection::ControlCharacter
        );
        assert_eq!(
            rejection("mysql://u:p@h/db # staging"),
            Rejection::InteriorWhitespace {
                inline_comment: true
            }
        );
        for raw in [
            "postgresql://u:$DB_PASSWORD@h/db",
            "postgresql://u:p@${HOST}/db",
            "postgresql://{{user}}:p@h/db",
            "postgresql://u:<password>@h/db",
            "mysql://root:[YOUR_PASSWORD]@h/db",
            "postgresql://user:password@HOST:5432/db",
            "postgresql://u:p@localhost:port/db",
            "$DATABASE_URL",
        ] {
            assert_eq!(rejection(raw), Rejection::Placeholder, "{raw}");
        }
        assert_eq!(rejection("app.db"), Rejection::NoScheme);
        assert_eq!(
            rejection("mssql+pyodbc://u:p@h/db"),
            Rejection::UnsupportedScheme {
                scheme: Some("mssql")
            }
        );
        assert_eq!(
            rejection("secretthing:stuff"),
            Rejection::UnsupportedScheme { scheme: None }
        );
        assert_eq!(
            rejection("mysql:/u:p@h/db"),
            Rejection::NoAuthority {
                backend: Backend::MySql
            }
        );
    }

    /// Inputs the property tests found; each once panicked or leaked.
    #[test]
    fn regressions_from_the_property_tests() {
        assert!(run("postgres:?://").outcome.is_err());
        assert_eq!(
            rejection("postgres://a?pp:PW@db.internal/app"),
            Rejection::AtAfterHost
        );
        assert_eq!(
            rejection("postgresql:///app:PW/app?host=/cloudsql/p"),
            Rejection::DatabaseName
        );
        assert_eq!(
            rejection("postgresql://a?pp:PWlocalhost/app"),
            Rejection::MalformedQuery
        );
    }

    #[test]
    fn dollar_inside_a_password_is_not_a_placeholder() {
        assert_eq!(
            url("postgresql://u:pa$word@h/db"),
            "postgresql://u:pa$word@h/db"
        );
        assert_eq!(url("postgresql://u:pa$$@h/db"), "postgresql://u:pa$$@h/db");
    }

    #[test]
    fn parse_rejections() {
        assert_eq!(
            rejection("postgresql://u:a/b@h/db"),
            Rejection::PasswordNeedsEncoding { character: '/' }
        );
        assert_eq!(
            rejection("postgresql://u:a?b@h/db"),
            Rejection::PasswordNeedsEncoding { character: '?' }
        );
        assert_eq!(rejection("postgresql://h/db#x"), Rejection::Fragment);
        assert_eq!(rejection("postgresql://a?b:c@h/db"), Rejection::AtAfterHost);
        assert_eq!(
            rejection("postgresql://h/db?user=me@corp"),
            Rejection::AtAfterHost
        );
        assert_eq!(rejection("mysql://u:p@h:0/db"), Rejection::InvalidPort);
        assert_eq!(rejection("mysql://u:p@h:70000/db"), Rejection::InvalidPort);
        assert_eq!(
            rejection("postgresql://u:p@bad!host/db"),
            Rejection::InvalidHost
        );
        assert_eq!(
            rejection("postgresql:///db"),
            Rejection::NoDefaultSocket { tried: vec![] }
        );
        assert_eq!(rejection("mysql:///db"), Rejection::MissingHost);
        // Naming nothing at all is an empty template, not the local server.
        for raw in ["postgresql://", "postgresql://:@/", "postgresql://@:5432"] {
            assert_eq!(rejection(raw), Rejection::MissingHost, "{raw}");
        }
        assert_eq!(
            rejection("postgresql://u:p%zz@h/db"),
            Rejection::InvalidPercentEncoding {
                component: Component::Password
            }
        );
        assert_eq!(
            rejection("postgresql://u:p%ff@h/db"),
            Rejection::InvalidUtf8 {
                component: Component::Password
            }
        );
        assert_eq!(rejection("mysql://u:p@a,b/db"), Rejection::MultipleHosts);
        assert_eq!(
            rejection("postgresql://h/app/extra"),
            Rejection::DatabaseName
        );
        assert_eq!(
            rejection("postgresql:///app:pw/x?host=/tmp"),
            Rejection::DatabaseName
        );
    }

    #[test]
    fn accepted_server_urls() {
        for raw in [
            "postgresql://u:p@db_service:5432/app",
            "postgresql://u:p@10.0.0.1/app",
            "postgresql://u:p@[fe80::1]:5432/app",
            "postgresql://%2Fvar%2Frun%2Fpostgresql/app",
            "mysql://root@localhost/test?socket=/run/mysqld/mysqld.sock",
            "mariadb://root@localhost:3306/test",
            "postgres://u:p@h.example.com:5432/app?sslmode=disable&application_name=a",
        ] {
            assert_eq!(url(raw), raw);
        }
        assert_eq!(
            url("postgresql://u:p@/db?host=/cloudsql/p:r:i"),
            "postgresql://u:p@localhost/db?host=/cloudsql/p:r:i"
        );
    }
}
