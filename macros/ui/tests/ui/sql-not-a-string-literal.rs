const STATEMENT: &str = "SELECT 1";

fn main() {
    let _ = dbsettings::sql!(STATEMENT);
    let _ = dbsettings::sql!(42);
    let _ = dbsettings::sql!();
}
