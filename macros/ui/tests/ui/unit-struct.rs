use dbsettings::DatabaseSettings;

#[derive(DatabaseSettings)]
struct Settings;

fn main() {}
