//! The layered resolution of a raw URL value: presence, normalisation, shape,
//! parse, driver acceptance. Each step either repairs the value (and names the
//! repair) or stops with a named reason.

use std::path::Path;

use percent_encoding::percent_decode_str;

use crate::resolution::{Absence, Component, Location, Normalization, Rejection, Warning};
use crate::source::Source;
use crate::{Backend, driver};

/// A URL that passed every layer.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub(crate) url: String,
    pub(crate) backend: Backend,
    pub(crate) location: Option<Location>,
    pub(crate) warnings: Vec<Warning>,
    /// The driver's connect options, built by layer 5.
    pub(crate) connect: crate::connect::ConnectOptions,
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

/// Runs every layer on `raw`, the value of the variable `var`. Relative
/// SQLite paths are resolved against `cwd`; PostgreSQL defaults come from
/// `source`, never from the ambient environment.
pub(crate) fn check(raw: &str, var: &str, cwd: &Path, source: &dyn Source) -> Checked {
    let mut normalizations = Vec::new();
    let outcome =
        normalise(raw, var, &mut normalizations).and_then(|url| validate(url, cwd, source));
    Checked {
        normalizations,
        outcome,
    }
}

// ---------------------------------------------------------------------------
// Layer 1: presence

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

// ---------------------------------------------------------------------------
// Layer 2: normalisation

/// Python-only `sqlite3.connect` keyword arguments that end up in URLs.
const PYTHON_SQLITE_PARAMS: &[&str] = &[
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

/// Layer 2: the repaired value. A SQLAlchemy `dialect+driver` scheme also
/// means its SQLite path follows SQLAlchemy's rules.
fn normalise(raw: &str, var: &str, notes: &mut Vec<Normalization>) -> Result<String, Refusal> {
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
            Some(Backend::Postgres) => s = normalise_socket_host(s, "host=", notes),
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

// ---------------------------------------------------------------------------
// Layers 3 to 5

fn validate(s: String, cwd: &Path, source: &dyn Source) -> Result<Accepted, Refusal> {
    let backend = shape(&s).map_err(Refusal::Rejected)?;
    let mut warnings = Vec::new();
    let location = match backend {
        Backend::Sqlite => Some(sqlite_location(&s, cwd).map_err(Refusal::Rejected)?),
        Backend::Postgres | Backend::MySql => {
            parse_server_url(&s, backend).map_err(Refusal::Rejected)?;
            None
        }
    };
    let connect = driver::accepts(&s, backend, source, &mut warnings).map_err(Refusal::Rejected)?;
    if location == Some(Location::Memory) {
        warnings.push(Warning::InMemory);
    }
    Ok(Accepted {
        url: s,
        backend,
        location,
        warnings,
        connect,
    })
}

/// Well-known schemes that are named in rejections (any other scheme is not
/// echoed, since it may be part of a secret).
const KNOWN_SCHEMES: &[&str] = &[
    "jdbc",
    "mssql",
    "sqlserver",
    "oracle",
    "redis",
    "rediss",
    "mongodb",
    "http",
    "https",
    "file",
    "amqp",
    "amqps",
    "cockroachdb",
    "clickhouse",
    "libsql",
    "duckdb",
];

/// Layer 3: characters, placeholders, scheme, authority, compiled drivers.
fn shape(s: &str) -> Result<Backend, Rejection> {
    if s.chars().any(char::is_control) {
        return Err(Rejection::ControlCharacter);
    }
    if has_placeholder(s) {
        return Err(Rejection::Placeholder);
    }
    if s.chars().any(char::is_whitespace) {
        return Err(Rejection::InteriorWhitespace {
            inline_comment: s.contains(" #") || s.contains(" //"),
        });
    }
    let scheme = scheme_of(s).ok_or(Rejection::NoScheme)?;
    let backend = Backend::from_scheme(scheme).ok_or_else(|| Rejection::UnsupportedScheme {
        scheme: KNOWN_SCHEMES
            .iter()
            .copied()
            .find(|k| *k == scheme || scheme.split('+').next() == Some(*k)),
    })?;
    if backend != Backend::Sqlite && !s[scheme.len()..].starts_with("://") {
        return Err(Rejection::NoAuthority { backend });
    }
    if !backend.is_compiled_in() {
        return Err(Rejection::DriverNotCompiled { backend });
    }
    Ok(backend)
}

/// Words that documentation templates use in place of real values.
const TEMPLATE_WORDS: &[&str] = &[
    "USER",
    "USERNAME",
    "PASSWORD",
    "PASS",
    "HOST",
    "HOSTNAME",
    "PORT",
    "DBNAME",
    "DATABASE",
    "DB_NAME",
    "DATABASE_NAME",
];

fn is_template_word(s: &str) -> bool {
    TEMPLATE_WORDS.contains(&s) || s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("your"))
}

/// Layer 3: unexpanded placeholders: `${VAR}`, `{{var}}`, `$VAR`, `<value>`,
/// `[YOUR-PASSWORD]`, and documentation templates such as
/// `USER:PASSWORD@HOST:PORT`.
fn has_placeholder(s: &str) -> bool {
    if s.contains("${") || s.contains("{{") || s.contains('<') || s.contains('>') {
        return true;
    }
    // $NAME in capitals, ending where a URL part ends.
    let bytes = s.as_bytes();
    for (i, _) in s.match_indices('$') {
        let ident: &str = {
            let rest = &s[i + 1..];
            let end = rest
                .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        };
        let next = bytes.get(i + 1 + ident.len()).copied();
        let starts_ok = ident
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase() || b == b'_');
        if starts_ok && next.is_none_or(|b| b":/@?&=#.".contains(&b)) {
            return true;
        }
    }
    // [YOUR-PASSWORD]: brackets around a word (an IPv6 literal has colons).
    let mut from = 0;
    while let Some(open) = s[from..].find('[').map(|i| from + i) {
        let Some(close) = s[open..].find(']').map(|i| open + i) else {
            break;
        };
        let inner = &s[open + 1..close];
        if !inner.contains(':')
            && inner
                .chars()
                .any(|c| c.is_ascii_alphabetic() && !c.is_ascii_hexdigit())
        {
            return true;
        }
        from = close + 1;
    }
    // USER:PASSWORD@HOST:PORT/DBNAME
    if let Some(start) = s.find("://").map(|i| i + 3) {
        let rest = &s[start..];
        let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..auth_end];
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        if port.is_some_and(|p| p.eq_ignore_ascii_case("port") || is_template_word(p)) {
            return true;
        }
        if is_template_word(host) {
            return true;
        }
        if let Some((user, password)) = userinfo.and_then(|u| u.split_once(':'))
            && is_template_word(password)
            && (is_template_word(user) || password.len() > 4)
        {
            return true;
        }
    }
    false
}

