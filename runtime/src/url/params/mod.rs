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

mod table;

use core::time::Duration;

use crate::Backend;
use crate::resolution::{LONGEST, MOST_CONNECTIONS, Rejection, Warning};

use Action::{Consumed, Downgrade, Driver, Only, Pool, Refused, Schema, Session, StartupOptions};
use Unit::{Count, CountOrZero, GoDuration, Seconds};
pub(crate) use table::{Action, PoolField, Unit, known, lookup, markdown};

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
    let (mut kept, mut given): (Vec<String>, Vec<(String, &str, &str)>) = (Vec::new(), Vec::new());
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
        agrees(&mut given, param, key, raw)?;
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

/// Records `key=raw` as the value of its setting, unless another spelling
/// (or the same) gave that setting another value.
fn agrees<'a>(
    given: &mut Vec<(String, &'a str, &'a str)>,
    param: &table::Param,
    key: &'a str,
    raw: &'a str,
) -> Result<(), Rejection> {
    let setting = param.action.setting().unwrap_or_else(|| key.to_owned());
    match given.iter().find(|(s, _, _)| *s == setting) {
        Some((_, first, value)) if *value != raw => Err(Rejection::ParameterTwice {
            first: (*first).to_owned(),
            second: key.to_owned(),
        }),
        Some(_) => Ok(()),
        None => {
            given.push((setting, key, raw));
            Ok(())
        }
    }
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
            Self::Count => "a whole number from 1 to 10000",
            Self::CountOrZero => "a whole number from 0 to 10000",
            Self::Seconds => "a whole number of seconds from 1 to 604800 (a week)",
            Self::GoDuration => "a duration such as 30s, 5m or 1h30m, at most 168h (a week)",
        }
    }
}

/// A pool setting's value: the same bounds as an attribute's and a
/// `DATABASE_*` override's.
fn parse(value: &str, unit: Unit) -> Option<PoolValue> {
    match unit {
        Count => value
            .parse()
            .ok()
            .filter(|n| (1..=MOST_CONNECTIONS).contains(n))
            .map(PoolValue::Count),
        CountOrZero => value
            .parse()
            .ok()
            .filter(|n| *n <= MOST_CONNECTIONS)
            .map(PoolValue::Count),
        Seconds => value
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=LONGEST.as_secs()).contains(n))
            .map(|n| PoolValue::Duration(Duration::from_secs(n))),
        GoDuration => go_duration(value)
            .filter(|d| !d.is_zero() && *d <= LONGEST)
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

#[cfg(test)]
mod tests {
    use super::table::TABLE;
    use super::*;

    /// The bounds the messages state are the bounds checked.
    #[test]
    fn the_stated_bounds_are_the_checked_ones() {
        let most = MOST_CONNECTIONS.to_string();
        assert!(Count.expected().contains(&most) && CountOrZero.expected().contains(&most));
        assert!(Seconds.expected().contains(&LONGEST.as_secs().to_string()));
        let hours = LONGEST.as_secs() / 3600;
        assert!(GoDuration.expected().contains(&format!("{hours}h")));
        assert!(parse(&most, Count).is_some());
        assert!(parse(&(MOST_CONNECTIONS + 1).to_string(), Count).is_none());
        assert!(parse(&format!("{hours}h"), GoDuration).is_some());
        assert!(parse(&format!("{}h", hours + 1), GoDuration).is_none());
    }
    use PoolField::{AcquireTimeout, ConnectTimeout, MaxConnections};

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
