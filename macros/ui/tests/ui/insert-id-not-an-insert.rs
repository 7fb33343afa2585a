use dbsettings::{Pool, insert_id, on_pool, sql};

// Only an INSERT generates the id MySQL's LAST_INSERT_ID() reads: after an
// UPDATE it would be another statement's id (or 0).
async fn rename(pool: &Pool) -> Result<i64, dbsettings::sqlx::Error> {
    on_pool!(pool, p => {
        insert_id(sql!("UPDATE todos SET title = $1 WHERE id = $2 RETURNING id"))
            .bind("buy bread")
            .bind(1_i64)
            .fetch(p)
            .await
    })
}

fn main() {
    let _ = rename;
}
