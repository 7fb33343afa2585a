use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(pgbouncer = "yes", startup_wait = "soon", credentials_poll = "often")]
    database_url: DatabaseUrl,
}

fn main() {}
