//! Reading the pool options: the attributes on the `DatabaseUrl` field,
//! then their environment overrides (`DATABASE_MAX_CONNECTIONS`, ...), every
//! bad override reported, none echoing its value.

use core::time::Duration;

use crate::pool::{EmbeddedMigrations, Migrations, PoolOptions, Unreachable};
use crate::resolution::SettingSource;
use crate::resolution::{LONGEST, MOST_CONNECTIONS};
use crate::settings_error::{Expected, Problem, ProblemKind};
use crate::source::{self, Lookup, Source};

/// The pool attributes as the derive writes them (all optional).
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolSpec {
    /// `max_connections = N`
    pub max_connections: Option<u32>,
    /// `min_connections = N`
    pub min_connections: Option<u32>,
    /// `connect_timeout = "500ms"`, in milliseconds
    pub connect_timeout_ms: Option<u64>,
    /// `acquire_timeout = "10s"`, in milliseconds
    pub acquire_timeout_ms: Option<u64>,
    /// `idle_timeout = "10m"`, in milliseconds; 0 keeps idle connections
    pub idle_timeout_ms: Option<u64>,
    /// `on_unreachable = "fallback"`
    pub fallback_when_unreachable: bool,
    /// `migrations = "migrations"`: embedded at compile time
    pub migrations: Option<&'static EmbeddedMigrations>,
    /// `pgbouncer = true`
    pub pgbouncer: bool,
    /// `startup_wait = "30s"`, in milliseconds
    pub startup_wait_ms: Option<u64>,
    /// `credentials_poll = "10s"`, in milliseconds
    pub credentials_poll_ms: Option<u64>,
    /// `replica = "DATABASE_REPLICA_URL"`: the variable of a read replica
    pub replica: Option<&'static str>,
    /// `direct_url = "DATABASE_DIRECT_URL"`: the variable of a direct
    /// (pooler-free) URL for migrations.
    pub direct: Option<&'static str>,
    /// `max_lifetime = "30m"`, in milliseconds; 0 keeps connections
    pub max_lifetime_ms: Option<u64>,
    /// `lifetime_jitter = "3m"`, in milliseconds
    pub lifetime_jitter_ms: Option<u64>,
    /// `idle_check = "1s"`, in milliseconds; 0 pings at every acquire
    pub idle_check_ms: Option<u64>,
    /// `leak_threshold = "30s"`, in milliseconds
    pub leak_threshold_ms: Option<u64>,
    /// `migration_lock_wait = "60s"`, in milliseconds
    pub migration_lock_wait_ms: Option<u64>,
}

