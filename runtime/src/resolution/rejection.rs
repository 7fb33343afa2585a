//! Why a URL was refused, at which layer and part.

use core::fmt;

use std::path::PathBuf;

use crate::Backend;

use super::TlsFileProblem;

/// A part of a URL, named in rejections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Component {
    /// The user name.
    User,
    /// The password.
    Password,
    /// The host.
    Host,
    /// The path (database name or SQLite file).
    Path,
    /// The query string.
    Query,
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::User => "user name",
            Self::Password => "password",
            Self::Host => "host",
            Self::Path => "path",
            Self::Query => "query string",
        })
    }
}

/// Why a URL was rejected: the layer (shape, parse, driver) and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Rejection {
    /// Layer 3: a control character (tab, newline, NUL, ...) inside the URL.
    ControlCharacter,
    /// Layer 3: white space inside the URL.
    InteriorWhitespace {
        /// It looks like an inline ` # comment` copied from a `.env` file.
        inline_comment: bool,
    },
    /// Layer 3: an unexpanded placeholder (`${VAR}`, `$VAR`,
    /// `[YOUR-PASSWORD]`, `USER:PASSWORD@HOST:PORT`).
    Placeholder,
    /// Layer 3: no `scheme:` at all, e.g. a bare file path.
    NoScheme,
    /// Layer 3: a scheme that no sqlx driver serves.
    UnsupportedScheme {
        /// The scheme, when it is a well-known one (never an arbitrary value).
        scheme: Option<&'static str>,
    },
    /// Layer 3: `postgresql:/...` or `mysql:...` without `//`.
    NoAuthority {
        /// The backend the scheme names.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::backend"))]
        backend: Backend,
    },
    /// Layer 3: the backend's driver is not compiled into this build.
    DriverNotCompiled {
        /// The backend the scheme names.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::backend"))]
        backend: Backend,
    },
    /// Layer 4: the URL does not parse.
    Malformed {
        /// The `url` crate's message (it never contains the input).
        error: String,
    },
    /// Layer 4: a character in the password ends the authority early.
    PasswordNeedsEncoding {
        /// The character: `#`, `/` or `?`.
        character: char,
    },
    /// Layer 4: a `#fragment`, which no database URL has.
    Fragment,
    /// Layer 4: an unencoded `@` after the host, in the path or query (or a
    /// user name or password with a `/` or `?` that ended the host early).
    AtAfterHost,
    /// Layer 4: no host and no Unix socket.
    MissingHost,
    /// Layer 4: a PostgreSQL URL with no host and no `host=` (libpq's
    /// default Unix socket), and none of libpq's default socket directories
    /// is present.
    NoDefaultSocket {
        /// The directories looked in, in order.
        tried: Vec<PathBuf>,
    },
    /// Layer 4: the host is neither a DNS name, an IP address nor a socket path.
    InvalidHost,
    /// Layer 4: the port is not a number in 1..=65535.
    InvalidPort,
    /// Layer 4: several hosts, which only PostgreSQL URLs may name.
    MultipleHosts,
    /// Layer 4: a `port` list whose length is neither 1 nor the number of
    /// hosts (libpq's rule).
    PortList {
        /// How many hosts.
        hosts: usize,
        /// How many ports.
        ports: usize,
    },
    /// Layer 4: `target_session_attrs` is not one of libpq's values.
    SessionAttrs,
    /// Layer 4: `load_balance_hosts` is not `disable` or `random`.
    LoadBalanceHosts,
    /// Layer 4: a `%` not followed by two hexadecimal digits.
    InvalidPercentEncoding {
        /// Where.
        component: Component,
    },
    /// Layer 4: percent-decoding gives a NUL character (`%00`), which no
    /// driver can pass on.
    EncodedNul {
        /// Where.
        component: Component,
    },
    /// Layer 4: a query parameter follows a password parameter and no driver
    /// knows its name: the password holds an unencoded `&`.
    PasswordParameterSplit,
    /// Layer 4: percent-decoding gives bytes that are not UTF-8.
    InvalidUtf8 {
        /// Where.
        component: Component,
    },
    /// Layer 4: `sqlite:` with no file name.
    MissingPath,
    /// Layer 4: an SQLite URL with user info (`sqlite://user:password@host/app.db`).
    /// SQLite has no users, and the driver would take the whole as a path,
    /// password and all.
    SqliteUserInfo,
    /// Layer 4: the database name (the URL's path) contains a `/`.
    DatabaseName,
    /// Layer 4: a query parameter that is not `name=value`.
    MalformedQuery,
    /// Layer 5: a parameter dbsettings honours has a value it cannot use.
    ParameterValue {
        /// The parameter.
        parameter: String,
        /// What it takes.
        expected: &'static str,
    },
    /// Layer 5: a parameter asks for something sqlx cannot do, so the URL
    /// is not used rather than used without it.
    ParameterRefused {
        /// The parameter.
        parameter: String,
        /// Why it cannot be honoured.
        why: &'static str,
        /// What to do.
        hint: &'static str,
    },
    /// Layer 5: one setting given twice with different values, under one
    /// spelling or two (`sslmode=verify-full&ssl-mode=disable`): clients
    /// differ on which one wins, so neither is guessed.
    ParameterTwice {
        /// The first spelling.
        first: String,
        /// The spelling that says otherwise.
        second: String,
    },
    /// Layer 5: a pool setting of the URL (`connection_limit`,
    /// `pool_max_conn_lifetime`, ...) breaks a rule with another pool
    /// setting: the rules attributes and `DATABASE_*` overrides keep too.
    PoolRuleBroken {
        /// The URL's parameter at fault.
        parameter: String,
        /// The rule.
        rule: super::PoolRule,
        /// Where each of the rule's two settings (in the order of
        /// [`PoolRule::settings`](super::PoolRule::settings)) came from, in
        /// words: "the URL's `connection_limit`", "`DATABASE_CONNECT_TIMEOUT`",
        /// "the `max_connections` attribute", "the default".
        sources: Vec<String>,
    },
    /// Layer 5: the sqlx driver's connect options refuse the URL.
    DriverRejected {
        /// The backend.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::backend"))]
        backend: Backend,
        /// The query parameter at fault, when one is and its name looks
        /// like a name.
        parameter: Option<String>,
    },
    /// Layer 5: a certificate or key file that a connect will read is
    /// missing or holds what the driver's TLS (rustls) refuses; checked
    /// before any connect.
    TlsFile {
        /// The URL parameter as written (`sslrootcert`, `ssl-ca`,
        /// `sslcert`, `sslkey`, ...) or the variable (`PGSSLROOTCERT`,
        /// `PGSSLCERT`, `PGSSLKEY`) that names the file.
        parameter: String,
        /// The file as given (relative paths are read from the working
        /// directory), with any part of the URL's user name or password
        /// masked; `None` when the variable holds the PEM text itself.
        path: Option<PathBuf>,
        /// What is wrong with it.
        problem: TlsFileProblem,
    },
}

