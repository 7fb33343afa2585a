use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL")]
    database_url: DatabaseUrl,
    #[settings(alias = "DATABASE_URL")]
    backup_url: String,
}

fn main() {}
