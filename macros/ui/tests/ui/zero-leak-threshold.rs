use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(leak_threshold = "0s")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings)]
struct Seconds {
    #[settings(leak_threshold = 0)]
    database_url: DatabaseUrl,
}

fn main() {}