impl Rejection {
    /// The layer that rejected the URL: 3 (shape), 4 (parse) or 5 (driver).
    #[must_use]
    pub fn layer(&self) -> u8 {
        match self {
            Self::ControlCharacter
            | Self::InteriorWhitespace { .. }
            | Self::Placeholder
            | Self::NoScheme
            | Self::UnsupportedScheme { .. }
            | Self::NoAuthority { .. }
            | Self::DriverNotCompiled { .. } => 3,
            Self::DriverRejected { .. }
            | Self::ParameterValue { .. }
            | Self::ParameterRefused { .. }
            | Self::ParameterTwice { .. }
            | Self::PoolRuleBroken { .. }
            | Self::TlsFile { .. } => 5,
            _ => 4,
        }
    }

    /// What to do about it, where a hint helps.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::TlsFile {
                parameter, problem, ..
            } => problem.hint(parameter),
            Self::ControlCharacter => {
                "re-enter the value: it holds a control character (a pasted tab or line break, or a NUL from a binary file)".into()
            }
            Self::InteriorWhitespace {
                inline_comment: true,
            } => "remove the inline comment: in .env files a comment must be on its own line".into(),
            Self::InteriorWhitespace { .. } => {
                "remove the white space, or percent-encode it as %20".into()
            }
            Self::Placeholder => {
                "replace the placeholder with the real value; the environment does not expand it"
                    .into()
            }
            Self::NoScheme => {
                "write a URL such as postgresql://user:password@host:5432/db, or sqlite:app.db for a file"
                    .into()
            }
            Self::UnsupportedScheme {
                scheme: Some("jdbc"),
            } => "drop the `jdbc:` prefix and put the user and password in the URL: postgresql://user:password@host/db".into(),
            Self::UnsupportedScheme { .. } => {
                "use a postgresql://, mysql:// (or mariadb://) or sqlite: URL".into()
            }
            Self::NoAuthority { backend } => {
                format!("write `{}://` with two slashes", backend.scheme())
            }
            Self::DriverNotCompiled { backend } => format!(
                "enable the `{}` feature of dbsettings",
                backend.name()
            ),
            Self::PasswordNeedsEncoding { character } => format!(
                "percent-encode `{character}` in the password as `{}`",
                percent(*character)
            ),
            Self::Fragment => "percent-encode `#` as `%23`".into(),
            Self::AtAfterHost => "percent-encode `@` as `%40`, and `/`, `?`, `#` in the user name or password as `%2F`, `%3F`, `%23`".into(),
            Self::NoDefaultSocket { .. } => "add a host, as in postgresql://user@host/db, or name the socket directory with ?host=/path/to/socket/dir".into(),
            Self::MissingHost => "add a host, or a Unix socket with ?host=/path/to/socket (PostgreSQL) or ?socket=/path/to/mysqld.sock (MySQL)".into(),
            Self::EncodedNul { .. } => "remove the `%00`: no database name, path or credential can hold a NUL".into(),
            Self::PasswordParameterSplit => "percent-encode `&` in the password as `%26` (and `=` as `%3D`)".into(),
            Self::InvalidPort => "use a port between 1 and 65535".into(),
            Self::MultipleHosts => "name one host; only PostgreSQL URLs may list several".into(),
            Self::PortList { .. } => "give one port for every host, or one port for all of them".into(),
            Self::SessionAttrs => "use one of any, read-write, read-only, primary, standby, prefer-standby".into(),
            Self::LoadBalanceHosts => "use load_balance_hosts=disable or random".into(),
            Self::InvalidPercentEncoding { .. } => {
                "write `%` as `%25`; an escape is `%` and two hexadecimal digits".into()
            }
            Self::MissingPath => "name a file, as in sqlite:app.db, or use sqlite::memory:".into(),
            Self::SqliteUserInfo => "remove the `user:password@host` part and name the file, as in sqlite://data/app.db (an SQLite database's only access control is its file's permissions); write a file name's own `@` as `%40`; or use the server's scheme (postgresql://, mysql://) if a server was meant".into(),
            Self::MalformedQuery => "write parameters as ?name=value&name=value; percent-encode `?` in a password as `%3F`".into(),
            Self::DatabaseName => "name one database, as in postgresql://host/dbname; percent-encode `/` in a password as `%2F`".into(),
            Self::DriverRejected {
                parameter: Some(p),
                ..
            } => format!("fix or remove the `{p}` parameter"),
            Self::ParameterValue {
                parameter,
                expected,
            } => format!("give `{parameter}` {expected}, or remove it"),
            Self::ParameterRefused { hint, .. } => (*hint).to_owned(),
            Self::PoolRuleBroken { parameter, rule, .. } => format!(
                "change `{parameter}` in the URL, or remove it: {} and {} keep the same rule wherever they are set (attribute, `DATABASE_*` override, URL)",
                rule.settings().0,
                rule.settings().1
            ),
            Self::ParameterTwice { first, second } => format!(
                "keep one of `{first}` and `{second}`: libpq, sqlx and other clients differ on which one wins"
            ),
            _ => return None,
        })
    }
}

