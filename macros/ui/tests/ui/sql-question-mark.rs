// `?` is MySQL's and SQLite's placeholder, PostgreSQL's jsonb operator.
const Q: dbsettings::query::Sql = dbsettings::sql!("SELECT * FROM todos WHERE id = ?");

fn main() {
    let _ = Q;
}
