//! The `DatabaseUrl` field: the raw value and where it came from, the
//! layers, then the fallback when the value is unusable (or strict mode's
//! refusal). The fallback location is decided here, once: the pool never
//! re-runs any part of it.

use crate::load::pool_options;
use crate::load::{Collector, PoolSpec};
use crate::pool::{PoolSetup, Unreachable};
use crate::resolution;
use crate::resolution::{FallbackReason, Location, Origin, Pooler, ReadError, Resolution};
use crate::settings_error::{Problem, ProblemKind};
use crate::source::{self, Lookup, Source};
use crate::url::fallback::{self, Places};
use crate::url::{self, ConnectOptions, Refusal};
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
    let pool = pool_options::resolve(&spec.pool, primary, source);
    let provenance = pool_options::provenance(&spec.pool, primary, source);
    let primary = &source.name(primary);
    let (raw, origin, file) = raw_value(source, spec, primary);
    let var = match &origin {
        Origin::Env { var } | Origin::File { var, .. } | Origin::DotEnv { var, .. } => var.clone(),
        _ => primary.to_owned(),
    };
    let target = Target {
        name: &var,
        prefix_var: &var,
        fallback: spec.fallback,
        strict: spec.strict,
        pool,
        replica: spec.pool.replica,
        direct: spec.pool.direct,
        provenance,
    };
    resolve_value(source, target, Value { raw, origin, file }, places)
}

/// What a URL is resolved for, besides its value: the derive's field, or a
/// [`UrlOptions`](crate::UrlOptions).
pub(crate) struct Target<'a> {
    /// The name in messages, the resolution and logs.
    pub(crate) name: &'a str,
    /// The variable whose `NAME=` prefix a pasted value may carry.
    pub(crate) prefix_var: &'a str,
    /// An SQLite URL: where the fallback goes.
    pub(crate) fallback: Option<&'a str>,
    /// Refuse the fallback (`DBSETTINGS_STRICT` in the source also does).
    pub(crate) strict: bool,
    /// The pool options, or the problems of their overrides.
    pub(crate) pool: Result<crate::PoolOptions, Vec<Problem>>,
    /// The variable of a read replica's URL (the `replica` attribute).
    pub(crate) replica: Option<&'a str>,
    /// The variable of a direct URL for migrations (`direct_url`).
    pub(crate) direct: Option<&'a str>,
    /// Which pool settings an attribute or an override set.
    pub(crate) provenance: Vec<(&'static str, resolution::SettingSource)>,
}

/// The raw value (or why there is none), where it came from and, for a
/// `_FILE` secret, the file.
pub(crate) struct Value {
    pub(crate) raw: Result<String, FallbackReason>,
    pub(crate) origin: Origin,
    pub(crate) file: Option<std::path::PathBuf>,
}

