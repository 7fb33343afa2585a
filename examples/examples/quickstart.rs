//! A service's start-up, with nothing required: load the settings, say which
//! database was chosen and why (password hidden), then a real round trip:
//! migrate, insert a note, read it back.
//!
//! ```sh
//! cargo run --example quickstart
//! DATABASE_URL='"postgresql+asyncpg://postgres:secret@127.0.0.1:5432/test"' cargo run --example quickstart
//! DATABASE_URL=mysql://root@127.0.0.1:3306/test cargo run --example quickstart
//! ```

use dbsettings::{DatabaseSettings, DatabaseUrl, Pool, sqlx};

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
    let (stored, count) = match &pool {
        Pool::Postgres(p) => {
            let id: i64 = sqlx::query_scalar("INSERT INTO notes (body) VALUES ($1) RETURNING id")
                .bind(&body)
                .fetch_one(p)
                .await?;
            let stored: String = sqlx::query_scalar("SELECT body FROM notes WHERE id = $1")
                .bind(id)
                .fetch_one(p)
                .await?;
            (
                stored,
                sqlx::query_scalar("SELECT count(*) FROM notes")
                    .fetch_one(p)
                    .await?,
            )
        }
        Pool::MySql(p) => {
            let id = sqlx::query("INSERT INTO notes (body) VALUES (?)")
                .bind(&body)
                .execute(p)
                .await?
                .last_insert_id();
            let stored: String = sqlx::query_scalar("SELECT body FROM notes WHERE id = ?")
                .bind(id)
                .fetch_one(p)
                .await?;
            (
                stored,
                sqlx::query_scalar("SELECT count(*) FROM notes")
                    .fetch_one(p)
                    .await?,
            )
        }
        Pool::Sqlite(p) => {
            // Writes that read first go through BEGIN IMMEDIATE.
            let mut tx = dbsettings::sqlite::begin_write(p).await?;
            let id: i64 = sqlx::query_scalar("INSERT INTO notes (body) VALUES (?) RETURNING id")
                .bind(&body)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            let stored: String = sqlx::query_scalar("SELECT body FROM notes WHERE id = ?")
                .bind(id)
                .fetch_one(p)
                .await?;
            (
                stored,
                sqlx::query_scalar("SELECT count(*) FROM notes")
                    .fetch_one(p)
                    .await?,
            )
        }
        other => return Err(format!("unexpected backend {}", other.backend()).into()),
    };
    let count: i64 = count;
    println!("wrote and read back: {stored:?}");
    println!("notes in the database: {count}");
    db.close().await;
    Ok(())
}
