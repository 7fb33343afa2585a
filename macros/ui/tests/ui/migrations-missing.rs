use dbsettings::{DatabaseSettings, DatabaseUrl};

// The directory is resolved against the crate's Cargo.toml, at compile time.
#[derive(DatabaseSettings)]
struct Settings {
    #[settings(migrations = "no-such-directory")]
    database_url: DatabaseUrl,
}

fn main() {}
