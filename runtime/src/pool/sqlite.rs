//! SQLite for a web server: the write path that never sees
//! `database is locked`.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::OwnedMutexGuard;

/// One writer's turn per database file in this process. Writers queue here,
/// woken in order, instead of in SQLite's busy handler, which polls with
/// sleeps of up to 100 ms.
fn turn_for(pool: &SqlitePool) -> Arc<tokio::sync::Mutex<()>> {
    static TURNS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut turns = TURNS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Arc::clone(turns.entry(file).or_default())
}

/// A write transaction from [`begin_write`]: use it as the connection
/// (`&mut *tx`), then [`commit`](Self::commit). Dropping it rolls back.
pub struct WriteTransaction {
    tx: Transaction<'static, Sqlite>,
    _turn: OwnedMutexGuard<()>,
}

impl WriteTransaction {
    /// Commits the transaction and lets the next writer in.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls the transaction back and lets the next writer in.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl Deref for WriteTransaction {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTransaction {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

impl core::fmt::Debug for WriteTransaction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WriteTransaction").finish_non_exhaustive()
    }
}

/// Starts a write transaction: one writer at a time per database file in
/// this process, then `BEGIN IMMEDIATE`.
///
/// A plain `BEGIN` is deferred: it takes the write lock only at the first
/// write, and when another connection wrote in between, SQLite cannot wait
/// for the lock without breaking the transaction's snapshot, so it fails at
/// once with `SQLITE_BUSY` (`SQLITE_BUSY_SNAPSHOT` in WAL mode), whatever the
/// `busy_timeout`. `BEGIN IMMEDIATE` takes the write lock up front, where
/// waiting is safe; writers of this process wait their turn in an async
/// queue first, so the lock is free when they ask (other processes are
/// waited for by `busy_timeout`). Use it for every transaction that may
/// write; reads and single autocommit statements need nothing special.
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
pub async fn begin_write(pool: &SqlitePool) -> Result<WriteTransaction, sqlx::Error> {
    let turn = turn_for(pool).lock_owned().await;
    let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    Ok(WriteTransaction { tx, _turn: turn })
}
