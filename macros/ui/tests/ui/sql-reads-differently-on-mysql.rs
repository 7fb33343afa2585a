// Statements that MySQL would read otherwise than PostgreSQL: each is an
// error on its literal, saying why and what to write instead.

// SQL `'\'`: one backslash on PostgreSQL, an unterminated string on MySQL.
const BACKSLASH: dbsettings::query::Sql = dbsettings::sql!(r"SELECT REPLACE($1, '\', '/')");
// SQL `'\\'`: two backslashes on PostgreSQL, one on MySQL.
const TWO_BACKSLASHES: dbsettings::query::Sql = dbsettings::sql!("SELECT REPLACE($1, '\\\\', '/')");
// MySQL reads `'x\' AS a, ? AS b, '` as one string and binds the `?` of
// `',?'`: as many placeholders, in other places.
const MISBOUND: dbsettings::query::Sql =
    dbsettings::sql!(r"SELECT 'x\' AS a, $1 AS b, ',?' AS c -- '");
// `#` comments out `, $2 AS b` on MySQL.
const HASH: dbsettings::query::Sql = dbsettings::sql!("SELECT $1 AS a # , $2 AS b\n");
// `--x` is a comment on PostgreSQL, two minus signs on MySQL.
const DASHES: dbsettings::query::Sql = dbsettings::sql!("SELECT $1 --x\n");
// PostgreSQL nests comments; MySQL ends this one at the first `*/`.
const NESTED: dbsettings::query::Sql = dbsettings::sql!("SELECT /* a /* b */ $2 */ $1");
// MySQL runs the text of `/*! ... */`.
const EXECUTABLE: dbsettings::query::Sql = dbsettings::sql!("SELECT /*! STRAIGHT_JOIN */ $1");
// MySQL has no dollar quotes.
const DOLLAR: dbsettings::query::Sql = dbsettings::sql!("SELECT $$ it's $$, $1");

fn main() {
    let _ = (
        BACKSLASH,
        TWO_BACKSLASHES,
        MISBOUND,
        HASH,
        DASHES,
        NESTED,
        EXECUTABLE,
        DOLLAR,
    );
}
