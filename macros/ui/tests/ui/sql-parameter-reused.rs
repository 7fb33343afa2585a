// MySQL's `?` is positional: it cannot say "the first parameter again".
const Q: dbsettings::query::Sql = dbsettings::sql!("SELECT * FROM todos WHERE title = $1 OR notes = $1");

fn main() {
    let _ = Q;
    // The same in an insert: one error, not a second about its type.
    let _ = dbsettings::insert_id::<dbsettings::sqlx::Sqlite>(dbsettings::sql!(
        "INSERT INTO todos (title, notes) VALUES ($1, $1) RETURNING id"
    ));
}
