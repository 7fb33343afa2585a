use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(prefix = "APP_")]
    database_url: DatabaseUrl,
}

fn main() {}
