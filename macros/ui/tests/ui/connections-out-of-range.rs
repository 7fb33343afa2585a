use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(max_connections = 5000000000, min_connections = -1)]
    database_url: DatabaseUrl,
}

fn main() {}
