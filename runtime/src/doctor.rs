//! The doctor: the resolution step by step, the fallback candidates, and a
//! bounded connect, as text a person reads when a deployment fell back and
//! the first question is "why?", and (feature `serde`) as JSON a deploy
//! script or a health dashboard reads. Redacted throughout.

use core::fmt::Write as _;
use core::time::Duration;
use std::time::Instant;

use crate::resolution::{FallbackReason, Origin, Resolution};
use crate::settings_error::{Problem, ProblemKind};
use crate::source::Source;
use crate::{Backend, DatabaseErrorKind, DatabaseSettings, DatabaseUrl};

/// What the doctor concluded; [`code`](Verdict::code) is the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
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

/// The doctor's findings. `text` is for people; with the `serde` feature
/// the report serializes (without `text`) for programs:
///
/// ```json
/// {"verdict": "falls_back", "exit_code": 1, "url": "sqlite:///srv/data/app.db",
///  "backend": "sqlite", "fallback": true,
///  "layers": [{"number": 1, "name": "presence", "outcome": "passed", ...}, ...],
///  "resolution": {"origin": {...}, "fallback_reason": {...}, ...},
///  "connect": {"ok": true, "elapsed_ms": 3.1, "error": null, "error_kind": null},
///  "problems": []}
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The text to print.
    pub text: String,
    /// The conclusion.
    pub verdict: Verdict,
    /// The URL in use, redacted; `None` when the settings did not load.
    pub url: Option<String>,
    /// The backend in use; `None` when the settings did not load.
    pub backend: Option<Backend>,
    /// How the URL was obtained; `None` when the settings did not load.
    pub resolution: Option<Resolution>,
    /// The five layers, each passed, stopped or not reached.
    pub layers: Vec<Layer>,
    /// The bounded connect; `None` when the settings did not load.
    pub connect: Option<Connect>,
    /// Why the settings did not load (strict mode's refusal among them).
    pub problems: Vec<Problem>,
}

/// One layer of the resolution, as the doctor saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Layer {
    /// 1 to 5.
    pub number: u8,
    /// `presence`, `normalisation`, `shape`, `parse`, `driver`.
    pub name: &'static str,
    /// What happened there.
    pub outcome: LayerOutcome,
    /// The repairs of layer 2, or why the value stopped here.
    pub detail: Option<String>,
    /// What to do, for the layer that stopped the value.
    pub hint: Option<String>,
}

/// What happened at a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum LayerOutcome {
    /// The value passed.
    Passed,
    /// The value stopped here: it was missing, unreadable or rejected.
    Stopped,
    /// An earlier layer stopped the value.
    NotReached,
}

/// The bounded connect the doctor tried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connect {
    /// Whether the pool was built and answered a ping.
    pub ok: bool,
    /// How long it took.
    pub elapsed: Duration,
    /// What went wrong, redacted.
    pub error: Option<String>,
    /// The kind of failure, when the pool could not be built.
    pub error_kind: Option<DatabaseErrorKind>,
}

/// The layers' names, in order.
const LAYERS: [&str; 5] = ["presence", "normalisation", "shape", "parse", "driver"];

/// Loads `S` from `source` as a service would, explains every step, then
/// tries a connect bounded by the configured connect timeout.
pub async fn diagnose<S: DatabaseSettings>(source: &dyn Source) -> Report {
    let settings = match S::from_source(source) {
        Ok(s) => s,
        Err(error) => {
            let strict = error
                .problems()
                .iter()
                .any(|p| matches!(p.kind(), ProblemKind::FallbackRefused { .. }));
            let verdict = if strict {
                Verdict::StrictRefuses
            } else {
                Verdict::InvalidSettings
            };
            let mut report = Report {
                text: String::new(),
                verdict,
                url: None,
                backend: None,
                resolution: None,
                layers: Vec::new(),
                connect: None,
                problems: error.problems().to_vec(),
            };
            report.text = render(&report, None);
            return report;
        }
    };
    let url = settings.database_url();
    // As configured: an `on_unreachable` switch during the connect shows in
    // the verdict, not in the explanation of how the URL was chosen.
    let resolution = url.resolution().clone();
    let source_line = source_line(&resolution);
    let redacted = url.redacted_url().to_owned();
    let backend = url.backend();
    let (connect, verdict) = connect(url).await;
    let mut report = Report {
        text: String::new(),
        verdict,
        url: Some(redacted),
        backend: Some(backend),
        layers: layers(&resolution),
        resolution: Some(resolution),
        connect: Some(connect),
        problems: Vec::new(),
    };
    report.text = render(&report, Some(&source_line));
    report
}

/// A bounded connect and a first query, and what they say of the URL.
async fn connect(url: &DatabaseUrl) -> (Connect, Verdict) {
    let started = Instant::now();
    match url.database().pool().await {
        Ok(pool) => match pool.ping().await {
            Ok(()) => {
                let verdict = if url.is_fallback() {
                    Verdict::FallsBack
                } else {
                    Verdict::Usable
                };
                (
                    Connect {
                        ok: true,
                        elapsed: started.elapsed(),
                        error: None,
                        error_kind: None,
                    },
                    verdict,
                )
            }
            Err(e) => (
                Connect {
                    ok: false,
                    elapsed: started.elapsed(),
                    error: Some(format!(
                        "the first query failed: {}",
                        crate::url::redact::Secrets::of_url(url.expose_secret())
                            .scrub(&e.to_string())
                    )),
                    error_kind: None,
                },
                Verdict::Unreachable,
            ),
        },
        Err(e) => {
            let verdict = if url.is_fallback() {
                Verdict::FallsBack
            } else {
                Verdict::Unreachable
            };
            (
                Connect {
                    ok: false,
                    elapsed: started.elapsed(),
                    error: Some(e.to_string()),
                    error_kind: Some(e.kind()),
                },
                verdict,
            )
        }
    }
}

