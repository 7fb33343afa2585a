use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    database_url: DatabaseUrl,
    #[settings(strict)]
    port: u16,
}

fn main() {}
