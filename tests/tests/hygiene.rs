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
