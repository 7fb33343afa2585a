//! Layer 4, parse: the `url` crate, then semantic checks (host, port, one
//! host, percent-escapes, UTF-8, no NUL, a well-formed query); for SQLite,
//! where the file lives.

use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

use crate::Backend;
use crate::resolution::{Component, Location, Rejection};
use crate::url::driver;

/// Layer 4 for PostgreSQL and MySQL: the `url` crate, then semantic checks.
/// `sockets` are libpq's default socket directories, named when a
/// PostgreSQL URL has no host and none of them is present.
pub(super) fn parse_server_url(
    s: &str,
    backend: Backend,
    sockets: &[PathBuf],
) -> Result<(), Rejection> {
    let missing_host = || match backend {
        Backend::Postgres if super::normalise::DefaultSocket::of(s).is_some() => {
            Rejection::NoDefaultSocket {
                tried: sockets.to_vec(),
            }
        }
        _ => Rejection::MissingHost,
    };
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
        // PostgreSQL's lists were split before (see `hosts`).
        return Err(Rejection::MultipleHosts);
    }

    let url = url::Url::parse(s).map_err(|e| match e {
        url::ParseError::InvalidPort => Rejection::InvalidPort,
        url::ParseError::EmptyHost => missing_host(),
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
                return Err(missing_host());
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
    use crate::url::redact::{ParamKind, param_kind};
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

/// One host of a multi-host list: a DNS name, an IP address (IPv6 without
/// its brackets) or a socket directory, percent-decoded.
pub(super) fn check_listed_host(host: &str) -> Result<(), Rejection> {
    let host = decode(host, Component::Host)?;
    let ok =
        host.starts_with('/') || host.parse::<std::net::IpAddr>().is_ok() || is_dns_name(&host);
    if ok {
        Ok(())
    } else {
        Err(Rejection::InvalidHost)
    }
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
pub(super) fn sqlite_location(s: &str, cwd: &Path) -> Result<Location, Rejection> {
    if sqlite_is_memory(s) {
        return Ok(Location::Memory);
    }
    let body = s.strip_prefix("sqlite:").unwrap_or(s);
    let body = body.strip_prefix("//").unwrap_or(body);
    let path = body.split_once('?').map_or(body, |(p, _)| p);
    // `sqlite://user:password@host/app.db`, `sqlite:admin:pw@app.db`: the
    // driver would open `user:password@host/app.db` as a path, and every
    // output would show it (the URL as shown hides up to the `@`, as in any
    // URL). A file name that holds `@` is written `%40`.
    if path.contains('@') {
        return Err(Rejection::SqliteUserInfo);
    }
    if path.is_empty() {
        return Err(Rejection::MissingPath);
    }
    let decoded = decode(path, Component::Path)?;
    Ok(Location::File(cwd.join(decoded)))
}
