// `#[settings(crate = "...")]`: a crate that re-exports dbsettings (here the
// module `facade`) lets its users derive without depending on dbsettings.
mod facade {
    pub use dbsettings;
}

use facade::dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
#[settings(crate = "facade::dbsettings")]
struct Replica {
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings)]
#[settings(crate = "facade::dbsettings", prefix = "APP_")]
struct Settings {
    #[settings(fallback = "sqlite::memory:", max_connections = 2)]
    database_url: DatabaseUrl,
    #[settings(default = 7860)]
    port: u16,
    #[settings(default = "info")]
    log_level: String,
    name: Option<String>,
    #[settings(nested)]
    replica: Replica,
}

fn main() {
    let settings = Settings::from_vars([
        ("APP_PORT", "8080"),
        ("APP_REPLICA_DATABASE_URL", "sqlite::memory:"),
    ])
    .unwrap();
    assert_eq!(settings.port, 8080);
    assert_eq!(settings.log_level, "info");
    assert!(settings.name.is_none());
    assert!(settings.database_url().is_fallback());
    assert!(!settings.replica.database_url().is_fallback());
}
