//! Every query parameter dbsettings knows, and what it does with each: the
//! table the README's is generated from (a test keeps the two equal).
//!
//! A parameter is honoured (passed to the driver, mapped to a pool or
//! session setting, or read by dbsettings itself), or refused with the
//! reason and what to do (a rejection: the URL is not used). Only where
//! refusing would break the URLs providers hand out is one accepted with a
//! warning that names the protection that is missing (strict mode refuses
//! it). None is ignored in silence. Values are shown, but those of secret
//! parameters (`password`, `user`, ...: see `redact`).

use core::time::Duration;

use crate::Backend;
use crate::resolution::{Rejection, Warning};

/// Which URLs a parameter belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum For {
    Postgres,
    MySql,
    Both,
}

impl For {
    fn covers(self, backend: Backend) -> bool {
        matches!(
            (self, backend),
            (Self::Both, Backend::Postgres | Backend::MySql)
                | (Self::Postgres, Backend::Postgres)
                | (Self::MySql, Backend::MySql)
        )
    }
}

/// A pool setting a parameter maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoolField {
    MaxConnections,
    MinConnections,
    ConnectTimeout,
    AcquireTimeout,
    IdleTimeout,
    MaxLifetime,
}

impl PoolField {
    /// The pool option's name, as the attribute spells it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::MaxConnections => "max_connections",
            Self::MinConnections => "min_connections",
            Self::ConnectTimeout => "connect_timeout",
            Self::AcquireTimeout => "acquire_timeout",
            Self::IdleTimeout => "idle_timeout",
            Self::MaxLifetime => "max_lifetime",
        }
    }
}

/// How a value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A count, at least 1.
    Count,
    /// A count, 0 allowed.
    CountOrZero,
    /// Whole seconds, at least 1 (libpq's `connect_timeout`, Prisma's).
    Seconds,
    /// A Go duration (`30s`, `1m30s`, `1h`), as pgx reads it.
    GoDuration,
}

