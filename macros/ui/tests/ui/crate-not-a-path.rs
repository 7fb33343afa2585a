use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
#[settings(crate = "facade dbsettings")]
struct Settings {
    database_url: DatabaseUrl,
}

fn main() {}
