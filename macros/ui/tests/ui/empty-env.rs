use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "")]
    database_url: DatabaseUrl,
    #[settings(env = "APP PORT")]
    port: u16,
}

fn main() {}