/// Where the value came from, for the `source:` line.
fn source_line(r: &Resolution) -> String {
    match r.origin() {
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
    }
}

/// The resolution, layer by layer.
fn layers(r: &Resolution) -> Vec<Layer> {
    let stopped_at = match r.fallback_reason() {
        // Every layer passed (for `Unreachable`, the connect failed after).
        None | Some(FallbackReason::Unreachable { .. }) => 6,
        Some(FallbackReason::Missing { .. } | FallbackReason::Unreadable { .. }) => 1,
        Some(FallbackReason::Rejected { rejection, .. }) => rejection.layer(),
    };
    (1u8..)
        .zip(LAYERS)
        .map(|(number, name)| {
            let (outcome, detail, hint) = if number == 2 && stopped_at > 1 {
                let repairs = if r.normalizations().is_empty() {
                    "nothing to repair".to_owned()
                } else {
                    r.normalizations()
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                (LayerOutcome::Passed, Some(repairs), None)
            } else if number < stopped_at {
                (LayerOutcome::Passed, None, None)
            } else if number == stopped_at {
                let reason = r.fallback_reason();
                (
                    LayerOutcome::Stopped,
                    reason.map(ToString::to_string),
                    reason.and_then(FallbackReason::hint),
                )
            } else {
                (LayerOutcome::NotReached, None, None)
            };
            Layer {
                number,
                name,
                outcome,
                detail,
                hint,
            }
        })
        .collect()
}

/// The text for people.
fn render(report: &Report, source: Option<&str>) -> String {
    let mut out = String::from("dbsettings doctor\n");
    for p in &report.problems {
        let _ = writeln!(out, "  problem: {p}");
    }
    if let Some(source) = source {
        let _ = writeln!(out, "  source: {source}");
    }
    for layer in &report.layers {
        let status = match (layer.outcome, &layer.detail) {
            (LayerOutcome::Passed, Some(repairs)) => repairs.clone(),
            (LayerOutcome::Passed, None) => "ok".to_owned(),
            (LayerOutcome::Stopped, detail) => {
                let reason = detail.as_deref().unwrap_or_default();
                match &layer.hint {
                    Some(hint) => format!("stopped: {reason}\n      hint: {hint}"),
                    None => format!("stopped: {reason}"),
                }
            }
            (_, _) => "not reached".to_owned(),
        };
        let _ = writeln!(out, "  layer {}, {}: {status}", layer.number, layer.name);
    }
    if let Some(r) = &report.resolution {
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
    }
    if let (Some(backend), Some(url)) = (report.backend, &report.url) {
        let _ = writeln!(out, "  result: {backend} {url}");
    }
    if let Some(c) = &report.connect {
        let _ = match &c.error {
            None => writeln!(out, "connect: ok in {:?}", c.elapsed),
            Some(e) => writeln!(out, "connect: failed after {:?}: {e}", c.elapsed),
        };
    }
    let words = match report.verdict {
        Verdict::Usable => "the configured database is usable",
        Verdict::FallsBack => "the service runs on the SQLite fallback",
        Verdict::Unreachable => "the URL is valid but the database cannot be reached",
        Verdict::StrictRefuses | Verdict::InvalidSettings => "the service would not start",
    };
    let _ = writeln!(out, "verdict: {words} (exit {})", report.verdict.code());
    out
}

#[cfg(feature = "serde")]
mod json {
    use serde::ser::{Serialize, SerializeStruct, Serializer};

    use super::{Connect, Report};

    /// Everything but `text`, with the exit code beside the verdict.
    impl Serialize for Report {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let problems: Vec<_> = self
                .problems
                .iter()
                .map(|p| Problem {
                    var: p.var(),
                    message: p.to_string(),
                })
                .collect();
            let mut st = s.serialize_struct("Report", 9)?;
            st.serialize_field("verdict", &self.verdict)?;
            st.serialize_field("exit_code", &self.verdict.code())?;
            st.serialize_field("url", &self.url)?;
            st.serialize_field("backend", &self.backend.map(crate::Backend::name))?;
            st.serialize_field("fallback", &self.resolution.as_ref().map(is_fallback))?;
            st.serialize_field("layers", &self.layers)?;
            st.serialize_field("resolution", &self.resolution)?;
            st.serialize_field("connect", &self.connect)?;
            st.serialize_field("problems", &problems)?;
            st.end()
        }
    }

    fn is_fallback(r: &crate::Resolution) -> bool {
        r.origin() == &crate::resolution::Origin::Fallback
    }

    #[derive(serde::Serialize)]
    struct Problem<'a> {
        var: &'a str,
        message: String,
    }

    /// `elapsed` in milliseconds.
    impl Serialize for Connect {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("Connect", 4)?;
            st.serialize_field("ok", &self.ok)?;
            st.serialize_field("elapsed_ms", &(self.elapsed.as_secs_f64() * 1000.0))?;
            st.serialize_field("error", &self.error)?;
            st.serialize_field(
                "error_kind",
                &self.error_kind.map(crate::DatabaseErrorKind::name),
            )?;
            st.end()
        }
    }
}