/// Parses a duration: `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
/// The format is pinned by `duration_table.txt` beside this file, the same
/// table as the macro's parser of the same attributes (a test keeps them equal).
#[must_use]
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let ms = match unit.trim() {
        "ms" => n,
        "" | "s" => n.checked_mul(1000)?,
        "m" | "min" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

/// The prefix of the override variables: `DATABASE_URL` gives `DATABASE_`.
pub(crate) fn override_prefix(url_var: &str) -> String {
    let base = url_var.strip_suffix("_URL").unwrap_or(url_var);
    format!("{base}_")
}

/// A value the override may take, parsed.
enum Parsed {
    Count(u32),
    Duration(Duration),
    /// One of the expected words, lower-cased (`1`, `yes`, `on` read as
    /// `true`; `0`, `no`, `off` as `false`).
    Word(&'static str),
}

/// `text` as `expected` says, or `None`.
fn parse_as(expected: Expected, text: &str) -> Option<Parsed> {
    match expected {
        Expected::Count { min } => text
            .parse::<u32>()
            .ok()
            .filter(|n| (min..=MOST_CONNECTIONS).contains(n))
            .map(Parsed::Count),
        Expected::Duration => parse_duration(text)
            .filter(|d| *d <= LONGEST)
            .map(Parsed::Duration),
        Expected::PositiveDuration => parse_duration(text)
            .filter(|d| !d.is_zero() && *d <= LONGEST)
            .map(Parsed::Duration),
        Expected::OneOf(words) => {
            let lower = text.to_ascii_lowercase();
            let word = match lower.as_str() {
                "1" | "yes" | "on" => "true",
                "0" | "no" | "off" => "false",
                other => other,
            };
            words.iter().copied().find(|w| *w == word).map(Parsed::Word)
        }
    }
}

/// The text of an override, when set; a problem reading it is recorded.
fn read_text(source: &dyn Source, name: &str, problems: &mut Vec<Problem>) -> Option<String> {
    match source::lookup(source, &[name]) {
        Lookup::Absent => None,
        Lookup::Problem(p) => {
            problems.push(p);
            None
        }
        Lookup::Found(found) => Some(found.value),
    }
}

/// The options the attributes ask for, defaults elsewhere.
fn from_spec(spec: &PoolSpec) -> PoolOptions {
    let d = PoolOptions::default();
    let ms = Duration::from_millis;
    PoolOptions {
        max_connections: spec.max_connections.unwrap_or(d.max_connections),
        min_connections: spec.min_connections.unwrap_or(d.min_connections),
        connect_timeout: spec.connect_timeout_ms.map_or(d.connect_timeout, ms),
        acquire_timeout: spec.acquire_timeout_ms.map_or(d.acquire_timeout, ms),
        idle_timeout: spec
            .idle_timeout_ms
            .map_or(d.idle_timeout, |v| (v > 0).then(|| ms(v))),
        on_unreachable: if spec.fallback_when_unreachable {
            Unreachable::Fallback
        } else {
            Unreachable::Error
        },
        migrations: spec.migrations.map(Migrations::Embedded),
        pgbouncer: spec.pgbouncer,
        startup_wait: spec.startup_wait_ms.filter(|ms| *ms > 0).map(ms),
        credentials_poll: spec.credentials_poll_ms.map_or(d.credentials_poll, ms),
        max_lifetime: spec
            .max_lifetime_ms
            .map_or(d.max_lifetime, |v| (v > 0).then(|| ms(v))),
        lifetime_jitter: spec.lifetime_jitter_ms.map_or(d.lifetime_jitter, ms),
        idle_check: spec.idle_check_ms.map_or(d.idle_check, ms),
        leak_threshold: spec.leak_threshold_ms.map(ms),
        migration_lock_wait: spec
            .migration_lock_wait_ms
            .map_or(d.migration_lock_wait, ms),
    }
}

/// The attributes, then the environment overrides; every bad override is
/// reported, none echoing its value.
#[allow(
    clippy::too_many_lines,
    reason = "one read per override, in the attributes' order (issue 29 declares them once)"
)]
pub(crate) fn resolve(
    spec: &PoolSpec,
    url_var: &str,
    source: &dyn Source,
) -> Result<PoolOptions, Vec<Problem>> {
    let mut o = from_spec(spec);
    let prefix = override_prefix(url_var);
    let mut problems = Vec::new();
    let name = |suffix: &str| format!("{prefix}{suffix}");
    let mut read = |suffix: &str, expected: Expected| {
        let value = read_text(source, &name(suffix), &mut problems)?;
        let parsed = parse_as(expected, value.trim());
        if parsed.is_none() {
            problems.push(Problem::new(
                &source.name(&name(suffix)),
                ProblemKind::NotAccepted {
                    expected,
                    padded: value.trim() != value,
                },
            ));
        }
        parsed
    };
    let (one, any) = (Expected::Count { min: 1 }, Expected::Count { min: 0 });
    let (dur, switch) = (Expected::Duration, Expected::OneOf(&["true", "false"]));
    let policy = Expected::OneOf(&["error", "fallback"]);
    if let Some(Parsed::Count(n)) = read("MAX_CONNECTIONS", one) {
        o.max_connections = n;
    }
    if let Some(Parsed::Count(n)) = read("MIN_CONNECTIONS", any) {
        o.min_connections = n;
    }
    let bound = Expected::PositiveDuration;
    if let Some(Parsed::Duration(d)) = read("CONNECT_TIMEOUT", bound) {
        o.connect_timeout = d;
    }
    if let Some(Parsed::Duration(d)) = read("ACQUIRE_TIMEOUT", bound) {
        o.acquire_timeout = d;
    }
    if let Some(Parsed::Duration(d)) = read("IDLE_TIMEOUT", dur) {
        o.idle_timeout = (!d.is_zero()).then_some(d);
    }
    if let Some(Parsed::Word(w)) = read("ON_UNREACHABLE", policy) {
        o.on_unreachable = if w == "fallback" {
            Unreachable::Fallback
        } else {
            Unreachable::Error
        };
    }
    if let Some(Parsed::Word(w)) = read("PGBOUNCER", switch) {
        o.pgbouncer = w == "true";
    }
    if let Some(Parsed::Duration(d)) = read("STARTUP_WAIT", dur) {
        o.startup_wait = (!d.is_zero()).then_some(d);
    }
    // Zero would poll in a busy loop.
    if let Some(Parsed::Duration(d)) = read("CREDENTIALS_POLL", bound) {
        o.credentials_poll = d;
    }
    if let Some(Parsed::Duration(d)) = read("MAX_LIFETIME", dur) {
        o.max_lifetime = (!d.is_zero()).then_some(d);
    }
    let jitter_set = read("LIFETIME_JITTER", dur).map(|p| {
        if let Parsed::Duration(d) = p {
            o.lifetime_jitter = d;
        }
    });
    if spec.lifetime_jitter_ms.is_none() && jitter_set.is_none() {
        // Unset anywhere: a tenth of the lifetime in force.
        o.lifetime_jitter = o.max_lifetime.map_or(Duration::ZERO, |l| l / 10);
    }
    if let Some(Parsed::Duration(d)) = read("IDLE_CHECK", dur) {
        o.idle_check = d;
    }
    // Zero would report every connection as held too long.
    if let Some(Parsed::Duration(d)) = read("LEAK_THRESHOLD", bound) {
        o.leak_threshold = Some(d);
    }
    // Zero would give up on a lock that is free a moment later.
    if let Some(Parsed::Duration(d)) = read("MIGRATION_LOCK_WAIT", bound) {
        o.migration_lock_wait = d;
    }
    // Empty means unset, so any value names a directory: migrations
    // shipped beside the binary, which beat the embedded ones.
    let var = name("MIGRATIONS");
    if let Some(dir) = read_text(source, &var, &mut problems) {
        o.migrations = Some(Migrations::Directory {
            path: dir.into(),
            var: source.name(&var),
        });
    }
    if problems.is_empty() {
        Ok(o)
    } else {
        Err(problems)
    }
}

