//! The derive's output, `sql!` and `on_pool!` compile under
//! `#![deny(warnings)]` with the prelude's names shadowed: generated code
//! uses absolute paths only.
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

/// With embedded migrations.
#[derive(::dbsettings::DatabaseSettings)]
struct Migrated {
    #[settings(fallback = "sqlite::memory:", migrations = "migrations")]
    database_url: ::dbsettings::DatabaseUrl,
}

#[test]
fn shadowed_prelude_still_dispatches() {
    use ::dbsettings::DatabaseSettings as _;
    let runtime = ::tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let s = Migrated::from_vars([("DATABASE_URL", "")]).unwrap();
        let pool = s.database().pool().await.unwrap();
        let insert = ::dbsettings::sql!("INSERT INTO notes (body) VALUES ($1) RETURNING id");
        let id = ::dbsettings::on_pool!(pool, p => {
            ::dbsettings::insert_id(insert).bind("x").fetch(p).await.unwrap()
        });
        let body: ::std::string::String = ::dbsettings::on_pool!(&pool, p => {
            ::dbsettings::query_scalar(::dbsettings::sql!("SELECT body FROM notes WHERE id = $1"))
                .bind(id)
                .fetch_one(p)
                .await
                .unwrap()
        });
        assert_eq!((id, body.as_str()), (1, "x"));
    });
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

    use facade::dbsettings::query::Sql;
    use facade::dbsettings::{DatabaseSettings, DatabaseUrl};

    /// `sql!` names its crate by `$crate`, so it works through a facade.
    pub(crate) const THROUGH: Sql = facade::dbsettings::sql!("SELECT $1");

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
    assert_eq!(through_a_facade::THROUGH.mysql(), "SELECT ?");
}
