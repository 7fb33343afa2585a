//! Layer 5: the sqlx driver of each backend must accept the URL, through the
//! same connect options the pool is built with.

#[cfg(feature = "sqlite")]
use core::time::Duration;
#[cfg(feature = "sqlite")]
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::Backend;
use crate::resolution::{Rejection, Warning};
use crate::source::Source;

/// Connect options computed when the URL was resolved, from the same source
/// (so a hermetic `from_vars` stays hermetic).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub(crate) enum ConnectOptions {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::postgres::PgConnectOptions),
    #[cfg(feature = "mysql")]
    MySql(sqlx::mysql::MySqlConnectOptions),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::sqlite::SqliteConnectOptions),
}

/// The query parameters sqlx's PostgreSQL driver reads (sqlx-postgres 0.9
/// `options/parse.rs`); it ignores others after logging their values, so
/// others are never handed to it.
#[cfg(feature = "postgres")]
const POSTGRES_PARAMS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// The query parameters sqlx's MySQL driver reads (sqlx-mysql 0.9).
#[cfg(feature = "mysql")]
const MYSQL_PARAMS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslca",
    "ssl-ca",
    "charset",
    "collation",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "socket",
    "timezone",
    "time-zone",
];

/// Splits `url` at `?` into the part before and the `&`-separated pairs.
fn split_query(url: &str) -> (&str, Vec<&str>) {
    match url.split_once('?') {
        Some((base, q)) => (base, q.split('&').filter(|p| !p.is_empty()).collect()),
        None => (url, Vec::new()),
    }
}

fn key_of(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(k, _)| k)
}

/// A parameter name fit to repeat in messages: short and made of name
/// characters. Anything else may be part of a pasted secret.
pub(crate) fn printable_name(key: &str) -> Option<String> {
    let ok = !key.is_empty()
        && key.len() <= 40
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.[]".contains(&b));
    ok.then(|| key.to_owned())
}

/// `url` without the query parameter `key`.
#[cfg(feature = "postgres")]
fn without_param(url: &str, key: &str) -> String {
    let (base, pairs) = split_query(url);
    let kept: Vec<&str> = pairs.into_iter().filter(|p| key_of(p) != key).collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Keeps only the pairs whose key `known` accepts, warning about the
/// others: by name when some client knows the name, else only counted (a
/// key no client uses may be the tail of a password that held a `&`).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn filter_params(url: &str, known: &dyn Fn(&str) -> bool, warnings: &mut Vec<Warning>) -> String {
    let (base, pairs) = split_query(url);
    let mut kept = Vec::new();
    let mut unknown = 0;
    for pair in pairs {
        if known(key_of(pair)) {
            kept.push(pair);
        } else if let Some(name) = crate::url::redact::shown_name(key_of(pair)) {
            warnings.push(Warning::IgnoredParameter { name: Some(name) });
        } else {
            unknown += 1;
        }
    }
    if unknown > 0 {
        warnings.push(Warning::UnknownParameters { count: unknown });
    }
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// What a PostgreSQL URL says of a transaction-mode pooler: `pgbouncer=true`
/// (Prisma's spelling; consumed here, never passed to the driver), or a
/// known pooler endpoint.
///
/// A `pgbouncer` value that is not a boolean is a rejection: a typo must not
/// leave prepared statements on behind a real pooler.
pub(crate) fn pooler_of(url: &str) -> Result<Option<crate::resolution::Pooler>, Rejection> {
    use crate::resolution::Pooler;
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(None);
    };
    let param = parsed.query_pairs().find(|(k, _)| k == "pgbouncer");
    if let Some((_, v)) = param {
        return match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Some(Pooler::Parameter)),
            "false" | "0" | "no" | "off" => Ok(None),
            _ => Err(Rejection::DriverRejected {
                backend: Backend::Postgres,
                parameter: Some("pgbouncer".to_owned()),
            }),
        };
    }
    let Some(host) = parsed.host_str().map(str::to_ascii_lowercase) else {
        return Ok(None);
    };
    Ok(
        if host.ends_with(".pooler.supabase.com") && parsed.port() == Some(6543) {
            Some(Pooler::Endpoint {
                service: "Supabase",
            })
        } else if host.ends_with(".neon.tech") && host.contains("-pooler.") {
            Some(Pooler::Endpoint { service: "Neon" })
        } else {
            None
        },
    )
}

/// Finds which query parameter makes `accepts` fail, trying each on its own
/// behind `stand_in`, a short URL of the same backend: behind the real base,
/// a long URL with many parameters would be parsed once per parameter.
fn culprit(url: &str, stand_in: &str, accepts: &dyn Fn(&str) -> bool) -> Option<String> {
    let (base, pairs) = split_query(url);
    if !accepts(base) {
        return None;
    }
    let mut tried = std::collections::HashSet::new();
    pairs
        .into_iter()
        .filter(|pair| tried.insert(*pair))
        .find(|pair| !accepts(&format!("{stand_in}?{pair}")))
        .and_then(|pair| crate::url::redact::shown_name(key_of(pair)))
}

