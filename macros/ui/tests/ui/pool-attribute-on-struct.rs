use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
#[settings(max_connections = 4)]
struct Settings {
    database_url: DatabaseUrl,
}

fn main() {}
