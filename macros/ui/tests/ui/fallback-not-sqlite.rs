use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(fallback = "postgresql://localhost/app")]
    database_url: DatabaseUrl,
}

fn main() {}
