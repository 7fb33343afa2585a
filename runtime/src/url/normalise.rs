//! Layers 1 and 2: presence (unset, blank, null tokens) and normalisation,
//! each repair named in a [`Normalization`].

use std::path::{Path, PathBuf};

use crate::Backend;
use crate::resolution::{Absence, Normalization};
use crate::url::{Refusal, scheme_of};

/// libpq's default Unix socket directories, in the order tried: Debian's
/// and Ubuntu's (`/var/run/postgresql`), then upstream's (`/tmp`).
pub(crate) const DEFAULT_SOCKET_DIRS: &[&str] = &["/var/run/postgresql", "/tmp"];

fn presence(value: &str) -> Result<(), Absence> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Absence::Blank);
    }
    if ["none", "null", "nil", "undefined"]
        .iter()
        .any(|t| trimmed.eq_ignore_ascii_case(t))
    {
        return Err(Absence::NullToken);
    }
    Ok(())
}

/// Python-only `sqlite3.connect` keyword arguments that end up in URLs.
pub(super) const PYTHON_SQLITE_PARAMS: &[&str] = &[
    "check_same_thread",
    "timeout",
    "detect_types",
    "isolation_level",
    "cached_statements",
    "uri",
    "factory",
    "autocommit",
];

/// Removes surrounding white space and one pair of matching quotes.
fn strip_outer(s: &mut String, notes: &mut Vec<Normalization>) {
    let trimmed = s.trim();
    if trimmed.len() != s.len() {
        notes.push(Normalization::Trimmed);
        *s = trimmed.to_owned();
    }
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        notes.push(Normalization::Unquoted);
        *s = s[1..s.len() - 1].trim().to_owned();
    }
}

/// Layer 2: the repaired value. A SQLAlchemy `dialect+driver` scheme also
/// means its SQLite path follows SQLAlchemy's rules; a PostgreSQL URL with
/// no host uses the first of `sockets` that is there (libpq's default).
pub(super) fn normalise(
    raw: &str,
    var: &str,
    sockets: &[PathBuf],
    notes: &mut Vec<Normalization>,
) -> Result<String, Refusal> {
    presence(raw).map_err(Refusal::Absent)?;
    let mut s = raw.to_owned();
    strip_outer(&mut s, notes);
    if !var.is_empty() {
        for prefix in [format!("export {var}="), format!("{var}=")] {
            if let Some(rest) = s.strip_prefix(&prefix) {
                s = rest.to_owned();
                notes.push(Normalization::VariablePrefix);
                strip_outer(&mut s, notes);
                break;
            }
        }
    }
    presence(&s).map_err(Refusal::Absent)?;

    let mut sqlalchemy = false;
    if let Some(scheme) = scheme_of(&s) {
        let rest = s[scheme.len()..].to_owned();
        let mut scheme = scheme.to_owned();
        if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
            scheme.make_ascii_lowercase();
            notes.push(Normalization::SchemeLowercased);
        }
        if let Some((base, driver)) = scheme.split_once('+') {
            let serves = base == "sqlite3" || Backend::from_scheme(base).is_some();
            if serves && !driver.is_empty() {
                notes.push(Normalization::DriverSuffix {
                    driver: driver.to_owned(),
                });
                scheme = base.to_owned();
                sqlalchemy = true;
            }
        }
        if scheme == "sqlite3" {
            notes.push(Normalization::SqliteSchemeAlias);
            scheme = "sqlite".to_owned();
        }
        s = scheme + &rest;
        match Backend::from_scheme(&s[..s.find(':').unwrap_or(0)]) {
            Some(Backend::Sqlite) => s = normalise_sqlite(&s, sqlalchemy, notes),
            Some(Backend::Postgres) => {
                s = normalise_socket_host(s, "host=", notes);
                s = default_socket(s, sockets, notes);
            }
            Some(Backend::MySql) => s = normalise_socket_host(s, "socket=", notes),
            None => {}
        }
    }
    Ok(s)
}

/// SQLite forms sqlx does not read as their authors meant.
fn normalise_sqlite(s: &str, sqlalchemy: bool, notes: &mut Vec<Normalization>) -> String {
    let body = &s["sqlite:".len()..];
    let (path, query) = match body.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (body, None),
    };
    let path = if let Some(after) = path.strip_prefix("//") {
        if after.is_empty() || after == ":memory:" || after == "/:memory:" {
            notes.push(Normalization::SqliteMemory);
            ":memory:".to_owned()
        } else if let Some(p) = after.strip_prefix('/').filter(|_| sqlalchemy) {
            // SQLAlchemy: sqlite:///rel.db is relative, sqlite:////abs.db absolute.
            let relative = !p.starts_with('/');
            notes.push(Normalization::SqlAlchemyPath { relative });
            if relative {
                p.strip_prefix("./").unwrap_or(p).to_owned()
            } else {
                format!("//{p}")
            }
        } else if after.starts_with("/./") || after.starts_with("/../") {
            // The FastAPI tutorial's sqlite:///./sql_app.db: SQLAlchemy's
            // relative form, which sqlx would read as a path under `/`.
            notes.push(Normalization::SqlAlchemyPath { relative: true });
            let p = &after[1..];
            p.strip_prefix("./").unwrap_or(p).to_owned()
        } else {
            format!("//{after}")
        }
    } else {
        path.to_owned()
    };

    let mut kept = Vec::new();
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        if pair.is_empty() {
            continue;
        }
        let key = pair.split_once('=').map_or(pair, |(k, _)| k);
        if PYTHON_SQLITE_PARAMS.contains(&key) {
            notes.push(Normalization::DroppedParameter {
                name: key.to_owned(),
            });
        } else {
            kept.push(pair);
        }
    }
    let mut out = format!("sqlite:{path}");
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out
}