/// The layers on `value`, then the fallback (or strict mode's refusal).
#[allow(
    clippy::too_many_lines,
    reason = "one decision, read top to bottom; issue 20 moves it to the URL stage"
)]
pub(crate) fn resolve_value(
    source: &dyn Source,
    target: Target<'_>,
    value: Value,
    places: &Places,
) -> Result<DatabaseUrl, Vec<Problem>> {
    let Target {
        name: var,
        prefix_var,
        fallback: fallback_attribute,
        strict: strict_attribute,
        pool,
        replica,
        direct,
        provenance,
    } = target;
    let Value { raw, origin, file } = value;
    // A safety switch with a value it does not know fails closed: the
    // settings do not load, and the error names it.
    let strict_switch = source::switch(source, STRICT_VAR).map_err(|p| vec![p])?;
    let mut source_warnings = Vec::new();
    let data_dir = source::global_text(source, fallback::DATA_DIR_VAR, &mut source_warnings);
    let attribute = attribute_location(fallback_attribute);

    // A value read from a `_FILE` secret is the file variable's to fix.
    let supplied_by = match &origin {
        Origin::File { file_var, .. } => file_var.clone(),
        _ => var.to_owned(),
    };
    let mut normalizations = Vec::new();
    let reason = match raw {
        Err(reason) => reason,
        Ok(raw) => {
            let checked = url::check(&raw, prefix_var, places.machine(), source);
            normalizations = checked.normalizations;
            match checked.outcome {
                // Strict mode accepts no missing protection.
                Ok(accepted)
                    if let Some(rejection) = downgrade(&accepted.warnings)
                        .filter(|_| strict_attribute || strict_switch) =>
                {
                    FallbackReason::Rejected {
                        var: supplied_by,
                        rejection,
                    }
                }
                Ok(accepted) => {
                    let url = primary_url(
                        accepted,
                        pool?,
                        Primary {
                            replica,
                            direct,
                            provenance: &provenance,
                            origin,
                            normalizations,
                            warnings: source_warnings,
                            file,
                            var,
                            source,
                            places,
                            attribute: attribute.as_ref(),
                            data_dir: data_dir.as_deref(),
                        },
                    );
                    crate::log::resolved(var, url.redacted_url(), url.resolution());
                    return Ok(url);
                }
                Err(Refusal::Absent(absence)) => FallbackReason::Missing {
                    var: supplied_by,
                    absence,
                },
                Err(Refusal::Rejected(rejection)) => FallbackReason::Rejected {
                    var: supplied_by,
                    rejection,
                },
            }
        }
    };

    let strict = strict_attribute || strict_switch;
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
    let resolution = Resolution::fallback(
        reason,
        normalizations,
        source_warnings,
        choice.location,
        choice.candidates,
    );
    let (connect, connect_error) = match connect_options(&choice.url) {
        Ok(connect) => (connect, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let runtime = PoolSetup {
        pool,
        connect,
        connect_error,
        var: var.to_owned(),
        unreachable_fallback: None,
        secret_file: None,
        targets: url::Targets::default(),
        replica: None,
        direct: None,
        session: Vec::new(),
    };
    let url = DatabaseUrl::new(choice.url, resolution, runtime);
    crate::log::resolved(var, url.redacted_url(), url.resolution());
    Ok(url)
}

/// The first warning of a missing protection, as strict mode's rejection.
fn downgrade(warnings: &[resolution::Warning]) -> Option<resolution::Rejection> {
    warnings.iter().find_map(|w| match w {
        resolution::Warning::Downgrade { parameter, missing } => {
            Some(resolution::Rejection::ParameterRefused {
                parameter: parameter.clone(),
                why: missing,
                hint: "strict mode refuses a connection without it; remove the parameter to accept that",
            })
        }
        _ => None,
    })
}

/// What `primary_url` needs besides the accepted URL and the pool options.
struct Primary<'a> {
    replica: Option<&'a str>,
    direct: Option<&'a str>,
    provenance: &'a [(&'static str, resolution::SettingSource)],
    origin: Origin,
    normalizations: Vec<resolution::Normalization>,
    warnings: Vec<resolution::Warning>,
    file: Option<std::path::PathBuf>,
    var: &'a str,
    source: &'a dyn Source,
    places: &'a Places,
    attribute: Option<&'a Location>,
    data_dir: Option<&'a str>,
}

/// The `DatabaseUrl` of an accepted value: its resolution (with the pooler
/// it goes through), and what the pool needs: the fallback for an
/// unreachable primary, chosen now like any other (the pool never re-runs
/// resolution), and the `_FILE` secret to follow.
fn primary_url(
    mut accepted: url::Accepted,
    mut pool: crate::PoolOptions,
    p: Primary<'_>,
) -> DatabaseUrl {
    let unreachable_fallback = (pool.on_unreachable == Unreachable::Fallback
        && accepted.backend != Backend::Sqlite
        && Backend::Sqlite.is_compiled_in())
    .then(|| fallback::choose(p.attribute, p.data_dir, p.places));
    let mut warnings = p.warnings;
    warnings.extend(accepted.warnings);
    let pooler = accepted.pooler.or_else(|| {
        (pool.pgbouncer && accepted.backend == Backend::Postgres).then_some(Pooler::Setting)
    });
    pool.pgbouncer = pooler.is_some();
    let secret_file = secret_file(&p.origin, p.file, p.source, p.places);
    let replica = match (p.replica, accepted.backend) {
        (Some(var), Backend::Postgres) => side_url(var, p.source, p.places).map_or_else(
            |var| {
                warnings.push(resolution::Warning::ReplicaUnusable { var });
                None
            },
            |a| {
                a.map(|a| crate::pool::Replica {
                    secrets: url::redact::Secrets::of_url(&a.url),
                    redacted: url::redact::redact(&a.url),
                    connect: a.connect,
                    targets: a.targets,
                })
            },
        ),
        _ => None,
    };
    let direct = match (p.direct, accepted.backend) {
        (Some(var), Backend::Postgres) => side_url(var, p.source, p.places).map_or_else(
            |var| {
                warnings.push(resolution::Warning::DirectUnusable { var });
                None
            },
            |a| {
                a.map(|a| crate::pool::Direct {
                    secrets: url::redact::Secrets::of_url(&a.url),
                    redacted: url::redact::redact(&a.url),
                    connect: a.connect,
                })
            },
        ),
        _ => None,
    };
    let (settings, session) = super::url_settings::apply(
        &accepted.settings,
        &mut pool,
        &mut accepted.connect,
        p.provenance,
    );
    let resolution = Resolution::accepted(
        p.origin,
        accepted.backend,
        p.normalizations,
        warnings,
        accepted.location,
    )
    .with_pooler(pooler)
    .with_hosts(accepted.targets.shown(), accepted.targets.attrs)
    .with_settings(settings);
    let runtime = PoolSetup {
        pool,
        connect: Some(accepted.connect),
        connect_error: None,
        var: p.var.to_owned(),
        unreachable_fallback,
        secret_file,
        targets: accepted.targets,
        replica,
        direct,
        session,
    };
    DatabaseUrl::new(accepted.url, resolution, runtime)
}