/// Layer 5: the backend's sqlx driver must accept `url`; its connect
/// options (the ones the pool uses) are the result.
#[cfg_attr(
    not(all(feature = "postgres", feature = "mysql")),
    allow(unused_variables, clippy::ptr_arg)
)]
pub(crate) fn accepts(
    url: &str,
    backend: Backend,
    source: &dyn Source,
    warnings: &mut Vec<Warning>,
) -> Result<(ConnectOptions, crate::url::params::UrlSettings), Rejection> {
    // The parameters the table knows first: honoured (kept for the
    // driver, or taken out as pool and session settings) or refused.
    let (url, settings) = match backend {
        Backend::Postgres | Backend::MySql => {
            let read = crate::url::params::read(url, backend, warnings)?;
            (read.url, read.settings)
        }
        Backend::Sqlite => (url.to_owned(), crate::url::params::UrlSettings::default()),
    };
    let url = url.as_str();
    let built: Result<ConnectOptions, sqlx::Error> = match backend {
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let had_options = settings.session.iter().any(|(_, _, p)| p == "options");
            postgres_options(url, had_options, source, warnings).map(ConnectOptions::Postgres)
        }
        #[cfg(feature = "mysql")]
        Backend::MySql => mysql_options(url, warnings).map(ConnectOptions::MySql),
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => sqlite_options(url).map(ConnectOptions::Sqlite),
        #[allow(unreachable_patterns)]
        _ => return Err(Rejection::DriverNotCompiled { backend }),
    };
    let built = built.map_err(|_| {
        // Only on failure: which parameter was it? Each is tried on its own.
        let check = |u: &str| match backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres => postgres_options(u, false, source, &mut Vec::new()).is_ok(),
            #[cfg(feature = "mysql")]
            Backend::MySql => mysql_options(u, &mut Vec::new()).is_ok(),
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => sqlite_options(u).is_ok(),
            #[allow(unreachable_patterns)]
            _ => false,
        };
        // With a user and a password, so that no check looks for the OS
        // user or reads a password file.
        let stand_in = match backend {
            Backend::Sqlite => "sqlite:x.db",
            Backend::MySql => "mysql://u:p@localhost/db",
            Backend::Postgres => "postgresql://u:p@localhost/db",
        };
        Rejection::DriverRejected {
            backend,
            parameter: culprit(url, stand_in, &check),
        }
    })?;
    Ok((built, settings))
}

#[cfg(feature = "postgres")]
fn is_postgres_param(key: &str) -> bool {
    POSTGRES_PARAMS.contains(&key) || (key.starts_with("options[") && key.ends_with(']'))
}

