//! The todo service's generated `.env.example`, checked against the
//! checked-in copy.

use dbsettings::DatabaseSettings as _;

/// The checked-in template is what the settings struct generates; after a
/// change to `todo_api::Settings`, regenerate it with
/// `cargo run --example env_example > examples/todo_api/.env.example`.
#[test]
fn todo_api_env_example_is_up_to_date() {
    let generated = todo_api::Settings::env_example();
    let checked_in = include_str!("../todo_api/.env.example");
    assert!(
        generated == checked_in,
        "examples/todo_api/.env.example is stale; regenerate it with\n  \
         cargo run --example env_example > examples/todo_api/.env.example\n\
         generated:\n{generated}"
    );
    // Non-literal defaults read as Rust, not as spaced-out tokens.
    assert!(
        generated
            .contains("default (in Rust): IpAddr::V4(Ipv4Addr::UNSPECIFIED)\n# BIND_ADDRESS=\n"),
        "{generated}"
    );
}
