//! Where settings come from: the process environment or given pairs, behind
//! one small trait, plus the lookup rules shared by every field (empty means
//! unset, `NAME_FILE` secrets, ordered aliases).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::path::PathBuf;

pub(crate) mod libpq;

use crate::resolution::Origin;
use crate::settings_error::{Problem, ProblemKind};

/// A place to read variables from.
///
/// Implemented by [`Environment`] (the process environment) and [`Vars`]
/// (given pairs, for hermetic tests). Implement it to layer your own sources.
pub trait Source {
    /// The raw value of the variable `name`, or `None` when it is absent.
    fn var(&self, name: &str) -> Option<OsString>;

    /// The name the user sets for `name`: prefixes applied, for messages.
    fn name(&self, name: &str) -> String {
        name.to_owned()
    }

    /// A crate-wide switch such as `DBSETTINGS_STRICT`: never prefixed.
    fn global(&self, name: &str) -> Option<OsString> {
        self.var(name)
    }

    /// The file that supplied `name`, for sources that read files.
    fn file_of(&self, name: &str) -> Option<PathBuf> {
        let _ = name;
        None
    }
}

impl<S: Source + ?Sized> Source for &S {
    fn var(&self, name: &str) -> Option<OsString> {
        (**self).var(name)
    }
    fn name(&self, name: &str) -> String {
        (**self).name(name)
    }
    fn global(&self, name: &str) -> Option<OsString> {
        (**self).global(name)
    }
    fn file_of(&self, name: &str) -> Option<PathBuf> {
        (**self).file_of(name)
    }
}

/// Another source with every name prefixed: how a nested settings struct
/// with `#[settings(nested, prefix = "REPLICA_")]` reads its fields.
/// Prefixes compose when nested settings nest again.
#[derive(Debug, Clone, Copy)]
pub struct Prefixed<'a> {
    inner: &'a dyn Source,
    prefix: &'a str,
}

impl<'a> Prefixed<'a> {
    /// `inner`, with `prefix` in front of every name.
    #[must_use]
    pub fn new(inner: &'a dyn Source, prefix: &'a str) -> Self {
        Self { inner, prefix }
    }
}

impl core::fmt::Debug for dyn Source + '_ {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Source")
    }
}

impl Source for Prefixed<'_> {
    fn var(&self, name: &str) -> Option<OsString> {
        self.inner.var(&format!("{}{name}", self.prefix))
    }
    fn name(&self, name: &str) -> String {
        self.inner.name(&format!("{}{name}", self.prefix))
    }
    fn global(&self, name: &str) -> Option<OsString> {
        self.inner.global(name)
    }
    fn file_of(&self, name: &str) -> Option<PathBuf> {
        self.inner.file_of(&format!("{}{name}", self.prefix))
    }
}

/// The process environment, read with [`std::env::var_os`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Environment;

impl Source for Environment {
    fn var(&self, name: &str) -> Option<OsString> {
        std::env::var_os(name)
    }
}

/// A fixed set of variables: nothing else is visible, not even the process
/// environment. When a name is given twice, the last pair wins.
#[derive(Clone, Default)]
pub struct Vars {
    map: HashMap<String, String>,
}

impl Vars {
    /// Collects the given pairs.
    pub fn new<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        Self {
            map: vars
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
                .collect(),
        }
    }
}

impl core::fmt::Debug for Vars {
    // Names only: values may be secrets.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut names: Vec<&str> = self.map.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Vars").field("names", &names).finish()
    }
}

impl Source for Vars {
    fn var(&self, name: &str) -> Option<OsString> {
        self.map.get(name).map(OsString::from)
    }
}

/// Two sources, the first winning: `Layered::new(Environment, dotenv)`
/// lets the process environment override a `.env` file.
#[derive(Debug, Clone)]
pub struct Layered<A, B> {
    first: A,
    then: B,
}

impl<A: Source, B: Source> Layered<A, B> {
    /// `first`, then `then` for what `first` does not set.
    pub fn new(first: A, then: B) -> Self {
        Self { first, then }
    }
}