/// PostgreSQL connect options for `url`, every setting the URL leaves open
/// taken from `source`'s libpq variables, never from the process
/// environment behind its back.
///
/// sqlx 0.9's `PgConnectOptions` starts from the ambient `PGHOST`, `PGPORT`,
/// `PGUSER`, `PGPASSWORD` (and `PGPASSFILE`, `~/.pgpass`), `PGDATABASE`,
/// `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`, `PGAPPNAME` and
/// `PGOPTIONS`, so each is set here from the source, or to its default when
/// the source does not set it. Three have no way back to "unset" in sqlx's
/// API (`PGOPTIONS`, `PGSSLCERT`, `PGSSLKEY`): when the process sets one the
/// source does not, a [`Warning::AmbientVariable`] names it.
#[cfg(feature = "postgres")]
///
/// `url_options`: the URL had an `options` parameter (read as session
/// settings before this), which wins over `PGOPTIONS` as in libpq.
pub(crate) fn postgres_options(
    url: &str,
    url_options: bool,
    source: &dyn Source,
    warnings: &mut Vec<Warning>,
) -> Result<sqlx::postgres::PgConnectOptions, sqlx::Error> {
    use sqlx::postgres::{PgConnectOptions, PgSslMode};
    use std::str::FromStr;

    let parsed = url::Url::parse(url).map_err(sqlx::Error::config)?;
    let has = |keys: &[&str]| parsed.query_pairs().any(|(k, _)| keys.contains(&&*k));
    let ambient = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    // What sqlx read from the process is what the source says.
    let same = |name: &str| source.var(name).filter(|v| !v.is_empty()) == ambient(name);

    // `pgbouncer` is dbsettings' to read (see `pooler_of`), not the driver's.
    let mut filtered = filter_params(url, &|k| is_postgres_param(k) || k == "pgbouncer", warnings);
    filtered = without_param(&filtered, "pgbouncer");
    let url_options = url_options
        || parsed
            .query_pairs()
            .any(|(k, _)| k == "options" || k.starts_with("options["));
    if ambient("PGOPTIONS").is_some() && (url_options || !same("PGOPTIONS")) {
        warnings.push(Warning::AmbientVariable { var: "PGOPTIONS" });
    }
    if !url_options
        && !same("PGOPTIONS")
        && let Some(o) = crate::source::text_var(source, "PGOPTIONS", warnings)
    {
        // libpq: the `options` parameter wins over PGOPTIONS, which applies
        // only without one.
        let enc = percent_encoding::utf8_percent_encode(&o, percent_encoding::NON_ALPHANUMERIC);
        filtered.push(if filtered.contains('?') { '&' } else { '?' });
        filtered.push_str("options=");
        filtered.extend(enc);
    }
    let mut options = PgConnectOptions::from_str(&filtered)?;

    if parsed.port().is_none() && !has(&["port"]) {
        let port = crate::source::text_var(source, "PGPORT", warnings)
            .and_then(|p| p.parse().ok())
            .unwrap_or(5432);
        options = options.port(port);
    }
    if parsed.username().is_empty() && !has(&["user"]) {
        // libpq's rule: PGUSER, else the name of the OS user running the
        // process.
        let user = crate::source::text_var(source, "PGUSER", warnings)
            .or_else(|| whoami::username().ok())
            .unwrap_or_else(|| "postgres".to_owned());
        options = options.username(&user);
    }
    if parsed.password().is_none() && !has(&["password"]) {
        match crate::source::text_var(source, "PGPASSWORD", warnings) {
            Some(pw) => options = options.password(&pw),
            // The process environment is the source: sqlx looked in the
            // password file as libpq does.
            None if same("PGPASSWORD") && same("PGPASSFILE") && same("HOME") => {}
            // An empty password is what the server gets when there is none.
            None => options = options.password(""),
        }
    }
    if parsed.path().trim_start_matches('/').is_empty() && !has(&["dbname"]) {
        // PostgreSQL's own default: the database named after the user.
        let db = crate::source::text_var(source, "PGDATABASE", warnings)
            .unwrap_or_else(|| options.get_username().to_owned());
        options = options.database(&db);
    }
    if !has(&["sslmode", "ssl-mode"]) {
        let mode = crate::source::text_var(source, "PGSSLMODE", warnings)
            .and_then(|m| m.parse().ok())
            .unwrap_or(PgSslMode::Prefer);
        options = options.ssl_mode(mode);
    }
    if !has(&["application_name"]) {
        match crate::source::text_var(source, "PGAPPNAME", warnings) {
            Some(name) => options = options.application_name(&name),
            // Empty is what the server shows when no name is sent.
            None if ambient("PGAPPNAME").is_some() => options = options.application_name(""),
            None => {}
        }
    }
    if !has(&["sslrootcert", "ssl-root-cert", "ssl-ca"]) {
        match crate::source::text_var(source, "PGSSLROOTCERT", warnings) {
            Some(cert) if cert.starts_with("-----BEGIN CERTIFICATE-----") => {
                options = options.ssl_root_cert_from_pem(cert.into_bytes());
            }
            Some(cert) => options = options.ssl_root_cert(cert),
            // No extra root certificate: sqlx's default.
            None if ambient("PGSSLROOTCERT").is_some() => {
                options = options.ssl_root_cert_from_pem(Vec::new());
            }
            None => {}
        }
    }
    if !has(&["sslcert", "ssl-cert"]) {
        match crate::source::text_var(source, "PGSSLCERT", warnings) {
            Some(cert) if cert.starts_with("-----BEGIN CERTIFICATE-----") => {
                options = options.ssl_client_cert_from_pem(cert.into_bytes());
            }
            Some(cert) => options = options.ssl_client_cert(cert),
            None if ambient("PGSSLCERT").is_some() => {
                warnings.push(Warning::AmbientVariable { var: "PGSSLCERT" });
            }
            None => {}
        }
    }
    if !has(&["sslkey", "ssl-key"]) {
        match crate::source::text_var(source, "PGSSLKEY", warnings) {
            Some(key) => options = options.ssl_client_key(key),
            None if ambient("PGSSLKEY").is_some() => {
                warnings.push(Warning::AmbientVariable { var: "PGSSLKEY" });
            }
            None => {}
        }
    }
    Ok(options)
}

/// MySQL connect options for `url` (the MySQL driver reads no environment).
#[cfg(feature = "mysql")]
pub(crate) fn mysql_options(
    url: &str,
    warnings: &mut Vec<Warning>,
) -> Result<sqlx::mysql::MySqlConnectOptions, sqlx::Error> {
    let filtered = filter_params(url, &|k| MYSQL_PARAMS.contains(&k), warnings);
    filtered.parse()
}

