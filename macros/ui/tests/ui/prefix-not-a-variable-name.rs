use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
#[settings(prefix = "APP ")]
struct Settings {
    database_url: DatabaseUrl,
}

fn main() {}
