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

use core::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::Backend;

/// Where the URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Origin {
    /// The environment variable `var`.
    Env {
        /// The variable's name (the primary name or an alias).
        var: String,
    },
    /// The file named by `file_var` (Docker and Kubernetes secrets).
    File {
        /// The variable the file stands for, e.g. `DATABASE_URL`.
        var: String,
        /// The variable naming the file, e.g. `DATABASE_URL_FILE`.
        file_var: String,
    },
    /// A `.env` file (feature `dotenv`), for a variable the process
    /// environment did not set.
    DotEnv {
        /// The variable's name.
        var: String,
        /// The file.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::path"))]
        file: PathBuf,
    },
    /// A value handed to [`DatabaseUrl::resolve`](crate::DatabaseUrl::resolve)
    /// rather than read from a variable: a serde settings struct's field
    /// (figment, config-rs, envy), a command-line flag, a `parse()`.
    Given {
        /// The name the value goes by in messages ([`ResolveOptions::var`](crate::ResolveOptions::var)).
        name: String,
    },
    /// libpq's `PGHOST`, `PGDATABASE`, ... variables, with no URL set.
    Libpq,
    /// The field's `default` attribute.
    Default,
    /// The SQLite fallback.
    Fallback,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env { var } => write!(f, "environment variable `{var}`"),
            Self::File { file_var, .. } => write!(f, "the file named by `{file_var}`"),
            Self::DotEnv { var, file } => write!(f, "`{var}` in {}", file.display()),
            Self::Given { name } => write!(f, "the value given for `{name}`"),
            Self::Libpq => f.write_str("libpq's PG* variables"),
            Self::Default => f.write_str("the field's default"),
            Self::Fallback => f.write_str("the SQLite fallback"),
        }
    }
}

/// Why the URL was taken as missing (layer 1, presence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Absence {
    /// No variable is set (empty counts as unset).
    Unset,
    /// Only white space, or an empty pair of quotes.
    Blank,
    /// A null token such as `None`, `null` or `undefined`, leaked from a
    /// program that wrote the environment.
    NullToken,
}

/// Why the fallback was used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum FallbackReason {
    /// No usable value was set.
    Missing {
        /// The variable (primary name) that was looked up.
        var: String,
        /// How it was missing.
        absence: Absence,
    },
    /// A value was set but rejected.
    Rejected {
        /// The variable that supplied the value.
        var: String,
        /// The layer and rule that rejected it.
        rejection: Rejection,
    },
    /// The value could not be read: a `_FILE` that cannot be read, a value
    /// that is not UTF-8, or both `NAME` and `NAME_FILE` set.
    Unreadable {
        /// The variable at fault.
        var: String,
        /// Why, without the value.
        why: ReadError,
    },
    /// The URL was valid but its database could not be reached, and
    /// `on_unreachable = "fallback"` switched to SQLite (for the life of the
    /// process).
    Unreachable {
        /// The URL variable.
        var: String,
        /// What went wrong.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "error_kind", serialize_with = "super::serde::error_kind")
        )]
        kind: crate::DatabaseErrorKind,
        /// The redacted error.
        error: String,
    },
}

impl FallbackReason {
    /// A hint that says what to do, where one helps.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        match self {
            // No `{var}_FILE` here: a value given to `DatabaseUrl::resolve`
            // (serde, clap) has no file variant.
            Self::Missing { var, .. } => Some(format!(
                "set `{var}` to a postgresql://, mysql:// or sqlite: URL"
            )),
            Self::Rejected { rejection, .. } => rejection.hint(),
            Self::Unreadable { .. } => None,
            Self::Unreachable { .. } => Some(
                "the service stays on SQLite until it restarts; bring the database back, then restart to use it (what was written to SQLite is not moved)".to_owned(),
            ),
        }
    }
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { var, absence } => match absence {
                Absence::Unset => write!(f, "`{var}` is not set"),
                Absence::Blank => write!(f, "`{var}` is blank"),
                Absence::NullToken => write!(f, "`{var}` holds a null token, not a URL"),
            },
            Self::Rejected { var, rejection } => write!(f, "`{var}` was rejected: {rejection}"),
            Self::Unreadable { var, why } => write!(f, "`{var}` could not be read: {why}"),
            Self::Unreachable { var, error, .. } => {
                write!(f, "the database of `{var}` could not be reached: {error}")
            }
        }
    }
}

