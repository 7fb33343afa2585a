//! Loading one field: what the derive's generated code calls, and the
//! resolution of the database URL field with its fallback.

use core::fmt::Display;
use core::str::FromStr;

use crate::connect::ConnectOptions;
use crate::database_url::Runtime;
use crate::error::{Error, Problem, ProblemKind, Problems};
use crate::fallback::{self, Places};
use crate::options::{self, PoolSpec, Unreachable};
use crate::redact::Secrets;
use crate::resolution::{FallbackReason, Location, Origin, Resolution};
use crate::resolve::{self, Refusal};
use crate::source::{self, Lookup, Source};
use crate::{Backend, DatabaseUrl};

/// The variable that turns strict mode on for every URL field.
pub const STRICT_VAR: &str = "DBSETTINGS_STRICT";

/// Everything the derive knows about the `DatabaseUrl` field.
#[derive(Debug, Clone, Copy)]
pub struct UrlSpec {
    /// The variable names, primary first, then aliases.
    pub names: &'static [&'static str],
    /// The `default` attribute: a URL used when no variable is set.
    pub default: Option<&'static str>,
    /// The `fallback` attribute: an SQLite URL.
    pub fallback: Option<&'static str>,
    /// The `strict` attribute: refuse the fallback.
    pub strict: bool,
    /// The pool attributes.
    pub pool: PoolSpec,
    /// Build a PostgreSQL URL from libpq's `PG*` variables when no URL
    /// variable is set (`libpq = false` turns it off).
    pub libpq: bool,
}

/// The problems collected while one settings value loads.
#[derive(Debug, Default)]
pub struct Collector {
    problems: Problems,
}

impl Collector {
    /// No problems yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in the problems of a nested settings struct.
    pub fn absorb(&mut self, error: Error) {
        for p in error.into_problems() {
            self.push(p);
        }
    }

    /// Every problem at once. Called when a field came back `None`, which
    /// each loader returns only after recording why.
    #[must_use]
    pub fn into_error(self) -> Error {
        Error::new(self.problems.0)
    }

    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }
}

/// Looks a plain field up and parses it: `Some(None)` when it is absent,
/// `None` when a problem was recorded.
#[allow(
    clippy::option_option,
    reason = "absent and failed are different outcomes"
)]
fn parse_field<T>(
    source: &dyn Source,
    names: &[&str],
    type_name: &'static str,
    collector: &mut Collector,
) -> Option<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    match source::lookup(source, names) {
        Lookup::Absent => Some(None),
        Lookup::Problem(p) => {
            collector.push(p);
            None
        }
        Lookup::Found(found) => match found.value.parse::<T>() {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                let padded = found.value.trim() != found.value;
                let reason = Secrets::new([&found.value]).scrub(&e.to_string());
                let var = match &found.origin {
                    Origin::File { file_var, .. } => file_var.as_str(),
                    _ => found.var(),
                };
                collector.push(Problem::new(
                    var,
                    ProblemKind::Invalid {
                        type_name,
                        reason,
                        padded,
                    },
                ));
                None
            }
        },
    }
}

/// Text types a string-literal `default` converts into. Any other type needs
/// a typed default (`default = 7860`, `default = Level::Info`), so the
/// compiler checks it.
#[diagnostic::on_unimplemented(
    message = "a string literal `default` needs a text field, and `{Self}` is not one",
    label = "this literal needs a value of type `{Self}`, without quotes",
    note = "string literals convert to `String`, `PathBuf`, `OsString`, `Box<str>` and `&'static str`"
)]
pub trait TextDefault {
    /// Converts the literal.
    fn from_literal(text: &'static str) -> Self;
}

/// Converts a string-literal `default`; the field's type picks the impl.
#[must_use]
pub fn text_default<T: TextDefault>(text: &'static str) -> T {
    T::from_literal(text)
}

impl TextDefault for String {
    fn from_literal(text: &'static str) -> Self {
        text.to_owned()
    }
}

impl TextDefault for &'static str {
    fn from_literal(text: &'static str) -> Self {
        text
    }
}

