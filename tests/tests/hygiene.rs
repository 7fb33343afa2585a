//! The derive's output compiles under `#![deny(warnings)]` with the prelude's
//! names shadowed: generated code uses absolute paths only.
#![deny(warnings)]
#![allow(dead_code, non_camel_case_types, clippy::all)]

struct Result;
struct Ok;
struct Err;
struct Option;
struct Some;
struct None;
struct String;
struct Box;
struct Vec;
mod core {}
mod std {}

#[derive(::dbsettings::DatabaseSettings)]
#[settings(prefix = "H_")]
struct Settings {
    #[settings(fallback = "sqlite::memory:")]
    database_url: ::dbsettings::DatabaseUrl,
    #[settings(default = 1)]
    port: u16,
    name: ::core::option::Option<::std::string::String>,
    #[settings(default = "x")]
    label: ::std::string::String,
}

#[test]
fn shadowed_prelude_still_derives() {
    use ::dbsettings::DatabaseSettings as _;
    let s = Settings::from_vars([("H_PORT", "2")]).unwrap();
    assert_eq!(s.port, 2);
    assert_eq!(s.label, "x");
    assert!(s.name.is_none());
}

/// Through a facade (`crate = "..."`), with the runtime's names imported
/// where the derive runs, so the generated paths are longer than needed.
mod through_a_facade {
    pub(crate) mod facade {
        pub(crate) use ::dbsettings;
    }

    use facade::dbsettings::{DatabaseSettings, DatabaseUrl};

    #[derive(DatabaseSettings)]
    #[settings(crate = "facade::dbsettings")]
    pub(crate) struct Replica {
        database_url: DatabaseUrl,
    }

    #[derive(DatabaseSettings)]
    #[settings(crate = "self::facade::dbsettings")]
    pub(crate) struct Settings {
        #[settings(fallback = "sqlite::memory:", max_connections = 2)]
        pub(crate) database_url: DatabaseUrl,
        #[settings(default = 1)]
        pub(crate) port: u16,
        #[settings(default = "x")]
        pub(crate) label: String,
        pub(crate) name: Option<String>,
        #[settings(nested)]
        pub(crate) replica: Replica,
    }
}

#[test]
fn a_facade_path_derives_without_warnings() {
    use ::dbsettings::DatabaseSettings as _;
    let s = through_a_facade::Settings::from_vars([("REPLICA_DATABASE_URL", "sqlite::memory:")])
        .unwrap();
    assert_eq!(s.port, 1);
    assert_eq!(s.label, "x");
    assert!(s.name.is_none());
    assert!(s.database_url.is_fallback());
    assert!(!s.replica.database_url().is_fallback());
}
