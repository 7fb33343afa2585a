//! `cargo run --example env_example > examples/todo_api/.env.example`: the
//! todo service's `.env.example`, generated from its settings struct: every
//! variable, its aliases, default, whether it is required and its doc
//! comment, never a real value. A test compares it with the checked-in copy.

use dbsettings::DatabaseSettings as _;

fn main() {
    print!("{}", todo_api::Settings::env_example());
}
