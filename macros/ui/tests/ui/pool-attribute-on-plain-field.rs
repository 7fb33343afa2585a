use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    database_url: DatabaseUrl,
    #[settings(max_connections = 4, migrations = "migrations")]
    port: u16,
}

fn main() {}
