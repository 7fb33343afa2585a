use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    database_url: DatabaseUrl,
    replica_url: DatabaseUrl,
}

fn main() {}
