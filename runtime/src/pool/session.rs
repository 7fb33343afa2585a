//! The session set-up every connection of a pool gets: a reader's
//! read-only sessions, and behind a transaction-mode pooler (which drops
//! startup options) the session settings each transaction sets.

/// A reader's session: read-only, so a write through it fails loudly.
#[cfg(feature = "postgres")]
pub(crate) fn read_only(o: &sqlx::postgres::PgConnectOptions) -> sqlx::postgres::PgConnectOptions {
    o.clone().options([("default_transaction_read_only", "on")])
}

/// A `SET LOCAL` of each setting, run first in each transaction behind a
/// transaction-mode pooler: the settings end with the transaction, as the
/// pooler's server connection passes on to other clients. Run inside the
/// transaction (not with its `BEGIN`), so a setting the server refuses
/// aborts a transaction that is then rolled back, never leaving a server
/// connection in an aborted one. `search_path` arrives quoted name by
/// name; other values are quoted as literals (checked at resolution: no
/// backslash, no control character).
pub(crate) fn settings_statement(
    session: &[(String, String)],
) -> Option<sqlx_core::sql_str::SqlStr> {
    use core::fmt::Write as _;
    use sqlx::SqlSafeStr as _;
    if session.is_empty() {
        return None;
    }
    let mut sql = String::new();
    for (name, value) in session {
        let value = if name == "search_path" {
            value.clone()
        } else {
            format!("'{}'", value.replace('\'', "''"))
        };
        let _ = write!(sql, "SET LOCAL {name} TO {value}; ");
    }
    Some(sqlx::AssertSqlSafe(sql).into_sql_str())
}
