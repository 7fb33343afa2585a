// Parameters are numbered from `$1`, in a `u32`.
const ZERO: dbsettings::query::Sql = dbsettings::sql!("SELECT $0");
const HUGE: dbsettings::query::Sql = dbsettings::sql!("SELECT $99999999999");

fn main() {
    let _ = (ZERO, HUGE);
}
