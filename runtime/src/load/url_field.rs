//! The `DatabaseUrl` field: the raw value and where it came from, handed
//! to the URL stage's entry point ([`crate::url::resolve`]), then what the
//! pool needs beside the URL it returns: the pool's options and settings,
//! the replica and direct URLs, the `_FILE` secret to follow, the fallback
//! for an unreachable primary. The fallback location is decided once, at
//! resolution: the pool never re-runs any part of it.

use crate::load::pool_options;
use crate::load::{Collector, PoolSpec};
use crate::pool::{PoolSetup, Unreachable};
use crate::resolution::{self, Origin, Pooler, Resolution};
use crate::settings_error::Problem;
use crate::source::{self, Lookup, Source};
use crate::url::fallback::Places;
use crate::url::resolve::{
    AcceptedUrl, FallbackUrl, Raw, Request, Resolved, Stopped, resolve_side, unreadable, unset,
};
use crate::url::{self, ConnectOptions};
use crate::{Backend, DatabaseUrl};

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
    let raw = raw_value(source, spec, primary);
    let var = match &raw.origin {
        Origin::Env { var } | Origin::File { var, .. } | Origin::DotEnv { var, .. } => var.clone(),
        _ => primary.to_owned(),
    };
    let (checked_pool, checked_from) = (pool.clone().ok(), provenance.clone());
    let rules = |settings: &url::params::UrlSettings| {
        checked_pool
            .as_ref()
            .and_then(|p| super::url_settings::broken_by_url(settings, p, &checked_from))
    };
    let request = Request {
        name: &var,
        prefix_var: &var,
        fallback: spec.fallback,
        strict: spec.strict,
        source,
        places,
        pool_rules: Some(&rules),
    };
    let beside = Beside {
        pool,
        provenance,
        replica: spec.pool.replica,
        direct: spec.pool.direct,
    };
    finish(url::resolve::resolve(raw, &request), &request, beside)
}

/// What the pool needs besides the URL: its options (or the problems of
/// their overrides), which of them an attribute or override set, and the
/// variables of the replica's and the direct URL.
pub(crate) struct Beside<'a> {
    pub(crate) pool: Result<crate::PoolOptions, Vec<Problem>>,
    pub(crate) provenance: Vec<(&'static str, resolution::SettingSource)>,
    pub(crate) replica: Option<&'a str>,
    pub(crate) direct: Option<&'a str>,
}

/// The `DatabaseUrl` of what the URL stage decided, with the pool's setup;
/// or the problems: strict mode's refusal with the pool's own.
pub(crate) fn finish(
    resolved: Result<Resolved<'_>, Stopped>,
    request: &Request<'_>,
    beside: Beside<'_>,
) -> Result<DatabaseUrl, Vec<Problem>> {
    let url = match resolved {
        Err(stopped @ Stopped::Switch(_)) => return Err(vec![stopped.into_problem(request.name)]),
        Err(stopped) => {
            let mut problems = vec![stopped.into_problem(request.name)];
            problems.extend(beside.pool.err().unwrap_or_default());
            return Err(problems);
        }
        Ok(Resolved::Accepted(accepted)) => {
            let pool = beside.pool?;
            let settings = Some(&accepted.accepted.settings);
            let problems = pool_options::override_problems(&pool, settings, &beside.provenance);
            if !problems.is_empty() {
                return Err(problems);
            }
            primary_url(
                *accepted,
                pool,
                request,
                &beside.provenance,
                (beside.replica, beside.direct),
            )
        }
        Ok(Resolved::Fallback(fallback)) => {
            let pool = beside.pool?;
            let problems = pool_options::override_problems(&pool, None, &beside.provenance);
            if !problems.is_empty() {
                return Err(problems);
            }
            fallback_url(*fallback, pool, request.name)
        }
    };
    crate::log::resolved(request.name, url.redacted_url(), url.resolution());
    Ok(url)
}

/// The `DatabaseUrl` of the SQLite fallback.
fn fallback_url(fallback: FallbackUrl, pool: crate::PoolOptions, var: &str) -> DatabaseUrl {
    let setup = PoolSetup {
        pool,
        connect: connect_options(&fallback.url),
        var: var.to_owned(),
        unreachable_fallback: None,
        secret_file: None,
        targets: url::Targets::default(),
        replica: None,
        direct: None,
        session: Vec::new(),
    };
    DatabaseUrl::new(fallback.url, fallback.resolution, setup)
}