/// Layer 4 for PostgreSQL and MySQL: the `url` crate, then semantic checks.
fn parse_server_url(s: &str, backend: Backend) -> Result<(), Rejection> {
    let rest = &s[s.find("://").map_or(0, |i| i + 3)..];
    if let Some(hash) = rest.find('#') {
        return Err(if rest[hash..].contains('@') {
            Rejection::PasswordNeedsEncoding { character: '#' }
        } else {
            Rejection::Fragment
        });
    }
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    if rest.rfind('@').is_some_and(|at| at > auth_end) {
        // An `@` after the host: either a `/` or `?` in the password ended
        // the authority early, or an `@` in the path or query. Both read
        // differently in libpq, sqlx and the `url` crate, so neither is
        // guessed at.
        let before = &rest[..auth_end];
        return Err(if before.contains(':') && !before.contains('@') {
            Rejection::PasswordNeedsEncoding {
                character: char::from(rest.as_bytes()[auth_end]),
            }
        } else {
            Rejection::AtAfterHost
        });
    }
    let authority = &rest[..auth_end];
    let hostport = authority
        .rfind('@')
        .map_or(authority, |at| &authority[at + 1..]);
    if hostport.contains(',') {
        return Err(Rejection::MultipleHosts);
    }

    let url = url::Url::parse(s).map_err(|e| match e {
        url::ParseError::InvalidPort => Rejection::InvalidPort,
        url::ParseError::EmptyHost => Rejection::MissingHost,
        url::ParseError::InvalidIpv4Address
        | url::ParseError::InvalidIpv6Address
        | url::ParseError::InvalidDomainCharacter
        | url::ParseError::IdnaError => Rejection::InvalidHost,
        other => Rejection::Malformed {
            error: other.to_string(),
        },
    })?;
    if url.port() == Some(0) {
        return Err(Rejection::InvalidPort);
    }
    decode(url.username(), Component::User)?;
    if let Some(pw) = url.password() {
        decode(pw, Component::Password)?;
    }
    if let Some(q) = url.query() {
        check_query(q)?;
    }
    let database = decode(url.path(), Component::Path)?;
    if database.trim_start_matches('/').contains('/') {
        // sqlx would take all of `a/b` as the database name: a `/` there is
        // a pasted path or a password that lost its `@`.
        return Err(Rejection::DatabaseName);
    }
    if let Some(q) = url.query() {
        check_escapes(q, Component::Query)?;
    }
    match url.host() {
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {}
        Some(url::Host::Domain(d)) if !d.is_empty() => {
            let host = decode(d, Component::Host)?;
            if !host.starts_with('/') && !is_dns_name(&host) {
                return Err(Rejection::InvalidHost);
            }
        }
        _ => {
            let socket_key = match backend {
                Backend::MySql => "socket",
                _ => "host",
            };
            let has_socket = url
                .query_pairs()
                .any(|(k, v)| (k == socket_key || k == "hostaddr") && !v.is_empty());
            if !has_socket {
                return Err(Rejection::MissingHost);
            }
        }
    }
    Ok(())
}

