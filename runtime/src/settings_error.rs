//! The error of loading settings: every bad variable at once, each named,
//! none echoing its value.

use core::fmt;
use std::io;

use crate::resolution::FallbackReason;

/// Loading settings failed: one or more variables are missing or invalid.
///
/// The error lists every problem at once, so a deployment is fixed in one
/// round. It names each variable and never contains a variable's value.
#[derive(Debug, Clone)]
pub struct Error {
    problems: Vec<Problem>,
}

impl Error {
    /// Every problem found, in field order.
    #[must_use]
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    pub(crate) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    pub(crate) fn new(problems: Vec<Problem>) -> Self {
        debug_assert!(!problems.is_empty());
        Self { problems }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "invalid settings: {one}"),
            many => {
                write!(f, "invalid settings ({} problems):", many.len())?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

/// One bad variable.
#[derive(Debug, Clone)]
pub struct Problem {
    var: String,
    /// Boxed: a fallback reason inside can be large, and problems travel
    /// in `Result`s.
    kind: Box<ProblemKind>,
}

impl Problem {
    pub(crate) fn new(var: &str, kind: ProblemKind) -> Self {
        Self {
            var: var.to_owned(),
            kind: Box::new(kind),
        }
    }

    /// The variable at fault, e.g. `APP_PORT` or `DATABASE_URL_FILE`.
    #[must_use]
    pub fn var(&self) -> &str {
        &self.var
    }

    /// What is wrong with it.
    #[must_use]
    pub fn kind(&self) -> &ProblemKind {
        &self.kind
    }
}

/// What is wrong with a variable.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A required setting has no value under any of its names.
    Missing {
        /// Every name that was tried, in order (aliases included).
        names: Vec<String>,
    },
    /// The value does not parse as the field's type.
    Invalid {
        /// The field's type, as written in the struct.
        type_name: &'static str,
        /// The parser's message, with any copy of the value removed.
        reason: String,
        /// The value has white space around it, a common cause.
        padded: bool,
    },
    /// The value parses, but the setting does not accept it (a count out of
    /// range, a duration that is not one, a word that is not an option).
    NotAccepted {
        /// What the setting accepts.
        expected: Expected,
        /// The value has white space around it, a common cause.
        padded: bool,
    },
    /// Two pool settings break a rule they keep together, whatever set
    /// them (the same rule a URL parameter is rejected for). The variable
    /// is the override at fault.
    PoolRuleBroken {
        /// The rule.
        rule: crate::resolution::PoolRule,
        /// Where each of the rule's two settings came from, in words (a
        /// variable, "the `max_connections` attribute", "the default").
        sources: Vec<String>,
    },
    /// The value (or the file's content) is not valid UTF-8.
    NotUnicode,
    /// Both `NAME` and `NAME_FILE` are set: which one is meant is unclear.
    Conflict {
        /// The `_FILE` variable that is also set.
        file_var: String,
    },
    /// The file named by a `_FILE` variable could not be read.
    UnreadableFile {
        /// Why, as the OS said it.
        kind: io::ErrorKind,
    },
    /// The file named by a `_FILE` variable is larger than a setting can be
    /// (it was not read past the limit).
    FileTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The path named by a `_FILE` variable is not a regular file (a FIFO,
    /// a device, a directory), so it was not opened.
    NotAFile,
    /// Strict mode is on and the database URL is missing or unusable, so the
    /// SQLite fallback was refused.
    FallbackRefused {
        /// Why the URL could not be used.
        reason: FallbackReason,
    },
    /// A `.env` file has a line that does not parse (the problem's `var` is
    /// the file).
    DotEnvSyntax {
        /// The line number, when it could be found.
        line: Option<usize>,
    },
    /// The database URL is missing or unusable and there is nothing to fall
    /// back to: the `sqlite` feature is off.
    NoFallback {
        /// Why the URL could not be used.
        reason: FallbackReason,
    },
}

/// What a setting accepts, for [`ProblemKind::NotAccepted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// A whole number of connections, at least `min`.
    Count {
        /// The smallest accepted.
        min: u32,
    },
    /// A duration: `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
    Duration,
    /// A duration above zero (a bound that zero would make fail at once).
    PositiveDuration,
    /// One of these words (any case).
    OneOf(&'static [&'static str]),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count { min } => write!(
                f,
                "a whole number of connections from {min} to {}",
                crate::resolution::MOST_CONNECTIONS
            ),
            Self::Duration => {
                f.write_str("a duration such as `500ms`, `5s`, `2m` or `1h`, at most a week")
            }
            Self::PositiveDuration => f.write_str(
                "a duration above zero such as `500ms`, `5s`, `2m` or `1h`, at most a week",
            ),
            Self::OneOf(words) => {
                f.write_str("one of ")?;
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{w}`")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let var = &self.var;
        match &*self.kind {
            ProblemKind::Missing { names } => {
                write!(f, "`{var}` is required but not set; set it")?;
                if names.len() > 1 {
                    write!(f, " (or one of ")?;
                    for (i, n) in names.iter().skip(1).enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "`{n}`")?;
                    }
                    f.write_str(")")?;
                }
                write!(f, ", or `{var}_FILE` to the path of a file holding it")
            }
            ProblemKind::Invalid {
                type_name,
                reason,
                padded,
            } => {
                write!(
                    f,
                    "`{var}` is not a valid `{type_name}` ({reason}); set it to a valid `{type_name}`"
                )?;
                if *padded {
                    f.write_str(", without the surrounding white space")?;
                }
                Ok(())
            }
            ProblemKind::NotAccepted { expected, padded } => {
                write!(f, "`{var}` is not {expected}; set it to {expected}")?;
                if *padded {
                    f.write_str(", without the surrounding white space")?;
                }
                Ok(())
            }
            ProblemKind::PoolRuleBroken { rule, sources } => {
                write!(f, "`{var}` breaks a rule of the pool settings: ")?;
                rule.describe(f, &sources[0], &sources[1])
            }
            ProblemKind::NotUnicode => write!(f, "`{var}` is not valid UTF-8; set it to UTF-8 text"),
            ProblemKind::DotEnvSyntax { line: Some(n) } => write!(
                f,
                "{var} line {n} is not `NAME=value`; fix or remove that line"
            ),
            ProblemKind::DotEnvSyntax { line: None } => write!(
                f,
                "{var} has a line that is not `NAME=value`; fix or remove it"
            ),
            ProblemKind::Conflict { file_var } => write!(
                f,
                "both `{var}` and `{file_var}` are set; unset one of them"
            ),
            ProblemKind::UnreadableFile { kind } => write!(
                f,
                "the file named by `{var}` could not be read ({kind}); point `{var}` at a readable file or unset it"
            ),
            ProblemKind::FileTooLarge { limit } => write!(
                f,
                "the file named by `{var}` is larger than {limit} bytes, too large for a setting; point `{var}` at the file that holds only the value"
            ),
            ProblemKind::NotAFile => write!(
                f,
                "the path in `{var}` is not a regular file (a FIFO, device or directory); point `{var}` at a file that holds the value"
            ),
            ProblemKind::FallbackRefused { reason } => write!(
                f,
                "strict mode refuses the SQLite fallback: {reason}; set `{var}` to a usable database URL"
            )
            .and_then(|()| hint(f, reason)),
            ProblemKind::NoFallback { reason } => write!(
                f,
                "{reason}, and without the `sqlite` feature there is no fallback; set `{var}` to a usable database URL"
            )
            .and_then(|()| hint(f, reason)),
        }
    }
}

fn hint(f: &mut fmt::Formatter<'_>, reason: &FallbackReason) -> fmt::Result {
    match reason.hint() {
        Some(h) => write!(f, " ({h})"),
        None => Ok(()),
    }
}

/// Collects problems while a settings value is loaded.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub(crate) Vec<Problem>);

impl Problems {
    pub(crate) fn push(&mut self, problem: Problem) {
        self.0.push(problem);
    }
}
