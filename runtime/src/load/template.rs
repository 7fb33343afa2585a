//! The `.env.example` text the derive generates: every variable, its
//! aliases, default, whether it is required, and the field's doc comment.
//! Never a real value: the URL is shown as an example.

use core::fmt::Write as _;

/// How a field appears in the template (used by generated code).
#[derive(Debug, Clone, Copy)]
pub enum TemplateKind {
    /// Required: no default.
    Required,
    /// An `Option`: absent is `None`.
    Optional,
    /// A `default` that is a value as the variable would hold it (a
    /// literal: `7860`, `"info"`, `-1`).
    Default(&'static str),
    /// A `default` that is a Rust expression, not a value
    /// (`IpAddr::V4(Ipv4Addr::UNSPECIFIED)`): shown, not offered as a line
    /// to uncomment.
    DefaultExpr(&'static str),
    /// The database URL, with its `fallback` attribute.
    Url {
        /// The `fallback` attribute.
        fallback: Option<&'static str>,
        /// The `replica` attribute: the variable of a read replica's URL.
        replica: Option<&'static str>,
    },
}

/// An example URL: the shape, never a value.
const EXAMPLE_URL: &str = "postgresql://user:password@localhost:5432/dbname";

/// Writes one field's entry.
pub fn template_entry(
    out: &mut String,
    prefix: &str,
    names: &[&str],
    doc: &[&str],
    kind: TemplateKind,
) {
    let Some((first, aliases)) = names.split_first() else {
        return;
    };
    let name = format!("{prefix}{first}");
    out.push('\n');
    for line in doc.iter().filter(|l| !l.is_empty()) {
        let _ = writeln!(out, "# {line}");
    }
    if !aliases.is_empty() {
        let also: Vec<String> = aliases.iter().map(|a| format!("{prefix}{a}")).collect();
        let _ = writeln!(out, "# Also read from: {}.", also.join(", "));
    }
    let _ = writeln!(
        out,
        "# {name}_FILE may name a file holding the value instead."
    );
    match kind {
        TemplateKind::Required => {
            let _ = writeln!(out, "# Required.\n{name}=");
        }
        TemplateKind::Optional => {
            let _ = writeln!(out, "# Optional.\n# {name}=");
        }
        TemplateKind::Default(d) => {
            let _ = writeln!(out, "# Optional, default: {d}\n# {name}={d}");
        }
        TemplateKind::DefaultExpr(d) => {
            let _ = writeln!(out, "# Optional, default (in Rust): {d}\n# {name}=");
        }
        TemplateKind::Url { fallback, replica } => {
            let place = fallback.unwrap_or("a writable data directory");
            let _ = writeln!(
                out,
                "# Optional: when unset or unusable, SQLite ({place}) is used instead.\n\
                 # postgresql://, mysql:// (or mariadb://) and sqlite: URLs are accepted.\n\
                 {name}={EXAMPLE_URL}"
            );
            if let Some(replica) = replica {
                let _ = writeln!(
                    out,
                    "\n# Optional: a read replica's PostgreSQL URL, for `db.reader()` (unset:\n\
                     # a standby of the URL's hosts, else the primary).\n\
                     # {prefix}{replica}_FILE may name a file holding the value instead.\n\
                     # {prefix}{replica}={EXAMPLE_URL}"
                );
            }
        }
    }
}

/// Writes the header of a nested settings struct's entries.
pub fn template_nested(out: &mut String, field: &str, doc: &[&str]) {
    out.push('\n');
    let _ = writeln!(out, "# --- {field} ---");
    for line in doc.iter().filter(|l| !l.is_empty()) {
        let _ = writeln!(out, "# {line}");
    }
}