impl TextDefault for Box<str> {
    fn from_literal(text: &'static str) -> Self {
        text.into()
    }
}

impl TextDefault for std::path::PathBuf {
    fn from_literal(text: &'static str) -> Self {
        text.into()
    }
}

impl TextDefault for std::ffi::OsString {
    fn from_literal(text: &'static str) -> Self {
        text.into()
    }
}

/// A required field: a problem when absent.
pub fn required<T>(
    source: &dyn Source,
    names: &[&str],
    type_name: &'static str,
    collector: &mut Collector,
) -> Option<T>
where
    T: FromStr,
    T::Err: Display,
{
    match parse_field(source, names, type_name, collector)? {
        Some(v) => Some(v),
        None => {
            collector.push(Problem::new(
                &source.name(names[0]),
                ProblemKind::Missing {
                    names: names.iter().map(|n| source.name(n)).collect(),
                },
            ));
            None
        }
    }
}

/// An `Option<T>` field: absent is `Some(None)`, `None` when a problem was
/// recorded.
#[allow(
    clippy::option_option,
    reason = "absent and failed are different outcomes"
)]
pub fn optional<T>(
    source: &dyn Source,
    names: &[&str],
    type_name: &'static str,
    collector: &mut Collector,
) -> Option<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    parse_field(source, names, type_name, collector)
}

/// A field with a `default`: absent is the default.
pub fn with_default<T>(
    source: &dyn Source,
    names: &[&str],
    type_name: &'static str,
    default: impl FnOnce() -> T,
    collector: &mut Collector,
) -> Option<T>
where
    T: FromStr,
    T::Err: Display,
{
    parse_field(source, names, type_name, collector).map(|v| v.unwrap_or_else(default))
}

/// The `DatabaseUrl` field: never a problem unless strict mode refuses the
/// fallback (or no SQLite driver is compiled in to fall back to).
pub fn database_url(
    source: &dyn Source,
    spec: &UrlSpec,
    collector: &mut Collector,
) -> Option<DatabaseUrl> {
    match resolve_url(source, spec, &Places::system()) {
        Ok(url) => Some(url),
        Err(problems) => {
            for p in problems {
                collector.push(p);
            }
            None
        }
    }
}

