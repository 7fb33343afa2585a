//! Reading the pool options: the attributes on the `DatabaseUrl` field,
//! then their environment overrides (`DATABASE_MAX_CONNECTIONS`, ...), every
//! bad override reported, none echoing its value.

use core::time::Duration;

use crate::pool::{EmbeddedMigrations, Migrations, PoolOptions, Unreachable};
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
}

/// Parses a duration: `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
/// The format is pinned by `macros/src/duration_table.txt`, shared with the
/// macro's parser of the same attributes.
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

fn read<T>(
    source: &dyn Source,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
    expected: Expected,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match source::lookup(source, &[name]) {
        Lookup::Absent => None,
        Lookup::Problem(p) => {
            problems.push(p);
            None
        }
        Lookup::Found(found) => {
            let parsed = parse(found.value.trim());
            if parsed.is_none() {
                problems.push(Problem::new(
                    &source.name(name),
                    ProblemKind::NotAccepted {
                        expected,
                        padded: found.value.trim() != found.value,
                    },
                ));
            }
            parsed
        }
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
    }
}

/// The attributes, then the environment overrides; every bad override is
/// reported, none echoing its value.
pub(crate) fn resolve(
    spec: &PoolSpec,
    url_var: &str,
    source: &dyn Source,
) -> Result<PoolOptions, Vec<Problem>> {
    let mut o = from_spec(spec);
    let prefix = override_prefix(url_var);
    let mut problems = Vec::new();
    let count = |s: &str| s.parse::<u32>().ok();
    let positive = |s: &str| s.parse::<u32>().ok().filter(|n| *n > 0);
    let name = |suffix: &str| format!("{prefix}{suffix}");
    if let Some(v) = read(
        source,
        &name("MAX_CONNECTIONS"),
        positive,
        Expected::Count { min: 1 },
        &mut problems,
    ) {
        o.max_connections = v;
    }
    if let Some(v) = read(
        source,
        &name("MIN_CONNECTIONS"),
        count,
        Expected::Count { min: 0 },
        &mut problems,
    ) {
        o.min_connections = v;
    }
    let dur = Expected::Duration;
    if let Some(v) = read(
        source,
        &name("CONNECT_TIMEOUT"),
        parse_duration,
        dur,
        &mut problems,
    ) {
        o.connect_timeout = v;
    }
    if let Some(v) = read(
        source,
        &name("ACQUIRE_TIMEOUT"),
        parse_duration,
        dur,
        &mut problems,
    ) {
        o.acquire_timeout = v;
    }
    if let Some(v) = read(
        source,
        &name("IDLE_TIMEOUT"),
        parse_duration,
        dur,
        &mut problems,
    ) {
        o.idle_timeout = (!v.is_zero()).then_some(v);
    }
    let policy = |s: &str| match s.to_ascii_lowercase().as_str() {
        "error" => Some(Unreachable::Error),
        "fallback" => Some(Unreachable::Fallback),
        _ => None,
    };
    if let Some(v) = read(
        source,
        &name("ON_UNREACHABLE"),
        policy,
        Expected::OneOf(&["error", "fallback"]),
        &mut problems,
    ) {
        o.on_unreachable = v;
    }
    // Empty means unset, so any value names a directory: migrations
    // shipped beside the binary, which beat the embedded ones.
    let var = name("MIGRATIONS");
    match source::lookup(source, &[&var]) {
        Lookup::Found(found) => {
            o.migrations = Some(Migrations::Directory {
                path: found.value.into(),
                var: source.name(&var),
            });
        }
        Lookup::Problem(p) => problems.push(p),
        Lookup::Absent => {}
    }
    if o.min_connections > o.max_connections {
        problems.push(Problem::new(
            &source.name(&name("MIN_CONNECTIONS")),
            ProblemKind::MinExceedsMax {
                max: o.max_connections,
                max_var: source.name(&name("MAX_CONNECTIONS")),
            },
        ));
    }
    if problems.is_empty() {
        Ok(o)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Vars;

    /// The table the macro's parser is tested against too, so an attribute
    /// and its environment override read the same durations.
    #[test]
    fn parse_duration_follows_the_shared_table() {
        let table = include_str!("../../../macros/src/duration_table.txt");
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