/// `postgresql://user:pw@/db?host=/cloudsql/...` (or MySQL's
/// `mysql://user@/db?socket=/run/mysqld/mysqld.sock`): an empty host with the
/// socket in the query, which libpq and MySQL clients accept and the `url`
/// crate does not. `socket_key` is the parameter, with its `=`.
fn normalise_socket_host(s: String, socket_key: &str, notes: &mut Vec<Normalization>) -> String {
    let Some(start) = s.find("://").map(|i| i + 3) else {
        return s;
    };
    let Some(q) = s[start..].find('?').map(|i| start + i) else {
        return s;
    };
    let has_host_param = s[q + 1..]
        .split('&')
        .any(|p| p.starts_with(socket_key) && p.len() > socket_key.len());
    let authority_end = s[start..q].find('/').map_or(q, |i| start + i);
    if has_host_param && s[start..authority_end].ends_with('@') {
        notes.push(Normalization::SocketHost);
        return format!("{}localhost{}", &s[..authority_end], &s[authority_end..]);
    }
    s
}

/// Where a PostgreSQL URL asks for libpq's default Unix socket: it names no
/// host and no `host=` (or `hostaddr=`), but does name a user or a database
/// (`postgresql:///db`, `postgresql://user@/db`). A URL naming nothing at
/// all (`postgresql://`, `postgresql://:@/`) is an empty template, not a
/// request for the local server.
pub(super) struct DefaultSocket {
    /// Where `localhost` goes for the URL to parse.
    host_at: usize,
    port: String,
}

impl DefaultSocket {
    pub(super) fn of(s: &str) -> Option<Self> {
        let start = s.find("://")? + 3;
        if s.contains('#') {
            // A fragment, or a `#` in a password: layer 4 says which.
            return None;
        }
        let authority_end = s[start..].find(['/', '?']).map_or(s.len(), |i| start + i);
        let authority = &s[start..authority_end];
        let (user, hostport) = match authority.rfind('@') {
            Some(at) => (&authority[..at], &authority[at + 1..]),
            None => ("", authority),
        };
        if !(hostport.is_empty() || hostport.starts_with(':')) {
            return None;
        }
        let (path, query) = s[authority_end..]
            .split_once('?')
            .unwrap_or((&s[authority_end..], ""));
        let user = user.split(':').next().unwrap_or("");
        if user.is_empty() && path.trim_start_matches('/').is_empty() {
            return None;
        }
        let param = |key: &str| {
            query
                .split('&')
                .filter_map(|p| p.split_once('='))
                .find(|(k, v)| *k == key && !v.is_empty())
                .map(|(_, v)| v)
        };
        if param("host").is_some() || param("hostaddr").is_some() {
            return None;
        }
        let port = hostport
            .strip_prefix(':')
            .filter(|p| !p.is_empty())
            .or_else(|| param("port"))
            .unwrap_or("5432");
        Some(Self {
            host_at: start + authority.len() - hostport.len(),
            port: port.to_owned(),
        })
    }
}

/// What a socket directory keeps unencoded as a query value.
const SOCKET_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.');

/// A URL that asks for libpq's default socket gets it as `host=`, with
/// `localhost` so the URL parses: the first of `sockets` holding the
/// server's socket file (`.s.PGSQL.<port>`), else the first that exists
/// (the server may not be up yet). With none there the URL is left as it
/// is, for layer 4 to reject, naming the directories.
fn default_socket(s: String, sockets: &[PathBuf], notes: &mut Vec<Normalization>) -> String {
    let Some(wanted) = DefaultSocket::of(&s) else {
        return s;
    };
    let Some(dir) = default_socket_dir(sockets, &wanted.port) else {
        return s;
    };
    // Percent-encoded as a query value: sqlx decodes it.
    let encoded =
        percent_encoding::percent_encode(dir.as_os_str().as_encoded_bytes(), SOCKET_VALUE)
            .to_string();
    let mut out = format!("{}localhost{}", &s[..wanted.host_at], &s[wanted.host_at..]);
    if !out.contains('?') {
        out.push('?');
    } else if !out.ends_with(['?', '&']) {
        out.push('&');
    }
    out.push_str("host=");
    out.push_str(&encoded);
    notes.push(Normalization::DefaultSocket { dir: dir.clone() });
    out
}

/// The directory libpq would find the server's socket in: the first of
/// `sockets` holding `.s.PGSQL.<port>`, else the first that exists.
fn default_socket_dir<'a>(sockets: &'a [PathBuf], port: &str) -> Option<&'a PathBuf> {
    let file = format!(".s.PGSQL.{port}");
    sockets
        .iter()
        .find(|d| d.join(&file).exists())
        .or_else(|| sockets.iter().find(|d| Path::is_dir(d)))
}
