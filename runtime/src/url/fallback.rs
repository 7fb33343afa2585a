//! Choosing where the fallback SQLite database lives: the first candidate
//! that passes a real test write wins, and every candidate tried is reported.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::resolution::{Candidate, CandidateKind, Location, Skip};

/// The variable that overrides the fallback's data directory.
pub const DATA_DIR_VAR: &str = "DBSETTINGS_DATA_DIR";

/// The file name used when the `fallback` attribute names none.
pub(crate) const DEFAULT_FILE: &str = "app.db";

/// What resolution reads from the machine, injectable for tests: the
/// directories the fallback candidates are built from, the working
/// directory relative SQLite paths are resolved against, and libpq's
/// default socket directories; the real ones outside tests. `default()` is
/// none of them (relative paths stay relative).
#[derive(Debug, Clone, Default)]
pub(crate) struct Places {
    /// Persistent storage on Hugging Face Spaces: `/data`.
    pub(crate) persistent: PathBuf,
    /// The working directory, which relative paths are resolved against.
    pub(crate) cwd: PathBuf,
    /// The OS temp directory.
    pub(crate) temp: PathBuf,
    /// libpq's default Unix socket directories, for a PostgreSQL URL with
    /// no host.
    pub(crate) sockets: Vec<PathBuf>,
}

impl Places {
    pub(crate) fn system() -> Self {
        Self {
            persistent: PathBuf::from("/data"),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            temp: std::env::temp_dir(),
            sockets: crate::url::normalise::DEFAULT_SOCKET_DIRS
                .iter()
                .map(PathBuf::from)
                .collect(),
        }
    }
}

/// The fallback chosen: its URL, and every candidate tried in order.
#[derive(Debug)]
pub(crate) struct Choice {
    pub(crate) url: String,
    pub(crate) location: Location,
    pub(crate) candidates: Vec<Candidate>,
}

/// Tries the candidates in DESIGN's order. An absolute path (or memory) in
/// the `fallback` attribute is explicit and comes first, as given.
/// Otherwise: the data-dir variable (an operator's word beats the code's),
/// `/data` when present (persistent storage on Hugging Face Spaces), each
/// holding the attribute's file name (`app.db` without one); then the
/// attribute's relative path against the working directory, `./data`, the
/// temp directory, and last memory.
pub(crate) fn choose(
    attribute: Option<&Location>,
    data_dir: Option<&str>,
    places: &Places,
) -> Choice {
    if let Some(Location::Memory) = attribute {
        return Choice {
            url: "sqlite::memory:".to_owned(),
            location: Location::Memory,
            candidates: vec![Candidate {
                kind: CandidateKind::Attribute,
                location: Location::Memory,
                skipped: None,
            }],
        };
    }
    let file = match attribute {
        Some(Location::File(p)) => p.file_name().map(PathBuf::from),
        _ => None,
    }
    .unwrap_or_else(|| PathBuf::from(DEFAULT_FILE));

    let mut plan: Vec<(CandidateKind, PathBuf)> = Vec::new();
    let relative = match attribute {
        Some(Location::File(p)) if p.is_absolute() => {
            plan.push((CandidateKind::Attribute, p.clone()));
            None
        }
        Some(Location::File(p)) => Some(places.cwd.join(p)),
        _ => None,
    };
    if let Some(dir) = data_dir {
        plan.push((CandidateKind::DataDirVar, places.cwd.join(dir).join(&file)));
    }
    plan.push((CandidateKind::PersistentData, places.persistent.join(&file)));
    if let Some(p) = relative {
        plan.push((CandidateKind::Attribute, p));
    }
    plan.push((
        CandidateKind::WorkingDir,
        places.cwd.join("data").join(&file),
    ));
    plan.push((
        CandidateKind::TempDir,
        places.temp.join("dbsettings").join(&file),
    ));

    let mut candidates: Vec<Candidate> = Vec::new();
    for (kind, path) in plan {
        if candidates
            .iter()
            .any(|c| c.location == Location::File(path.clone()))
        {
            continue;
        }
        let skipped = if kind == CandidateKind::PersistentData && !places.persistent.is_dir() {
            Some(Skip::NotPresent)
        } else {
            test_write(&path).err()
        };
        let chosen = skipped.is_none();
        candidates.push(Candidate {
            kind,
            location: Location::File(path.clone()),
            skipped,
        });
        if chosen {
            return Choice {
                url: file_url(&path),
                location: Location::File(path),
                candidates,
            };
        }
    }
    candidates.push(Candidate {
        kind: CandidateKind::Memory,
        location: Location::Memory,
        skipped: None,
    });
    Choice {
        url: "sqlite::memory:".to_owned(),
        location: Location::Memory,
        candidates,
    }
}