/// Why a variable's value could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum ReadError {
    /// The value (or the file's content) is not UTF-8.
    NotUnicode,
    /// Both `NAME` and `NAME_FILE` are set.
    Conflict {
        /// The `_FILE` variable that is also set.
        file_var: String,
    },
    /// The file named by the `_FILE` variable cannot be read.
    File {
        /// Why, as the OS said it.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "io_error", serialize_with = "super::serde::io_kind")
        )]
        kind: io::ErrorKind,
    },
    /// The file is larger than a setting can be.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The path is not a regular file (a FIFO, a device, a directory).
    NotAFile,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotUnicode => f.write_str("not valid UTF-8"),
            Self::Conflict { file_var } => write!(f, "`{file_var}` is set too"),
            Self::File { kind } => write!(f, "the file cannot be read ({kind})"),
            Self::TooLarge { limit } => write!(
                f,
                "the file is larger than {limit} bytes, too large for a setting"
            ),
            Self::NotAFile => f.write_str("the path is not a regular file"),
        }
    }
}

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
            | Self::TlsFile { .. } => 5,
            _ => 4,
        }
    }

    /// What to do about it, where a hint helps.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::TlsFile {
                parameter,
                path,
                problem,
            } => problem.hint(parameter, path.as_deref()),
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

/// What is wrong with a file of a [`Rejection::TlsFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum TlsFileProblem {
    /// No file at that path.
    Missing,
    /// The path is a directory, a FIFO or a device.
    NotAFile,
    /// The file cannot be read.
    Unreadable {
        /// Why, as the OS said it.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "io_error", serialize_with = "super::serde::io_kind")
        )]
        kind: io::ErrorKind,
    },
    /// No PEM certificate (`-----BEGIN CERTIFICATE-----`) in it, or one
    /// that does not decode: a DER file, a key.
    NoCertificate,
    /// The client certificate is not X.509 version 3, the only version
    /// rustls (webpki) accepts; `openssl x509 -req` without extensions
    /// makes version 1, which libpq and `psql` accept.
    CertificateVersion {
        /// 1 or 2.
        version: u8,
    },
    /// No unencrypted PEM private key in it.
    NoKey,
    /// The private key is encrypted, and sqlx has no `sslpassword`.
    EncryptedKey,
    /// A client certificate without its key, or a key without its
    /// certificate: sqlx needs both, and has no default files.
    Unpaired {
        /// The parameter to add.
        missing: String,
    },
}

impl TlsFileProblem {
    fn describe(
        &self,
        f: &mut fmt::Formatter<'_>,
        parameter: &str,
        path: Option<&Path>,
    ) -> fmt::Result {
        if let Self::Unpaired { missing } = self {
            return write!(
                f,
                "its `{parameter}` is given without `{missing}`: sqlx sends a client certificate only with both"
            );
        }
        match path {
            Some(p) => write!(f, "`{parameter}` names {}, which ", p.display())?,
            None => write!(f, "the PEM text in `{parameter}` ")?,
        }
        match self {
            Self::Missing => f.write_str("does not exist"),
            Self::NotAFile => f.write_str("is not a regular file"),
            Self::Unreadable { kind } => write!(f, "cannot be read ({kind})"),
            Self::NoCertificate => f.write_str("holds no PEM certificate"),
            Self::CertificateVersion { version } => write!(
                f,
                "is an X.509 version {version} certificate: rustls (sqlx's TLS) accepts version 3 only"
            ),
            Self::NoKey => f.write_str("holds no unencrypted PEM private key"),
            Self::EncryptedKey => {
                f.write_str("holds an encrypted private key: sqlx cannot decrypt it")
            }
            Self::Unpaired { .. } => Ok(()),
        }
    }

    fn hint(&self, parameter: &str, path: Option<&Path>) -> String {
        match self {
            // libpq 16's word for the system's roots; sqlx reads a file.
            Self::Missing if path == Some(Path::new("system")) => format!(
                "remove `{parameter}`: sqlx does not know libpq's `system`, and without it trusts the public (webpki) roots"
            ),
            Self::Missing => format!(
                "create the file, or correct the path in `{parameter}` (a relative path is read from the working directory)"
            ),
            Self::NotAFile => format!("name a PEM file in `{parameter}`"),
            Self::Unreadable { .. } => {
                "let the user the service runs as read the file".to_owned()
            }
            Self::NoCertificate => format!(
                "name a PEM certificate in `{parameter}`; convert a DER one with `openssl x509 -inform der -in FILE -out FILE.pem`"
            ),
            Self::CertificateVersion { .. } => "re-issue the certificate as version 3 (its version is signed, so no conversion helps): sign the request with extensions, e.g. `openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -days 365 -extfile client.ext -out client.crt` with `extendedKeyUsage = clientAuth` in client.ext".to_owned(),
            Self::NoKey => format!(
                "name an unencrypted PEM private key in `{parameter}` (`BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY`)"
            ),
            Self::EncryptedKey => format!(
                "decrypt a copy (`openssl pkey -in KEY -out KEY.plain`), keep it private (chmod 600) and name it in `{parameter}`"
            ),
            Self::Unpaired { missing } => format!(
                "add `{missing}` (sqlx has no default such as libpq's ~/.postgresql/postgresql.key)"
            ),
        }
    }
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
            Self::DriverRejected {
                backend,
                parameter: None,
            } => write!(f, "the {backend} driver rejects it"),
        }
    }
}

