// Each kind of quote and comment that never closes.
const STRING: dbsettings::query::Sql = dbsettings::sql!("SELECT 'it's $1'");
const ESCAPED: dbsettings::query::Sql = dbsettings::sql!(r"SELECT E'\' $1");
const IDENT: dbsettings::query::Sql = dbsettings::sql!(r#"SELECT "title FROM todos"#);
const DOLLAR: dbsettings::query::Sql = dbsettings::sql!("SELECT $body$ $1 $bdy$");
const COMMENT: dbsettings::query::Sql = dbsettings::sql!("SELECT $1 /* the title");

fn main() {
    let _ = (STRING, ESCAPED, IDENT, DOLLAR, COMMENT);
}