/// A real test write: the parent directories are created, an existing
/// database file must open for writing, and a probe database beside it
/// (same directory, same file system) must bootstrap as the pool will: WAL
/// mode, its `-wal` and `-shm` files, and a write of several pages. A nearly
/// full volume passes a plain file write and then fails every query with
/// `disk I/O error`; this catches it here, so the next candidate is used.
fn test_write(path: &Path) -> Result<(), Skip> {
    let not_writable = |e: io::Error| Skip::NotWritable { kind: e.kind() };
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(not_writable)?;
    if path.exists() {
        fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(not_writable)?;
    }
    let probe = parent.join(format!(".dbsettings-probe-{}.db", std::process::id()));
    let result = sqlite_probe(&probe);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = probe.clone().into_os_string();
        name.push(suffix);
        let _ = fs::remove_file(name);
    }
    result
}

/// Bootstraps an SQLite database at `probe` on a thread of its own (with
/// its own small runtime: the caller may or may not be inside one).
#[cfg(feature = "sqlite")]
fn sqlite_probe(probe: &Path) -> Result<(), Skip> {
    use sqlx::Connection as _;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};

    let run = || -> Result<(), Skip> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Skip::NotWritable { kind: e.kind() })?;
        runtime
            .block_on(async {
                let options = SqliteConnectOptions::new()
                    .filename(probe)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal);
                let mut conn = SqliteConnection::connect_with(&options).await?;
                let wrote = async {
                    sqlx::query("CREATE TABLE probe (b BLOB)")
                        .execute(&mut conn)
                        .await?;
                    sqlx::query("INSERT INTO probe VALUES (zeroblob(16384))")
                        .execute(&mut conn)
                        .await
                }
                .await;
                let _ = conn.close().await;
                wrote.map(drop)
            })
            .map_err(|e: sqlx::Error| match e {
                sqlx::Error::Io(e) => Skip::NotWritable { kind: e.kind() },
                other => Skip::SqliteFailed {
                    message: match other.as_database_error() {
                        Some(db) => db.message().to_owned(),
                        None => other.to_string(),
                    },
                },
            })
    };
    std::thread::scope(|scope| scope.spawn(run).join()).unwrap_or_else(|_| {
        Err(Skip::SqliteFailed {
            message: "the probe panicked".to_owned(),
        })
    })
}

/// Without the SQLite driver there is no fallback to probe for.
#[cfg(not(feature = "sqlite"))]
#[allow(
    clippy::unnecessary_wraps,
    reason = "the same signature as with SQLite"
)]
fn sqlite_probe(_: &Path) -> Result<(), Skip> {
    Ok(())
}

