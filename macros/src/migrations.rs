//! `migrations = "dir"`: the directory read at expansion, relative to the
//! deriving crate's `CARGO_MANIFEST_DIR` (as `sqlx::migrate!` does), with
//! sqlx's file-name rules. Every file is checked here (a version, UTF-8, one
//! file per version) so a bad one is an error on the attribute; `expand`
//! then embeds each with `include_str!` of its absolute path, so that an
//! edited file rebuilds the crate. A file added to the directory is not seen
//! by cargo: a `build.rs` with `cargo:rerun-if-changed=<dir>` is sqlx's
//! answer, and ours.

use std::path::{Path, PathBuf};

use crate::attr::Sp;
use crate::ctxt::Ctxt;

/// The backends' sub-directories, in the order `EmbeddedMigrations` has them.
pub(crate) const BACKENDS: [&str; 3] = ["postgres", "mysql", "sqlite"];

/// The migrations found: for each backend of [`BACKENDS`], its files, or
/// `None` when its sub-directory does not exist.
pub(crate) struct Embedded {
    /// The directory as the attribute names it.
    pub(crate) dir: String,
    pub(crate) backends: [Option<Vec<File>>; 3],
}

/// One migration file, read as sqlx's directory source reads it.
pub(crate) struct File {
    /// The file name, such as `0001_create_notes.sql`.
    pub(crate) name: String,
    pub(crate) version: i64,
    /// The rest of the name without its suffix, `_` read as a space.
    pub(crate) description: String,
    /// The absolute path, for `include_str!`.
    pub(crate) path: String,
    /// Simple, up, down: sqlx's order among migrations of one version.
    rank: u8,
}

/// Reads the attribute's directory against `CARGO_MANIFEST_DIR`; `None`
/// after reporting why it cannot be embedded.
pub(crate) fn read(cx: &Ctxt, attr: &Sp<String>) -> Option<Embedded> {
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        cx.error(
            attr.span,
            "`migrations` is resolved against CARGO_MANIFEST_DIR, which is not set; build with cargo",
        );
        return None;
    };
    read_from(cx, Path::new(&manifest_dir), attr)
}

/// [`read`] against `base`.
fn read_from(cx: &Ctxt, base: &Path, attr: &Sp<String>) -> Option<Embedded> {
    let dir = &attr.value;
    let root = base.join(dir);
    if !root.is_dir() {
        let what = if root.exists() {
            "is not a directory"
        } else {
            "does not exist"
        };
        cx.error(
            attr.span,
            format_args!(
                "the migrations directory `{dir}` {what}; `migrations` is relative to the crate's Cargo.toml (CARGO_MANIFEST_DIR), as in sqlx::migrate!"
            ),
        );
        return None;
    }
    let backends = BACKENDS.map(|backend| {
        let sub = root.join(backend);
        sub.is_dir().then(|| read_backend(cx, attr, backend, &sub))
    });
    if backends.iter().all(Option::is_none) {
        cx.error(
            attr.span,
            format_args!(
                "the migrations directory `{dir}` has no `postgres`, `mysql` or `sqlite` sub-directory; put each backend's migrations in its own, as in `{dir}/sqlite/0001_create_notes.sql`"
            ),
        );
        return None;
    }
    Some(Embedded {
        dir: dir.clone(),
        backends,
    })
}