/// Resolves the URL field against `places` (the real ones outside tests).
pub(crate) fn resolve_url(
    source: &dyn Source,
    spec: &UrlSpec,
    places: &Places,
) -> Result<DatabaseUrl, Vec<Problem>> {
    let primary = spec.names.first().copied().unwrap_or("DATABASE_URL");
    let pool = options::resolve(&spec.pool, primary, source);
    let mut source_warnings = Vec::new();
    let data_dir = source::global_text(source, fallback::DATA_DIR_VAR, &mut source_warnings);
    let primary = &source.name(primary);
    let attribute = attribute_location(spec.fallback, &places.cwd);
    let (raw, origin) = raw_value(source, spec, primary);
    let var = match &origin {
        Origin::Env { var } | Origin::File { var, .. } | Origin::DotEnv { var, .. } => var.clone(),
        _ => primary.to_owned(),
    };
    let var = var.as_str();

    let mut normalizations = Vec::new();
    let reason = match raw {
        Err(reason) => reason,
        Ok(raw) => {
            let checked = resolve::check(&raw, var, &places.cwd, source);
            normalizations = checked.normalizations;
            match checked.outcome {
                Ok(accepted) => {
                    let pool = pool?;
                    // The fallback for an unreachable primary is chosen now,
                    // like any other: the pool never re-runs resolution.
                    let unreachable_fallback = (pool.on_unreachable == Unreachable::Fallback
                        && accepted.backend != Backend::Sqlite
                        && Backend::Sqlite.is_compiled_in())
                    .then(|| fallback::choose(attribute.as_ref(), data_dir.as_deref(), places));
                    let mut warnings = source_warnings;
                    warnings.extend(accepted.warnings);
                    let resolution = Resolution {
                        origin,
                        backend: accepted.backend,
                        fallback_reason: None,
                        normalizations,
                        warnings,
                        location: accepted.location,
                        candidates: Vec::new(),
                    };
                    let runtime = Runtime {
                        pool,
                        connect: Some(accepted.connect),
                        var: var.to_owned(),
                        unreachable_fallback,
                    };
                    let url = DatabaseUrl::new(accepted.url, resolution, runtime);
                    crate::log::resolved(var, &url);
                    return Ok(url);
                }
                Err(Refusal::Absent(absence)) => FallbackReason::Missing {
                    var: var.to_owned(),
                    absence,
                },
                Err(Refusal::Rejected(rejection)) => FallbackReason::Rejected {
                    var: var.to_owned(),
                    rejection,
                },
            }
        }
    };

    let strict = spec.strict || source::switch(source, STRICT_VAR);
    if strict || !Backend::Sqlite.is_compiled_in() {
        crate::log::refused(var, &reason, &normalizations, strict);
        let kind = if strict {
            ProblemKind::FallbackRefused { reason }
        } else {
            ProblemKind::NoFallback { reason }
        };
        let mut problems = vec![Problem::new(var, kind)];
        problems.extend(pool.err().unwrap_or_default());
        return Err(problems);
    }
    let pool = pool?;
    let choice = fallback::choose(attribute.as_ref(), data_dir.as_deref(), places);
    let mut warnings = source_warnings;
    if choice.location == Location::Memory {
        warnings.push(crate::resolution::Warning::InMemory);
    }
    let resolution = Resolution {
        origin: Origin::Fallback,
        backend: Backend::Sqlite,
        fallback_reason: Some(reason),
        normalizations,
        warnings,
        location: Some(choice.location),
        candidates: choice.candidates,
    };
    let runtime = Runtime {
        pool,
        connect: connect_options(&choice.url),
        var: var.to_owned(),
        unreachable_fallback: None,
    };
    let url = DatabaseUrl::new(choice.url, resolution, runtime);
    crate::log::resolved(var, &url);
    Ok(url)
}

/// The raw value of the URL field and where it came from, or why there is
/// none.
fn raw_value(
    source: &dyn Source,
    spec: &UrlSpec,
    primary: &str,
) -> (Result<String, FallbackReason>, Origin) {
    match source::lookup(source, spec.names) {
        Lookup::Found(found) => (Ok(found.value.clone()), found.origin),
        Lookup::Absent => match spec.default {
            Some(d) => (Ok(d.to_owned()), Origin::Default),
            None if spec.libpq
                && let Some(url) = libpq_url(source) =>
            {
                (Ok(url), Origin::Libpq)
            }
            None => (
                Err(FallbackReason::Missing {
                    var: primary.to_owned(),
                    absence: crate::resolution::Absence::Unset,
                }),
                Origin::Default,
            ),
        },
        Lookup::Problem(p) => (
            Err(FallbackReason::Unreadable {
                var: p.var().to_owned(),
                why: problem_summary(p.kind()),
            }),
            Origin::Default,
        ),
    }
}

/// A PostgreSQL URL from libpq's variables, when `PGHOST` or `PGDATABASE`
/// is set: `PGUSER`, `PGPASSWORD`, `PGHOST` (a socket directory when it
/// starts with `/`), `PGPORT`, `PGDATABASE`, `PGSSLMODE`.
fn libpq_url(source: &dyn Source) -> Option<String> {
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

/// The connect options of the SQLite fallback at `url`.
fn connect_options(url: &str) -> Option<ConnectOptions> {
    #[cfg(feature = "sqlite")]
    return crate::connect::sqlite_options(url)
        .ok()
        .map(ConnectOptions::Sqlite);
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = url;
        None
    }
}

