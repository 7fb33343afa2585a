//! The session set-up every connection of a pool gets, as one [`Plan`] per
//! pool: on a direct connection, startup parameters (a reader's read-only
//! sessions, `search_path`, `statement_timeout`, `options`); behind a
//! transaction-mode pooler, which passes a server connection from client to
//! client at each transaction's end (and PgBouncer refuses or ignores the
//! `options` startup parameter), `SET LOCAL` of each setting first in each
//! transaction; and where neither can hold, a refusal that names the
//! settings and the way out.

use sqlx_core::sql_str::SqlStr;

/// How one pool's sessions get their settings in its environment. Every
/// path of [`PoolRef`](crate::query::PoolRef) asks it; none sets a session
/// its own way.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Behind a transaction-mode pooler: a server connection is the
    /// client's for one transaction only.
    pub(crate) pooled: bool,
    /// Behind a pooler: what each transaction runs first.
    pub(crate) statement: Option<SqlStr>,
    /// Behind a pooler with settings: `BEGIN` and the settings in one
    /// round trip, for the transactions of single statements.
    pub(crate) begin: Option<SqlStr>,
    /// Behind a pooler: the settings that hold per transaction only, as
    /// messages name them.
    pub(crate) held: Vec<String>,
}

impl Plan {
    /// The plan of a pool: `pooled` behind a transaction-mode pooler,
    /// `read_only` for a reader, with the URL's session `settings` (those a
    /// pooler would drop as startup options; empty on a direct connection,
    /// where they are startup parameters already).
    pub(crate) fn new(pooled: bool, read_only: bool, settings: &[(String, String)]) -> Self {
        if !pooled {
            return Self::default();
        }
        let mut all = Vec::with_capacity(settings.len() + 1);
        all.extend(settings.iter().cloned());
        // Last, so that no setting of the URL's (`options=-c
        // transaction_read_only=off`) can make a reader writable.
        if read_only {
            all.push(("transaction_read_only".to_owned(), "on".to_owned()));
        }
        let statement = settings_statement(&all);
        let begin = statement.as_ref().map(|s| {
            use sqlx::SqlSafeStr as _;
            sqlx::AssertSqlSafe(format!("BEGIN; {}", s.as_str())).into_sql_str()
        });
        Self {
            pooled,
            begin,
            statement,
            held: all.into_iter().map(|(name, _)| name).collect(),
        }
    }

    /// Why a connection held outside a transaction cannot be handed out
    /// here: behind a transaction-mode pooler, the server connection under
    /// it may change between two statements (sqlx prepares a statement and
    /// binds it in two round trips, and names it for the connection), and
    /// the settings that hold per transaction would be missing.
    pub(crate) fn refuse_held_connection(&self) -> Option<String> {
        if !self.pooled {
            return None;
        }
        let settings = if self.held.is_empty() {
            String::new()
        } else {
            format!(
                ", and {} would not hold on it (they are set in each transaction)",
                self.names()
            )
        };
        Some(format!(
            "behind a transaction-mode pooler (`pgbouncer=true`), a connection held outside a \
             transaction may change server connection between two statements{settings}: use \
             `p.begin()` for work on one connection, or a direct URL (the `direct_url` \
             attribute) for session work"
        ))
    }

    /// The settings held per transaction, in words: `search_path`,
    /// read-only, ...
    pub(crate) fn names(&self) -> String {
        self.held
            .iter()
            .map(|n| match n.as_str() {
                "transaction_read_only" => "the reader's read-only session".to_owned(),
                other => format!("`{other}`"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A reader's session on a direct connection: read-only from its start,
/// so a write through it fails loudly.
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
fn settings_statement(session: &[(String, String)]) -> Option<SqlStr> {
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

#[cfg(test)]
mod tests {
    use super::Plan;

    #[test]
    fn a_direct_plan_sets_nothing_per_transaction() {
        let plan = Plan::new(false, true, &[("search_path".into(), "\"s\"".into())]);
        assert!(plan.statement.is_none());
        assert!(plan.refuse_held_connection().is_none());
    }

    #[test]
    fn a_pooled_reader_is_read_only_in_each_transaction() {
        let plan = Plan::new(true, true, &[("statement_timeout".into(), "5s".into())]);
        let sql = plan.statement.as_ref().unwrap().as_str().to_owned();
        assert!(
            sql.ends_with("SET LOCAL transaction_read_only TO 'on'; "),
            "{sql}"
        );
        assert!(sql.contains("SET LOCAL statement_timeout TO '5s'"), "{sql}");
        let why = plan.refuse_held_connection().unwrap();
        assert!(
            why.contains("read-only") && why.contains("`statement_timeout`"),
            "{why}"
        );
        assert!(why.contains("p.begin()"), "{why}");
    }

    #[test]
    fn a_pooled_primary_without_settings_still_refuses_a_held_connection() {
        let plan = Plan::new(true, false, &[]);
        assert!(plan.statement.is_none());
        let why = plan.refuse_held_connection().unwrap();
        assert!(!why.contains(", and"), "{why}");
    }
}
