use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
#[settings(prefix = "")]
struct Settings {
    #[settings(fallback = "mysql://localhost/app", strict, strict)]
    database_url: DatabaseUrl,
    #[settings(env = "", deflt = 1)]
    port: u16,
}

fn main() {}
