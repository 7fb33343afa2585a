//! The repairs applied to a raw value.

use core::fmt;
use std::path::PathBuf;

/// A repair applied to the raw value before it was validated (layer 2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Normalization {
    /// White space around the value removed.
    Trimmed,
    /// One pair of matching surrounding quotes removed.
    Unquoted,
    /// The variable's own `NAME=` (or `export NAME=`) prefix removed.
    VariablePrefix,
    /// An upper-case scheme lower-cased.
    SchemeLowercased,
    /// A SQLAlchemy `+driver` suffix removed from the scheme.
    DriverSuffix {
        /// The driver named, such as `asyncpg`.
        driver: String,
    },
    /// `sqlite3:` rewritten to `sqlite:`.
    SqliteSchemeAlias,
    /// `sqlite://:memory:` (or SQLAlchemy's `sqlite://`) rewritten to `sqlite::memory:`.
    SqliteMemory,
    /// A SQLAlchemy SQLite path (`sqlite:///./x.db`, or any path after a
    /// `+driver` scheme) rewritten to sqlx's meaning.
    SqlAlchemyPath {
        /// Whether the path is relative to the working directory.
        relative: bool,
    },
    /// A Python-only SQLite parameter (such as `check_same_thread`) dropped.
    DroppedParameter {
        /// The parameter's name.
        name: String,
    },
    /// An empty host with a `host=` socket parameter (Cloud SQL, libpq)
    /// given `localhost` so the URL parses; the socket still wins.
    SocketHost,
    /// A PostgreSQL URL with no host and no `host=` (`postgresql:///db`):
    /// libpq's default Unix socket, in the first of its default directories
    /// that holds the server's socket (or, with none, that exists).
    DefaultSocket {
        /// The socket directory used.
        dir: PathBuf,
    },
}

impl Normalization {
    /// Whether this repair deserves a warning rather than a note.
    #[must_use]
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Self::VariablePrefix | Self::DroppedParameter { .. } | Self::SqlAlchemyPath { .. }
        )
    }
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Trimmed => f.write_str("removed surrounding white space"),
            Self::Unquoted => f.write_str("removed surrounding quotes"),
            Self::VariablePrefix => f.write_str("removed the variable's own `NAME=` prefix"),
            Self::SchemeLowercased => f.write_str("lower-cased the scheme"),
            Self::DriverSuffix { driver } => {
                write!(f, "removed the SQLAlchemy driver suffix `+{driver}`")
            }
            Self::SqliteSchemeAlias => f.write_str("rewrote `sqlite3:` as `sqlite:`"),
            Self::SqliteMemory => f.write_str("rewrote the in-memory form as `sqlite::memory:`"),
            Self::SqlAlchemyPath { relative: true } => f.write_str(
                "read the SQLite path with SQLAlchemy's rules: relative to the working directory",
            ),
            Self::SqlAlchemyPath { relative: false } => {
                f.write_str("read the SQLite path with SQLAlchemy's rules: absolute")
            }
            Self::DroppedParameter { name } => {
                write!(
                    f,
                    "dropped the Python-only parameter `{name}`, which sqlx does not know"
                )
            }
            Self::SocketHost => {
                f.write_str("filled the empty host so the `host=` socket parameter can be used")
            }
            Self::DefaultSocket { dir } => write!(
                f,
                "no host given: using libpq's default Unix socket in {}",
                dir.display()
            ),
        }
    }
}
