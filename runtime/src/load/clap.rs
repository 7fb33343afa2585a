//! A clap value parser for [`DatabaseUrl`] (feature `clap`): `--database-url`
//! (and its `env`) through the layers and the fallback. clap's own parser of
//! a `FromStr` type quotes the value in its errors; this one never does.

use std::ffi::OsStr;

use clap::builder::{TypedValueParser, ValueParserFactory};
use clap::error::ErrorKind;

use crate::DatabaseUrl;
use crate::load::UrlOptions;

/// The value parser of a [`DatabaseUrl`] argument: the layers and the
/// fallback, with [`UrlOptions`]. The value goes by the argument's `env`
/// name in messages (else its `--long` name), unless
/// [`UrlOptions::var`] says otherwise. An error, in strict mode only,
/// names the argument and never repeats the value.
///
/// `value_parser!(DatabaseUrl)`, which clap's derive uses for a
/// `DatabaseUrl` field, is this parser with the default options; for
/// others, `value_parser = UrlOptions::new().strict(true).value_parser()`.
///
/// ```
/// use dbsettings::DatabaseUrl;
///
/// let cli = clap::Command::new("app").arg(
///     clap::Arg::new("database_url")
///         .long("database-url")
///         .env("DATABASE_URL")
///         .value_parser(clap::value_parser!(DatabaseUrl)),
/// );
/// let matches = cli.get_matches_from(["app", "--database-url", "postgresql://app:s3cret@db/app"]);
/// let url = matches.get_one::<DatabaseUrl>("database_url").unwrap();
/// assert_eq!(url.to_string(), "postgresql://****@db/app");
/// ```
#[derive(Debug, Clone, Default)]
pub struct DatabaseUrlParser {
    options: UrlOptions,
}

impl TypedValueParser for DatabaseUrlParser {
    type Value = DatabaseUrl;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let shown = arg.map_or_else(|| "the database URL".to_owned(), |a| format!("'{a}'"));
        let fail = |why: &str| {
            cmd.clone().error(
                ErrorKind::ValueValidation,
                format!("invalid value for {shown}: {why}"),
            )
        };
        let Some(raw) = value.to_str() else {
            return Err(fail("it is not valid UTF-8"));
        };
        let name = arg
            .and_then(|a| a.get_env().and_then(OsStr::to_str).map(str::to_owned))
            .or_else(|| arg.and_then(clap::Arg::get_long).map(|l| format!("--{l}")))
            .or_else(|| arg.map(|a| a.get_id().to_string()))
            .unwrap_or_else(|| "DATABASE_URL".to_owned());
        self.options.resolve_as(Some(raw), &name).map_err(|error| {
            let problems: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
            fail(&problems.join("; "))
        })
    }
}

impl ValueParserFactory for DatabaseUrl {
    type Parser = DatabaseUrlParser;

    fn value_parser() -> Self::Parser {
        DatabaseUrlParser::default()
    }
}

impl UrlOptions {
    /// A clap value parser with these options:
    /// `#[arg(long, value_parser = UrlOptions::new().strict(true).value_parser())]`.
    #[must_use]
    pub fn value_parser(self) -> DatabaseUrlParser {
        DatabaseUrlParser { options: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;
    use crate::source::Vars;

    fn command(options: UrlOptions) -> clap::Command {
        clap::Command::new("app").arg(
            clap::Arg::new("database_url")
                .long("database-url")
                .env("APP_DATABASE_URL")
                .value_parser(options.environment(Vars::default()).value_parser()),
        )
    }

    #[test]
    fn a_flag_runs_the_layers() {
        let m = command(UrlOptions::new())
            .try_get_matches_from([
                "app",
                "--database-url",
                "mysql+pymysql://u:Clap-Pw-1@db/app",
            ])
            .unwrap();
        let url = m.get_one::<DatabaseUrl>("database_url").unwrap();
        assert_eq!(url.backend(), Backend::MySql);
        assert_eq!(url.to_string(), "mysql://****@db/app");
    }

    #[test]
    fn strict_refuses_naming_the_flag_and_the_variable_not_the_value() {
        let options = UrlOptions::new().strict(true).fallback("sqlite::memory:");
        let err = command(options)
            .try_get_matches_from(["app", "--database-url", "postgresql://u:Clap-Pw#2@db/app"])
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ValueValidation);
        let text = err.to_string();
        assert!(
            text.contains("invalid value for '--database-url <database_url>'"),
            "{text}"
        );
        assert!(
            text.contains(
                "`APP_DATABASE_URL` was rejected: the password contains an unencoded `#`"
            ),
            "{text}"
        );
        assert!(!text.contains("Clap-Pw"), "{text}");
    }

    #[test]
    fn a_broken_flag_falls_back_with_its_reason() {
        let options = UrlOptions::new().fallback("sqlite::memory:");
        let m = command(options)
            .try_get_matches_from(["app", "--database-url", "${DATABASE_URL}"])
            .unwrap();
        let url = m.get_one::<DatabaseUrl>("database_url").unwrap();
        assert!(url.is_fallback());
        assert_eq!(
            url.resolution().fallback_reason().unwrap().to_string(),
            "`APP_DATABASE_URL` was rejected: it contains an unexpanded placeholder"
        );
    }
}
