use dbsettings::{Pool, insert_id, on_pool, sql};

// MySQL reads the id with LAST_INSERT_ID() where the others use RETURNING:
// without the clause there is nothing to read on PostgreSQL and SQLite.
async fn create(pool: &Pool) -> Result<i64, dbsettings::sqlx::Error> {
    on_pool!(pool, p => {
        insert_id(sql!("INSERT INTO todos (title) VALUES ($1)"))
            .bind("buy milk")
            .fetch(p)
            .await
    })
}

fn main() {
    let _ = create;
}
