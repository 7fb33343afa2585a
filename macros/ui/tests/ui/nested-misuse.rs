use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Replica {
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(nested)]
    database_url: DatabaseUrl,
    #[settings(nested, prefix = "REPLICA_", env = "REPLICA", max_connections = 4)]
    replica: Replica,
    #[settings(nested, prefix = "")]
    archive: Replica,
}

fn main() {}
