use dbsettings::{DatabaseSettings, DatabaseUrl};

struct NotSettings {
    url: String,
}

#[derive(DatabaseSettings)]
struct Settings {
    database_url: DatabaseUrl,
    #[settings(nested)]
    other: NotSettings,
}

fn main() {}
