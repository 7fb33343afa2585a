use dbsettings::{DatabaseSettings, DatabaseUrl};

// A migration saved as Latin-1 (written by ui.rs).
#[derive(DatabaseSettings)]
struct Settings {
    #[settings(migrations = "ui-migrations/not-utf8")]
    database_url: DatabaseUrl,
}

fn main() {}