/// A second PostgreSQL URL named by an attribute's variable (`replica`,
/// `direct_url`), through the same layers (and `_FILE`): `Ok(None)` when
/// unset, `Err` with the variable's name when it is unusable.
fn side_url(
    var: &str,
    source: &dyn Source,
    places: &Places,
) -> Result<Option<url::Accepted>, String> {
    let shown = source.name(var);
    let raw = match source::lookup(source, &[var]) {
        Lookup::Found(found) => found.value,
        Lookup::Absent => return Ok(None),
        Lookup::Problem(_) => return Err(shown),
    };
    match url::check(&raw, &shown, places.machine(), source).outcome {
        Ok(a) if a.backend == Backend::Postgres => Ok(Some(a)),
        _ => Err(shown),
    }
}

/// The `_FILE` secret the URL came from, to watch for rotations, with what
/// re-running the layers on a new value needs.
fn secret_file(
    origin: &Origin,
    path: Option<std::path::PathBuf>,
    source: &dyn Source,
    places: &Places,
) -> Option<crate::pool::SecretFile> {
    let Origin::File { var, file_var } = origin else {
        return None;
    };
    Some(crate::pool::SecretFile {
        path: path?,
        var: var.clone(),
        file_var: file_var.clone(),
        cwd: places.cwd.clone(),
        sockets: places.sockets.clone(),
        libpq: source::libpq_snapshot(source),
    })
}

/// The raw value of the URL field and where it came from (and for a `_FILE`
/// secret, the file), or why there is none.
fn raw_value(
    source: &dyn Source,
    spec: &UrlSpec,
    primary: &str,
) -> (
    Result<String, FallbackReason>,
    Origin,
    Option<std::path::PathBuf>,
) {
    let (raw, origin) = match source::lookup(source, spec.names) {
        Lookup::Found(found) => return (Ok(found.value), found.origin, found.file),
        Lookup::Absent => match spec.default {
            Some(d) => (Ok(d.to_owned()), Origin::Default),
            None if spec.libpq
                && let Some(url) = source::libpq::url(source) =>
            {
                (Ok(url), Origin::Libpq)
            }
            None => (
                Err(FallbackReason::Missing {
                    var: primary.to_owned(),
                    absence: resolution::Absence::Unset,
                }),
                Origin::Default,
            ),
        },
        Lookup::Problem(p) => (
            Err(FallbackReason::Unreadable {
                var: p.var().to_owned(),
                why: read_error(p.kind()),
            }),
            Origin::Default,
        ),
    };
    (raw, origin, None)
}

/// The connect options of the SQLite fallback at `url` (none without the
/// driver), or the driver's reason it could not make them, which the first
/// `pool()` returns.
#[cfg_attr(not(feature = "sqlite"), allow(clippy::unnecessary_wraps))]
fn connect_options(url: &str) -> Result<Option<ConnectOptions>, sqlx::Error> {
    #[cfg(feature = "sqlite")]
    return url::driver::sqlite_options(url).map(|o| Some(ConnectOptions::Sqlite(o)));
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = url;
        Ok(None)
    }
}

/// Where the `fallback` attribute puts the database (`None` without one,
/// or when it is not an SQLite URL): a relative path stays relative, for
/// the fallback order to place it.
pub(crate) fn attribute_location(fallback: Option<&str>) -> Option<Location> {
    let f = fallback?;
    let unresolved = url::Machine {
        cwd: std::path::Path::new(""),
        sockets: &[],
    };
    match url::check(f, "", unresolved, &source::Vars::default()).outcome {
        Ok(a) if a.backend == Backend::Sqlite => a.location,
        _ => None,
    }
}

