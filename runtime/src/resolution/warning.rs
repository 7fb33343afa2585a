//! Warnings about an accepted URL or its fallback.

use core::fmt;

/// Something worth knowing about an accepted URL or a fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Warning {
    /// The database lives in memory: nothing persists across restarts.
    InMemory,
    /// A query parameter the driver does not know; it is not passed on.
    IgnoredParameter {
        /// The parameter's name, when it is a known name of some client
        /// (libpq, JDBC, Prisma, ...); any other may be part of a pasted
        /// secret, so it is not repeated.
        name: Option<String>,
    },
    /// Query parameters that neither the driver nor any known client uses:
    /// not passed on, and not named (they may be part of a secret).
    UnknownParameters {
        /// How many.
        count: usize,
    },
    /// A variable that was set but is not UTF-8, so it was not used.
    NotUnicode {
        /// The variable.
        var: String,
    },
    /// The `replica` attribute's variable holds no usable PostgreSQL URL:
    /// reads go to the primary's hosts.
    ReplicaUnusable {
        /// The variable.
        var: String,
    },
    /// The `direct_url` attribute's variable holds no usable PostgreSQL
    /// URL: migrations run through the pooled URL.
    DirectUnusable {
        /// The variable.
        var: String,
    },
    /// A parameter asks for a protection sqlx cannot give; the URL is used
    /// without it (providers hand out such URLs), and strict mode refuses
    /// it.
    Downgrade {
        /// The parameter.
        parameter: String,
        /// The protection that is missing.
        missing: &'static str,
    },
    /// sqlx 0.9 reads this variable from the process environment whatever
    /// the source says, and offers no way to unset it: its value applies to
    /// the connection although the source does not hold it.
    AmbientVariable {
        /// The variable.
        var: &'static str,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InMemory => f.write_str(
                "the database is in memory: nothing will persist when the process exits",
            ),
            Self::IgnoredParameter { name: Some(name) } => {
                write!(
                    f,
                    "the driver does not know the parameter `{name}` and ignores it"
                )
            }
            Self::IgnoredParameter { name: None } | Self::UnknownParameters { count: 1 } => {
                f.write_str("the driver does not know a parameter (not named here: it may be part of a secret) and ignores it")
            }
            Self::UnknownParameters { count } => write!(
                f,
                "the driver does not know {count} parameters (not named here: they may be part of a secret) and ignores them"
            ),
            Self::ReplicaUnusable { var } => write!(
                f,
                "`{var}` holds no usable PostgreSQL URL (or cannot be read): reads go to the primary's hosts"
            ),
            Self::Downgrade { parameter, missing } => write!(
                f,
                "the `{parameter}` parameter asks for a protection this connection does not have: {missing}"
            ),
            Self::DirectUnusable { var } => write!(
                f,
                "`{var}` holds no usable PostgreSQL URL (or cannot be read): migrations run through the pooled URL"
            ),
            Self::NotUnicode { var } => {
                write!(f, "`{var}` is set but not UTF-8, so it was not used")
            }
            Self::AmbientVariable { var } => write!(
                f,
                "the process environment sets `{var}`, which sqlx 0.9 applies to every PostgreSQL connection even though this source does not set it"
            ),
        }
    }
}
