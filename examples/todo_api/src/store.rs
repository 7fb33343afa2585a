//! The todos table on each backend: the same statements, with the
//! placeholders and `RETURNING` support of each.

use dbsettings::{Pool, sqlx};
use serde::Serialize;
use sqlx::Row as _;

/// A todo item.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Todo {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) done: bool,
}

/// Runs `$body` with `$p` bound to the typed pool, whichever it is. Each
/// arm is compiled for its own database, so rows decode with native types.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            Pool::Postgres($p) => $body,
            Pool::MySql($p) => $body,
            Pool::Sqlite($p) => $body,
            other => Err(sqlx::Error::Configuration(
                format!("no driver for {}", other.backend()).into(),
            )),
        }
    };
}

macro_rules! todo_from {
    ($row:expr) => {
        Todo {
            id: $row.try_get("id")?,
            title: $row.try_get("title")?,
            done: $row.try_get("done")?,
        }
    };
}

/// Picks the statement with `$n` placeholders for PostgreSQL, `?` otherwise.
fn sql(pool: &Pool, postgres: &'static str, others: &'static str) -> &'static str {
    if matches!(pool, Pool::Postgres(_)) {
        postgres
    } else {
        others
    }
}

pub(crate) async fn list(pool: &Pool) -> Result<Vec<Todo>, sqlx::Error> {
    let q = "SELECT id, title, done FROM todos ORDER BY id";
    on_pool!(pool, p => {
        let rows = sqlx::query(q).fetch_all(p).await?;
        rows.iter().map(|r| Ok(todo_from!(r))).collect()
    })
}

pub(crate) async fn get(pool: &Pool, id: i64) -> Result<Option<Todo>, sqlx::Error> {
    let q = sql(
        pool,
        "SELECT id, title, done FROM todos WHERE id = $1",
        "SELECT id, title, done FROM todos WHERE id = ?",
    );
    on_pool!(pool, p => {
        match sqlx::query(q).bind(id).fetch_optional(p).await? {
            Some(r) => Ok(Some(todo_from!(r))),
            None => Ok(None),
        }
    })
}

pub(crate) async fn create(pool: &Pool, title: &str, done: bool) -> Result<Todo, sqlx::Error> {
    match pool {
        // MySQL has no INSERT ... RETURNING (MariaDB does; MySQL does not).
        Pool::MySql(p) => {
            let id = sqlx::query("INSERT INTO todos (title, done) VALUES (?, ?)")
                .bind(title)
                .bind(done)
                .execute(p)
                .await?
                .last_insert_id();
            let id = i64::try_from(id).map_err(|e| sqlx::Error::Decode(e.into()))?;
            get(pool, id).await?.ok_or(sqlx::Error::RowNotFound)
        }
        _ => {
            let q = sql(
                pool,
                "INSERT INTO todos (title, done) VALUES ($1, $2) RETURNING id, title, done",
                "INSERT INTO todos (title, done) VALUES (?, ?) RETURNING id, title, done",
            );
            on_pool!(pool, p => {
                let r = sqlx::query(q).bind(title).bind(done).fetch_one(p).await?;
                Ok(todo_from!(r))
            })
        }
    }
}

pub(crate) async fn update(
    pool: &Pool,
    id: i64,
    title: Option<&str>,
    done: Option<bool>,
) -> Result<Option<Todo>, sqlx::Error> {
    let q = sql(
        pool,
        "UPDATE todos SET title = COALESCE($1, title), done = COALESCE($2, done) WHERE id = $3",
        "UPDATE todos SET title = COALESCE(?, title), done = COALESCE(?, done) WHERE id = ?",
    );
    on_pool!(pool, p => {
        sqlx::query(q).bind(title).bind(done).bind(id).execute(p).await.map(drop)
    })?;
    // Not rows_affected: MySQL counts rows changed, not matched, so a no-op
    // update of an existing row would look missing. The lookup says.
    get(pool, id).await
}

pub(crate) async fn delete(pool: &Pool, id: i64) -> Result<bool, sqlx::Error> {
    let q = sql(
        pool,
        "DELETE FROM todos WHERE id = $1",
        "DELETE FROM todos WHERE id = ?",
    );
    on_pool!(pool, p => {
        sqlx::query(q).bind(id).execute(p).await.map(|r| r.rows_affected() > 0)
    })
}
