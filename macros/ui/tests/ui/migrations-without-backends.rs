use dbsettings::{DatabaseSettings, DatabaseUrl};

// A directory with no postgres/, mysql/ or sqlite/ in it (written by ui.rs).
#[derive(DatabaseSettings)]
struct Settings {
    #[settings(migrations = "ui-migrations/no-backends")]
    database_url: DatabaseUrl,
}

fn main() {}
