//! What a URL's parameters ask of the pool and the sessions, merged with
//! the attributes and the environment overrides in one documented order:
//! the override, then the URL's parameter, then the attribute, then the
//! default. Every setting that is not the default is reported with where it
//! came from and what it won over.

use crate::PoolOptions;
use crate::resolution::{Rejection, Setting, SettingSource};
use crate::url::ConnectOptions;
use crate::url::params::{PoolField, PoolValue, UrlSettings};
use crate::url::redact::Secrets;

/// The settings merged into `pool` (and, for PostgreSQL without a pooler,
/// the session settings into `connect`'s startup options). Returns the
/// report and, behind a transaction-mode pooler (which drops startup
/// options), the session settings to set in each transaction instead.
pub(crate) fn apply(
    url: &UrlSettings,
    pool: &mut PoolOptions,
    connect: &mut ConnectOptions,
    provenance: &[(&'static str, SettingSource)],
    secrets: &Secrets,
) -> (Vec<Setting>, Vec<(String, String)>) {
    let mut report = Vec::new();
    for &(field, value, ref param) in &url.pool {
        let name = field.name();
        let parameter = SettingSource::Parameter {
            name: param.clone(),
        };
        let overridden = provenance
            .iter()
            .rev()
            .find(|(f, from)| *f == name && matches!(from, SettingSource::Override { .. }));
        let attribute = provenance
            .iter()
            .any(|(f, from)| *f == name && *from == SettingSource::Attribute);
        if let Some((_, by)) = overridden {
            let mut over = vec![parameter];
            if attribute {
                over.push(SettingSource::Attribute);
            }
            report.push(Setting {
                name,
                value: current(pool, field),
                from: by.clone(),
                over,
            });
            continue;
        }
        set(pool, field, value);
        report.push(Setting {
            name,
            value: current(pool, field),
            from: parameter,
            over: if attribute {
                vec![SettingSource::Attribute]
            } else {
                Vec::new()
            },
        });
    }
    // The attributes and overrides no parameter contested.
    for (field, from) in provenance {
        if report.iter().any(|s| s.name == *field) {
            continue;
        }
        let last = provenance.iter().rev().find(|(f, _)| f == field);
        if last.is_some_and(|(_, f)| f == from) {
            let over = provenance
                .iter()
                .filter(|(f, other)| f == field && other != from)
                .map(|(_, o)| o.clone())
                .collect();
            report.push(Setting {
                name: field,
                value: shown(pool, field),
                from: from.clone(),
                over,
            });
        }
    }
    let session: Vec<(String, String)> = url
        .session
        .iter()
        .map(|(n, v, _)| (n.clone(), v.clone()))
        .collect();
    for (name, value, param) in &url.session {
        report.push(Setting {
            name: static_name(name),
            // As the URL shows it: hidden where it holds the password.
            value: if secrets.holds_value(value) {
                crate::url::redact::MASK.to_owned()
            } else {
                value.clone()
            },
            from: SettingSource::Parameter {
                name: param.clone(),
            },
            over: Vec::new(),
        });
    }
    if session.is_empty() {
        return (report, Vec::new());
    }
    if pool.pgbouncer {
        // Startup options do not survive a transaction-mode pooler: each
        // transaction sets them (`SET LOCAL`, sent with its `BEGIN`).
        return (report, session);
    }
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
    if let ConnectOptions::Postgres(o) = connect {
        *o = o.clone().options(session);
    }
    #[cfg(not(feature = "postgres"))]
    let _ = connect;
    (report, Vec::new())
}

/// The first pool rule the URL's pool settings break with the others
/// (attributes, overrides, defaults), checked by the function that checks
/// those (`PoolOptions::broken_rules`): the URL's rejection, naming its
/// parameter. An override wins over the URL's parameter, as in `apply`.
pub(crate) fn broken_by_url(
    url: &UrlSettings,
    pool: &PoolOptions,
    provenance: &[(&'static str, SettingSource)],
) -> Option<Rejection> {
    if url.pool.is_empty() {
        return None;
    }
    let mut merged = pool.clone();
    let mut from_url: Vec<(&'static str, &str)> = Vec::new();
    for (field, value, param) in &url.pool {
        let name = field.name();
        let overridden = provenance
            .iter()
            .any(|(f, from)| *f == name && matches!(from, SettingSource::Override { .. }));
        if !overridden {
            set(&mut merged, *field, *value);
            from_url.push((name, param));
        }
    }
    let param_of = |field: &str| from_url.iter().find(|(n, _)| *n == field).map(|(_, p)| *p);
    merged.broken_rules().into_iter().find_map(|rule| {
        let (this, other) = rule.settings();
        let (parameter, other) = match (param_of(this), param_of(other)) {
            (Some(p), _) => (p, other),
            (None, Some(p)) => (p, this),
            (None, None) => return None,
        };
        let words = match param_of(other) {
            Some(p) => format!("the URL's `{p}`"),
            None => match provenance.iter().rev().find(|(f, _)| *f == other) {
                Some((_, SettingSource::Override { var })) => format!("`{var}`"),
                Some((_, SettingSource::Attribute)) => format!("the `{other}` attribute"),
                _ => format!("the default `{other}`"),
            },
        };
        Some(Rejection::PoolRuleBroken {
            parameter: parameter.to_owned(),
            other: words,
            rule,
        })
    })
}

/// A session setting's name, as the report keeps it.
fn static_name(name: &str) -> &'static str {
    match name {
        "search_path" => "search_path",
        "statement_timeout" => "statement_timeout",
        // Other `-c` settings of `options`: named by the parameter.
        _ => "options",
    }
}

fn set(pool: &mut PoolOptions, field: PoolField, value: PoolValue) {
    match (field, value) {
        (PoolField::MaxConnections, PoolValue::Count(n)) => pool.max_connections = n,
        (PoolField::MinConnections, PoolValue::Count(n)) => pool.min_connections = n,
        (PoolField::ConnectTimeout, PoolValue::Duration(d)) => pool.connect_timeout = d,
        (PoolField::AcquireTimeout, PoolValue::Duration(d)) => pool.acquire_timeout = d,
        (PoolField::IdleTimeout, PoolValue::Duration(d)) => pool.idle_timeout = Some(d),
        (PoolField::MaxLifetime, PoolValue::Duration(d)) => {
            pool.max_lifetime = Some(d);
            // The spread stays inside the lifetime: a tenth of it when
            // what was set does not fit.
            if pool.lifetime_jitter >= d {
                pool.lifetime_jitter = d / 10;
            }
        }
        _ => {}
    }
}

fn current(pool: &PoolOptions, field: PoolField) -> String {
    shown(pool, field.name())
}

fn shown(pool: &PoolOptions, name: &str) -> String {
    match name {
        "max_connections" => pool.max_connections.to_string(),
        "min_connections" => pool.min_connections.to_string(),
        "connect_timeout" => format!("{:?}", pool.connect_timeout),
        "acquire_timeout" => format!("{:?}", pool.acquire_timeout),
        "idle_timeout" => pool
            .idle_timeout
            .map_or_else(|| "none".to_owned(), |d| format!("{d:?}")),
        "max_lifetime" => pool
            .max_lifetime
            .map_or_else(|| "none".to_owned(), |d| format!("{d:?}")),
        _ => String::new(),
    }
}
