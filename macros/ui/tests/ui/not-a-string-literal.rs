use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = DATABASE_URL)]
    database_url: DatabaseUrl,
}

fn main() {}