/// The rules of the pool settings broken with an override taking part,
/// once the URL's settings (if any) are merged: an error naming the
/// override (the attributes alone are checked at compile time, and a URL's
/// parameter taking part rejects the URL instead).
pub(crate) fn override_problems(
    pool: &PoolOptions,
    url: Option<&crate::url::params::UrlSettings>,
    provenance: &[(&'static str, SettingSource)],
) -> Vec<Problem> {
    super::url_settings::broken(pool, url, provenance)
        .into_iter()
        .filter(|b| {
            !b.sources
                .iter()
                .any(|s| matches!(s, Some(SettingSource::Parameter { .. })))
        })
        .filter_map(|b| {
            let var = b.sources.iter().find_map(|s| match s {
                Some(SettingSource::Override { var }) => Some(var.clone()),
                _ => None,
            })?;
            Some(Problem::new(
                &var,
                ProblemKind::PoolRuleBroken {
                    sources: b.words(),
                    rule: b.rule,
                },
            ))
        })
        .collect()
}

/// Which of the pool settings a URL parameter may also set came from an
/// attribute or an environment override (the override listed last, as it
/// wins): what the resolution reports when they disagree.
pub(crate) fn provenance(
    spec: &PoolSpec,
    url_var: &str,
    source: &dyn Source,
) -> Vec<(&'static str, SettingSource)> {
    let prefix = override_prefix(url_var);
    let fields: [(&str, &str, bool); 7] = [
        (
            "max_connections",
            "MAX_CONNECTIONS",
            spec.max_connections.is_some(),
        ),
        (
            "min_connections",
            "MIN_CONNECTIONS",
            spec.min_connections.is_some(),
        ),
        (
            "connect_timeout",
            "CONNECT_TIMEOUT",
            spec.connect_timeout_ms.is_some(),
        ),
        (
            "acquire_timeout",
            "ACQUIRE_TIMEOUT",
            spec.acquire_timeout_ms.is_some(),
        ),
        (
            "idle_timeout",
            "IDLE_TIMEOUT",
            spec.idle_timeout_ms.is_some(),
        ),
        (
            "max_lifetime",
            "MAX_LIFETIME",
            spec.max_lifetime_ms.is_some(),
        ),
        (
            "lifetime_jitter",
            "LIFETIME_JITTER",
            spec.lifetime_jitter_ms.is_some(),
        ),
    ];
    let mut from = Vec::new();
    for (field, suffix, attribute) in fields {
        if attribute {
            from.push((field, SettingSource::Attribute));
        }
        let var = format!("{prefix}{suffix}");
        if matches!(source::lookup(source, &[var.as_str()]), Lookup::Found(_)) {
            from.push((
                field,
                SettingSource::Override {
                    var: source.name(&var),
                },
            ));
        }
    }
    from
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Vars;

    /// The table the macro's parser is tested against too, so an attribute
    /// and its environment override read the same durations.
    #[test]
    fn parse_duration_follows_the_shared_table() {
        let table = include_str!("duration_table.txt");
        let mut cases = 0;
        for (i, line) in table.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (input, expected) = line
                .strip_prefix('"')
                .and_then(|l| l.split_once('"'))
                .unwrap_or_else(|| panic!("line {}: not `\"input\" expected`", i + 1));
            let expected = match expected.trim() {
                "none" => None,
                ms => Some(Duration::from_millis(ms.parse().unwrap())),
            };
            assert_eq!(parse_duration(input), expected, "line {}: {input:?}", i + 1);
            cases += 1;
        }
        assert!(cases >= 15, "only {cases} cases read");
    }

    #[test]
    fn attributes_then_overrides() {
        let spec = PoolSpec {
            max_connections: Some(4),
            connect_timeout_ms: Some(500),
            ..PoolSpec::default()
        };
        let o = resolve(&spec, "DATABASE_URL", &Vars::default()).unwrap();
        assert_eq!(o.max_connections, 4);
        assert_eq!(o.connect_timeout, Duration::from_millis(500));
        assert_eq!(o.acquire_timeout, PoolOptions::default().acquire_timeout);

        let env = Vars::new([
            ("DATABASE_MAX_CONNECTIONS", "20"),
            ("DATABASE_IDLE_TIMEOUT", "0"),
            ("DATABASE_ON_UNREACHABLE", "fallback"),
            ("DATABASE_MIGRATIONS", "/app/migrations"),
        ]);
        let o = resolve(&spec, "DATABASE_URL", &env).unwrap();
        assert_eq!(o.max_connections, 20);
        assert_eq!(o.idle_timeout, None);
        assert_eq!(o.on_unreachable, Unreachable::Fallback);
        assert_eq!(
            o.migrations,
            Some(Migrations::Directory {
                path: "/app/migrations".into(),
                var: "DATABASE_MIGRATIONS".into()
            })
        );
    }

    #[test]
    fn bad_overrides_are_all_reported_without_values() {
        let env = Vars::new([
            ("REPLICA_MAX_CONNECTIONS", "0"),
            ("REPLICA_CONNECT_TIMEOUT", "soonish"),
            ("REPLICA_ON_UNREACHABLE", "panic"),
        ]);
        let problems = resolve(&PoolSpec::default(), "REPLICA_URL", &env).unwrap_err();
        let vars: Vec<_> = problems.iter().map(Problem::var).collect();
        assert_eq!(
            vars,
            [
                "REPLICA_MAX_CONNECTIONS",
                "REPLICA_CONNECT_TIMEOUT",
                "REPLICA_ON_UNREACHABLE"
            ]
        );
        let text: String = problems.iter().map(ToString::to_string).collect();
        assert!(
            !text.contains("soonish") && !text.contains("panic"),
            "{text}"
        );
    }
}
