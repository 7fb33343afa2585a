//! The URL stage's one entry point: a raw value (or why there is none) and
//! what it is resolved for go in; out comes the accepted URL with its
//! report, or the SQLite fallback chosen for it with the reason, or strict
//! mode's refusal. The derive's field, [`UrlOptions`](crate::UrlOptions)
//! and serde's and clap's loaders all come through here; the pool's
//! rotation path re-runs the same layers on a new secret ([`check`]).
//!
//! What is not the URL's (the pool's options and settings, the replica,
//! the secret file to follow) the caller adds to what comes out.

use std::path::PathBuf;

use crate::Backend;
use crate::resolution::{
    Absence, FallbackReason, Location, Normalization, Origin, ReadError, Rejection, Resolution,
    Warning,
};
use crate::settings_error::{Problem, ProblemKind};
use crate::source::{self, Source};
use crate::url::fallback::{self, Choice, Places};
use crate::url::{Accepted, Refusal, check};

/// The variable that turns strict mode on for every URL field.
pub const STRICT_VAR: &str = "DBSETTINGS_STRICT";

/// The raw value, or why there is none; where it came from; for a `_FILE`
/// secret, the file.
pub(crate) struct Raw {
    pub(crate) value: Result<String, FallbackReason>,
    pub(crate) origin: Origin,
    pub(crate) file: Option<PathBuf>,
}

/// What a value is resolved for, besides the value.
/// A check of the URL's pool settings against the others.
pub(crate) type PoolRules<'a> = dyn Fn(&crate::url::params::UrlSettings) -> Option<Rejection> + 'a;

pub(crate) struct Request<'a> {
    /// The name in messages, the resolution and logs.
    pub(crate) name: &'a str,
    /// The variable whose `NAME=` prefix a pasted value may carry.
    pub(crate) prefix_var: &'a str,
    /// The `fallback` attribute (or option): an SQLite URL.
    pub(crate) fallback: Option<&'a str>,
    /// Refuse the fallback (`DBSETTINGS_STRICT` in the source also does).
    pub(crate) strict: bool,
    /// Where switches, `DBSETTINGS_DATA_DIR` and libpq's defaults are read.
    pub(crate) source: &'a dyn Source,
    /// The directories the fallback candidates are built from.
    pub(crate) places: &'a Places,
    /// Checks the URL's pool settings against the others (attributes,
    /// overrides) by the pool's rules: a broken one rejects the URL.
    pub(crate) pool_rules: Option<&'a PoolRules<'a>>,
}

/// A value that passed every layer.
pub(crate) struct AcceptedUrl<'a> {
    pub(crate) accepted: Accepted,
    pub(crate) origin: Origin,
    pub(crate) normalizations: Vec<Normalization>,
    /// The source's warnings (non-UTF-8 switches, ...); the URL's own are
    /// in `accepted`.
    pub(crate) warnings: Vec<Warning>,
    /// For a `_FILE` secret, the file.
    pub(crate) file: Option<PathBuf>,
    attribute: Option<Location>,
    data_dir: Option<String>,
    places: &'a Places,
}

impl AcceptedUrl<'_> {
    /// The SQLite fallback this URL would switch to when its server cannot
    /// be reached (`on_unreachable = "fallback"`), chosen now like any
    /// other: the pool never re-runs resolution.
    pub(crate) fn fallback_choice(&self) -> Choice {
        fallback::choose(
            self.attribute.as_ref(),
            self.data_dir.as_deref(),
            self.places,
        )
    }
}

/// The SQLite fallback chosen for an unusable value, with its report.
pub(crate) struct FallbackUrl {
    pub(crate) url: String,
    pub(crate) resolution: Resolution,
}

/// What became of a value.
pub(crate) enum Resolved<'a> {
    Accepted(Box<AcceptedUrl<'a>>),
    Fallback(Box<FallbackUrl>),
}

/// Why no URL came out.
pub(crate) enum Stopped {
    /// Strict mode (or the absence of an SQLite driver) refuses the
    /// fallback the value would need; logged already.
    Refused {
        reason: FallbackReason,
        strict: bool,
    },
    /// `DBSETTINGS_STRICT` holds a value that is not a switch: fails closed.
    Switch(Problem),
}

impl Stopped {
    /// The problem to report for the variable `var`.
    pub(crate) fn into_problem(self, var: &str) -> Problem {
        match self {
            Self::Refused {
                reason,
                strict: true,
            } => Problem::new(var, ProblemKind::FallbackRefused { reason }),
            Self::Refused { reason, .. } => Problem::new(var, ProblemKind::NoFallback { reason }),
            Self::Switch(p) => p,
        }
    }
}

