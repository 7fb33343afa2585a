use dbsettings::DatabaseSettings;

#[derive(DatabaseSettings)]
struct Settings {
    port: u16,
}

fn main() {}
