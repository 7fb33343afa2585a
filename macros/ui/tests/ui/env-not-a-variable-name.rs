use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(env = "DATABASE_URL=postgresql://localhost/app")]
    database_url: DatabaseUrl,
}

fn main() {}