fn percent(c: char) -> String {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf)
        .bytes()
        .fold(String::new(), |mut out, b| {
            let _ = fmt::Write::write_fmt(&mut out, format_args!("%{b:02X}"));
            out
        })
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TlsFile {
                parameter,
                path,
                problem,
            } => problem.describe(f, parameter, path.as_deref()),
            Self::ControlCharacter => f.write_str("it contains a control character"),
            Self::InteriorWhitespace { .. } => f.write_str("it contains white space"),
            Self::Placeholder => f.write_str("it contains an unexpanded placeholder"),
            Self::NoScheme => f.write_str("it is not a URL (no scheme)"),
            Self::UnsupportedScheme { scheme: Some(s) } => {
                write!(f, "the `{s}` scheme is not a database sqlx can connect to")
            }
            Self::UnsupportedScheme { scheme: None } => {
                f.write_str("its scheme is not a database sqlx can connect to")
            }
            Self::NoAuthority { .. } => f.write_str("it has no `//` authority"),
            Self::DriverNotCompiled { backend } => {
                write!(f, "the {backend} driver is not compiled in")
            }
            Self::Malformed { error } => write!(f, "it does not parse as a URL ({error})"),
            Self::PasswordNeedsEncoding { character } => {
                write!(f, "the password contains an unencoded `{character}`")
            }
            Self::Fragment => f.write_str("it contains a `#` fragment"),
            Self::AtAfterHost => f.write_str("it has an unencoded `@` after the host"),
            Self::MissingHost => f.write_str("it has no host and no socket"),
            Self::NoDefaultSocket { tried } => {
                f.write_str("it has no host, and no default PostgreSQL socket directory is present (")?;
                for (i, dir) in tried.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", dir.display())?;
                }
                f.write_str(")")
            }
            Self::InvalidHost => {
                f.write_str("its host is not a valid name, address or socket path")
            }
            Self::InvalidPort => f.write_str("its port is not a number between 1 and 65535"),
            Self::MultipleHosts => f.write_str("it names several hosts"),
            Self::PortList { hosts, ports } => {
                write!(f, "it lists {ports} ports for {hosts} hosts")
            }
            Self::SessionAttrs => f.write_str("its `target_session_attrs` is not a known value"),
            Self::LoadBalanceHosts => {
                f.write_str("its `load_balance_hosts` is not `disable` or `random`")
            }
            Self::InvalidPercentEncoding { component } => {
                write!(f, "its {component} has an invalid percent-escape")
            }
            Self::InvalidUtf8 { component } => {
                write!(f, "its {component} is not UTF-8 once percent-decoded")
            }
            Self::EncodedNul { component } => {
                write!(f, "its {component} holds an encoded NUL (`%00`)")
            }
            Self::PasswordParameterSplit => f.write_str(
                "a parameter no driver knows follows its password parameter (an unencoded `&` in the password?)",
            ),
            Self::MissingPath => f.write_str("it names no SQLite file"),
            Self::SqliteUserInfo => f.write_str(
                "it is an SQLite URL with a user name or password (`…@`): SQLite has no users",
            ),
            Self::DatabaseName => f.write_str("its database name contains `/`"),
            Self::MalformedQuery => {
                f.write_str("its query string is not a list of `name=value` parameters")
            }
            Self::DriverRejected {
                backend,
                parameter: Some(p),
            } => write!(f, "the {backend} driver rejects its `{p}` parameter"),
            Self::ParameterValue { parameter, .. } => {
                write!(f, "its `{parameter}` parameter has a value dbsettings cannot use")
            }
            Self::ParameterRefused { parameter, why, .. } => {
                write!(f, "its `{parameter}` parameter cannot be honoured: {why}")
            }
            Self::PoolRuleBroken { rule, sources, .. } => {
                f.write_str("its pool settings break a rule: ")?;
                rule.describe(f, &sources[0], &sources[1])
            }
            Self::ParameterTwice { first, second } if first == second => {
                write!(f, "its `{first}` parameter is given twice, with different values")
            }
            Self::ParameterTwice { first, second } => write!(
                f,
                "its `{second}` parameter says again what `{first}` said, with another value"
            ),
            Self::DriverRejected {
                backend,
                parameter: None,
            } => write!(f, "the {backend} driver rejects it"),
        }
    }
}