/// How long an SQLite connection waits for a lock before `SQLITE_BUSY`.
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The name of in-memory databases in SQLite's `memdb` VFS (a leading `/`
/// shares one database among the connections of a process).
#[cfg(feature = "sqlite")]
pub(crate) const MEMORY_PREFIX: &str = "/dbsettings-memory-";

/// SQLite connect options for a web server. `sqlite::memory:` becomes a
/// named database of SQLite's `memdb` VFS: one database shared by every
/// connection of the pool, with ordinary locking (sqlx's shared-cache
/// `:memory:` fails concurrent writers with `database table is locked`).
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_options(url: &str) -> Result<sqlx::sqlite::SqliteConnectOptions, sqlx::Error> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteSynchronous};
    static MEMORY_SEQ: AtomicUsize = AtomicUsize::new(0);
    let parsed: SqliteConnectOptions = url.parse()?;
    let memory = crate::url::sqlite_is_memory(url);
    let o = if memory {
        let n = MEMORY_SEQ.fetch_add(1, Ordering::Relaxed);
        SqliteConnectOptions::new()
            .filename(format!("{MEMORY_PREFIX}{}-{n}", std::process::id()))
            .vfs("memdb")
    } else {
        parsed
    };
    Ok(o.create_if_missing(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true))
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use super::*;
    use crate::source::Vars;
    use sqlx::postgres::PgSslMode;

    /// Ambient `PG*` variables must not reach options built from `Vars`.
    /// `set_var` is unsafe in Rust 2024, so the test reruns itself as a child
    /// process with a polluted environment.
    #[test]
    fn ambient_pg_variables_do_not_leak_into_hermetic_options() {
        const CHILD: &str = "DBSETTINGS_PG_LEAK_CHILD";
        if std::env::var_os(CHILD).is_none() {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "url::driver::tests::ambient_pg_variables_do_not_leak_into_hermetic_options",
                ])
                .env(CHILD, "1")
                .env("PGPORT", "1")
                .env("PGUSER", "ambient_user")
                .env("PGDATABASE", "ambient_db")
                .env("PGSSLMODE", "require")
                .env("PGPASSWORD", "ambient_pw")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "{stdout}"
            );
            return;
        }
        let none = Vars::default();
        let o = postgres_options("postgresql://h/db", false, &none, &mut Vec::new()).unwrap();
        assert_eq!(o.get_port(), 5432);
        assert_ne!(o.get_username(), "ambient_user");
        assert!(matches!(o.get_ssl_mode(), PgSslMode::Prefer));
        assert_eq!(o.get_database(), Some("db"));

        let o = postgres_options("postgresql://h", false, &none, &mut Vec::new()).unwrap();
        assert_ne!(o.get_database(), Some("ambient_db"));

        let given = Vars::new([
            ("PGPORT", "6000"),
            ("PGUSER", "given_user"),
            ("PGDATABASE", "given_db"),
            ("PGSSLMODE", "disable"),
        ]);
        let o = postgres_options("postgresql://h", false, &given, &mut Vec::new()).unwrap();
        assert_eq!(o.get_port(), 6000);
        assert_eq!(o.get_username(), "given_user");
        assert_eq!(o.get_database(), Some("given_db"));
        assert!(matches!(o.get_ssl_mode(), PgSslMode::Disable));

        // What the URL says always wins.
        let o = postgres_options(
            "postgresql://u@h:7000/x?sslmode=verify-full",
            false,
            &given,
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(
            (o.get_port(), o.get_username(), o.get_database()),
            (7000, "u", Some("x"))
        );
        assert!(matches!(o.get_ssl_mode(), PgSslMode::VerifyFull));
    }

    #[test]
    fn culprit_parameter_is_named() {
        let mut w = Vec::new();
        let err = accepts(
            "postgresql://h/db?application_name=a&sslmode=nope",
            Backend::Postgres,
            &Vars::default(),
            &mut w,
        )
        .unwrap_err();
        assert_eq!(
            err,
            Rejection::DriverRejected {
                backend: Backend::Postgres,
                parameter: Some("sslmode".into())
            }
        );
        // libpq's connect_timeout is honoured now: a pool setting, no warning.
        let (_, settings) = accepts(
            "postgresql://h/db?connect_timeout=10",
            Backend::Postgres,
            &Vars::default(),
            &mut w,
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(settings.pool.len(), 1);
        // A known name of another kind of URL is refused, by name.
        let err = accepts(
            "postgresql://h/db?journal_mode=WAL",
            Backend::Postgres,
            &Vars::default(),
            &mut w,
        )
        .unwrap_err();
        assert!(err.to_string().contains("journal_mode"), "{err}");
    }
}
