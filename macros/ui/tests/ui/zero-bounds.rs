use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(connect_timeout = "0s", acquire_timeout = 0, credentials_poll = "0ms")]
    database_url: DatabaseUrl,
}

fn main() {}
