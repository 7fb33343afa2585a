//! libpq's `PG*` variables as a source of the PostgreSQL URL, when no URL
//! variable is set.

use crate::source::Source;

/// A PostgreSQL URL from libpq's variables, when `PGHOST` or `PGDATABASE`
/// is set: `PGUSER`, `PGPASSWORD`, `PGHOST` (a socket directory when it
/// starts with `/`), `PGPORT`, `PGDATABASE`, `PGSSLMODE`.
pub(crate) fn url(source: &dyn Source) -> Option<String> {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let get = |n: &str| {
        source
            .var(n)
            .and_then(|v| v.into_string().ok())
            .filter(|v| !v.is_empty())
    };
    let host = get("PGHOST");
    let database = get("PGDATABASE");
    if host.is_none() && database.is_none() {
        return None;
    }
    let enc = |v: &str| utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
    let mut url = String::from("postgresql://");
    if let Some(user) = get("PGUSER") {
        url.push_str(&enc(&user));
        if let Some(pw) = get("PGPASSWORD") {
            url.push(':');
            url.push_str(&enc(&pw));
        }
        url.push('@');
    }
    let mut query = Vec::new();
    match host.as_deref() {
        Some(h) if h.starts_with('/') => {
            url.push_str("localhost");
            query.push(format!("host={h}"));
        }
        Some(h) if h.contains(':') && !h.starts_with('[') => {
            url.push('[');
            url.push_str(h);
            url.push(']');
        }
        Some(h) => url.push_str(h),
        None => url.push_str("localhost"),
    }
    if let Some(port) = get("PGPORT") {
        url.push(':');
        url.push_str(&port);
    }
    if let Some(db) = database {
        url.push('/');
        url.push_str(&enc(&db));
    }
    if let Some(mode) = get("PGSSLMODE") {
        query.push(format!("sslmode={}", enc(&mode)));
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    Some(url)
}
