use dbsettings::{DatabaseSettings, DatabaseUrl};

// A migration named without its version (written by ui.rs).
#[derive(DatabaseSettings)]
struct Settings {
    #[settings(migrations = "ui-migrations/no-version")]
    database_url: DatabaseUrl,
}

fn main() {}