/// The files of one backend's sub-directory, sorted as sqlx sorts them.
fn read_backend(cx: &Ctxt, attr: &Sp<String>, backend: &str, sub: &Path) -> Vec<File> {
    let entries = match std::fs::read_dir(sub) {
        Ok(entries) => entries,
        Err(e) => {
            cx.error(
                attr.span,
                format_args!(
                    "cannot read the migrations directory `{}/{backend}`: {e}",
                    attr.value
                ),
            );
            return Vec::new();
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut files: Vec<File> = Vec::new();
    for path in paths {
        let Some(file) = read_file(cx, attr, backend, &path) else {
            continue;
        };
        if let Some(first) = files
            .iter()
            .find(|f| f.version == file.version && f.rank == file.rank)
        {
            cx.error(
                attr.span,
                format_args!(
                    "two migrations in `{}/{backend}` have version {}: `{}` and `{}`; give each its own version",
                    attr.value, file.version, first.name, file.name
                ),
            );
            continue;
        }
        files.push(file);
    }
    files.sort_by_key(|f| (f.version, f.rank));
    files
}

/// One file, when its name is `<VERSION>_<DESCRIPTION>.sql`; other files
/// are skipped, as sqlx skips them. A problem is reported, and `None`.
#[allow(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "sqlx's rule, which decides what it runs"
)]
fn read_file(cx: &Ctxt, attr: &Sp<String>, backend: &str, path: &Path) -> Option<File> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let (version, rest) = name.split_once('_')?;
    if !rest.ends_with(".sql") {
        return None;
    }
    let shown = format!("{}/{backend}/{name}", attr.value);
    let Ok(version) = version.parse::<i64>() else {
        cx.error(
            attr.span,
            format_args!(
                "the migration `{shown}` has no version before its `_`; name it as in `0001_create_notes.sql`"
            ),
        );
        return None;
    };
    match std::fs::read(path) {
        Err(e) => {
            cx.error(
                attr.span,
                format_args!("cannot read the migration `{shown}`: {e}"),
            );
            return None;
        }
        Ok(bytes) => {
            if let Err(e) = std::str::from_utf8(&bytes) {
                cx.error(
                    attr.span,
                    format_args!(
                        "the migration `{shown}` is not UTF-8 (at byte {}); save it as UTF-8",
                        e.valid_up_to()
                    ),
                );
                return None;
            }
        }
    }
    let Some(absolute) = path.to_str() else {
        cx.error(
            attr.span,
            format_args!(
                "the path of the migration `{shown}` is not UTF-8, which include_str! needs"
            ),
        );
        return None;
    };
    // sqlx's `MigrationType::from_filename` and its description rule.
    let (suffix, rank) = if rest.ends_with(".up.sql") {
        (".up.sql", 1)
    } else if rest.ends_with(".down.sql") {
        (".down.sql", 2)
    } else {
        (".sql", 0)
    };
    let mut description = rest;
    while let Some(shorter) = description.strip_suffix(suffix) {
        description = shorter;
    }
    Some(File {
        description: description.replace('_', " "),
        name: name.clone(),
        version,
        path: absolute.to_owned(),
        rank,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn attr(dir: &str) -> Sp<String> {
        Sp {
            value: dir.to_owned(),
            span: Span::call_site(),
        }
    }

    fn errors(cx: Ctxt) -> Vec<String> {
        cx.finish()
            .err()
            .map(|e| e.into_iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }

    fn write(root: &Path, file: &str, content: &[u8]) {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    #[test]
    fn reads_as_sqlx_reads() {
        let root = tempfile::tempdir().unwrap();
        let m = root.path().join("m");
        write(&m, "sqlite/0002_add_index.sql", b"CREATE INDEX i ON t (x);");
        write(&m, "sqlite/0001_create_t.sql", b"CREATE TABLE t (x INT);");
        write(&m, "sqlite/0003_undo_me.up.sql", b"SELECT 1;");
        write(&m, "sqlite/0003_undo_me.down.sql", b"SELECT 2;");
        write(&m, "sqlite/README.md", b"not a migration");
        write(&m, "sqlite/notes.sql", b"no version separator: skipped");
        write(&m, "postgres/0001_create_t.sql", b"CREATE TABLE t (x INT);");
        let cx = Ctxt::new();
        let embedded = read_from(&cx, root.path(), &attr("m")).unwrap();
        assert!(errors(cx).is_empty());
        let [postgres, mysql, sqlite] = &embedded.backends;
        assert_eq!(postgres.as_ref().unwrap().len(), 1);
        assert!(mysql.is_none(), "no mysql/ sub-directory");
        let sqlite: Vec<_> = sqlite
            .as_ref()
            .unwrap()
            .iter()
            .map(|f| (f.version, f.description.as_str(), f.name.as_str()))
            .collect();
        assert_eq!(
            sqlite,
            [
                (1, "create t", "0001_create_t.sql"),
                (2, "add index", "0002_add_index.sql"),
                (3, "undo me", "0003_undo_me.up.sql"),
                (3, "undo me", "0003_undo_me.down.sql"),
            ]
        );
        let first = &embedded.backends[2].as_ref().unwrap()[0];
        assert!(Path::new(&first.path).is_absolute());
        assert!(first.path.ends_with("m/sqlite/0001_create_t.sql"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let root = tempfile::tempdir().unwrap();
        let m = root.path().join("m");
        write(&m, "sqlite/first_create.sql", b"SELECT 1;");
        write(&m, "sqlite/0001_latin1.sql", b"SELECT 'caf\xe9';");
        write(&m, "sqlite/0002_a.sql", b"SELECT 1;");
        write(&m, "sqlite/0002_b.sql", b"SELECT 2;");
        let cx = Ctxt::new();
        assert!(read_from(&cx, root.path(), &attr("m")).is_some());
        let errors = errors(cx);
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors
                .iter()
                .any(|e| e.contains("first_create.sql` has no version"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("0001_latin1.sql` is not UTF-8 (at byte 11)"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("have version 2: `0002_a.sql` and `0002_b.sql`"))
        );
    }

    #[test]
    fn a_missing_or_empty_directory_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let cx = Ctxt::new();
        assert!(read_from(&cx, root.path(), &attr("nowhere")).is_none());
        assert!(errors(cx)[0].contains("`nowhere` does not exist"));

        std::fs::create_dir(root.path().join("empty")).unwrap();
        let cx = Ctxt::new();
        assert!(read_from(&cx, root.path(), &attr("empty")).is_none());
        assert!(errors(cx)[0].contains("has no `postgres`, `mysql` or `sqlite` sub-directory"));
    }
}
