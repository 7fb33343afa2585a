use dbsettings::{DatabaseSettings, DatabaseUrl};

const URL: &str = "sqlite::memory:";

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(default = URL)]
    database_url: DatabaseUrl,
}

fn main() {}
