use dbsettings::{DatabaseSettings, DatabaseUrl};

// Two migrations with one version (written by ui.rs).
#[derive(DatabaseSettings)]
struct Settings {
    #[settings(migrations = "ui-migrations/same-version")]
    database_url: DatabaseUrl,
}

fn main() {}
