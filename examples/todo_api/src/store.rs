//! The todos table, one code path for every backend: each statement is
//! written once with `$N` placeholders (`sql!` translates it for MySQL at
//! compile time) and runs on whichever typed pool `on_pool!` hands over,
//! so rows decode with native types.

use dbsettings::{Pool, insert_id, on_pool, query, query_as, sql, sqlx};
use serde::Serialize;

/// A todo item.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Todo {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) done: bool,
}

/// `id, title, done`, as every backend decodes them.
type Row = (i64, String, bool);

impl From<Row> for Todo {
    fn from((id, title, done): Row) -> Self {
        Self { id, title, done }
    }
}

pub(crate) async fn list(pool: &Pool) -> Result<Vec<Todo>, sqlx::Error> {
    let rows: Vec<Row> = on_pool!(pool, p => {
        query_as(sql!("SELECT id, title, done FROM todos ORDER BY id"))
            .fetch_all(p)
            .await?
    });
    Ok(rows.into_iter().map(Todo::from).collect())
}

/// At most `limit` todos older than `before` (all of them when `None`),
/// newest first, and whether there are more after them.
pub(crate) async fn page(
    pool: &Pool,
    before: Option<i64>,
    limit: u32,
) -> Result<(Vec<Todo>, bool), sqlx::Error> {
    let before = before.unwrap_or(i64::MAX);
    // One more than shown: whether it comes says whether there are more.
    let fetch = i64::from(limit) + 1;
    let rows: Vec<Row> = on_pool!(pool, p => {
        query_as(sql!("SELECT id, title, done FROM todos WHERE id < $1 ORDER BY id DESC LIMIT $2"))
            .bind(before)
            .bind(fetch)
            .fetch_all(p)
            .await?
    });
    let more = rows.len() > limit as usize;
    let todos = rows
        .into_iter()
        .take(limit as usize)
        .map(Todo::from)
        .collect();
    Ok((todos, more))
}

pub(crate) async fn get(pool: &Pool, id: i64) -> Result<Option<Todo>, sqlx::Error> {
    let row: Option<Row> = on_pool!(pool, p => {
        query_as(sql!("SELECT id, title, done FROM todos WHERE id = $1"))
            .bind(id)
            .fetch_optional(p)
            .await?
    });
    Ok(row.map(Todo::from))
}

pub(crate) async fn create(pool: &Pool, title: &str, done: bool) -> Result<Todo, sqlx::Error> {
    // RETURNING on PostgreSQL and SQLite, LAST_INSERT_ID() on MySQL.
    let id = on_pool!(pool, p => {
        insert_id(sql!("INSERT INTO todos (title, done) VALUES ($1, $2) RETURNING id"))
            .bind(title)
            .bind(done)
            .fetch(p)
            .await?
    });
    let title = title.to_owned();
    Ok(Todo { id, title, done })
}

pub(crate) async fn update(
    pool: &Pool,
    id: i64,
    title: Option<&str>,
    done: Option<bool>,
) -> Result<Option<Todo>, sqlx::Error> {
    on_pool!(pool, p => {
        query(sql!("UPDATE todos SET title = COALESCE($1, title), done = COALESCE($2, done) WHERE id = $3"))
            .bind(title)
            .bind(done)
            .bind(id)
            .execute(p)
            .await?;
    });
    // Not rows_affected: MySQL counts rows changed, not matched, so a no-op
    // update of an existing row would look missing. The lookup says.
    get(pool, id).await
}

pub(crate) async fn delete(pool: &Pool, id: i64) -> Result<bool, sqlx::Error> {
    let deleted = on_pool!(pool, p => {
        query(sql!("DELETE FROM todos WHERE id = $1"))
            .bind(id)
            .execute(p)
            .await?
            .rows_affected()
    });
    Ok(deleted > 0)
}
