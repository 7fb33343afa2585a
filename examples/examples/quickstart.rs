//! Loads database settings the way a service would, with nothing required:
//! prints which database was chosen, from where and why, password hidden.
//!
//! ```sh
//! cargo run --example quickstart
//! DATABASE_URL='"postgresql+asyncpg://postgres:secret@127.0.0.1:5432/test"' cargo run --example quickstart
//! ```

use dbsettings::{DatabaseSettings, DatabaseUrl};

/// The settings of a small web service.
#[derive(DatabaseSettings, Debug)]
struct Settings {
    /// The database; SQLite under `./data` when `DATABASE_URL` is unusable.
    #[settings(
        env = "DATABASE_URL",
        alias = "POSTGRES_URL",
        fallback = "sqlite://data/app.db"
    )]
    database_url: DatabaseUrl,
    /// The HTTP port (Hugging Face Spaces expects 7860).
    #[settings(default = 7860)]
    port: u16,
    /// An optional log filter.
    log_level: Option<String>,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_target(true)
        .with_writer(std::io::stderr)
        .init();

    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let url = settings.database_url();
    println!("database: {url}");
    println!("backend:  {}", url.backend());
    println!("fallback: {}", url.is_fallback());
    println!("port:     {}", settings.port);
    println!(
        "log:      {}",
        settings.log_level.as_deref().unwrap_or("(default)")
    );
    println!("\nhow it was resolved:\n  {}", url.resolution());
    std::process::ExitCode::SUCCESS
}
