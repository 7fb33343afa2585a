use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings)]
struct Settings {
    #[settings(max_lifetime = "1m", lifetime_jitter = "2m")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings)]
struct Equal {
    #[settings(max_lifetime = "10s", lifetime_jitter = "10s")]
    database_url: DatabaseUrl,
}

// Against the default lifetime (30 min).
#[derive(DatabaseSettings)]
struct Default {
    #[settings(lifetime_jitter = "30m")]
    database_url: DatabaseUrl,
}

fn main() {}
