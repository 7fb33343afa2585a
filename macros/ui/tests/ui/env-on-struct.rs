use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
#[settings(env = "DATABASE_URL")]
struct Settings {
    database_url: DatabaseUrl,
}

fn main() {}
