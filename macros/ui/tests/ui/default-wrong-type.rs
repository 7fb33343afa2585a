use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    database_url: DatabaseUrl,
    #[settings(default = "7860")]
    port: u16,
    #[settings(default = 3)]
    log_level: String,
}

fn main() {}
