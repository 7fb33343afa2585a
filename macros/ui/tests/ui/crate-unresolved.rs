use dbsettings::{DatabaseSettings, DatabaseUrl};

// A path that does not resolve is one error, however often the generated
// code names the crate.
#[derive(DatabaseSettings)]
#[settings(crate = "nowhere::dbsettings")]
struct Settings {
    #[settings(fallback = "sqlite::memory:", max_connections = 2)]
    database_url: DatabaseUrl,
    #[settings(default = "info")]
    log_level: String,
    name: Option<String>,
    port: u16,
}

fn main() {}