/// The `DatabaseUrl` of an accepted value: its resolution (with the pooler
/// it goes through and the settings chosen), and what the pool needs: the
/// fallback for an unreachable primary, chosen now like any other (the
/// pool never re-runs resolution), the replica and direct URLs, and the
/// `_FILE` secret to follow.
fn primary_url(
    a: AcceptedUrl<'_>,
    mut pool: crate::PoolOptions,
    request: &Request<'_>,
    provenance: &[(&'static str, resolution::SettingSource)],
    (replica_var, direct_var): (Option<&str>, Option<&str>),
) -> DatabaseUrl {
    let (source, places) = (request.source, request.places);
    let unreachable_fallback = (pool.on_unreachable == Unreachable::Fallback
        && a.accepted.backend != Backend::Sqlite
        && Backend::Sqlite.is_compiled_in())
    .then(|| a.fallback_choice());
    let AcceptedUrl {
        mut accepted,
        origin,
        normalizations,
        mut warnings,
        file,
        ..
    } = a;
    warnings.extend(accepted.warnings);
    let pooler = accepted.pooler.or_else(|| {
        (pool.pgbouncer && accepted.backend == Backend::Postgres).then_some(Pooler::Setting)
    });
    pool.pgbouncer = pooler.is_some();
    let secret_file = secret_file(&origin, file, source, places);
    let postgres = accepted.backend == Backend::Postgres;
    let replica = match replica_var
        .filter(|_| postgres)
        .map(|v| resolve_side(v, source, places))
    {
        Some(Err(var)) => {
            warnings.push(resolution::Warning::ReplicaUnusable { var });
            None
        }
        Some(Ok(a)) => a.map(|a| crate::pool::Replica {
            secrets: url::redact::Secrets::of_url(&a.url),
            redacted: url::redact::redact(&a.url),
            connect: with_session(&a, &accepted.settings),
            targets: a.targets,
        }),
        None => None,
    };
    let direct = match direct_var
        .filter(|_| postgres)
        .map(|v| resolve_side(v, source, places))
    {
        Some(Err(var)) => {
            warnings.push(resolution::Warning::DirectUnusable { var });
            None
        }
        Some(Ok(a)) => a.map(|a| crate::pool::Direct {
            secrets: url::redact::Secrets::of_url(&a.url),
            redacted: url::redact::redact(&a.url),
            connect: with_session(&a, &accepted.settings),
        }),
        None => None,
    };
    let (settings, session) = super::url_settings::apply(
        &accepted.settings,
        &mut pool,
        &mut accepted.connect,
        provenance,
        &url::redact::Secrets::of_url(&accepted.url),
    );
    let resolution = Resolution::accepted(
        origin,
        accepted.backend,
        normalizations,
        warnings,
        accepted.location,
    )
    .with_pooler(pooler)
    .with_hosts(
        accepted
            .targets
            .shown(&url::redact::Secrets::of_url(&accepted.url)),
        accepted.targets.attrs,
    )
    .with_settings(settings);
    let setup = PoolSetup {
        pool,
        connect: Ok(accepted.connect),
        var: request.name.to_owned(),
        unreachable_fallback,
        secret_file,
        targets: accepted.targets,
        replica,
        direct,
        session,
    };
    DatabaseUrl::new(accepted.url, resolution, setup)
}

/// The connect options of a side URL (the replica, the direct URL), with
/// session settings as startup parameters (they are direct connections):
/// its own, or when it names none, the primary's, so that migrations
/// through the direct URL and reads from the replica run in the schema the
/// application's pool does.
fn with_session(side: &url::Accepted, primary: &url::params::UrlSettings) -> ConnectOptions {
    if side.settings.session.is_empty() {
        side.connect_with_session(primary)
    } else {
        side.connect_with_session(&side.settings)
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
fn raw_value(source: &dyn Source, spec: &UrlSpec, primary: &str) -> Raw {
    let (value, origin) = match source::lookup(source, spec.names) {
        Lookup::Found(found) => {
            return Raw {
                value: Ok(found.value),
                origin: found.origin,
                file: found.file,
            };
        }
        Lookup::Absent => match spec.default {
            Some(d) => (Ok(d.to_owned()), Origin::Default),
            None if spec.libpq
                && let Some(url) = source::libpq::url(source) =>
            {
                (Ok(url), Origin::Libpq)
            }
            None => (Err(unset(primary)), Origin::Default),
        },
        Lookup::Problem(p) => (Err(unreadable(&p)), Origin::Default),
    };
    Raw {
        value,
        origin,
        file: None,
    }
}

/// The connect options of the SQLite fallback at `url`, or the driver's
/// reason it could not make them, which the first `pool()` returns.
fn connect_options(url: &str) -> Result<ConnectOptions, String> {
    #[cfg(feature = "sqlite")]
    return url::driver::sqlite_options(url)
        .map(ConnectOptions::Sqlite)
        .map_err(|e| e.to_string());
    // The URL stage refuses the fallback without the driver.
    #[cfg(not(feature = "sqlite"))]
    {
        let _ = url;
        Err("no SQLite driver is compiled in".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolution::{Absence, CandidateKind, FallbackReason, Rejection};
    use crate::settings_error::ProblemKind;
    use crate::source::Vars;
    use crate::url::resolve::STRICT_VAR;

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
            migration_lock_wait_ms: None,
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
