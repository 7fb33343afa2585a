//! The session set-up every connection of a pool gets: a reader's
//! read-only sessions, and behind a transaction-mode pooler (which drops
//! startup options) the session settings each transaction sets.

/// A reader's session: read-only, so a write through it fails loudly.
#[cfg(feature = "postgres")]
pub(crate) fn read_only(o: &sqlx::postgres::PgConnectOptions) -> sqlx::postgres::PgConnectOptions {
    o.clone().options([("default_transaction_read_only", "on")])
}

/// `BEGIN` with a `SET LOCAL` of each setting: one round trip, and the
/// settings end with the transaction, as a pooler's server connection
/// passes on to other clients. `search_path` arrives quoted as an
/// identifier; other values are quoted as literals.
pub(crate) fn begin_statement(session: &[(String, String)]) -> Option<sqlx_core::sql_str::SqlStr> {
    use core::fmt::Write as _;
    use sqlx::SqlSafeStr as _;
    if session.is_empty() {
        return None;
    }
    let mut sql = String::from("BEGIN");
    for (name, value) in session {
        let value = if name == "search_path" {
            value.clone()
        } else {
            format!("'{}'", value.replace('\'', "''"))
        };
        let _ = write!(sql, "; SET LOCAL {name} TO {value}");
    }
    Some(sqlx::AssertSqlSafe(sql).into_sql_str())
}