/// A repair applied to the raw value before it was validated (layer 2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Normalization {
    /// White space around the value removed.
    Trimmed,
    /// One pair of matching surrounding quotes removed.
    Unquoted,
    /// The variable's own `NAME=` (or `export NAME=`) prefix removed.
    VariablePrefix,
    /// An upper-case scheme lower-cased.
    SchemeLowercased,
    /// A SQLAlchemy `+driver` suffix removed from the scheme.
    DriverSuffix {
        /// The driver named, such as `asyncpg`.
        driver: String,
    },
    /// `sqlite3:` rewritten to `sqlite:`.
    SqliteSchemeAlias,
    /// `sqlite://:memory:` (or SQLAlchemy's `sqlite://`) rewritten to `sqlite::memory:`.
    SqliteMemory,
    /// A SQLAlchemy SQLite path (`sqlite:///./x.db`, or any path after a
    /// `+driver` scheme) rewritten to sqlx's meaning.
    SqlAlchemyPath {
        /// Whether the path is relative to the working directory.
        relative: bool,
    },
    /// A Python-only SQLite parameter (such as `check_same_thread`) dropped.
    DroppedParameter {
        /// The parameter's name.
        name: String,
    },
    /// An empty host with a `host=` socket parameter (Cloud SQL, libpq)
    /// given `localhost` so the URL parses; the socket still wins.
    SocketHost,
    /// A PostgreSQL URL with no host and no `host=` (`postgresql:///db`):
    /// libpq's default Unix socket, in the first of its default directories
    /// that holds the server's socket (or, with none, that exists).
    DefaultSocket {
        /// The socket directory used.
        dir: PathBuf,
    },
}

impl Normalization {
    /// Whether this repair deserves a warning rather than a note.
    #[must_use]
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Self::VariablePrefix | Self::DroppedParameter { .. } | Self::SqlAlchemyPath { .. }
        )
    }
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Trimmed => f.write_str("removed surrounding white space"),
            Self::Unquoted => f.write_str("removed surrounding quotes"),
            Self::VariablePrefix => f.write_str("removed the variable's own `NAME=` prefix"),
            Self::SchemeLowercased => f.write_str("lower-cased the scheme"),
            Self::DriverSuffix { driver } => {
                write!(f, "removed the SQLAlchemy driver suffix `+{driver}`")
            }
            Self::SqliteSchemeAlias => f.write_str("rewrote `sqlite3:` as `sqlite:`"),
            Self::SqliteMemory => f.write_str("rewrote the in-memory form as `sqlite::memory:`"),
            Self::SqlAlchemyPath { relative: true } => f.write_str(
                "read the SQLite path with SQLAlchemy's rules: relative to the working directory",
            ),
            Self::SqlAlchemyPath { relative: false } => {
                f.write_str("read the SQLite path with SQLAlchemy's rules: absolute")
            }
            Self::DroppedParameter { name } => {
                write!(
                    f,
                    "dropped the Python-only parameter `{name}`, which sqlx does not know"
                )
            }
            Self::SocketHost => {
                f.write_str("filled the empty host so the `host=` socket parameter can be used")
            }
            Self::DefaultSocket { dir } => write!(
                f,
                "no host given: using libpq's default Unix socket in {}",
                dir.display()
            ),
        }
    }
}