/// What dbsettings does with a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// sqlx's driver reads it, under this name.
    Driver(&'static str),
    /// dbsettings reads it itself (the pooler, the hosts).
    Consumed,
    /// A pool setting.
    Pool(PoolField, Unit),
    /// PostgreSQL's `search_path`, from a schema name.
    Schema,
    /// A server setting for every session (PostgreSQL: `statement_timeout`).
    Session(&'static str),
    /// libpq's `options`: `-c name=value` settings for every session.
    StartupOptions,
    /// Honoured only with these values (what happens anyway); refused
    /// otherwise, for the reason given.
    Only(&'static [&'static str], &'static str),
    /// Refused: why, and what to do.
    Refused(&'static str, &'static str),
    /// Accepted with a warning naming the missing protection, as the
    /// providers' URLs carry it; strict mode refuses it. Only with the
    /// values listed; others are honoured (they ask for nothing missing).
    Downgrade(&'static [&'static str], &'static str),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    /// Whose spelling it is.
    pub(crate) from: &'static str,
    pub(crate) backends: For,
    pub(crate) action: Action,
}

const fn p(name: &'static str, from: &'static str, backends: For, action: Action) -> Param {
    Param {
        name,
        from,
        backends,
        action,
    }
}

use Action::{Consumed, Downgrade, Driver, Only, Pool, Refused, Schema, Session, StartupOptions};
use For::{Both, MySql as My, Postgres as Pg};
use PoolField::{
    AcquireTimeout, ConnectTimeout, IdleTimeout, MaxConnections, MaxLifetime, MinConnections,
};
use Unit::{Count, CountOrZero, GoDuration, Seconds};

const NO_KEEPALIVE: &str = "sqlx 0.9 sets no TCP keepalive or user timeout on its sockets";
const NO_GSS: &str = "sqlx 0.9 has no GSSAPI (Kerberos) support";
const USE_SSLMODE: &str = "use `sslmode` (disable, prefer, require, verify-ca, verify-full)";
const USE_SSL_MODE: &str =
    "use `ssl-mode` (DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY)";
const REMOVE: &str = "remove it";

/// Every parameter dbsettings knows, for PostgreSQL and MySQL URLs.
#[rustfmt::skip]
pub(crate) const TABLE: &[Param] = &[
    // Read by sqlx's drivers.
    p("sslmode", "libpq", Pg, Driver("sslmode")),
    p("sslrootcert", "libpq", Pg, Driver("sslrootcert")),
    p("sslcert", "libpq", Pg, Driver("sslcert")),
    p("sslkey", "libpq", Pg, Driver("sslkey")),
    p("host", "libpq", Pg, Driver("host")),
    p("hostaddr", "libpq", Pg, Driver("hostaddr")),
    p("port", "libpq", Pg, Driver("port")),
    p("dbname", "libpq", Pg, Driver("dbname")),
    p("user", "libpq", Pg, Driver("user")),
    p("password", "libpq", Pg, Driver("password")),
    p("application_name", "libpq", Pg, Driver("application_name")),
    p("fallback_application_name", "libpq", Pg, Driver("application_name")),
    p("ssl-mode", "sqlx", Both, Driver("ssl-mode")),
    p("ssl-root-cert", "sqlx", Pg, Driver("ssl-root-cert")),
    p("ssl-ca", "sqlx", Both, Driver("ssl-ca")),
    p("ssl-cert", "sqlx", Both, Driver("ssl-cert")),
    p("ssl-key", "sqlx", Both, Driver("ssl-key")),
    p("statement-cache-capacity", "sqlx", Both, Driver("statement-cache-capacity")),
    p("statement_cache_size", "Prisma", Pg, Driver("statement-cache-capacity")),
    p("sslmode", "MySQL", My, Driver("ssl-mode")),
    p("sslca", "MySQL", My, Driver("ssl-ca")),
    p("sslcert", "MySQL", My, Driver("ssl-cert")),
    p("sslkey", "MySQL", My, Driver("ssl-key")),
    p("ssl_mode", "mysqlclient", My, Driver("ssl-mode")),
    p("ssl_ca", "mysqlclient", My, Driver("ssl-ca")),
    p("ssl_cert", "mysqlclient", My, Driver("ssl-cert")),
    p("ssl_key", "mysqlclient", My, Driver("ssl-key")),
    p("charset", "MySQL", My, Driver("charset")),
    p("collation", "MySQL", My, Driver("collation")),
    p("socket", "sqlx", My, Driver("socket")),
    p("unix_socket", "mysqlclient", My, Driver("socket")),
    p("timezone", "sqlx", My, Driver("timezone")),
    p("time-zone", "sqlx", My, Driver("time-zone")),
    // Read by dbsettings.
    p("pgbouncer", "Prisma", Pg, Consumed),
    p("target_session_attrs", "libpq", Pg, Consumed),
    p("load_balance_hosts", "libpq", Pg, Consumed),
    // Pool settings.
    p("connect_timeout", "libpq", Pg, Pool(ConnectTimeout, Seconds)),
    p("connectTimeout", "JDBC", Both, Pool(ConnectTimeout, Seconds)),
    p("loginTimeout", "JDBC", Pg, Pool(ConnectTimeout, Seconds)),
    p("connection_limit", "Prisma", Both, Pool(MaxConnections, Count)),
    p("pool_timeout", "Prisma", Both, Pool(AcquireTimeout, Seconds)),
    p("pool_max_conns", "pgx", Pg, Pool(MaxConnections, Count)),
    p("pool_min_conns", "pgx", Pg, Pool(MinConnections, CountOrZero)),
    p("pool_max_conn_idle_time", "pgx", Pg, Pool(IdleTimeout, GoDuration)),
    p("pool_max_conn_lifetime", "pgx", Pg, Pool(MaxLifetime, GoDuration)),
    p("pool_size", "SQLAlchemy", Both, Pool(MaxConnections, Count)),
    // Session settings.
    p("schema", "Prisma", Pg, Schema),
    p("currentSchema", "JDBC", Pg, Schema),
    p("search_path", "pgx", Pg, Schema),
    p("options", "libpq", Pg, StartupOptions),
    p("statement_timeout", "pgx", Pg, Session("statement_timeout")),
    // Honoured for what happens anyway, refused otherwise.
    p("gssencmode", "libpq", Pg, Only(&["disable", "prefer"], NO_GSS)),
    p("sslcompression", "libpq", Pg, Only(&["0"], "sqlx 0.9 does not compress TLS (nor does PostgreSQL 14 or later)")),
    p("sslsni", "libpq", Pg, Only(&["1"], "sqlx 0.9 always sends the host name in TLS (SNI)")),
    p("sslnegotiation", "libpq", Pg, Only(&["postgres"], "sqlx 0.9 negotiates TLS the PostgreSQL way only")),
    p("ssl_min_protocol_version", "libpq", Pg, Only(&["TLSv1.2"], "sqlx 0.9's TLS (rustls) offers TLS 1.2 and 1.3: no other bound can be set")),
    p("client_encoding", "libpq", Pg, Only(&["UTF8", "utf8", "UTF-8", "utf-8"], "sqlx 0.9 speaks UTF-8 only")),
    p("keepalives", "libpq", Pg, Only(&["0"], NO_KEEPALIVE)),
    p("sslaccept", "Prisma", Pg, Only(&["strict"], "sqlx 0.9 cannot accept an invalid certificate while verifying the host")),
    p("useUnicode", "JDBC", My, Only(&["true"], "sqlx 0.9 speaks UTF-8 only")),
    // Accepted with a warning: Neon's connection strings carry it.
    p("channel_binding", "libpq", Pg, Downgrade(&["require"], "SCRAM channel binding (sqlx 0.9 has no SCRAM-SHA-256-PLUS): the connection is not bound to the TLS channel, so a man in the middle holding a certificate the client trusts is not detected")),
    // Refused.
    p("keepalives_idle", "libpq", Pg, Refused(NO_KEEPALIVE, REMOVE)),
    p("keepalives_interval", "libpq", Pg, Refused(NO_KEEPALIVE, REMOVE)),
    p("keepalives_count", "libpq", Pg, Refused(NO_KEEPALIVE, REMOVE)),
    p("tcp_user_timeout", "libpq", Pg, Refused(NO_KEEPALIVE, REMOVE)),
    p("gsslib", "libpq", Pg, Refused(NO_GSS, REMOVE)),
    p("krbsrvname", "libpq", Pg, Refused(NO_GSS, REMOVE)),
    p("requirepeer", "libpq", Pg, Refused("sqlx 0.9 cannot check the peer of a Unix socket", REMOVE)),
    p("require_auth", "libpq", Pg, Refused("sqlx 0.9 cannot restrict the authentication methods the server may ask for", REMOVE)),
    p("replication", "libpq", Pg, Refused("a replication connection is not a pool's", REMOVE)),
    p("service", "libpq", Pg, Refused("dbsettings reads no pg_service.conf", "write the service's host, port and database into the URL")),
    p("passfile", "libpq", Pg, Refused("dbsettings reads no password file named in the URL", "put the password in the URL, or the whole URL in a file named by `DATABASE_URL_FILE`")),
    p("sslcrl", "libpq", Pg, Refused("sqlx 0.9 checks no certificate revocation list", REMOVE)),
    p("sslcrldir", "libpq", Pg, Refused("sqlx 0.9 checks no certificate revocation list", REMOVE)),
    p("ssl_max_protocol_version", "libpq", Pg, Refused("sqlx 0.9's TLS (rustls) cannot cap the protocol version", REMOVE)),
    p("sslpassword", "libpq", Pg, Refused("sqlx 0.9 cannot decrypt an encrypted client key", "decrypt the key (openssl pkey -in key.pem -out plain.pem) and name that file in `sslkey`")),
    p("sslpasswordfile", "libpq", Pg, Refused("sqlx 0.9 cannot decrypt an encrypted client key", "decrypt the key and name that file in `sslkey`")),
    p("sslrootkey", "libpq", Pg, Refused("no client uses a root key", REMOVE)),
    p("socket_timeout", "Prisma", Pg, Refused("sqlx 0.9 has no socket timeout", "bound statements with `statement_timeout` instead")),
    p("sslidentity", "Prisma", Pg, Refused("sqlx 0.9 reads no PKCS#12 bundle", "name PEM files in `sslcert` and `sslkey`")),
    p("prepareThreshold", "JDBC", Pg, Refused("sqlx prepares every statement", "behind a transaction-mode pooler, add `pgbouncer=true` instead")),
    p("ssl", "JDBC", Pg, Refused("JDBC's `ssl=true` means different checks in different drivers", USE_SSLMODE)),
    p("sslfactory", "JDBC", Pg, Refused("sqlx 0.9 has its own TLS (rustls)", USE_SSLMODE)),
    p("max_overflow", "SQLAlchemy", Both, Refused("sqlx's pool has no overflow connections", "set `connection_limit` to the most connections you want")),
    p("useSSL", "JDBC", My, Refused("Connector/J's switch has no one meaning in sqlx", USE_SSL_MODE)),
    p("requireSSL", "JDBC", My, Refused("Connector/J's switch has no one meaning in sqlx", USE_SSL_MODE)),
    p("verifyServerCertificate", "JDBC", My, Refused("Connector/J's switch has no one meaning in sqlx", USE_SSL_MODE)),
    p("ssl_verify_cert", "mysqlclient", My, Refused("mysqlclient's switch has no one meaning in sqlx", USE_SSL_MODE)),
    p("ssl_verify_identity", "mysqlclient", My, Refused("mysqlclient's switch has no one meaning in sqlx", USE_SSL_MODE)),
    p("serverTimezone", "JDBC", My, Refused("sqlx spells it differently", "use `timezone` (for example timezone=%2B00:00)")),
    p("characterEncoding", "JDBC", My, Refused("sqlx spells it differently", "use `charset` (for example charset=utf8mb4)")),
    p("allowPublicKeyRetrieval", "JDBC", My, Refused("sqlx 0.9 decides that itself", REMOVE)),
    p("autoReconnect", "JDBC", My, Refused("the pool replaces broken connections itself", REMOVE)),
    p("reconnect", "mysqlclient", My, Refused("the pool replaces broken connections itself", REMOVE)),
    p("read_timeout", "mysqlclient", My, Refused("sqlx 0.9 has no socket timeout", REMOVE)),
    p("write_timeout", "mysqlclient", My, Refused("sqlx 0.9 has no socket timeout", REMOVE)),
];

/// The row for `name` in a URL of `backend`.
pub(crate) fn lookup(name: &str, backend: Backend) -> Option<&'static Param> {
    TABLE
        .iter()
        .find(|p| p.name == name && p.backends.covers(backend))
}