/// `sqlite://` and the absolute path, percent-encoding what sqlx decodes.
fn file_url(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut url = String::with_capacity(text.len() + 9);
    url.push_str("sqlite://");
    for c in text.chars() {
        match c {
            '%' => url.push_str("%25"),
            '?' => url.push_str("%3F"),
            '#' => url.push_str("%23"),
            c => url.push(c),
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(root: &Path) -> Places {
        Places {
            persistent: root.join("persistent"),
            cwd: root.join("cwd"),
            temp: root.join("tmp"),
            sockets: Vec::new(),
        }
    }

    fn kinds(choice: &Choice) -> Vec<(CandidateKind, bool)> {
        choice
            .candidates
            .iter()
            .map(|c| (c.kind, c.skipped.is_none()))
            .collect()
    }

    #[test]
    fn attribute_path_wins_and_parents_are_created() {
        let root = tempfile::tempdir().unwrap();
        let p = places(root.path());
        let attr = Location::File(p.cwd.join("deep/er/app.db"));
        let choice = choose(Some(&attr), None, &p);
        assert_eq!(choice.location, attr);
        assert!(p.cwd.join("deep/er").is_dir());
        assert_eq!(kinds(&choice), vec![(CandidateKind::Attribute, true)]);
        assert!(choice.url.starts_with("sqlite:///") && choice.url.ends_with("deep/er/app.db"));
    }

    #[test]
    fn candidate_order_skips_unwritable_places() {
        let root = tempfile::tempdir().unwrap();
        let p = places(root.path());
        // A regular file where a directory should be: nothing below it can be
        // created, even by root.
        let blocker = root.path().join("blocker");
        fs::write(&blocker, "not a directory").unwrap();
        let attr = Location::File(blocker.join("app.db"));
        fs::create_dir_all(&p.cwd).unwrap();
        fs::write(p.cwd.join("data"), "not a directory").unwrap();
        let choice = choose(Some(&attr), Some(blocker.join("x").to_str().unwrap()), &p);
        assert_eq!(
            kinds(&choice),
            vec![
                (CandidateKind::Attribute, false),
                (CandidateKind::DataDirVar, false),
                (CandidateKind::PersistentData, false),
                (CandidateKind::WorkingDir, false),
                (CandidateKind::TempDir, true),
            ]
        );
        assert_eq!(choice.candidates[2].skipped, Some(Skip::NotPresent));
        assert_eq!(
            choice.location,
            Location::File(p.temp.join("dbsettings").join("app.db"))
        );
    }

    #[test]
    fn designs_order_with_a_relative_attribute() {
        let root = tempfile::tempdir().unwrap();
        let p = places(root.path());
        let attr = Location::File(PathBuf::from("var/todo.db"));
        // No /data: the attribute's relative path, under the working dir.
        let choice = choose(Some(&attr), None, &p);
        assert_eq!(
            kinds(&choice),
            vec![
                (CandidateKind::PersistentData, false),
                (CandidateKind::Attribute, true)
            ]
        );
        assert_eq!(choice.location, Location::File(p.cwd.join("var/todo.db")));
        // With /data: it wins, holding the attribute's file name.
        fs::create_dir_all(&p.persistent).unwrap();
        let choice = choose(Some(&attr), None, &p);
        assert_eq!(
            choice.location,
            Location::File(p.persistent.join("todo.db"))
        );
        // The data-dir variable beats both.
        let dir = root.path().join("ops");
        let choice = choose(Some(&attr), Some(dir.to_str().unwrap()), &p);
        assert_eq!(choice.location, Location::File(dir.join("todo.db")));
        // An absolute attribute is explicit: first, whatever else is there.
        let abs = Location::File(root.path().join("abs/x.db"));
        let choice = choose(Some(&abs), Some(dir.to_str().unwrap()), &p);
        assert_eq!(choice.location, abs);
    }

    #[test]
    fn persistent_data_is_used_when_present() {
        let root = tempfile::tempdir().unwrap();
        let p = places(root.path());
        fs::create_dir_all(&p.persistent).unwrap();
        let choice = choose(None, None, &p);
        assert_eq!(choice.location, Location::File(p.persistent.join("app.db")));
    }

    #[test]
    fn data_dir_variable_comes_before_persistent_data() {
        let root = tempfile::tempdir().unwrap();
        let p = places(root.path());
        fs::create_dir_all(&p.persistent).unwrap();
        let dir = root.path().join("override");
        let choice = choose(None, Some(dir.to_str().unwrap()), &p);
        assert_eq!(choice.location, Location::File(dir.join("app.db")));
    }

    #[test]
    fn memory_is_the_last_resort() {
        let root = tempfile::tempdir().unwrap();
        let blocker = root.path().join("blocker");
        fs::write(&blocker, "x").unwrap();
        let p = Places {
            persistent: blocker.join("p"),
            cwd: blocker.join("c"),
            temp: blocker.join("t"),
            sockets: Vec::new(),
        };
        let choice = choose(None, None, &p);
        assert_eq!(choice.location, Location::Memory);
        assert_eq!(choice.url, "sqlite::memory:");
        assert_eq!(
            choice.candidates.last().unwrap().kind,
            CandidateKind::Memory
        );
    }

    #[test]
    fn odd_characters_in_paths_are_encoded() {
        assert_eq!(file_url(Path::new("/a?b#c%d")), "sqlite:///a%3Fb%23c%25d");
    }
}
