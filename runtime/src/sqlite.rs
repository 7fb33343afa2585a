//! SQLite for a web server: the write path that never sees
//! `database is locked`.

/// Starts a write transaction with `BEGIN IMMEDIATE`.
///
/// A plain `BEGIN` is deferred: it takes the write lock only at the first
/// write, and when another connection wrote in between, SQLite cannot wait
/// for the lock without breaking the transaction's snapshot, so it fails at
/// once with `SQLITE_BUSY` (or `SQLITE_BUSY_SNAPSHOT` in WAL mode), whatever
/// the `busy_timeout`. `BEGIN IMMEDIATE` takes the write lock up front, where
/// waiting is safe, so concurrent read-then-write transactions queue instead
/// of failing. Use it for every transaction that may write; plain reads and
/// single autocommit statements need nothing special.
///
/// ```no_run
/// # async fn demo(pool: &dbsettings::sqlx::SqlitePool) -> Result<(), dbsettings::sqlx::Error> {
/// let mut tx = dbsettings::sqlite::begin_write(pool).await?;
/// let n: i64 = dbsettings::sqlx::query_scalar("SELECT count(*) FROM notes")
///     .fetch_one(&mut *tx)
///     .await?;
/// dbsettings::sqlx::query("INSERT INTO notes (body) VALUES (?)")
///     .bind(format!("note {n}"))
///     .execute(&mut *tx)
///     .await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub async fn begin_write(
    pool: &sqlx::SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}
