//! `on_pool!`: a body written once, compiled once per backend compiled into
//! dbsettings, each time with that backend's typed pool.
//!
//! `Pool` is `#[non_exhaustive]` (turning a driver feature on adds a
//! variant), so a `match` on it in another crate needs a catch-all arm. The
//! macro matches on [`Dispatch`] instead: always three variants, none
//! non-exhaustive, each holding a reference to its typed pool, or to the
//! empty [`Off`] when that driver is not compiled in. The arm of a driver
//! that is off never compiles the body: its helper macro, defined under
//! dbsettings' own `#[cfg(feature = ...)]` (a `cfg` in the macro's expansion
//! would test the user's features), expands to `match *p {}` instead.

use crate::Pool;

/// An uninhabited stand-in for the pool of a driver that is not compiled in.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Off {}

/// The PostgreSQL pool, or [`Off`] without the `postgres` feature.
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub(crate) type PostgresPool<'a> = super::PoolRef<'a, sqlx::Postgres>;
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
pub(crate) type PostgresPool<'a> = Off;

/// The MySQL pool, or [`Off`] without the `mysql` feature.
#[cfg(feature = "mysql")]
#[doc(hidden)]
pub(crate) type MySqlPool<'a> = super::PoolRef<'a, sqlx::MySql>;
#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
pub(crate) type MySqlPool<'a> = Off;

/// The SQLite pool, or [`Off`] without the `sqlite` feature.
#[cfg(feature = "sqlite")]
#[doc(hidden)]
pub(crate) type SqlitePool<'a> = super::PoolRef<'a, sqlx::Sqlite>;
#[cfg(not(feature = "sqlite"))]
#[doc(hidden)]
pub(crate) type SqlitePool<'a> = Off;

/// What `on_pool!` matches on: exhaustive in every crate, whatever the
/// features.
#[doc(hidden)]
#[derive(Debug)]
pub enum Dispatch<'a> {
    /// `Pool::Postgres`.
    Postgres(PostgresPool<'a>),
    /// `Pool::MySql`.
    MySql(MySqlPool<'a>),
    /// `Pool::Sqlite`.
    Sqlite(SqlitePool<'a>),
}

/// The pool's variant, for `on_pool!`.
/// `#[track_caller]`: called from `on_pool!`'s expansion, whose location is
/// the macro's call site, where the body's statements take connections.
#[doc(hidden)]
#[must_use]
#[track_caller]
pub fn dispatch(pool: &Pool) -> Dispatch<'_> {
    match pool {
        #[cfg(feature = "postgres")]
        Pool::Postgres(p) => Dispatch::Postgres(super::PoolRef::new(p)),
        #[cfg(feature = "mysql")]
        Pool::MySql(p) => Dispatch::MySql(super::PoolRef::new(p)),
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(p) => Dispatch::Sqlite(super::PoolRef::new(p)),
    }
}

/// Runs a body with the typed pool of whichever backend `pool` is: the body
/// is written once and compiled for each driver compiled into dbsettings,
/// each time with `$p` bound to that driver's pool (a
/// [`&PoolRef`](crate::query::PoolRef) of `sqlx::Postgres`, `sqlx::MySql`
/// or `sqlx::Sqlite`: an executor with `begin()`, that derefs to the
/// sqlx pool), so rows decode with native types. No catch-all arm is
/// needed, whichever drivers are turned off.
///
/// Through `p`, a connect refused for its credentials re-reads a rotated
/// secret and tries once more, and behind a transaction-mode pooler each
/// statement runs unnamed in a transaction of its own: the same body works
/// everywhere.
///
/// `pool` is a [`Pool`](crate::Pool) or a `&Pool`; every arm must have the
/// same type. With [`sql!`](crate::sql!) and [`query`](fn@crate::query), a
/// statement is written once too:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use dbsettings::{DatabaseSettings, DatabaseUrl, on_pool, sql};
///
/// #[derive(DatabaseSettings)]
/// struct Settings {
///     #[settings(fallback = "sqlite::memory:")]
///     database_url: DatabaseUrl,
/// }
///
/// let settings = Settings::from_vars([("DATABASE_URL", "")])?;
/// let pool = settings.database().pool().await?;
/// let answer: i64 = on_pool!(pool, p => {
///     dbsettings::query_scalar(sql!("SELECT $1 + 1")).bind(41_i64).fetch_one(p).await?
/// });
/// assert_eq!(answer, 42);
/// # Ok(()) }
/// ```
#[macro_export]
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr $(,)?) => {
        match &$crate::__private::dispatch(::core::borrow::Borrow::borrow(&$pool)) {
            $crate::__private::Dispatch::Postgres($p) => {
                $crate::__private::postgres_arm!($p, $body)
            }
            $crate::__private::Dispatch::MySql($p) => $crate::__private::mysql_arm!($p, $body),
            $crate::__private::Dispatch::Sqlite($p) => $crate::__private::sqlite_arm!($p, $body),
        }
    };
}

/// Used by `on_pool!`, not public API: the body, as the `postgres`
/// feature is on.
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __dbsettings_postgres_arm {
    ($p:ident, $body:expr) => {
        $body
    };
}

/// Used by `on_pool!`, not public API: no body, as the `postgres` feature
/// is off and `$p` is uninhabited.
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __dbsettings_postgres_arm {
    ($p:ident, $body:expr) => {
        match *$p {}
    };
}

/// Used by `on_pool!`, not public API: the body, as the `mysql` feature is
/// on.
#[cfg(feature = "mysql")]
#[doc(hidden)]
#[macro_export]
macro_rules! __dbsettings_mysql_arm {
    ($p:ident, $body:expr) => {
        $body
    };
}

/// Used by `on_pool!`, not public API: no body, as the `mysql` feature is
/// off and `$p` is uninhabited.
#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __dbsettings_mysql_arm {
    ($p:ident, $body:expr) => {
        match *$p {}
    };
}

/// Used by `on_pool!`, not public API: the body, as the `sqlite` feature is
/// on.
#[cfg(feature = "sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __dbsettings_sqlite_arm {
    ($p:ident, $body:expr) => {
        $body
    };
}

/// Used by `on_pool!`, not public API: no body, as the `sqlite` feature is
/// off and `$p` is uninhabited.
#[cfg(not(feature = "sqlite"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __dbsettings_sqlite_arm {
    ($p:ident, $body:expr) => {
        match *$p {}
    };
}