/// Whether some row knows `name`, for any backend.
pub(crate) fn known(name: &str) -> bool {
    TABLE.iter().any(|p| p.name == name)
}

/// What the URL's parameters ask of the pool and the sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UrlSettings {
    /// Pool settings, each with the parameter that set it.
    pub(crate) pool: Vec<(PoolField, PoolValue, String)>,
    /// PostgreSQL session settings (`search_path`, `statement_timeout`, the
    /// `-c` settings of `options`), each with the parameter that set it.
    pub(crate) session: Vec<(String, String, String)>,
}

/// A pool setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoolValue {
    Count(u32),
    Duration(Duration),
}

impl core::fmt::Display for PoolValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Duration(d) => write!(f, "{d:?}"),
        }
    }
}

/// The outcome of reading a URL's parameters.
pub(crate) struct Read {
    /// The URL with only what the driver reads, under its names.
    pub(crate) url: String,
    pub(crate) settings: UrlSettings,
}

/// Reads `url`'s query parameters by the table: the driver's are kept
/// (renamed where the table says), the pool's and the sessions' taken
/// out, the refused ones refused. Parameters the table does not know are
/// kept for the driver's filter, which warns about them.
pub(crate) fn read(
    url: &str,
    backend: Backend,
    warnings: &mut Vec<Warning>,
) -> Result<Read, Rejection> {
    let mut settings = UrlSettings::default();
    let Some((base, query)) = url.split_once('?') else {
        return Ok(Read {
            url: url.to_owned(),
            settings,
        });
    };
    let mut kept: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(param) = lookup(key, backend) else {
            if crate::url::redact::shown_name(key).is_some() && !key.starts_with("options[") {
                // A name some client knows, but not for this kind of URL
                // (SQLite's on a server URL, PostgreSQL's on MySQL's).
                return Err(refused(
                    key,
                    "this kind of URL has no such parameter",
                    "remove it, or write it as the README's parameter table says",
                ));
            }
            // Names no client uses are counted by the driver's filter and
            // never shown: they may be the tail of a password.
            kept.push(pair.to_owned());
            continue;
        };
        let value = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| bad_value(key, "UTF-8 text"))?
            .into_owned();
        match param.action {
            Driver(name) if name == key => kept.push(pair.to_owned()),
            Driver(name) => kept.push(format!("{name}={raw}")),
            Consumed => kept.push(pair.to_owned()),
            Pool(field, unit) => {
                let parsed = parse(&value, unit).ok_or_else(|| bad_value(key, unit.expected()))?;
                settings.pool.retain(|(f, _, _)| *f != field);
                settings.pool.push((field, parsed, key.to_owned()));
            }
            Schema => {
                let schema = schema_name(&value).ok_or_else(|| {
                    bad_value(
                        key,
                        "a schema name: letters, digits, `_`, `$` or `-`, at most 63 bytes",
                    )
                })?;
                session_set(&mut settings, "search_path", quote_ident(schema), key);
            }
            Session(name) => {
                if !is_timeout(&value) {
                    return Err(bad_value(
                        key,
                        "a number, optionally with a unit (5000, 5s)",
                    ));
                }
                session_set(&mut settings, name, value, key);
            }
            StartupOptions => {
                for (name, v) in startup_options(&value).ok_or_else(|| {
                    bad_value(key, "`-c name=value` settings, separated by spaces")
                })? {
                    // A schema list is quoted name by name, as `schema` is;
                    // the other values are set as literals.
                    let v = if name == "search_path" {
                        search_path(&v).ok_or_else(|| {
                            bad_value(key, "a search_path of schema names: letters, digits, `_`, `$` or `-`, separated by commas")
                        })?
                    } else if name.ends_with("_timeout") && !is_timeout(&v) {
                        return Err(bad_value(
                            key,
                            "a number, optionally with a unit (5000, 5s)",
                        ));
                    } else {
                        v
                    };
                    session_set(&mut settings, &name, v, key);
                }
            }
            Only(values, why) => {
                if !values.contains(&value.as_str()) {
                    return Err(refused(
                        key,
                        why,
                        "remove it, or give it the value the README's parameter table honours",
                    ));
                }
            }
            Refused(why, hint) => return Err(refused(key, why, hint)),
            Downgrade(values, missing) => {
                if values.contains(&value.as_str()) {
                    warnings.push(Warning::Downgrade {
                        parameter: key.to_owned(),
                        missing,
                    });
                } else if !["disable", "prefer"].contains(&value.as_str()) {
                    return Err(bad_value(key, "disable, prefer or require"));
                }
            }
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(Read { url, settings })
}

