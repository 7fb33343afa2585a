//! `DatabaseUrl` in the loaders services already use: figment, config-rs,
//! envy (serde's `Deserialize`) and clap (the value parser), each loading a
//! settings struct as its users write one. Every test runs in figment's
//! `Jail` (a lock, a scratch working directory, environment variables set
//! and restored), so the fallback database lands in a temporary `./data`
//! and the process environment is the one each test sets.

#![allow(
    clippy::result_large_err,
    reason = "figment's `Jail` closures return its `Error`, which is large"
)]

use dbsettings::resolution::{FallbackReason, Origin, Rejection};
use dbsettings::{Backend, DatabaseUrl};
use figment::Jail;

/// A service's settings, as a serde user writes them: nothing of ours but
/// the field's type.
#[derive(serde::Deserialize, Debug)]
struct Settings {
    database_url: DatabaseUrl,
    port: u16,
}

const SECRET: &str = "Loader-Secret-9";

/// A URL whose password has an unencoded `#`: unusable, it falls back.
fn broken_url() -> String {
    format!("postgresql://app:{SECRET}#x@db:5432/app")
}

fn assert_rejected_for_the_hash(url: &DatabaseUrl, name: &str) {
    assert!(url.is_fallback(), "{url:?}");
    assert_eq!(url.backend(), Backend::Sqlite);
    match url.resolution().fallback_reason() {
        Some(FallbackReason::Rejected { var, rejection }) => {
            assert_eq!(var, name);
            assert_eq!(
                rejection,
                &Rejection::PasswordNeedsEncoding { character: '#' }
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    let shown = format!("{url} {url:?} {}", url.resolution());
    assert!(!shown.contains(SECRET), "{shown}");
}

/// The fallback file is under the jail's `./data`.
fn assert_in_jail(url: &DatabaseUrl, jail: &Jail) {
    let path = url.resolution().sqlite_path().expect("a file");
    assert!(
        path.starts_with(jail.directory().canonicalize().unwrap())
            || path.starts_with(jail.directory()),
        "{}",
        path.display()
    );
}

mod figment_ {
    use super::*;
    use figment::Figment;
    use figment::providers::{Env, Format, Toml};

    fn extract() -> Result<Settings, figment::Error> {
        Figment::new()
            .merge(Toml::file("App.toml"))
            .merge(Env::prefixed("APP_"))
            .extract()
    }

    #[test]
    fn a_url_from_the_file_or_the_environment_runs_the_layers() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "App.toml",
                "port = 8080\ndatabase_url = \"'POSTGRES://app:pw@db:5432/app'\"\n",
            )?;
            let s = extract()?;
            assert_eq!(s.port, 8080);
            assert_eq!(s.database_url.backend(), Backend::Postgres);
            assert_eq!(s.database_url.to_string(), "postgres://****@db:5432/app");
            assert_eq!(
                s.database_url.resolution().origin(),
                &Origin::Given {
                    name: "database_url".into()
                }
            );
            // The environment wins over the file, as figment merges them.
            jail.set_env("APP_DATABASE_URL", "mysql://root@127.0.0.1:3306/test");
            assert_eq!(extract()?.database_url.backend(), Backend::MySql);
            Ok(())
        });
    }

    #[test]
    fn a_broken_url_falls_back_with_its_reason() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "App.toml",
                &format!("port = 1\ndatabase_url = \"{}\"\n", broken_url()),
            )?;
            let s = extract()?;
            assert_rejected_for_the_hash(&s.database_url, "database_url");
            assert_in_jail(&s.database_url, jail);
            Ok(())
        });
    }

    #[test]
    fn a_missing_key_falls_back_like_the_derive() {
        Jail::expect_with(|jail| {
            jail.create_file("App.toml", "port = 1\n")?;
            let s = extract()?;
            assert!(s.database_url.is_fallback());
            assert_eq!(
                s.database_url
                    .resolution()
                    .fallback_reason()
                    .unwrap()
                    .to_string(),
                "`database_url` is not set"
            );
            assert_in_jail(&s.database_url, jail);
            Ok(())
        });
    }

    #[test]
    fn strict_mode_refuses_naming_the_key_never_the_password() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "App.toml",
                &format!("port = 1\ndatabase_url = \"{}\"\n", broken_url()),
            )?;
            jail.set_env("DBSETTINGS_STRICT", "1");
            let err = extract().unwrap_err().to_string();
            assert!(
                err.contains("strict mode refuses the SQLite fallback")
                    && err.contains("the password contains an unencoded `#`")
                    && err.contains("key \"default.database_url\" in App.toml"),
                "{err}"
            );
            assert!(!err.contains(SECRET), "{err}");
            // Missing, strict: an error too.
            jail.create_file("App.toml", "port = 1\n")?;
            let err = extract().unwrap_err().to_string();
            assert!(err.contains("`database_url` is not set"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn a_key_of_the_wrong_type_is_figments_error_naming_the_key() {
        Jail::expect_with(|jail| {
            for (toml, found) in [
                ("database_url = 5432", "found an integer"),
                ("[database_url]\nhost = \"db\"", "found map"),
            ] {
                jail.create_file("App.toml", &format!("port = 1\n{toml}\n"))?;
                let err = extract().unwrap_err().to_string();
                assert!(
                    err.contains(found)
                        && err.contains("expected a database URL string")
                        && err.contains("key \"default.database_url\""),
                    "{err}"
                );
                assert!(!err.contains("5432"), "{err}");
            }
            Ok(())
        });
    }

    /// `deserialize_with` for options of the field's own.
    #[test]
    fn options_through_deserialize_with() {
        fn primary<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DatabaseUrl, D::Error> {
            dbsettings::UrlOptions::new()
                .var("APP_DATABASE_URL")
                .fallback("sqlite::memory:")
                .deserialize(d)
        }
        #[derive(serde::Deserialize)]
        struct Custom {
            #[serde(deserialize_with = "primary")]
            database_url: DatabaseUrl,
        }
        Jail::expect_with(|jail| {
            jail.set_env("APP_DATABASE_URL", "${DATABASE_URL}");
            let s: Custom = Figment::new().merge(Env::prefixed("APP_")).extract()?;
            assert_eq!(
                s.database_url
                    .resolution()
                    .fallback_reason()
                    .unwrap()
                    .to_string(),
                "`APP_DATABASE_URL` was rejected: it contains an unexpanded placeholder"
            );
            assert_eq!(
                s.database_url.resolution().location(),
                Some(&dbsettings::resolution::Location::Memory)
            );
            Ok(())
        });
    }
}

mod config_rs {
    use super::*;
    use config::{Config, Environment, File, FileFormat};

    fn load(toml: &str) -> Result<Settings, config::ConfigError> {
        Config::builder()
            .add_source(File::from_str(toml, FileFormat::Toml))
            .add_source(Environment::with_prefix("APP"))
            .build()?
            .try_deserialize()
    }

    #[test]
    fn a_url_runs_the_layers_and_a_broken_one_falls_back() {
        Jail::expect_with(|jail| {
            let s = load("port = 8080\ndatabase_url = \"sqlite+aiosqlite:///app.db\"")
                .map_err(|e| e.to_string())?;
            assert_eq!(s.database_url.backend(), Backend::Sqlite);
            assert_eq!(s.database_url.expose_secret(), "sqlite:app.db");

            let s = load(&format!("port = 1\ndatabase_url = \"{}\"", broken_url()))
                .map_err(|e| e.to_string())?;
            assert_rejected_for_the_hash(&s.database_url, "database_url");
            assert_in_jail(&s.database_url, jail);

            let s = load("port = 1").map_err(|e| e.to_string())?;
            assert!(s.database_url.is_fallback());

            jail.set_env("APP_DATABASE_URL", "postgresql://app:pw@db/app");
            let s = load("port = 1").map_err(|e| e.to_string())?;
            assert_eq!(s.database_url.backend(), Backend::Postgres);
            Ok(())
        });
    }

    #[test]
    fn strict_mode_and_wrong_types_name_the_key_never_the_value() {
        Jail::expect_with(|jail| {
            for (toml, found) in [
                ("database_url = 5432", "invalid type: an integer"),
                ("[database_url]\nhost = \"db\"", "invalid type: map"),
            ] {
                let err = load(&format!("port = 1\n{toml}")).unwrap_err().to_string();
                assert!(
                    err.contains(found)
                        && err.contains("expected a database URL string for key `database_url`"),
                    "{err}"
                );
            }
            jail.set_env("DBSETTINGS_STRICT", "1");
            let err = load(&format!("port = 1\ndatabase_url = \"{}\"", broken_url()))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("strict mode refuses the SQLite fallback")
                    && err.contains("for key `database_url`"),
                "{err}"
            );
            assert!(!err.contains(SECRET), "{err}");
            Ok(())
        });
    }
}

