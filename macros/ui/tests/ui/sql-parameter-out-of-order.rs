// MySQL's `?` binds in the order the placeholders appear.
const Q: dbsettings::query::Sql = dbsettings::sql!("UPDATE todos SET done = $2 WHERE id = $1");

fn main() {
    let _ = Q;
}