/// The layers on `raw`, then the fallback (or strict mode's refusal).
pub(crate) fn resolve<'a>(raw: Raw, request: &Request<'a>) -> Result<Resolved<'a>, Stopped> {
    let Raw {
        value,
        origin,
        file,
    } = raw;
    let source = request.source;
    // A safety switch with a value it does not know fails closed: the
    // settings do not load, and the error names it.
    let strict_switch = source::switch(source, STRICT_VAR).map_err(Stopped::Switch)?;
    let strict = request.strict || strict_switch;
    let mut warnings = Vec::new();
    let data_dir = source::global_text(source, fallback::DATA_DIR_VAR, &mut warnings);
    let attribute = attribute_location(request.fallback);

    // A value read from a `_FILE` secret is the file variable's to fix.
    let supplied_by = match &origin {
        Origin::File { file_var, .. } => file_var.clone(),
        _ => request.name.to_owned(),
    };
    let mut normalizations = Vec::new();
    let reason = match value {
        Err(reason) => reason,
        Ok(raw) => {
            let checked = check(&raw, request.prefix_var, request.places, source);
            normalizations = checked.normalizations;
            match checked.outcome {
                // Strict mode accepts no missing protection.
                Ok(accepted)
                    if let Some(rejection) = downgrade(&accepted.warnings).filter(|_| strict) =>
                {
                    FallbackReason::Rejected {
                        var: supplied_by,
                        rejection,
                    }
                }
                Ok(accepted)
                    if let Some(rejection) = request
                        .pool_rules
                        .and_then(|check| check(&accepted.settings)) =>
                {
                    FallbackReason::Rejected {
                        var: supplied_by,
                        rejection,
                    }
                }
                Ok(accepted) => {
                    return Ok(Resolved::Accepted(Box::new(AcceptedUrl {
                        accepted,
                        origin,
                        normalizations,
                        warnings,
                        file,
                        attribute,
                        data_dir,
                        places: request.places,
                    })));
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

    if strict || !Backend::Sqlite.is_compiled_in() {
        crate::log::refused(request.name, &reason, &normalizations, strict);
        return Err(Stopped::Refused { reason, strict });
    }
    let choice = fallback::choose(attribute.as_ref(), data_dir.as_deref(), request.places);
    let resolution = Resolution::fallback(
        reason,
        normalizations,
        warnings,
        choice.location,
        choice.candidates,
    );
    Ok(Resolved::Fallback(Box::new(FallbackUrl {
        url: choice.url,
        resolution,
    })))
}

/// A value named by an attribute's variable (`replica`, `direct_url`),
/// through the same layers (and `_FILE`), that must be PostgreSQL:
/// `Ok(None)` when unset, `Err` with the variable's name when it is
/// unusable (never a fallback).
pub(crate) fn resolve_side(
    var: &str,
    source: &dyn Source,
    places: &Places,
) -> Result<Option<Accepted>, String> {
    let shown = source.name(var);
    let raw = match source::lookup(source, &[var]) {
        source::Lookup::Found(found) => found.value,
        source::Lookup::Absent => return Ok(None),
        source::Lookup::Problem(_) => return Err(shown),
    };
    match check(&raw, &shown, places, source).outcome {
        Ok(a) if a.backend == Backend::Postgres => Ok(Some(a)),
        _ => Err(shown),
    }
}

/// The first warning of a missing protection, as strict mode's rejection.
fn downgrade(warnings: &[Warning]) -> Option<Rejection> {
    warnings.iter().find_map(|w| match w {
        Warning::Downgrade { parameter, missing } => Some(Rejection::ParameterRefused {
            parameter: parameter.clone(),
            why: missing,
            hint: "strict mode refuses a connection without it; remove the parameter to accept that",
        }),
        _ => None,
    })
}

/// Where the `fallback` attribute puts the database (`None` without one,
/// or when it is not an SQLite URL): a relative path stays relative, for
/// the fallback order to place it.
pub(crate) fn attribute_location(fallback: Option<&str>) -> Option<Location> {
    let f = fallback?;
    match check(f, "", &Places::default(), &source::Vars::default()).outcome {
        Ok(a) if a.backend == Backend::Sqlite => a.location,
        _ => None,
    }
}

/// A value that could not be read, as the fallback's reason: the problem
/// the lookup reported for `var`.
pub(crate) fn unreadable(problem: &Problem) -> FallbackReason {
    let why = match problem.kind() {
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
    };
    FallbackReason::Unreadable {
        var: problem.var().to_owned(),
        why,
    }
}

/// No value was set for `var`.
pub(crate) fn unset(var: &str) -> FallbackReason {
    FallbackReason::Missing {
        var: var.to_owned(),
        absence: Absence::Unset,
    }
}