/// Something worth knowing about an accepted URL or a fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Warning {
    /// The database lives in memory: nothing persists across restarts.
    InMemory,
    /// A query parameter the driver does not know; it is not passed on.
    IgnoredParameter {
        /// The parameter's name, when it is a known name of some client
        /// (libpq, JDBC, Prisma, ...); any other may be part of a pasted
        /// secret, so it is not repeated.
        name: Option<String>,
    },
    /// Query parameters that neither the driver nor any known client uses:
    /// not passed on, and not named (they may be part of a secret).
    UnknownParameters {
        /// How many.
        count: usize,
    },
    /// A variable that was set but is not UTF-8, so it was not used.
    NotUnicode {
        /// The variable.
        var: String,
    },
    /// The `replica` attribute's variable holds no usable PostgreSQL URL:
    /// reads go to the primary's hosts.
    ReplicaUnusable {
        /// The variable.
        var: String,
    },
    /// The `direct_url` attribute's variable holds no usable PostgreSQL
    /// URL: migrations run through the pooled URL.
    DirectUnusable {
        /// The variable.
        var: String,
    },
    /// A parameter asks for a protection sqlx cannot give; the URL is used
    /// without it (providers hand out such URLs), and strict mode refuses
    /// it.
    Downgrade {
        /// The parameter.
        parameter: String,
        /// The protection that is missing.
        missing: &'static str,
    },
    /// sqlx 0.9 reads this variable from the process environment whatever
    /// the source says, and offers no way to unset it: its value applies to
    /// the connection although the source does not hold it.
    AmbientVariable {
        /// The variable.
        var: &'static str,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InMemory => f.write_str(
                "the database is in memory: nothing will persist when the process exits",
            ),
            Self::IgnoredParameter { name: Some(name) } => {
                write!(
                    f,
                    "the driver does not know the parameter `{name}` and ignores it"
                )
            }
            Self::IgnoredParameter { name: None } | Self::UnknownParameters { count: 1 } => {
                f.write_str("the driver does not know a parameter (not named here: it may be part of a secret) and ignores it")
            }
            Self::UnknownParameters { count } => write!(
                f,
                "the driver does not know {count} parameters (not named here: they may be part of a secret) and ignores them"
            ),
            Self::ReplicaUnusable { var } => write!(
                f,
                "`{var}` holds no usable PostgreSQL URL (or cannot be read): reads go to the primary's hosts"
            ),
            Self::Downgrade { parameter, missing } => write!(
                f,
                "the `{parameter}` parameter asks for a protection this connection does not have: {missing}"
            ),
            Self::DirectUnusable { var } => write!(
                f,
                "`{var}` holds no usable PostgreSQL URL (or cannot be read): migrations run through the pooled URL"
            ),
            Self::NotUnicode { var } => {
                write!(f, "`{var}` is set but not UTF-8, so it was not used")
            }
            Self::AmbientVariable { var } => write!(
                f,
                "the process environment sets `{var}`, which sqlx 0.9 applies to every PostgreSQL connection even though this source does not set it"
            ),
        }
    }
}

/// Which server of a (multi-host) PostgreSQL URL to keep: libpq's
/// `target_session_attrs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionAttrs {
    /// The first that answers.
    #[default]
    Any,
    /// One that accepts writes (`transaction_read_only` off).
    ReadWrite,
    /// One that does not (`transaction_read_only` on).
    ReadOnly,
    /// One not in recovery (`pg_is_in_recovery()` false).
    Primary,
    /// One in recovery: a standby.
    Standby,
    /// A standby if one answers, else any.
    PreferStandby,
}

impl SessionAttrs {
    /// libpq's spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::ReadWrite => "read-write",
            Self::ReadOnly => "read-only",
            Self::Primary => "primary",
            Self::Standby => "standby",
            Self::PreferStandby => "prefer-standby",
        }
    }

    pub(crate) fn parse(value: &str) -> Option<Self> {
        [
            Self::Any,
            Self::ReadWrite,
            Self::ReadOnly,
            Self::Primary,
            Self::Standby,
            Self::PreferStandby,
        ]
        .into_iter()
        .find(|a| a.name() == value)
    }
}

impl fmt::Display for SessionAttrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a PostgreSQL URL is taken to go through a transaction-mode pooler
/// (PgBouncer, Supabase's pooler, Neon's), where another client's server
/// connection does not have this client's named prepared statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Pooler {
    /// `?pgbouncer=true` in the URL (Prisma's spelling); the parameter is
    /// not passed to the driver.
    Parameter,
    /// The `pgbouncer = true` attribute, or its environment override.
    Setting,
    /// A known pooler endpoint: port 6543 of `*.pooler.supabase.com`, or a
    /// `-pooler.` host of `neon.tech`.
    Endpoint {
        /// `Supabase` or `Neon`.
        service: &'static str,
    },
}

impl fmt::Display for Pooler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a transaction-mode pooler, ")?;
        match self {
            Self::Parameter => f.write_str("as `?pgbouncer=true` says"),
            Self::Setting => f.write_str("as the `pgbouncer` setting says"),
            Self::Endpoint { service } => write!(f, "{service}'s pooler endpoint"),
        }
    }
}

/// Where an SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file, as an absolute path.
    File(PathBuf),
    /// In memory.
    Memory,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Memory => f.write_str("in memory"),
        }
    }
}

