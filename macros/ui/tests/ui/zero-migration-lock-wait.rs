use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(migration_lock_wait = "0ms")]
    database_url: DatabaseUrl,
}

fn main() {}
