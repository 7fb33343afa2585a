//! What a URL's parameters ask of the pool and the sessions, merged with
//! the attributes and the environment overrides in one documented order:
//! the override, then the URL's parameter, then the attribute, then the
//! default. Every setting that is not the default is reported with where it
//! came from and what it won over.

use crate::PoolOptions;
use crate::resolution::{PoolRule, Rejection, Setting, SettingSource};
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
        let attribute = provenance
            .iter()
            .any(|(f, from)| *f == name && *from == SettingSource::Attribute);
        if let Some(by) = override_of(provenance, name) {
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
        set(pool, field, value, jitter_given(provenance));
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

/// A pool rule broken, with where each of its two settings came from
/// (`None`: the default).
pub(crate) struct Broken {
    pub(crate) rule: PoolRule,
    pub(crate) sources: [Option<SettingSource>; 2],
}

impl Broken {
    /// The sources in words, for the messages.
    pub(crate) fn words(&self) -> Vec<String> {
        let (a, b) = self.rule.settings();
        let say = |field: &str, from: &Option<SettingSource>| match from {
            Some(SettingSource::Parameter { name }) => format!("the URL's `{name}`"),
            Some(SettingSource::Override { var }) => format!("`{var}`"),
            Some(SettingSource::Attribute) => format!("the `{field}` attribute"),
            None => "the default".to_owned(),
        };
        vec![say(a, &self.sources[0]), say(b, &self.sources[1])]
    }
}

/// The rules the pool settings break once the URL's (if any) are merged
/// into `pool` (an override wins over the URL's parameter, as in
/// `apply`), each with its settings' sources: the one check of the pool
/// settings, whatever set them (`PoolOptions::broken_rules`).
pub(crate) fn broken(
    pool: &PoolOptions,
    url: Option<&UrlSettings>,
    provenance: &[(&'static str, SettingSource)],
) -> Vec<Broken> {
    let mut merged = pool.clone();
    let mut from_url: Vec<(&'static str, String)> = Vec::new();
    for (field, value, param) in url.map_or(&[][..], |u| &u.pool[..]) {
        let name = field.name();
        if override_of(provenance, name).is_none() {
            set(&mut merged, *field, *value, jitter_given(provenance));
            from_url.retain(|(n, _)| *n != name);
            from_url.push((name, param.clone()));
        }
    }
    let source_of = |field: &str| {
        from_url
            .iter()
            .find(|(n, _)| *n == field)
            .map(|(_, p)| SettingSource::Parameter { name: p.clone() })
            .or_else(|| {
                provenance
                    .iter()
                    .rev()
                    .find(|(f, _)| *f == field)
                    .map(|(_, from)| from.clone())
            })
    };
    merged
        .broken_rules()
        .into_iter()
        .map(|rule| {
            let (a, b) = rule.settings();
            let sources = [source_of(a), source_of(b)];
            Broken { rule, sources }
        })
        .collect()
}

/// The first pool rule the URL's parameters take part in breaking: the
/// URL's rejection, naming the parameter.
pub(crate) fn broken_by_url(
    url: &UrlSettings,
    pool: &PoolOptions,
    provenance: &[(&'static str, SettingSource)],
) -> Option<Rejection> {
    if url.pool.is_empty() {
        return None;
    }
    broken(pool, Some(url), provenance)
        .into_iter()
        .find_map(|b| {
            let parameter = b.sources.iter().find_map(|s| match s {
                Some(SettingSource::Parameter { name }) => Some(name.clone()),
                _ => None,
            })?;
            Some(Rejection::PoolRuleBroken {
                parameter,
                sources: b.words(),
                rule: b.rule,
            })
        })
}

/// The `DATABASE_*` override that set `field`, which wins over the URL's
/// parameter.
fn override_of<'a>(
    provenance: &'a [(&'static str, SettingSource)],
    field: &str,
) -> Option<&'a SettingSource> {
    provenance
        .iter()
        .rev()
        .find(|(f, from)| *f == field && matches!(from, SettingSource::Override { .. }))
        .map(|(_, from)| from)
}

/// Whether an attribute or an override gave the lifetime jitter: a URL's
/// lifetime then does not shrink it to fit (the rule says it does not).
fn jitter_given(provenance: &[(&'static str, SettingSource)]) -> bool {
    provenance.iter().any(|(f, _)| *f == "lifetime_jitter")
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

/// `field` set to `value`; a lifetime keeps the jitter inside it (a tenth
/// of it) unless the jitter was given (then the rule says it does not fit).
fn set(pool: &mut PoolOptions, field: PoolField, value: PoolValue, jitter_given: bool) {
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
            if pool.lifetime_jitter >= d && !jitter_given {
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
        "lifetime_jitter" => format!("{:?}", pool.lifetime_jitter),
        _ => String::new(),
    }
}
