//! The table: every query parameter dbsettings knows, whose spelling it
//! is, which URLs it belongs to, and what dbsettings does with it.

use crate::Backend;

/// Which URLs a parameter belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum For {
    Postgres,
    MySql,
    Both,
}

impl For {
    pub(super) fn covers(self, backend: Backend) -> bool {
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

impl Action {
    /// The setting a parameter gives, whatever its spelling: two spellings
    /// of one setting must agree.
    /// The driver's spellings are told apart only by `-` and `_`
    /// (`sslmode`, `ssl-mode`, `ssl_mode`), and the CA is `sslrootcert` or
    /// `ssl-ca`.
    pub(crate) fn setting(self) -> Option<String> {
        match self {
            Self::Driver(name) => {
                let plain: String = name.chars().filter(|c| !"-_".contains(*c)).collect();
                Some(if plain == "sslca" {
                    "sslrootcert".to_owned()
                } else {
                    plain
                })
            }
            Self::Session(name) => Some(name.to_owned()),
            Self::Pool(field, _) => Some(field.name().to_owned()),
            Self::Schema => Some("search_path".to_owned()),
            _ => None,
        }
    }
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
