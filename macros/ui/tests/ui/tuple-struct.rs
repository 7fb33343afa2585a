use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings(DatabaseUrl, u16);

fn main() {}
