use dbsettings::DatabaseSettings;

#[derive(DatabaseSettings)]
enum Settings {
    Postgres,
    Sqlite,
}

fn main() {}
