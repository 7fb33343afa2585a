//! Why the fallback was used, and why a value could not be read.

use core::fmt;

use std::io;

use super::{Absence, Rejection};

/// Why the fallback was used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum FallbackReason {
    /// No usable value was set.
    Missing {
        /// The variable (primary name) that was looked up.
        var: String,
        /// How it was missing.
        absence: Absence,
    },
    /// A value was set but rejected.
    Rejected {
        /// The variable that supplied the value.
        var: String,
        /// The layer and rule that rejected it.
        rejection: Rejection,
    },
    /// The value could not be read: a `_FILE` that cannot be read, a value
    /// that is not UTF-8, or both `NAME` and `NAME_FILE` set.
    Unreadable {
        /// The variable at fault.
        var: String,
        /// Why, without the value.
        why: ReadError,
    },
    /// The URL was valid but its database could not be reached, and
    /// `on_unreachable = "fallback"` switched to SQLite (for the life of the
    /// process).
    Unreachable {
        /// The URL variable.
        var: String,
        /// What went wrong.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "error_kind", serialize_with = "super::serde::error_kind")
        )]
        kind: crate::DatabaseErrorKind,
        /// The redacted error.
        error: String,
    },
}

impl FallbackReason {
    /// A hint that says what to do, where one helps.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        match self {
            // No `{var}_FILE` here: a value given to `DatabaseUrl::from_value`
            // (serde, clap) has no file variant.
            Self::Missing { var, .. } => Some(format!(
                "set `{var}` to a postgresql://, mysql:// or sqlite: URL"
            )),
            Self::Rejected { rejection, .. } => rejection.hint(),
            Self::Unreadable { .. } => None,
            Self::Unreachable { .. } => Some(
                "the service stays on SQLite until it restarts; bring the database back, then restart to use it (what was written to SQLite is not moved)".to_owned(),
            ),
        }
    }
}

impl fmt::Display for FallbackReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { var, absence } => match absence {
                Absence::Unset => write!(f, "`{var}` is not set"),
                Absence::Blank => write!(f, "`{var}` is blank"),
                Absence::NullToken => write!(f, "`{var}` holds a null token, not a URL"),
            },
            Self::Rejected { var, rejection } => write!(f, "`{var}` was rejected: {rejection}"),
            Self::Unreadable { var, why } => write!(f, "`{var}` could not be read: {why}"),
            Self::Unreachable { var, error, .. } => {
                write!(f, "the database of `{var}` could not be reached: {error}")
            }
        }
    }
}

/// Why a variable's value could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum ReadError {
    /// The value (or the file's content) is not UTF-8.
    NotUnicode,
    /// Both `NAME` and `NAME_FILE` are set.
    Conflict {
        /// The `_FILE` variable that is also set.
        file_var: String,
    },
    /// The file named by the `_FILE` variable cannot be read.
    File {
        /// Why, as the OS said it.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "io_error", serialize_with = "super::serde::io_kind")
        )]
        kind: io::ErrorKind,
    },
    /// The file is larger than a setting can be.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The path is not a regular file (a FIFO, a device, a directory).
    NotAFile,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotUnicode => f.write_str("not valid UTF-8"),
            Self::Conflict { file_var } => write!(f, "`{file_var}` is set too"),
            Self::File { kind } => write!(f, "the file cannot be read ({kind})"),
            Self::TooLarge { limit } => write!(
                f,
                "the file is larger than {limit} bytes, too large for a setting"
            ),
            Self::NotAFile => f.write_str("the path is not a regular file"),
        }
    }
}
