//! A service's start-up, with nothing required: load the settings, say which
//! database was chosen and why (password hidden), then a real round trip:
//! migrate (the migrations are embedded in the binary), insert a note, read
//! it back, with each statement written once for every backend.
//!
//! ```sh
//! cargo run --example quickstart
//! DATABASE_URL='"postgresql+asyncpg://postgres:secret@127.0.0.1:5432/test"' cargo run --example quickstart
//! DATABASE_URL=mysql://root@127.0.0.1:3306/test cargo run --example quickstart
//! ```

use dbsettings::{DatabaseSettings, DatabaseUrl, insert_id, on_pool, query_scalar, sql};

/// The settings of a small web service.
#[derive(DatabaseSettings, Debug)]
struct Settings {
    /// The database; SQLite in `./data/quickstart.db` when `DATABASE_URL` is unusable.
    #[settings(
        env = "DATABASE_URL",
        alias = "POSTGRES_URL",
        fallback = "sqlite://data/quickstart.db",
        connect_timeout = "3s",
        migrations = "migrations"
    )]
    database_url: DatabaseUrl,
    /// The HTTP port (Hugging Face Spaces expects 7860).
    #[settings(default = 7860)]
    port: u16,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();

    let settings = Settings::from_env()?;
    let url = settings.database_url();
    println!("database: {url} ({})", url.backend());
    println!("port:     {}", settings.port);
    println!("resolved: {}\n", url.resolution());

    let db = settings.database();
    let pool = db.pool().await?;
    let body = format!("hello from the quickstart on {}", pool.backend());
    // One code path for every backend: `sql!` writes each statement once
    // (translated for MySQL at compile time), `on_pool!` compiles the body
    // once per driver with its typed pool, and `insert_id` reads the new
    // id with RETURNING or, on MySQL, LAST_INSERT_ID().
    let (stored, count): (String, i64) = on_pool!(pool, p => {
        let id = insert_id(sql!("INSERT INTO notes (body) VALUES ($1) RETURNING id"))
            .bind(&body)
            .fetch(p)
            .await?;
        let stored = query_scalar(sql!("SELECT body FROM notes WHERE id = $1"))
            .bind(id)
            .fetch_one(p)
            .await?;
        let count = query_scalar(sql!("SELECT count(*) FROM notes")).fetch_one(p).await?;
        (stored, count)
    });
    println!("wrote and read back: {stored:?}");
    println!("notes in the database: {count}");
    db.close().await;
    Ok(())
}
