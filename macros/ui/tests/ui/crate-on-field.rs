use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(crate = "dbsettings")]
    database_url: DatabaseUrl,
}

fn main() {}
