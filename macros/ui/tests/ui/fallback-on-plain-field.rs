use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    database_url: DatabaseUrl,
    #[settings(fallback = "sqlite://data/app.db")]
    cache_path: String,
}

fn main() {}
