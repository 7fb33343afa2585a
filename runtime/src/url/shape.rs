//! Layer 3, shape: control characters, white space, unexpanded
//! placeholders, the scheme, the `//` authority, the driver being compiled in.

use crate::Backend;
use crate::url::resolution::Rejection;
use crate::url::scheme_of;

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
pub(super) fn shape(s: &str) -> Result<Backend, Rejection> {
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
