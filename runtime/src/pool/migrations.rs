//! Where a pool's migrations come from: embedded in the binary by the
//! derive's `migrations` attribute, or a directory named at run time by
//! `DATABASE_MIGRATIONS` (migrations shipped beside the binary). Either way
//! sqlx's `Migrator` runs them, with the checksums sqlx computes, so an
//! embedded migration and the same file read at run time agree.

use core::fmt;
use std::borrow::Cow;
use std::path::PathBuf;

use sqlx::SqlSafeStr as _;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Backend;

/// Where the migrations run on the first pool build come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Migrations {
    /// Embedded in the binary at compile time from the `migrations`
    /// attribute's directory, resolved against the deriving crate's
    /// `CARGO_MANIFEST_DIR`: the binary needs no source tree.
    Embedded(&'static EmbeddedMigrations),
    /// A directory read when the pool is built, named by the override
    /// variable (`DATABASE_MIGRATIONS`): for migrations shipped beside the
    /// binary. A relative path is relative to the working directory.
    Directory {
        /// The directory, holding `postgres/`, `mysql/` and `sqlite/`.
        path: PathBuf,
        /// The variable that named it.
        var: String,
    },
}

impl fmt::Display for Migrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Embedded(e) => write!(f, "embedded from {}", e.dir),
            Self::Directory { path, var } => write!(f, "{} (from `{var}`)", path.display()),
        }
    }
}

/// The migrations the derive embedded: one list per backend whose
/// sub-directory existed when the crate was built.
///
/// Built by generated code; read it through its methods.
#[derive(Debug, PartialEq, Eq)]
pub struct EmbeddedMigrations {
    /// Used by generated code, not public API.
    #[doc(hidden)]
    pub dir: &'static str,
    /// Used by generated code, not public API.
    #[doc(hidden)]
    pub postgres: Option<&'static [EmbeddedMigration]>,
    /// Used by generated code, not public API.
    #[doc(hidden)]
    pub mysql: Option<&'static [EmbeddedMigration]>,
    /// Used by generated code, not public API.
    #[doc(hidden)]
    pub sqlite: Option<&'static [EmbeddedMigration]>,
}

/// One embedded migration file.
#[derive(Debug, PartialEq, Eq)]
pub struct EmbeddedMigration {
    /// Used by generated code, not public API.
    #[doc(hidden)]
    pub file: &'static str,
    /// Used by generated code, not public API.
    #[doc(hidden)]
    pub version: i64,
    /// Used by generated code, not public API.
    #[doc(hidden)]
    pub description: &'static str,
    /// Used by generated code, not public API.
    #[doc(hidden)]
    pub sql: &'static str,
}

impl EmbeddedMigrations {
    /// The directory as the attribute names it, relative to the deriving
    /// crate's `Cargo.toml`.
    #[must_use]
    pub fn dir(&self) -> &'static str {
        self.dir
    }

    /// The migrations of `backend`, in version order; `None` when its
    /// sub-directory did not exist at build time.
    #[must_use]
    pub fn of(&self, backend: Backend) -> Option<&'static [EmbeddedMigration]> {
        match backend {
            Backend::Postgres => self.postgres,
            Backend::MySql => self.mysql,
            Backend::Sqlite => self.sqlite,
        }
    }

    /// sqlx's `Migrator` for `backend`, as `Migrator::new` would build it
    /// from the same files.
    #[must_use]
    pub fn migrator(&self, backend: Backend) -> Option<Migrator> {
        let list = self.of(backend)?;
        Some(Migrator::with_migrations(
            list.iter().map(EmbeddedMigration::to_sqlx).collect(),
        ))
    }
}

impl EmbeddedMigration {
    /// The file name, such as `0001_create_notes.sql`.
    #[must_use]
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The version, from the file name.
    #[must_use]
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The description, from the file name (`_` read as a space).
    #[must_use]
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// The SQL, as the file held it at build time.
    #[must_use]
    pub fn sql(&self) -> &'static str {
        self.sql
    }

    /// The migration as sqlx's directory source would read it: the type
    /// from the file name, the checksum of the text, `-- no-transaction`.
    fn to_sqlx(&self) -> Migration {
        Migration::new(
            self.version,
            Cow::Borrowed(self.description),
            MigrationType::from_filename(self.file),
            self.sql.into_sql_str(),
            self.sql.starts_with("-- no-transaction"),
        )
    }
}