mod envy_ {
    use super::*;

    #[test]
    fn envy_reads_given_pairs() {
        Jail::expect_with(|jail| {
            let s: Settings = envy::prefixed("APP_")
                .from_iter([
                    ("APP_PORT".to_owned(), "7860".to_owned()),
                    ("APP_DATABASE_URL".to_owned(), broken_url()),
                ])
                .map_err(|e| e.to_string())?;
            assert_rejected_for_the_hash(&s.database_url, "database_url");
            assert_in_jail(&s.database_url, jail);
            let s: Settings = envy::prefixed("APP_")
                .from_iter([("APP_PORT".to_owned(), "7860".to_owned())])
                .map_err(|e| e.to_string())?;
            assert!(s.database_url.is_fallback());
            Ok(())
        });
    }
}

mod clap_ {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        /// The database; SQLite when unset or unusable.
        #[arg(long, env = "DATABASE_URL", hide_env_values = true, default_value = "")]
        database_url: DatabaseUrl,
        #[arg(long, default_value_t = 7860)]
        port: u16,
    }

    #[derive(Parser, Debug)]
    struct StrictCli {
        #[arg(
            long,
            env = "DATABASE_URL",
            hide_env_values = true,
            value_parser = dbsettings::UrlOptions::new().strict(true).value_parser()
        )]
        database_url: DatabaseUrl,
    }

    #[test]
    fn a_flag_or_its_variable_runs_the_layers() {
        Jail::expect_with(|jail| {
            let cli = Cli::try_parse_from(["app", "--database-url", "postgres://app:pw@db/app"])
                .map_err(|e| e.to_string())?;
            assert_eq!(cli.database_url.backend(), Backend::Postgres);
            assert_eq!(cli.port, 7860);
            jail.set_env("DATABASE_URL", "mariadb://root@127.0.0.1:3306/test");
            let cli = Cli::try_parse_from(["app"]).map_err(|e| e.to_string())?;
            assert_eq!(cli.database_url.backend(), Backend::MySql);
            assert_eq!(
                cli.database_url.resolution().origin(),
                &Origin::Given {
                    name: "DATABASE_URL".into()
                }
            );
            Ok(())
        });
    }

    #[test]
    fn a_broken_or_missing_flag_falls_back_with_its_reason() {
        Jail::expect_with(|jail| {
            let cli = Cli::try_parse_from(["app", "--database-url", &broken_url()])
                .map_err(|e| e.to_string())?;
            assert_rejected_for_the_hash(&cli.database_url, "DATABASE_URL");
            assert_in_jail(&cli.database_url, jail);
            // `default_value = ""`: absent runs the parser on "", as unset.
            let cli = Cli::try_parse_from(["app"]).map_err(|e| e.to_string())?;
            assert_eq!(
                cli.database_url
                    .resolution()
                    .fallback_reason()
                    .unwrap()
                    .to_string(),
                "`DATABASE_URL` is not set"
            );
            Ok(())
        });
    }

    #[test]
    fn strict_mode_names_the_flag_never_the_password() {
        Jail::expect_with(|_| {
            let err =
                StrictCli::try_parse_from(["app", "--database-url", &broken_url()]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
            let text = err.to_string();
            assert!(
                text.contains("invalid value for '--database-url <DATABASE_URL>'")
                    && text.contains(
                        "strict mode refuses the SQLite fallback: `DATABASE_URL` was rejected"
                    ),
                "{text}"
            );
            assert!(!text.contains(SECRET), "{text}");
            // The default parser with `DBSETTINGS_STRICT=1`: the same.
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("DBSETTINGS_STRICT", "1");
            jail.set_env("DATABASE_URL", broken_url());
            let text = Cli::try_parse_from(["app"]).unwrap_err().to_string();
            assert!(text.contains("strict mode refuses"), "{text}");
            assert!(!text.contains(SECRET), "{text}");
            Ok(())
        });
    }

    #[test]
    fn help_never_shows_the_variables_value() {
        Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", broken_url());
            let help = Cli::try_parse_from(["app", "--help"])
                .unwrap_err()
                .to_string();
            assert!(help.contains("--database-url"), "{help}");
            assert!(!help.contains(SECRET), "{help}");
            Ok(())
        });
    }

    /// Without the `clap` feature, clap's parser of a `FromStr` type: it
    /// works, but clap quotes the value in its errors, which the feature's
    /// parser never does.
    #[test]
    fn from_str_works_with_clap_s_default_parser() {
        #[derive(Parser)]
        struct Plain {
            #[arg(long, value_parser = |s: &str| s.parse::<DatabaseUrl>())]
            database_url: DatabaseUrl,
        }
        Jail::expect_with(|_| {
            let p = Plain::try_parse_from(["app", "--database-url", "sqlite::memory:"])
                .map_err(|e| e.to_string())?;
            assert_eq!(p.database_url.backend(), Backend::Sqlite);
            Ok(())
        });
    }
}

/// `FromStr`, with the process environment's switches.
#[test]
fn parse_uses_the_default_options() {
    Jail::expect_with(|jail| {
        let url: DatabaseUrl = "'mysql+aiomysql://u:pw@db/app'".parse().unwrap();
        assert_eq!(url.expose_secret(), "mysql://u:pw@db/app");
        let url: DatabaseUrl = broken_url().parse().unwrap();
        assert_rejected_for_the_hash(&url, "DATABASE_URL");
        jail.set_env("DBSETTINGS_STRICT", "1");
        let err = broken_url().parse::<DatabaseUrl>().unwrap_err().to_string();
        assert!(!err.contains(SECRET), "{err}");
        Ok(())
    });
}