/// Why a value could not be read, from the problem the lookup reported.
fn read_error(kind: &ProblemKind) -> ReadError {
    match kind {
        ProblemKind::NotUnicode => ReadError::NotUnicode,
        ProblemKind::Conflict { file_var } => ReadError::Conflict {
            file_var: file_var.clone(),
        },
        ProblemKind::FileTooLarge { limit } => ReadError::TooLarge { limit: *limit },
        ProblemKind::NotAFile => ReadError::NotAFile,
        ProblemKind::UnreadableFile { kind } => ReadError::File { kind: *kind },
        // A lookup reports only the kinds above.
        _ => ReadError::File {
            kind: std::io::ErrorKind::Other,
        },
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
            pgbouncer: false,
            startup_wait_ms: None,
            credentials_poll_ms: None,
            replica: None,
            direct: None,
            max_lifetime_ms: None,
            lifetime_jitter_ms: None,
            idle_check_ms: None,
            leak_threshold_ms: None,
        },
        libpq: true,
    };

    fn places(root: &std::path::Path) -> Places {
        Places {
            persistent: root.join("persistent"),
            cwd: root.join("cwd"),
            temp: root.join("tmp"),
            sockets: vec![root.join("run/postgresql"), root.join("tmp")],
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
        // `/data` is absent here, so the attribute's relative path is next.
        let kinds: Vec<_> = url
            .resolution()
            .candidates()
            .iter()
            .map(|c| c.kind)
            .collect();
        assert_eq!(
            kinds,
            [CandidateKind::PersistentData, CandidateKind::Attribute]
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

    /// `postgresql:///db` and `postgresql://user@/db`: libpq's default
    /// socket, in the first default directory holding the server's socket,
    /// else the first present, else a fallback naming them.
    #[test]
    fn no_host_uses_the_default_socket_directory() {
        use crate::resolution::Normalization;
        let root = tempfile::tempdir().unwrap();
        let p = places(root.path());
        let resolve = |raw: &str| {
            let src = Vars::new([("DATABASE_URL", raw)]);
            resolve_url(&src, &SPEC, &p).unwrap()
        };

        // Neither directory is present: the fallback, naming both.
        let url = resolve("postgresql://postgres@/test");
        assert!(url.is_fallback());
        let Some(FallbackReason::Rejected { rejection, .. }) = url.resolution().fallback_reason()
        else {
            panic!("{}", url.resolution());
        };
        assert_eq!(
            rejection,
            &Rejection::NoDefaultSocket {
                tried: p.sockets.clone()
            }
        );
        let text = url.resolution().to_string();
        assert!(
            text.contains("run/postgresql") && text.contains("hint"),
            "{text}"
        );

        // Only the second is present: it is used, and named.
        let tmp = &p.sockets[1];
        std::fs::create_dir_all(tmp).unwrap();
        let url = resolve("postgresql:///test");
        assert_eq!(url.backend(), Backend::Postgres);
        assert_eq!(
            url.expose_secret(),
            format!("postgresql://localhost/test?host={}", tmp.display())
        );
        assert_eq!(
            url.resolution().normalizations(),
            [Normalization::DefaultSocket { dir: tmp.clone() }]
        );
        assert!(
            url.resolution()
                .to_string()
                .contains(&format!("default Unix socket in {}", tmp.display()))
        );

        // Both present, no socket in either: the first, as libpq's order.
        let run = &p.sockets[0];
        std::fs::create_dir_all(run).unwrap();
        let url = resolve("postgresql://postgres@/test?sslmode=disable");
        assert_eq!(
            url.expose_secret(),
            format!(
                "postgresql://postgres@localhost/test?sslmode=disable&host={}",
                run.display()
            )
        );

        // The server's socket is in the second: that one wins, for the
        // port the URL names.
        std::fs::write(tmp.join(".s.PGSQL.5433"), "").unwrap();
        let url = resolve("postgresql://postgres@:5433/test");
        assert_eq!(
            url.expose_secret(),
            format!(
                "postgresql://postgres@localhost:5433/test?host={}",
                tmp.display()
            )
        );
        let url = resolve("postgresql://postgres@/test");
        assert!(
            url.expose_secret()
                .ends_with(&format!("host={}", run.display()))
        );

        // A socket named in the URL is kept as it is.
        for raw in [
            "postgresql://postgres@/test?host=/elsewhere",
            "postgresql://%2Fvar%2Frun%2Fpostgresql/test",
        ] {
            let url = resolve(raw);
            assert!(!url.is_fallback(), "{raw}: {}", url.resolution());
            assert!(
                !url.resolution()
                    .normalizations()
                    .iter()
                    .any(|n| matches!(n, Normalization::DefaultSocket { .. })),
                "{raw}"
            );
        }
        // MySQL has no default socket here: no host is still a rejection.
        assert!(resolve("mysql://root@/test").is_fallback());
    }
}
