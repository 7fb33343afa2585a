//! Where a URL came from, and why a value counts as missing.

use core::fmt;
use std::path::PathBuf;

/// Where the URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Origin {
    /// The environment variable `var`.
    Env {
        /// The variable's name (the primary name or an alias).
        var: String,
    },
    /// The file named by `file_var` (Docker and Kubernetes secrets).
    File {
        /// The variable the file stands for, e.g. `DATABASE_URL`.
        var: String,
        /// The variable naming the file, e.g. `DATABASE_URL_FILE`.
        file_var: String,
    },
    /// A `.env` file (feature `dotenv`), for a variable the process
    /// environment did not set.
    DotEnv {
        /// The variable's name.
        var: String,
        /// The file.
        #[cfg_attr(feature = "serde", serde(serialize_with = "super::serde::path"))]
        file: PathBuf,
    },
    /// A value handed to [`DatabaseUrl::from_value`](crate::DatabaseUrl::from_value)
    /// rather than read from a variable: a serde settings struct's field
    /// (figment, config-rs, envy), a command-line flag, a `parse()`.
    Given {
        /// The name the value goes by in messages ([`UrlOptions::var`](crate::UrlOptions::var)).
        name: String,
    },
    /// libpq's `PGHOST`, `PGDATABASE`, ... variables, with no URL set.
    Libpq,
    /// The field's `default` attribute.
    Default,
    /// The SQLite fallback.
    Fallback,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env { var } => write!(f, "environment variable `{var}`"),
            Self::File { file_var, .. } => write!(f, "the file named by `{file_var}`"),
            Self::DotEnv { var, file } => write!(f, "`{var}` in {}", file.display()),
            Self::Given { name } => write!(f, "the value given for `{name}`"),
            Self::Libpq => f.write_str("libpq's PG* variables"),
            Self::Default => f.write_str("the field's default"),
            Self::Fallback => f.write_str("the SQLite fallback"),
        }
    }
}

/// Why the URL was taken as missing (layer 1, presence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Absence {
    /// No variable is set (empty counts as unset).
    Unset,
    /// Only white space, or an empty pair of quotes.
    Blank,
    /// A null token such as `None`, `null` or `undefined`, leaked from a
    /// program that wrote the environment.
    NullToken,
}
