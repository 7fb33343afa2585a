use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
#[settings(crate = "dbsettings")]
#[settings(crate = "::dbsettings")]
struct Settings {
    database_url: DatabaseUrl,
}

fn main() {}
