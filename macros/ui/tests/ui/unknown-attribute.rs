use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(fallbak = "sqlite://data/app.db")]
    database_url: DatabaseUrl,
    #[settings(colour = "blue")]
    theme: String,
}

fn main() {}