/// Where the `fallback` attribute puts the database (`None` without one).
fn attribute_location(fallback: Option<&str>, cwd: &std::path::Path) -> Option<Location> {
    let f = fallback?;
    match resolve::check(f, "", cwd, &source::Vars::default()).outcome {
        Ok(a) if a.backend == Backend::Sqlite => a.location,
        _ => None,
    }
}

/// A one-line reason for an unreadable value, without the value.
fn problem_summary(kind: &ProblemKind) -> String {
    match kind {
        ProblemKind::NotUnicode => "not valid UTF-8".to_owned(),
        ProblemKind::Conflict { file_var } => format!("`{file_var}` is set too"),
        ProblemKind::UnreadableFile { kind } => format!("the file cannot be read ({kind})"),
        ProblemKind::FileTooLarge { limit } => {
            format!("the file is larger than {limit} bytes, too large for a setting")
        }
        ProblemKind::NotAFile => "the path is not a regular file".to_owned(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolution::{Absence, CandidateKind, Rejection};
    use crate::source::Vars;

    const SPEC: UrlSpec = UrlSpec {
        names: &["DATABASE_URL", "POSTGRES_URL"],
        default: None,
        fallback: Some("sqlite://data/app.db"),
        strict: false,
        pool: PoolSpec {
            max_connections: None,
            min_connections: None,
            connect_timeout_ms: None,
            acquire_timeout_ms: None,
            idle_timeout_ms: None,
            fallback_when_unreachable: false,
            migrations: None,
        },
        libpq: true,
    };

    fn places(root: &std::path::Path) -> Places {
        Places {
            persistent: root.join("persistent"),
            cwd: root.join("cwd"),
            temp: root.join("tmp"),
        }
    }

    #[test]
    fn missing_falls_back_to_the_attribute_path() {
        let root = tempfile::tempdir().unwrap();
        let url = resolve_url(&Vars::default(), &SPEC, &places(root.path())).unwrap();
        assert!(url.is_fallback());
        assert_eq!(
            url.resolution().fallback_reason(),
            Some(&FallbackReason::Missing {
                var: "DATABASE_URL".into(),
                absence: Absence::Unset
            })
        );
        assert_eq!(
            url.resolution().sqlite_path(),
            Some(root.path().join("cwd/data/app.db").as_path())
        );
        assert_eq!(
            url.resolution().candidates()[0].kind,
            CandidateKind::Attribute
        );
    }

    #[test]
    fn alias_supplies_the_value_and_is_recorded() {
        let root = tempfile::tempdir().unwrap();
        let src = Vars::new([("POSTGRES_URL", "postgresql://u:p@h/db")]);
        let url = resolve_url(&src, &SPEC, &places(root.path())).unwrap();
        assert_eq!(
            url.resolution().origin(),
            &Origin::Env {
                var: "POSTGRES_URL".into()
            }
        );
        assert_eq!(url.backend(), Backend::Postgres);
    }

    #[test]
    fn alias_prefix_is_stripped_by_its_own_name() {
        let root = tempfile::tempdir().unwrap();
        let src = Vars::new([("POSTGRES_URL", "POSTGRES_URL=postgresql://u:p@h/db")]);
        let url = resolve_url(&src, &SPEC, &places(root.path())).unwrap();
        assert_eq!(url.expose_secret(), "postgresql://u:p@h/db");
    }

    #[test]
    fn strict_refuses_with_the_reason() {
        let root = tempfile::tempdir().unwrap();
        let src = Vars::new([
            ("DATABASE_URL", "postgresql://u:p#w@h/db"),
            (STRICT_VAR, "1"),
        ]);
        let problem = resolve_url(&src, &SPEC, &places(root.path()))
            .unwrap_err()
            .remove(0);
        let text = problem.to_string();
        assert!(
            text.contains("strict") && text.contains("DATABASE_URL"),
            "{text}"
        );
        assert!(!text.contains("p#w"), "{text}");
        assert!(matches!(
            problem.kind(),
            ProblemKind::FallbackRefused {
                reason: FallbackReason::Rejected {
                    rejection: Rejection::PasswordNeedsEncoding { character: '#' },
                    ..
                }
            }
        ));
    }

    #[test]
    fn strict_attribute_without_the_variable() {
        let root = tempfile::tempdir().unwrap();
        let spec = UrlSpec {
            strict: true,
            ..SPEC
        };
        assert!(resolve_url(&Vars::default(), &spec, &places(root.path())).is_err());
        let ok = Vars::new([("DATABASE_URL", "sqlite::memory:")]);
        assert!(resolve_url(&ok, &spec, &places(root.path())).is_ok());
    }

    #[test]
    fn default_url_is_used_when_unset() {
        let root = tempfile::tempdir().unwrap();
        let spec = UrlSpec {
            default: Some("mysql://root@localhost/test"),
            ..SPEC
        };
        let url = resolve_url(&Vars::default(), &spec, &places(root.path())).unwrap();
        assert_eq!(url.resolution().origin(), &Origin::Default);
        assert_eq!(url.backend(), Backend::MySql);
    }

    #[test]
    fn unreadable_file_falls_back_naming_the_file_variable() {
        let root = tempfile::tempdir().unwrap();
        let src = Vars::new([("DATABASE_URL_FILE", "/nonexistent/secret")]);
        let url = resolve_url(&src, &SPEC, &places(root.path())).unwrap();
        assert!(matches!(
            url.resolution().fallback_reason(),
            Some(FallbackReason::Unreadable { var, .. }) if var == "DATABASE_URL_FILE"
        ));
    }

    #[test]
    fn libpq_variables_build_a_url_when_none_is_set() {
        let root = tempfile::tempdir().unwrap();
        let src = Vars::new([
            ("PGHOST", "db.internal"),
            ("PGPORT", "6432"),
            ("PGUSER", "app"),
            ("PGPASSWORD", "p@ss#word"),
            ("PGDATABASE", "orders"),
            ("PGSSLMODE", "require"),
        ]);
        let url = resolve_url(&src, &SPEC, &places(root.path())).unwrap();
        assert_eq!(url.resolution().origin(), &Origin::Libpq);
        assert_eq!(url.backend(), Backend::Postgres);
        assert_eq!(
            url.expose_secret(),
            "postgresql://app:p%40ss%23word@db.internal:6432/orders?sslmode=require"
        );
        assert!(!format!("{url} {url:?}").contains("p@ss"));

        let socket = Vars::new([("PGHOST", "/var/run/postgresql"), ("PGUSER", "postgres")]);
        let url = resolve_url(&socket, &SPEC, &places(root.path())).unwrap();
        assert_eq!(
            url.expose_secret(),
            "postgresql://postgres@localhost?host=/var/run/postgresql"
        );

        let off = UrlSpec {
            libpq: false,
            ..SPEC
        };
        assert!(
            resolve_url(&src, &off, &places(root.path()))
                .unwrap()
                .is_fallback()
        );
        let url_wins = Vars::new([
            ("PGHOST", "db.internal"),
            ("DATABASE_URL", "sqlite::memory:"),
        ]);
        let url = resolve_url(&url_wins, &SPEC, &places(root.path())).unwrap();
        assert_eq!(url.backend(), Backend::Sqlite);
    }

    #[test]
    fn parse_errors_never_echo_the_value() {
        let scrub = |m: &str, v: &str| Secrets::new([v]).scrub(m);
        assert_eq!(
            scrub("bad value 'hunter22'", "hunter22"),
            "bad value '****'"
        );
        assert_eq!(
            scrub("bad value ' hunter22 '", " hunter22 "),
            "bad value '****'"
        );
        assert_eq!(scrub("invalid x", "x"), "invalid ****");
        assert_eq!(scrub("invalid digit", "abc1"), "invalid digit");
    }
}