fn session_set(settings: &mut UrlSettings, name: &str, value: String, param: &str) {
    settings.session.retain(|(n, _, _)| n != name);
    settings
        .session
        .push((name.to_owned(), value, param.to_owned()));
}

fn bad_value(parameter: &str, expected: &'static str) -> Rejection {
    Rejection::ParameterValue {
        parameter: parameter.to_owned(),
        expected,
    }
}

fn refused(parameter: &str, why: &'static str, hint: &'static str) -> Rejection {
    Rejection::ParameterRefused {
        parameter: parameter.to_owned(),
        why,
        hint,
    }
}

impl Unit {
    fn expected(self) -> &'static str {
        match self {
            Self::Count => "a whole number of at least 1",
            Self::CountOrZero => "a whole number",
            Self::Seconds => "a whole number of seconds, at least 1",
            Self::GoDuration => "a duration such as 30s, 5m or 1h30m",
        }
    }
}

fn parse(value: &str, unit: Unit) -> Option<PoolValue> {
    match unit {
        Count => value.parse().ok().filter(|n| *n >= 1).map(PoolValue::Count),
        CountOrZero => value.parse().ok().map(PoolValue::Count),
        Seconds => value
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .map(|n| PoolValue::Duration(Duration::from_secs(n))),
        GoDuration => go_duration(value)
            .filter(|d| !d.is_zero())
            .map(PoolValue::Duration),
    }
}

