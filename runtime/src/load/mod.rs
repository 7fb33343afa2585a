//! What the derive's generated code calls (through `crate::__private`): the
//! field loaders, the `DatabaseUrl` field's loader ([`url_field`]), the pool
//! options' reader ([`pool_options`]) and the `.env.example` template. And
//! the same URL loader without the derive ([`resolve`]): for serde (`serde`)
//! and clap (`clap`).

#[cfg(feature = "clap")]
mod clap;
mod database_url;
mod pool_options;
mod resolve;
#[cfg(feature = "serde")]
mod serde;
pub(crate) mod template;
mod url_field;
mod url_settings;

use core::fmt::Display;
use core::str::FromStr;

pub use crate::url::resolve::STRICT_VAR;
#[cfg(feature = "clap")]
pub use clap::DatabaseUrlParser;
pub use database_url::DatabaseUrl;
pub use pool_options::PoolSpec;
pub use resolve::UrlOptions;
pub use url_field::{UrlSpec, database_url};

use crate::resolution::Origin;
use crate::settings_error::{Error, Problem, ProblemKind, Problems};
use crate::source::{self, Lookup, Source};
use crate::url::redact::Secrets;

/// The problems collected while one settings value loads.
#[derive(Debug, Default)]
pub struct Collector {
    problems: Problems,
}

impl Collector {
    /// No problems yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in the problems of a nested settings struct.
    pub fn absorb(&mut self, error: Error) {
        for p in error.into_problems() {
            self.push(p);
        }
    }

    /// Every problem at once. Called when a field came back `None`, which
    /// each loader returns only after recording why.
    #[must_use]
    pub fn into_error(self) -> Error {
        Error::new(self.problems.0)
    }

    fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }
}

/// Looks a plain field up and parses it: `Some(None)` when it is absent,
/// `None` when a problem was recorded.
#[allow(
    clippy::option_option,
    reason = "absent and failed are different outcomes"
)]
fn parse_field<T>(
    source: &dyn Source,
    names: &[&str],
    type_name: &'static str,
    collector: &mut Collector,
) -> Option<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    match source::lookup(source, names) {
        Lookup::Absent => Some(None),
        Lookup::Problem(p) => {
            collector.push(p);
            None
        }
        Lookup::Found(found) => match found.value.parse::<T>() {
            Ok(v) => Some(Some(v)),
            Err(e) => {
                let padded = found.value.trim() != found.value;
                // The value is hidden where the parser quotes it; a
                // message that still holds it (among words of its own,
                // where a mask would tell it to whoever knows the message)
                // is not shown.
                let secrets = Secrets::new([&found.value]);
                let said = secrets.scrub(&e.to_string());
                let reason = if secrets.appear_in(&said) {
                    format!("it does not read as {type_name}")
                } else {
                    said
                };
                let var = match &found.origin {
                    Origin::File { file_var, .. } => file_var.as_str(),
                    _ => found.var(),
                };
                collector.push(Problem::new(
                    var,
                    ProblemKind::Invalid {
                        type_name,
                        reason,
                        padded,
                    },
                ));
                None
            }
        },
    }
}

/// Text types a string-literal `default` converts into. Any other type needs
/// a typed default (`default = 7860`, `default = Level::Info`), so the
/// compiler checks it.
#[diagnostic::on_unimplemented(
    message = "a string literal `default` needs a text field, and `{Self}` is not one",
    label = "this literal needs a value of type `{Self}`, without quotes",
    note = "string literals convert to `String`, `PathBuf`, `OsString`, `Box<str>` and `&'static str`"
)]
pub trait TextDefault {
    /// Converts the literal.
    fn from_literal(text: &'static str) -> Self;
}

/// Converts a string-literal `default`; the field's type picks the impl.
#[must_use]
pub fn text_default<T: TextDefault>(text: &'static str) -> T {
    T::from_literal(text)
}

impl TextDefault for String {
    fn from_literal(text: &'static str) -> Self {
        text.to_owned()
    }
}

impl TextDefault for &'static str {
    fn from_literal(text: &'static str) -> Self {
        text
    }
}

impl TextDefault for Box<str> {
    fn from_literal(text: &'static str) -> Self {
        text.into()
    }
}

impl TextDefault for std::path::PathBuf {
    fn from_literal(text: &'static str) -> Self {
        text.into()
    }
}

impl TextDefault for std::ffi::OsString {
    fn from_literal(text: &'static str) -> Self {
        text.into()
    }
}

/// A required field: a problem when absent.
pub fn required<T>(
    source: &dyn Source,
    names: &[&str],
    type_name: &'static str,
    collector: &mut Collector,
) -> Option<T>
where
    T: FromStr,
    T::Err: Display,
{
    match parse_field(source, names, type_name, collector)? {
        Some(v) => Some(v),
        None => {
            collector.push(Problem::new(
                &source.name(names[0]),
                ProblemKind::Missing {
                    names: names.iter().map(|n| source.name(n)).collect(),
                },
            ));
            None
        }
    }
}

/// An `Option<T>` field: absent is `Some(None)`, `None` when a problem was
/// recorded.
#[allow(
    clippy::option_option,
    reason = "absent and failed are different outcomes"
)]
pub fn optional<T>(
    source: &dyn Source,
    names: &[&str],
    type_name: &'static str,
    collector: &mut Collector,
) -> Option<Option<T>>
where
    T: FromStr,
    T::Err: Display,
{
    parse_field(source, names, type_name, collector)
}

/// A field with a `default`: absent is the default.
pub fn with_default<T>(
    source: &dyn Source,
    names: &[&str],
    type_name: &'static str,
    default: impl FnOnce() -> T,
    collector: &mut Collector,
) -> Option<T>
where
    T: FromStr,
    T::Err: Display,
{
    parse_field(source, names, type_name, collector).map(|v| v.unwrap_or_else(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_never_echo_the_value() {
        let echoes = |m: &str, v: &str| Secrets::new([v]).appear_in(m);
        assert!(echoes("bad value 'hunter22'", "hunter22"));
        assert!(echoes("bad value ' hunter22 '", " hunter22 "));
        assert!(echoes("bad value 'hunter22'", " hunter22 "));
        assert!(echoes("invalid x", "x"));
        assert!(echoes("invalid digit found", "digit"));
        assert!(!echoes("invalid digit", "abc1"));
    }
}
