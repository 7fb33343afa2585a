use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(connect_timeout = "3s", max_lifetime = "2s")]
    database_url: DatabaseUrl,
}

// Against the default connect timeout (5 s).
#[derive(DatabaseSettings)]
struct Default {
    #[settings(max_lifetime = "4s")]
    database_url: DatabaseUrl,
}

// `0` keeps connections: no lifetime, no rule.
#[derive(DatabaseSettings)]
struct Kept {
    #[settings(connect_timeout = "3s", max_lifetime = 0)]
    database_url: DatabaseUrl,
}

fn main() {}