/// A Go duration: numbers with units `ms`, `s`, `m`, `h`, one after the
/// other (`1h30m`).
fn go_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            _ => return None,
        };
        total = total.checked_add(part)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// A schema name fit for `search_path`: quoted as an identifier wherever it
/// is used, and limited to what schema names are in practice, so that a
/// value like `a;DROP TABLE x` is refused rather than quoted.
fn schema_name(value: &str) -> Option<&str> {
    let ok = !value.is_empty()
        && value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '-');
    ok.then_some(value)
}

/// A timeout as PostgreSQL reads one: a whole number, optionally with a
/// unit (`us`, `ms`, `s`, `min`, `h`, `d`).
fn is_timeout(value: &str) -> bool {
    let digits = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    digits > 0 && ["", "us", "ms", "s", "min", "h", "d"].contains(&&value[digits..])
}

/// A `search_path` list, each schema checked and quoted as an identifier
/// (`$user` is kept as libpq users write it).
fn search_path(value: &str) -> Option<String> {
    value
        .split(',')
        .map(str::trim)
        .map(|name| {
            let bare = name.trim_matches('"');
            schema_name(bare).map(quote_ident)
        })
        .collect::<Option<Vec<_>>>()
        .map(|names| names.join(", "))
}

/// `name` as a quoted SQL identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// libpq's `options`: `-c name=value` (or `--name=value`) settings,
/// separated by white space (`\ ` for a space in a value). Anything else
/// (another command-line switch) is refused.
fn startup_options(text: &str) -> Option<Vec<(String, String)>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.push(chars.next()?),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(core::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut settings = Vec::new();
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let setting = if w == "-c" {
            words.next()?
        } else if let Some(rest) = w.strip_prefix("-c").or_else(|| w.strip_prefix("--")) {
            rest.to_owned()
        } else {
            return None;
        };
        let (name, value) = setting.split_once('=')?;
        // Set later as a literal (`SET LOCAL name TO '...'` behind a
        // pooler): no backslash, whatever the server's string rules, and
        // no control character.
        if value.chars().any(|c| c == '\\' || c.is_control()) {
            return None;
        }
        let name = name.replace('-', "_");
        let name_ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !name_ok {
            return None;
        }
        settings.push((name, value.to_owned()));
    }
    Some(settings)
}

