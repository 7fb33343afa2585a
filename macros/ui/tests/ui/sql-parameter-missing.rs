// A gap, and a statement whose first parameter is not `$1`.
const GAP: dbsettings::query::Sql = dbsettings::sql!("SELECT * FROM todos WHERE id = $1 AND done = $3");
const NO_FIRST: dbsettings::query::Sql = dbsettings::sql!("SELECT * FROM todos WHERE id = $2");

fn main() {
    let _ = (GAP, NO_FIRST);
}
