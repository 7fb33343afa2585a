use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(max_connections = 4, min_connections = 8)]
    database_url: DatabaseUrl,
}

fn main() {}
