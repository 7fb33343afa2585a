use dbsettings::{DatabaseSettings, DatabaseUrl};

// The bounds a URL parameter and a `DATABASE_*` override keep too.
#[derive(DatabaseSettings)]
struct Settings {
    #[settings(max_connections = 10001, connect_timeout = "169h", max_lifetime = 604801)]
    database_url: DatabaseUrl,
}

// At the bounds: accepted.
#[derive(DatabaseSettings)]
struct AtTheBounds {
    #[settings(max_connections = 10000, idle_timeout = "168h", max_lifetime = 604800)]
    database_url: DatabaseUrl,
}

fn main() {}