impl<A: Source, B: Source> Source for Layered<A, B> {
    fn var(&self, name: &str) -> Option<OsString> {
        self.first.var(name).or_else(|| self.then.var(name))
    }
    fn name(&self, name: &str) -> String {
        self.first.name(name)
    }
    fn global(&self, name: &str) -> Option<OsString> {
        self.first.global(name).or_else(|| self.then.global(name))
    }
    fn file_of(&self, name: &str) -> Option<PathBuf> {
        if self.first.var(name).is_some() {
            self.first.file_of(name)
        } else {
            self.then.file_of(name)
        }
    }
}

/// The variables of a `.env` file, read with dotenvy's iterator: nothing is
/// written to the process environment. A missing file holds nothing.
///
/// dotenvy expands `${VAR}` in values from the process environment.
#[cfg(feature = "dotenv")]
#[derive(Clone)]
pub struct DotEnv {
    path: PathBuf,
    vars: HashMap<String, String>,
}

#[cfg(feature = "dotenv")]
impl DotEnv {
    /// Reads `path`. A missing file is an empty source; a line that does not
    /// parse is an error that names the file and the line, not its text.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, crate::Error> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let mut vars = HashMap::new();
        let iter = match dotenvy::from_path_iter(&path) {
            Ok(iter) => iter,
            Err(e) if e.not_found() => return Ok(Self { path, vars }),
            Err(dotenvy::Error::Io(e)) => {
                return Err(crate::Error::new(vec![Problem::new(
                    &shown,
                    ProblemKind::UnreadableFile { kind: e.kind() },
                )]));
            }
            Err(_) => return Err(dotenv_syntax(&shown, None)),
        };
        for item in iter {
            match item {
                Ok((k, v)) => {
                    vars.insert(k, v);
                }
                Err(dotenvy::Error::LineParse(line, _)) => {
                    let number = std::fs::read_to_string(&path).ok().and_then(|text| {
                        text.lines()
                            .position(|l| l.trim_end() == line.trim_end())
                            .map(|i| i + 1)
                    });
                    return Err(dotenv_syntax(&shown, number));
                }
                Err(_) => return Err(dotenv_syntax(&shown, None)),
            }
        }
        Ok(Self { path, vars })
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The variables the file sets, sorted.
    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

#[cfg(feature = "dotenv")]
fn dotenv_syntax(file: &str, line: Option<usize>) -> crate::Error {
    crate::Error::new(vec![Problem::new(file, ProblemKind::DotEnvSyntax { line })])
}

#[cfg(feature = "dotenv")]
impl core::fmt::Debug for DotEnv {
    // Names only: values may be secrets.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DotEnv")
            .field("path", &self.path)
            .field("names", &self.names())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "dotenv")]
impl Source for DotEnv {
    fn var(&self, name: &str) -> Option<OsString> {
        self.vars.get(name).map(OsString::from)
    }
    fn file_of(&self, name: &str) -> Option<PathBuf> {
        self.vars.contains_key(name).then(|| self.path.clone())
    }
}

/// A value found for one of a field's names.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) value: String,
    pub(crate) origin: Origin,
    /// For a `_FILE` secret, the file.
    pub(crate) file: Option<PathBuf>,
}

impl Found {
    /// The variable whose value (or file) this is, without `_FILE`.
    pub(crate) fn var(&self) -> &str {
        match &self.origin {
            Origin::Env { var } | Origin::File { var, .. } | Origin::DotEnv { var, .. } => var,
            _ => "",
        }
    }
}

/// The outcome of looking a field up under its names.
#[derive(Debug)]
pub(crate) enum Lookup {
    Found(Found),
    Absent,
    Problem(Problem),
}

/// Reads a variable with "empty means unset".
fn non_empty(source: &dyn Source, name: &str) -> Result<Option<String>, Problem> {
    match source.var(name) {
        None => Ok(None),
        Some(raw) if raw.is_empty() => Ok(None),
        Some(raw) => raw
            .into_string()
            .map(Some)
            .map_err(|_| Problem::new(&source.name(name), ProblemKind::NotUnicode)),
    }
}

