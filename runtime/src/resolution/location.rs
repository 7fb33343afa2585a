//! Where the SQLite fallback lives, and the places tried.

use core::fmt;

use std::io;
use std::path::PathBuf;

/// Where an SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file, as an absolute path.
    File(PathBuf),
    /// In memory.
    Memory,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Memory => f.write_str("in memory"),
        }
    }
}

/// Which fallback candidate a path came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum CandidateKind {
    /// The `fallback` attribute's path.
    Attribute,
    /// The data-dir override variable (`DBSETTINGS_DATA_DIR`).
    DataDirVar,
    /// `/data`, persistent storage on Hugging Face Spaces.
    PersistentData,
    /// `./data` under the working directory.
    WorkingDir,
    /// The OS temp directory.
    TempDir,
    /// An in-memory database, the last resort.
    Memory,
}

impl fmt::Display for CandidateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Attribute => "the `fallback` attribute",
            Self::DataDirVar => "the data-dir variable",
            Self::PersistentData => "persistent storage /data",
            Self::WorkingDir => "./data",
            Self::TempDir => "the temp directory",
            Self::Memory => "in memory",
        })
    }
}

/// A fallback location that was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Candidate {
    /// Which rule produced it.
    pub kind: CandidateKind,
    /// Where.
    pub location: Location,
    /// `None` when it was chosen; otherwise why it was skipped.
    pub skipped: Option<Skip>,
}

/// Why a fallback candidate was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Skip {
    /// The directory does not exist (for `/data`, which is never created).
    NotPresent,
    /// The test write failed.
    NotWritable {
        /// The OS error kind.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "io_error", serialize_with = "super::serde::io_kind")
        )]
        kind: io::ErrorKind,
    },
    /// A probe database could not be set up there (WAL mode, its `-wal` and
    /// `-shm` files, a write of several pages): a nearly full volume, or a
    /// file system SQLite cannot lock.
    SqliteFailed {
        /// SQLite's message, such as `database or disk is full`.
        message: String,
    },
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPresent => f.write_str("not present"),
            Self::NotWritable { kind } => write!(f, "not writable ({kind})"),
            Self::SqliteFailed { message } => {
                write!(f, "SQLite cannot work there ({message})")
            }
        }
    }
}