/// Which fallback candidate a path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum CandidateKind {
    /// The `fallback` attribute's path.
    Attribute,
    /// The data-dir override variable (`DBSETTINGS_DATA_DIR`).
    DataDirVar,
    /// `/data`, persistent storage on Hugging Face Spaces.
    PersistentData,
    /// `./data` under the working directory.
    WorkingDir,
    /// The OS temp directory.
    TempDir,
    /// An in-memory database, the last resort.
    Memory,
}

impl fmt::Display for CandidateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Attribute => "the `fallback` attribute",
            Self::DataDirVar => "the data-dir variable",
            Self::PersistentData => "persistent storage /data",
            Self::WorkingDir => "./data",
            Self::TempDir => "the temp directory",
            Self::Memory => "in memory",
        })
    }
}

/// A fallback location that was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Candidate {
    /// Which rule produced it.
    pub kind: CandidateKind,
    /// Where.
    pub location: Location,
    /// `None` when it was chosen; otherwise why it was skipped.
    pub skipped: Option<Skip>,
}

/// Why a fallback candidate was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Skip {
    /// The directory does not exist (for `/data`, which is never created).
    NotPresent,
    /// The test write failed.
    NotWritable {
        /// The OS error kind.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "io_error", serialize_with = "super::serde::io_kind")
        )]
        kind: io::ErrorKind,
    },
    /// A probe database could not be set up there (WAL mode, its `-wal` and
    /// `-shm` files, a write of several pages): a nearly full volume, or a
    /// file system SQLite cannot lock.
    SqliteFailed {
        /// SQLite's message, such as `database or disk is full`.
        message: String,
    },
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPresent => f.write_str("not present"),
            Self::NotWritable { kind } => write!(f, "not writable ({kind})"),
            Self::SqliteFailed { message } => {
                write!(f, "SQLite cannot work there ({message})")
            }
        }
    }
}

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

/// A pool or session setting that something other than its default chose,
/// where it came from, and what it won over. The order, highest first: the
/// environment override (`DATABASE_MAX_CONNECTIONS`, ...), the URL's
/// parameter (`connection_limit`, ...), the attribute, the default.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Setting {
    /// The setting (`max_connections`, `search_path`, ...).
    pub name: &'static str,
    /// Its value (settings hold no secret).
    pub value: String,
    /// Where the value came from.
    pub from: SettingSource,
    /// What else asked for a value and lost.
    pub over: Vec<SettingSource>,
}

/// Where a [`Setting`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SettingSource {
    /// An environment override.
    Override {
        /// The variable.
        var: String,
    },
    /// A parameter of the URL.
    Parameter {
        /// The parameter.
        name: String,
    },
    /// The derive's attribute.
    Attribute,
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Override { var } => write!(f, "`{var}`"),
            Self::Parameter { name } => write!(f, "the URL's `{name}`"),
            Self::Attribute => f.write_str("the attribute"),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {} (from {}", self.name, self.value, self.from)?;
        for (i, lost) in self.over.iter().enumerate() {
            f.write_str(if i == 0 { ", over " } else { " and " })?;
            write!(f, "{lost}")?;
        }
        f.write_str(")")
    }
}

impl Resolution {
    /// The pool and session settings chosen by an override, a URL
    /// parameter or an attribute, each with where it came from and what it
    /// won over.
    #[must_use]
    pub fn settings(&self) -> &[Setting] {
        &self.settings
    }

    /// The resolution after an `on_unreachable = "fallback"` switch: this
    /// one's normalisations and warnings, with the SQLite fallback `choice`
    /// and the unreachable primary (`var`, the error's kind and redacted
    /// text) as the reason.
    #[cfg(feature = "sqlite")]
    pub(crate) fn switched_to(
        &self,
        choice: &crate::url::fallback::Choice,
        var: &str,
        kind: crate::pool::DatabaseErrorKind,
        error: String,
    ) -> Self {
        let mut warnings = self.warnings.clone();
        if choice.location == Location::Memory {
            warnings.push(Warning::InMemory);
        }
        Self {
            origin: Origin::Fallback,
            backend: Backend::Sqlite,
            fallback_reason: Some(FallbackReason::Unreachable {
                var: var.to_owned(),
                kind,
                error,
            }),
            normalizations: self.normalizations.clone(),
            warnings,
            location: Some(choice.location.clone()),
            candidates: choice.candidates.clone(),
            pooler: None,
            hosts: Vec::new(),
            session_attrs: SessionAttrs::Any,
            settings: Vec::new(),
        }
    }

    /// Where the URL came from.
    #[must_use]
    pub fn origin(&self) -> &Origin {
        &self.origin
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