/// Looks `names` up in order: for each name, `NAME` then `NAME_FILE`; the first
/// name that has a value wins. Both `NAME` and `NAME_FILE` set is a conflict.
pub(crate) fn lookup(source: &dyn Source, names: &[&str]) -> Lookup {
    for &name in names {
        let file_var = format!("{name}_FILE");
        let direct = match non_empty(source, name) {
            Ok(v) => v,
            Err(p) => return Lookup::Problem(p),
        };
        let file = match non_empty(source, &file_var) {
            Ok(v) => v,
            Err(p) => return Lookup::Problem(p),
        };
        match (direct, file) {
            (Some(_), Some(_)) => {
                return Lookup::Problem(Problem::new(
                    &source.name(name),
                    ProblemKind::Conflict {
                        file_var: source.name(&file_var),
                    },
                ));
            }
            (Some(value), None) => {
                let var = source.name(name);
                let origin = match source.file_of(name) {
                    Some(file) => Origin::DotEnv { var, file },
                    None => Origin::Env { var },
                };
                return Lookup::Found(Found {
                    value,
                    origin,
                    file: None,
                });
            }
            (None, Some(path)) => match read_secret_file(&path) {
                Ok(value) if value.is_empty() => {}
                Ok(value) => {
                    return Lookup::Found(Found {
                        file: Some(PathBuf::from(&path)),
                        value,
                        origin: Origin::File {
                            var: source.name(name),
                            file_var: source.name(&file_var),
                        },
                    });
                }
                Err(error) => {
                    let kind = match error {
                        FileError::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                            ProblemKind::NotUnicode
                        }
                        FileError::Io(e) => ProblemKind::UnreadableFile { kind: e.kind() },
                        FileError::NotAFile => ProblemKind::NotAFile,
                        FileError::TooLarge => ProblemKind::FileTooLarge {
                            limit: MAX_FILE_BYTES,
                        },
                    };
                    return Lookup::Problem(Problem::new(&source.name(&file_var), kind));
                }
            },
            (None, None) => {}
        }
    }
    Lookup::Absent
}

/// The most a `_FILE` secret may hold: a URL or a setting, not a megabyte.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Why a `_FILE` secret was not read.
pub(crate) enum FileError {
    Io(io::Error),
    NotAFile,
    TooLarge,
}

/// Reads a Docker or Kubernetes secret file, stripping one trailing newline
/// (`\n` or `\r\n`), as editors and `echo` add one. Only a regular file
/// (a symbolic link to one, as Kubernetes mounts them, is fine) of at most
/// [`MAX_FILE_BYTES`]: a FIFO would block the start, and `/dev/zero` or a
/// log file would exhaust memory.
pub(crate) fn read_secret_file(path: &str) -> Result<String, FileError> {
    use std::io::Read as _;
    // A quick look first, so a FIFO or a device is refused before it is
    // opened at all; then the type of what was actually opened (the path may
    // have changed in between), opened without blocking, as a FIFO would
    // block `open` until a writer came.
    if !std::fs::metadata(path).map_err(FileError::Io)?.is_file() {
        return Err(FileError::NotAFile);
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(FileError::Io)?;
    if !file.metadata().map_err(FileError::Io)?.is_file() {
        return Err(FileError::NotAFile);
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(FileError::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FileError::TooLarge);
    }
    let mut text =
        String::from_utf8(bytes).map_err(|_| FileError::Io(io::ErrorKind::InvalidData.into()))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

impl FileError {
    /// Why, for a log line (never the content).
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Io(e) if e.kind() == io::ErrorKind::InvalidData => {
                "is not valid UTF-8".to_owned()
            }
            Self::Io(e) => format!("cannot be read ({})", e.kind()),
            Self::NotAFile => "is not a regular file".to_owned(),
            Self::TooLarge => format!("is larger than {MAX_FILE_BYTES} bytes"),
        }
    }
}

/// The libpq variables the PostgreSQL options are built from, as `source`
/// holds them: what a re-resolution of a rotated URL needs, once `source`
/// is gone.
pub(crate) fn libpq_snapshot(source: &dyn Source) -> Vars {
    const NAMES: &[&str] = &[
        "PGPORT",
        "PGUSER",
        "PGPASSWORD",
        "PGPASSFILE",
        "HOME",
        "PGDATABASE",
        "PGSSLMODE",
        "PGAPPNAME",
        "PGSSLROOTCERT",
        "PGSSLCERT",
        "PGSSLKEY",
        "PGOPTIONS",
    ];
    Vars::new(NAMES.iter().filter_map(|n| {
        let v = source.var(n)?.into_string().ok()?;
        Some((*n, v))
    }))
}

