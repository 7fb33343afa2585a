use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    database_url: DatabaseUrl,
    #[settings(default = "info")]
    log_level: Option<String>,
}

fn main() {}
