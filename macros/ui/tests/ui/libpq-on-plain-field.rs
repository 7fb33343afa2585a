use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(libpq = false)]
    database_url: DatabaseUrl,
    #[settings(libpq = true)]
    port: u16,
}

fn main() {}