/// The table as the README shows it: one line per parameter and backend.
#[must_use]
pub(crate) fn markdown() -> String {
    use core::fmt::Write as _;
    let mut out =
        String::from("| parameter | from | URLs | what dbsettings does |\n|---|---|---|---|\n");
    for p in TABLE {
        let urls = match p.backends {
            Pg => "PostgreSQL",
            My => "MySQL",
            Both => "both",
        };
        let does = match p.action {
            Driver(name) if name == p.name => "passed to sqlx's driver".to_owned(),
            Driver(name) => format!("passed to sqlx's driver as `{name}`"),
            Consumed => "read by dbsettings (poolers, hosts)".to_owned(),
            Pool(field, unit) => format!("`{}` ({})", field.name(), unit.expected()),
            Schema => "the session's `search_path` (quoted as an identifier)".to_owned(),
            Session(name) => format!("the session's `{name}`"),
            StartupOptions => "each `-c name=value`: a session setting".to_owned(),
            Only(values, why) => format!(
                "honoured as {}; other values refused: {why}",
                values.join(", ")
            ),
            Refused(why, hint) => format!("refused: {why}; {hint}"),
            Downgrade(values, missing) => format!(
                "{}: accepted with a warning (strict mode refuses it); missing: {missing}",
                values.join(", ")
            ),
        };
        let _ = writeln!(out, "| `{}` | {} | {urls} | {does} |", p.name, p.from);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_read_as_pgx_reads_them() {
        assert_eq!(go_duration("1h30m"), Some(Duration::from_mins(90)));
        assert_eq!(go_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(go_duration("5"), None);
        assert_eq!(go_duration("abc"), None);
        assert_eq!(go_duration(""), None);
    }

    #[test]
    fn startup_options_are_settings_only() {
        assert_eq!(
            startup_options("-c statement_timeout=5000 -csearch_path=app --lock-timeout=1s"),
            Some(vec![
                ("statement_timeout".into(), "5000".into()),
                ("search_path".into(), "app".into()),
                ("lock_timeout".into(), "1s".into()),
            ])
        );
        assert_eq!(
            startup_options("-c a=x\\ y"),
            Some(vec![("a".into(), "x y".into())])
        );
        assert_eq!(startup_options("-D /tmp"), None);
        // A backslash could escape a quote where strings are not standard.
        assert_eq!(startup_options(r"-c a=x\\'y"), None);
        assert_eq!(startup_options("-c bad;name=1"), None);
    }

    #[test]
    fn no_name_is_listed_twice_for_one_backend() {
        for backend in [Backend::Postgres, Backend::MySql] {
            let mut seen = std::collections::HashSet::new();
            for p in TABLE.iter().filter(|p| p.backends.covers(backend)) {
                assert!(seen.insert(p.name), "{} twice for {backend}", p.name);
            }
        }
    }

    #[test]
    fn bad_values_name_the_parameter_never_the_neighbours() {
        let mut w = Vec::new();
        for (url, param) in [
            (
                "postgresql://h/db?password=s3cret&connection_limit=0",
                "connection_limit",
            ),
            (
                "postgresql://h/db?pool_timeout=abc&password=s3cret",
                "pool_timeout",
            ),
            ("postgresql://h/db?schema=", "schema"),
            ("postgresql://h/db?schema=a%3BDROP%20TABLE%20x", "schema"),
            ("postgresql://h/db?options=-D%20x", "options"),
            // An injection through a search_path behind a pooler.
            (
                "postgresql://h/db?options=-c%20search_path%3Dpublic;CREATE/**/TABLE/**/x(y/**/int)",
                "options",
            ),
            (
                "postgresql://h/db?statement_timeout=abc",
                "statement_timeout",
            ),
            (
                "postgresql://h/db?options=-c%20lock_timeout%3Dbanana",
                "options",
            ),
            (
                "postgresql://h/db?channel_binding=S3cr3t",
                "channel_binding",
            ),
        ] {
            let Err(e) = read(url, Backend::Postgres, &mut w) else {
                panic!("{url} was accepted");
            };
            let said = format!("{e} {}", e.hint().unwrap_or_default());
            assert!(said.contains(param), "{said}");
            assert!(!said.contains("s3cret"), "{said}");
        }
    }

    #[test]
    fn honoured_parameters_become_settings() {
        let mut w = Vec::new();
        let r = read(
            "postgresql://h/db?connection_limit=3&pool_timeout=20&schema=my_app&connect_timeout=10&sslmode=require&options=-c%20statement_timeout%3D5000",
            Backend::Postgres,
            &mut w,
        )
        .unwrap();
        assert_eq!(r.url, "postgresql://h/db?sslmode=require");
        assert_eq!(
            r.settings.pool,
            vec![
                (
                    MaxConnections,
                    PoolValue::Count(3),
                    "connection_limit".into()
                ),
                (
                    AcquireTimeout,
                    PoolValue::Duration(Duration::from_secs(20)),
                    "pool_timeout".into()
                ),
                (
                    ConnectTimeout,
                    PoolValue::Duration(Duration::from_secs(10)),
                    "connect_timeout".into()
                ),
            ]
        );
        assert_eq!(
            r.settings.session,
            vec![
                ("search_path".into(), "\"my_app\"".into(), "schema".into()),
                ("statement_timeout".into(), "5000".into(), "options".into()),
            ]
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn neons_channel_binding_is_a_downgrade_warning() {
        let mut w = Vec::new();
        let r = read(
            "postgresql://h/db?sslmode=require&channel_binding=require",
            Backend::Postgres,
            &mut w,
        )
        .unwrap();
        assert_eq!(r.url, "postgresql://h/db?sslmode=require");
        assert!(
            matches!(&w[..], [Warning::Downgrade { parameter, .. }] if parameter == "channel_binding")
        );
        let mut w = Vec::new();
        read(
            "postgresql://h/db?channel_binding=prefer",
            Backend::Postgres,
            &mut w,
        )
        .unwrap();
        assert!(w.is_empty());
    }
}
