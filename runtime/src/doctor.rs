//! The doctor: the resolution step by step, the fallback candidates, and a
//! bounded connect, as text a person reads when a deployment fell back and
//! the first question is "why?". Redacted throughout.

use core::fmt::Write as _;
use std::time::Instant;

use crate::source::Source;
use crate::url::resolution::{FallbackReason, Origin};
use crate::{DatabaseSettings, DatabaseUrl, ProblemKind};

/// What the doctor concluded; [`code`](Verdict::code) is the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The configured database resolves and connects (exit 0).
    Usable,
    /// The URL is missing or unusable: the service runs on the SQLite
    /// fallback (exit 1).
    FallsBack,
    /// Strict mode is on and refuses the fallback: the service would not
    /// start (exit 2).
    StrictRefuses,
    /// The URL is valid but the database cannot be reached now (exit 3).
    Unreachable,
    /// Other settings are missing or invalid (exit 4).
    InvalidSettings,
}

impl Verdict {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Self::Usable => 0,
            Self::FallsBack => 1,
            Self::StrictRefuses => 2,
            Self::Unreachable => 3,
            Self::InvalidSettings => 4,
        }
    }
}

/// The doctor's findings.
#[derive(Debug, Clone)]
pub struct Report {
    /// The text to print.
    pub text: String,
    /// The conclusion.
    pub verdict: Verdict,
}

/// Loads `S` from `source` as a service would, explains every step, then
/// tries a connect bounded by the configured connect timeout.
pub async fn diagnose<S: DatabaseSettings>(source: &dyn Source) -> Report {
    let mut out = String::from("dbsettings doctor\n");
    let settings = match S::from_source(source) {
        Ok(s) => s,
        Err(error) => {
            let strict = error
                .problems()
                .iter()
                .any(|p| matches!(p.kind(), ProblemKind::FallbackRefused { .. }));
            for p in error.problems() {
                let _ = writeln!(out, "  problem: {p}");
            }
            let verdict = if strict {
                Verdict::StrictRefuses
            } else {
                Verdict::InvalidSettings
            };
            let _ = writeln!(
                out,
                "verdict: the service would not start (exit {})",
                verdict.code()
            );
            return Report { text: out, verdict };
        }
    };
    let url = settings.database_url();
    explain(&mut out, url);

    let started = Instant::now();
    let verdict = match url.database().pool().await {
        Ok(pool) => match pool.ping().await {
            Ok(()) => {
                let _ = writeln!(out, "connect: ok in {:?}", started.elapsed());
                if url.is_fallback() {
                    Verdict::FallsBack
                } else {
                    Verdict::Usable
                }
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "connect: the first query failed after {:?}: {}",
                    started.elapsed(),
                    crate::url::redact::Secrets::of_url(url.expose_secret()).scrub(&e.to_string())
                );
                Verdict::Unreachable
            }
        },
        Err(e) => {
            let _ = writeln!(out, "connect: failed after {:?}: {e}", started.elapsed());
            if url.is_fallback() {
                Verdict::FallsBack
            } else {
                Verdict::Unreachable
            }
        }
    };
    let words = match verdict {
        Verdict::Usable => "the configured database is usable",
        Verdict::FallsBack => "the service runs on the SQLite fallback",
        Verdict::Unreachable => "the URL is valid but the database cannot be reached",
        _ => "",
    };
    let _ = writeln!(out, "verdict: {words} (exit {})", verdict.code());
    Report { text: out, verdict }
}

/// The resolution, layer by layer.
fn explain(out: &mut String, url: &DatabaseUrl) {
    let r = url.resolution();
    let source = match r.origin() {
        Origin::Fallback => match r.fallback_reason() {
            Some(FallbackReason::Missing { var, .. }) => format!("`{var}` (no value)"),
            Some(
                FallbackReason::Rejected { var, .. }
                | FallbackReason::Unreadable { var, .. }
                | FallbackReason::Unreachable { var, .. },
            ) => format!("`{var}`"),
            None => "the fallback".to_owned(),
        },
        other => other.to_string(),
    };
    let _ = writeln!(out, "  source: {source}");
    let stopped_at = match r.fallback_reason() {
        // Every layer passed (for `Unreachable`, the connect failed after).
        None | Some(FallbackReason::Unreachable { .. }) => 6,
        Some(FallbackReason::Missing { .. } | FallbackReason::Unreadable { .. }) => 1,
        Some(FallbackReason::Rejected { rejection, .. }) => rejection.layer(),
    };
    let layers = ["presence", "normalisation", "shape", "parse", "driver"];
    for (i, name) in layers.iter().enumerate() {
        let layer = u8::try_from(i + 1).unwrap_or(u8::MAX);
        let status = if layer == 2 && stopped_at > 1 {
            if r.normalizations().is_empty() {
                "nothing to repair".to_owned()
            } else {
                r.normalizations()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        } else if layer < stopped_at {
            "ok".to_owned()
        } else if layer == stopped_at {
            let reason = r
                .fallback_reason()
                .map(ToString::to_string)
                .unwrap_or_default();
            match r.fallback_reason().and_then(FallbackReason::hint) {
                Some(hint) => format!("stopped: {reason}\n      hint: {hint}"),
                None => format!("stopped: {reason}"),
            }
        } else {
            "not reached".to_owned()
        };
        let _ = writeln!(out, "  layer {layer}, {name}: {status}");
    }
    if !r.candidates().is_empty() {
        let _ = writeln!(out, "  fallback candidates:");
        for c in r.candidates() {
            match &c.skipped {
                None => {
                    let _ = writeln!(out, "    {} at {}: chosen", c.kind, c.location);
                }
                Some(skip) => {
                    let _ = writeln!(out, "    {} at {}: skipped, {skip}", c.kind, c.location);
                }
            }
        }
    }
    for w in r.warnings() {
        let _ = writeln!(out, "  warning: {w}");
    }
    let _ = writeln!(out, "  result: {} {url}", url.backend());
}
