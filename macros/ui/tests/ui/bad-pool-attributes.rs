use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(
        max_connections = 0,
        connect_timeout = "fast",
        idle_timeout = 1.5,
        on_unreachable = "retry",
        migrations = ""
    )]
    database_url: DatabaseUrl,
}

fn main() {}