/// Layer 4 for a server URL's query: every parameter is `name=value`
/// (anything else is a corrupted URL, often a password that lost its `@`);
/// after a password parameter, a key no client knows is the rest of a
/// password with an unencoded `&`; a `port` is a number in 1..=65535.
fn check_query(query: &str) -> Result<(), Rejection> {
    use crate::redact::{ParamKind, param_kind};
    let mut after_password = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair
            .split_once('=')
            .filter(|(k, _)| driver::printable_name(k).is_some())
        else {
            return Err(Rejection::MalformedQuery);
        };
        let kind = param_kind(key);
        if after_password && kind == ParamKind::Unknown {
            return Err(Rejection::PasswordParameterSplit);
        }
        after_password = matches!(key, "password" | "sslpassword" | "passwd" | "pwd" | "pass");
        if percent_decode_str(value).any(|b| b == 0) {
            return Err(Rejection::EncodedNul {
                component: Component::Query,
            });
        }
        if key == "port" && !value.parse::<u16>().is_ok_and(|p| p > 0) {
            return Err(Rejection::InvalidPort);
        }
    }
    Ok(())
}

/// A valid percent-escape is `%` and two hexadecimal digits.
fn check_escapes(s: &str, component: Component) -> Result<(), Rejection> {
    let b = s.as_bytes();
    for (i, _) in s.match_indices('%') {
        let ok = b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
        if !ok {
            return Err(Rejection::InvalidPercentEncoding { component });
        }
    }
    Ok(())
}

/// Checks the escapes of `s` and percent-decodes it as UTF-8, without NUL
/// (which no driver can pass on: C strings end there).
fn decode(s: &str, component: Component) -> Result<String, Rejection> {
    check_escapes(s, component)?;
    let decoded = percent_decode_str(s)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| Rejection::InvalidUtf8 { component })?;
    if decoded.contains('\0') {
        return Err(Rejection::EncodedNul { component });
    }
    Ok(decoded)
}

/// A host name: dot-separated labels of letters, digits, `-` and `_`
/// (Docker service names use `_`), each 1 to 63 long, 253 at most in all.
fn is_dns_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Whether an accepted SQLite URL names an in-memory database.
pub(crate) fn sqlite_is_memory(url: &str) -> bool {
    let body = url.strip_prefix("sqlite:").unwrap_or(url);
    let body = body.strip_prefix("//").unwrap_or(body);
    let (path, query) = body.split_once('?').unwrap_or((body, ""));
    path == ":memory:" || query.split('&').any(|p| p == "mode=memory")
}

/// Layer 4 for SQLite: where the database lives, with sqlx's path rules
/// (`sqlite:a.db` and `sqlite://a.db` relative, `sqlite:///a.db` absolute).
fn sqlite_location(s: &str, cwd: &Path) -> Result<Location, Rejection> {
    if sqlite_is_memory(s) {
        return Ok(Location::Memory);
    }
    let body = s.strip_prefix("sqlite:").unwrap_or(s);
    let body = body.strip_prefix("//").unwrap_or(body);
    let path = body.split_once('?').map_or(body, |(p, _)| p);
    if path.is_empty() {
        return Err(Rejection::MissingPath);
    }
    let decoded = decode(path, Component::Path)?;
    Ok(Location::File(cwd.join(decoded)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Vars;

    fn run(raw: &str) -> Checked {
        check(raw, "DATABASE_URL", Path::new("/work"), &Vars::default())
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
        assert_eq!(rejection("postgresql:///db"), Rejection::MissingHost);
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
