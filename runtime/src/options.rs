//! Pool options: set from attributes on the `DatabaseUrl` field, overridable
//! from the environment (`DATABASE_MAX_CONNECTIONS`, ...).

use core::time::Duration;

use crate::error::{Problem, ProblemKind};
use crate::source::{self, Lookup, Source};

/// What `pool()` does when a configured primary cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Unreachable {
    /// Return the error; the next `pool()` call tries again. A valid primary
    /// that is down is an incident: switching to an empty SQLite database
    /// would silently lose writes.
    #[default]
    Error,
    /// Fall back to the SQLite fallback database, with a warning.
    Fallback,
}

/// How the pool is sized and bounded. Every field has an attribute on the
/// `DatabaseUrl` field and an environment override named after the URL
/// variable (`DATABASE_URL` gives `DATABASE_MAX_CONNECTIONS`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolOptions {
    /// The most connections the pool opens (`max_connections`).
    ///
    /// _Default:_ 10.
    pub max_connections: u32,
    /// Connections kept open while idle (`min_connections`).
    ///
    /// _Default:_ 0 (1 for an in-memory SQLite database, which would vanish
    /// with its last connection).
    pub min_connections: u32,
    /// The bound on establishing the first connection, and each later one
    /// (`connect_timeout`).
    ///
    /// _Default:_ 5 s.
    pub connect_timeout: Duration,
    /// The bound on waiting for a free connection (`acquire_timeout`).
    ///
    /// _Default:_ 10 s.
    pub acquire_timeout: Duration,
    /// Idle connections are closed after this long (`idle_timeout`); `None`
    /// keeps them.
    ///
    /// _Default:_ 10 min.
    pub idle_timeout: Option<Duration>,
    /// What happens when the primary is unreachable (`on_unreachable`).
    ///
    /// _Default:_ [`Unreachable::Error`].
    pub on_unreachable: Unreachable,
    /// A directory with one sub-directory of migrations per backend
    /// (`postgres/`, `mysql/`, `sqlite/`), run on the first pool build
    /// (`migrations`; a relative path is relative to the working directory,
    /// so deployments usually set the override, e.g. `DATABASE_MIGRATIONS`).
    ///
    /// _Default:_ none.
    pub migrations: Option<String>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            connect_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_mins(10)),
            on_unreachable: Unreachable::Error,
            migrations: None,
        }
    }
}

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
    /// `migrations = "migrations"`
    pub migrations: Option<&'static str>,
}

/// Parses a duration: `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
#[must_use]
pub fn parse_duration(text: &str) -> Option<Duration> {
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
    expected: &'static str,
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
                    ProblemKind::Invalid {
                        type_name: expected,
                        reason: format!("expected {expected}"),
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
        migrations: spec.migrations.map(str::to_owned),
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
        "u32",
        &mut problems,
    ) {
        o.max_connections = v;
    }
    if let Some(v) = read(
        source,
        &name("MIN_CONNECTIONS"),
        count,
        "u32",
        &mut problems,
    ) {
        o.min_connections = v;
    }
    let dur = "duration";
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
        "`error` or `fallback`",
        &mut problems,
    ) {
        o.on_unreachable = v;
    }
    let dir = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    if let Some(v) = read(source, &name("MIGRATIONS"), dir, "directory", &mut problems) {
        o.migrations = Some(v);
    }
    if o.min_connections > o.max_connections {
        problems.push(Problem::new(
            &source.name(&name("MIN_CONNECTIONS")),
            ProblemKind::Invalid {
                type_name: "u32",
                reason: format!("it exceeds {} connections", o.max_connections),
                padded: false,
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

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_mins(2)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_hours(1)));
        assert_eq!(parse_duration("5 s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("fast"), None);
        assert_eq!(parse_duration("-1s"), None);
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
        assert_eq!(o.migrations.as_deref(), Some("/app/migrations"));
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
