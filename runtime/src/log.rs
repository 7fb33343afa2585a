//! The `tracing` events of resolution, all under the target `dbsettings`.
//! They carry names, reasons and redacted URLs, never a value or password.

use crate::resolution::{FallbackReason, Normalization, Resolution};

/// One event per normalisation and warning, then the decision; `url` is
/// the redacted URL.
pub(crate) fn resolved(var: &str, url: &str, r: &Resolution) {
    normalised(var, r.normalizations());
    for w in r.warnings() {
        tracing::warn!(target: "dbsettings", var, "{w}");
    }
    let location = r.location().map(ToString::to_string);
    match r.fallback_reason() {
        Some(reason) => {
            let hint = reason.hint();
            tracing::warn!(
                target: "dbsettings",
                var,
                hint = hint.as_deref(),
                location = location.as_deref(),
                url = %url,
                "falling back to SQLite: {reason}"
            );
        }
        None => tracing::info!(
            target: "dbsettings",
            var,
            origin = %r.origin(),
            backend = r.backend.name(),
            location = location.as_deref(),
            url = %url,
            "database URL from {}",
            r.origin()
        ),
    }
}

fn normalised(var: &str, notes: &[Normalization]) {
    for n in notes {
        if n.is_warning() {
            tracing::warn!(target: "dbsettings", var, "normalised: {n}");
        } else {
            tracing::info!(target: "dbsettings", var, "normalised: {n}");
        }
    }
}

/// The URL is unusable and no fallback is allowed.
pub(crate) fn refused(var: &str, reason: &FallbackReason, notes: &[Normalization], strict: bool) {
    normalised(var, notes);
    tracing::error!(
        target: "dbsettings",
        var,
        hint = reason.hint().as_deref(),
        strict,
        "no usable database URL and no fallback allowed: {reason}"
    );
}