/// Reads a boolean switch such as `DBSETTINGS_STRICT`: `1`, `true`, `yes`,
/// `on` (any case) are true; `0`, `false`, `no`, `off` and absent are false.
/// Any other value is a problem naming the variable (never echoing it).
pub(crate) fn switch(source: &dyn Source, name: &str) -> Result<bool, Problem> {
    let Some(value) = global(source, name) else {
        return Ok(false);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Problem::new(
            name,
            ProblemKind::NotAccepted {
                expected: crate::settings_error::Expected::OneOf(&["true", "false"]),
                padded: false,
            },
        )),
    }
}

/// A crate-wide variable (never prefixed), empty meaning unset.
pub(crate) fn global(source: &dyn Source, name: &str) -> Option<String> {
    source
        .global(name)
        .and_then(|v| v.into_string().ok())
        .filter(|v| !v.is_empty())
}

/// A variable of `source` as text, empty meaning unset; one that is set but
/// not UTF-8 is reported in `warnings`, not dropped in silence.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn text_var(
    source: &dyn Source,
    name: &str,
    warnings: &mut Vec<crate::resolution::Warning>,
) -> Option<String> {
    match source.var(name)?.into_string() {
        Ok(v) => (!v.is_empty()).then_some(v),
        Err(_) => {
            warnings.push(crate::resolution::Warning::NotUnicode {
                var: source.name(name),
            });
            None
        }
    }
}

/// [`global`], reporting a value that is set but not UTF-8 in `warnings`
/// rather than dropping it in silence.
pub(crate) fn global_text(
    source: &dyn Source,
    name: &str,
    warnings: &mut Vec<crate::resolution::Warning>,
) -> Option<String> {
    match source.global(name)?.into_string() {
        Ok(v) => (!v.is_empty()).then_some(v),
        Err(_) => {
            warnings.push(crate::resolution::Warning::NotUnicode {
                var: name.to_owned(),
            });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(l: Lookup) -> Found {
        match l {
            Lookup::Found(f) => f,
            other => panic!("expected a value, got {other:?}"),
        }
    }

    #[test]
    fn empty_means_unset_and_aliases_are_ordered() {
        let src = Vars::new([("A", ""), ("B", "two"), ("C", "three")]);
        let f = found(lookup(&src, &["A", "B", "C"]));
        assert_eq!(f.value, "two");
        assert_eq!(f.var(), "B");
        assert!(matches!(lookup(&src, &["A", "Z"]), Lookup::Absent));
    }

    #[test]
    fn file_secret_strips_one_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "value\n\n").unwrap();
        let src = Vars::new([("S_FILE", path.to_str().unwrap())]);
        let f = found(lookup(&src, &["S"]));
        assert_eq!(f.value, "value\n");
        assert!(matches!(f.origin, Origin::File { ref file_var, .. } if file_var == "S_FILE"));
    }

    #[test]
    fn both_name_and_file_is_a_conflict_naming_both() {
        let src = Vars::new([("S", "x"), ("S_FILE", "/nonexistent")]);
        let Lookup::Problem(p) = lookup(&src, &["S"]) else {
            panic!("expected a conflict")
        };
        let text = p.to_string();
        assert!(text.contains("`S`") && text.contains("`S_FILE`"), "{text}");
    }

    #[test]
    fn unreadable_file_names_the_file_variable() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let src = Vars::new([("S_FILE", missing.to_str().unwrap())]);
        let Lookup::Problem(p) = lookup(&src, &["S"]) else {
            panic!("expected a problem")
        };
        assert_eq!(p.var(), "S_FILE");
        assert!(!p.to_string().contains(missing.to_str().unwrap()));
    }

    #[test]
    fn switches() {
        let src = Vars::new([("A", "TRUE"), ("B", "0"), ("C", " yes ")]);
        assert!(switch(&src, "A").unwrap());
        assert!(!switch(&src, "B").unwrap());
        assert!(switch(&src, "C").unwrap());
        assert!(!switch(&src, "D").unwrap());
        // A typo in a safety switch is an error, not "off".
        let typo = Vars::new([("S", "ture")]);
        let p = switch(&typo, "S").unwrap_err();
        assert_eq!(p.var(), "S");
        assert!(!p.to_string().contains("ture"), "{p}");
    }

    #[test]
    fn vars_debug_shows_names_only() {
        let src = Vars::new([("PASSWORD", "hunter2")]);
        let text = format!("{src:?}");
        assert!(text.contains("PASSWORD") && !text.contains("hunter2"));
    }
}
