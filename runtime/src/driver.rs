//! Layer 5: the sqlx driver of each backend must accept the URL, through the
//! same connect options the pool is built with.

use crate::Backend;
use crate::connect::ConnectOptions;
use crate::resolution::{Rejection, Warning};
use crate::source::Source;

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

/// Keeps only the pairs whose key `known` accepts, warning about the others.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn filter_params(url: &str, known: &dyn Fn(&str) -> bool, warnings: &mut Vec<Warning>) -> String {
    let (base, pairs) = split_query(url);
    let mut kept = Vec::new();
    for pair in pairs {
        if known(key_of(pair)) {
            kept.push(pair);
        } else {
            warnings.push(Warning::IgnoredParameter {
                name: printable_name(key_of(pair)),
            });
        }
    }
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

/// Finds which query parameter makes `accepts` fail, trying each on its own.
fn culprit(url: &str, accepts: &dyn Fn(&str) -> bool) -> Option<String> {
    let (base, pairs) = split_query(url);
    if !accepts(base) {
        return None;
    }
    pairs
        .into_iter()
        .find(|pair| !accepts(&format!("{base}?{pair}")))
        .and_then(|pair| printable_name(key_of(pair)))
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
) -> Result<ConnectOptions, Rejection> {
    let built: Result<ConnectOptions, sqlx::Error> = match backend {
        #[cfg(feature = "postgres")]
        Backend::Postgres => postgres_options(url, source, warnings).map(ConnectOptions::Postgres),
        #[cfg(feature = "mysql")]
        Backend::MySql => mysql_options(url, warnings).map(ConnectOptions::MySql),
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => crate::connect::sqlite_options(url).map(ConnectOptions::Sqlite),
        #[allow(unreachable_patterns)]
        _ => return Err(Rejection::DriverNotCompiled { backend }),
    };
    built.map_err(|_| {
        // Only on failure: which parameter was it? Each is tried on its own.
        let check = |u: &str| match backend {
            #[cfg(feature = "postgres")]
            Backend::Postgres => postgres_options(u, source, &mut Vec::new()).is_ok(),
            #[cfg(feature = "mysql")]
            Backend::MySql => mysql_options(u, &mut Vec::new()).is_ok(),
            #[cfg(feature = "sqlite")]
            Backend::Sqlite => sqlite_options(u).is_ok(),
            #[allow(unreachable_patterns)]
            _ => false,
        };
        Rejection::DriverRejected {
            backend,
            parameter: culprit(url, &check),
        }
    })
}

#[cfg(feature = "postgres")]
fn is_postgres_param(key: &str) -> bool {
    POSTGRES_PARAMS.contains(&key) || (key.starts_with("options[") && key.ends_with(']'))
}

/// PostgreSQL connect options for `url`, with every setting the URL leaves
/// open taken from `source`'s libpq variables (`PGPORT`, `PGUSER`,
/// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`), never from the process
/// environment behind its back: sqlx's own parser reads the ambient `PG*`
/// variables, which would leak into a hermetic `from_vars`.
#[cfg(feature = "postgres")]
pub(crate) fn postgres_options(
    url: &str,
    source: &dyn Source,
    warnings: &mut Vec<Warning>,
) -> Result<sqlx::postgres::PgConnectOptions, sqlx::Error> {
    use sqlx::postgres::{PgConnectOptions, PgSslMode};
    use std::str::FromStr;

    let parsed = url::Url::parse(url).map_err(sqlx::Error::config)?;
    let filtered = filter_params(url, &|k| is_postgres_param(k), warnings);
    let mut options = PgConnectOptions::from_str(&filtered)?;
    let has = |key: &str| parsed.query_pairs().any(|(k, _)| k == key);
    let var = |name: &str| {
        source
            .var(name)
            .and_then(|v| v.into_string().ok())
            .filter(|v| !v.is_empty())
    };
    let ambient = |name: &str| std::env::var_os(name).is_some();

    if parsed.port().is_none() && !has("port") {
        let port = var("PGPORT").and_then(|p| p.parse().ok()).unwrap_or(5432);
        options = options.port(port);
    }
    let user_set = !parsed.username().is_empty() || has("user");
    if !user_set {
        match var("PGUSER") {
            Some(user) => options = options.username(&user),
            None if ambient("PGUSER") => {
                let user = whoami::username().unwrap_or_else(|_| "postgres".to_owned());
                options = options.username(&user);
            }
            None => {}
        }
    }
    if parsed.password().is_none() && !has("password") {
        match var("PGPASSWORD") {
            Some(pw) => options = options.password(&pw),
            // sqlx took the ambient password; an empty one is never valid,
            // so the server asks as it would with none.
            None if ambient("PGPASSWORD") => options = options.password(""),
            None => {}
        }
    }
    let database_set = !parsed.path().trim_start_matches('/').is_empty() || has("dbname");
    if !database_set {
        match var("PGDATABASE") {
            Some(db) => options = options.database(&db),
            None if ambient("PGDATABASE") => {
                // PostgreSQL's own default: the database named after the user.
                let user = options.get_username().to_owned();
                options = options.database(&user);
            }
            None => {}
        }
    }
    if !has("sslmode") && !has("ssl-mode") {
        let mode = var("PGSSLMODE")
            .and_then(|m| m.parse().ok())
            .unwrap_or(PgSslMode::Prefer);
        options = options.ssl_mode(mode);
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

/// SQLite connect options for `url`.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_options(url: &str) -> Result<sqlx::sqlite::SqliteConnectOptions, sqlx::Error> {
    url.parse()
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
                    "driver::tests::ambient_pg_variables_do_not_leak_into_hermetic_options",
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
        let o = postgres_options("postgresql://h/db", &none, &mut Vec::new()).unwrap();
        assert_eq!(o.get_port(), 5432);
        assert_ne!(o.get_username(), "ambient_user");
        assert!(matches!(o.get_ssl_mode(), PgSslMode::Prefer));
        assert_eq!(o.get_database(), Some("db"));

        let o = postgres_options("postgresql://h", &none, &mut Vec::new()).unwrap();
        assert_ne!(o.get_database(), Some("ambient_db"));

        let given = Vars::new([
            ("PGPORT", "6000"),
            ("PGUSER", "given_user"),
            ("PGDATABASE", "given_db"),
            ("PGSSLMODE", "disable"),
        ]);
        let o = postgres_options("postgresql://h", &given, &mut Vec::new()).unwrap();
        assert_eq!(o.get_port(), 6000);
        assert_eq!(o.get_username(), "given_user");
        assert_eq!(o.get_database(), Some("given_db"));
        assert!(matches!(o.get_ssl_mode(), PgSslMode::Disable));

        // What the URL says always wins.
        let o = postgres_options(
            "postgresql://u@h:7000/x?sslmode=verify-full",
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
        let _ = accepts(
            "postgresql://h/db?connect_timeout=10",
            Backend::Postgres,
            &Vars::default(),
            &mut w,
        )
        .unwrap();
        assert_eq!(
            w,
            vec![Warning::IgnoredParameter {
                name: Some("connect_timeout".into())
            }]
        );
    }
}
