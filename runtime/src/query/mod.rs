//! One code path on every backend: a statement written once ([`sql!`],
//! [`Sql`]), run with whichever typed pool [`on_pool!`] hands a body
//! ([`query`], [`query_as`], [`query_scalar`]), and the id of an inserted
//! row read the same way everywhere ([`insert_id`]).
//!
//! [`sql!`]: crate::sql!
//! [`on_pool!`]: crate::on_pool!

mod dispatch;
mod executor;
mod held;
mod statements;

use core::fmt;
use core::marker::PhantomData;

use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Database, Encode, Executor, FromRow, Type};

use crate::Backend;

#[doc(hidden)]
pub use dispatch::{Dispatch, Off, dispatch};
pub use executor::{PoolRef, Transaction, TxConn};
pub use held::Conn;

/// A statement written once with PostgreSQL's `$1`, `$2`, ... placeholders,
/// with its MySQL form (`?`) translated at compile time: what [`sql!`]
/// makes. [`query`], [`query_as`] and [`query_scalar`] pick the form of the
/// backend they run on.
///
/// `K` is [`Plain`], or [`ReturningId`] for an `INSERT` that ends in
/// `RETURNING <column>`, which [`insert_id`] takes.
///
/// [`sql!`]: crate::sql!
pub struct Sql<K = Plain> {
    postgres: &'static str,
    mysql: &'static str,
    mysql_insert: &'static str,
    kind: PhantomData<K>,
}

/// A statement with nothing special about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Plain;

/// An `INSERT` that ends in `RETURNING <column>`: [`insert_id`] runs it
/// as written on PostgreSQL and SQLite, and without that clause on MySQL,
/// which has no `RETURNING`, reading `LAST_INSERT_ID()` instead. An
/// `UPDATE` or `DELETE` that ends in `RETURNING <column>` is [`Plain`]:
/// it generates no id for `LAST_INSERT_ID()` to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReturningId;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Plain {}
    impl Sealed for super::ReturningId {}
    #[cfg(feature = "postgres")]
    impl Sealed for sqlx::Postgres {}
    #[cfg(feature = "mysql")]
    impl Sealed for sqlx::MySql {}
    #[cfg(feature = "sqlite")]
    impl Sealed for sqlx::Sqlite {}
}

/// What [`sql!`](crate::sql!) found at the end of a statement: [`Plain`] or
/// [`ReturningId`].
pub trait Kind: sealed::Sealed + Copy + Send + Sync + 'static {}
impl Kind for Plain {}
impl Kind for ReturningId {}

/// A statement that [`insert_id`] can run: an `INSERT` that ends in
/// `RETURNING <id column>`.
#[diagnostic::on_unimplemented(
    message = "`insert_id` needs an `INSERT` that ends in `RETURNING <id column>`",
    label = "this statement is not an `INSERT ... RETURNING <column>`",
    note = "write it as in sql!(\"INSERT INTO notes (body) VALUES ($1) RETURNING id\"); on MySQL the clause is dropped and LAST_INSERT_ID() read instead",
    note = "only an INSERT generates the id that LAST_INSERT_ID() reads, so UPDATE or DELETE ... RETURNING has no id on MySQL: use the key in its WHERE clause, or read its rows with query_scalar where RETURNING exists (PostgreSQL, SQLite)"
)]
pub trait EndsInReturning: Kind {}
impl EndsInReturning for ReturningId {}

impl<K> Clone for Sql<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for Sql<K> {}

impl<K> PartialEq for Sql<K> {
    fn eq(&self, other: &Self) -> bool {
        self.postgres == other.postgres
    }
}

impl<K> Eq for Sql<K> {}

impl<K> fmt::Debug for Sql<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sql")
            .field("postgres", &self.postgres)
            .field("mysql", &self.mysql)
            .finish_non_exhaustive()
    }
}

impl<K> fmt::Display for Sql<K> {
    /// The statement as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.postgres)
    }
}

impl<K> Sql<K> {
    /// The statement as written, with `$N` placeholders: PostgreSQL's form,
    /// and SQLite's (sqlx's SQLite driver reads `$N`).
    #[must_use]
    pub const fn postgres(&self) -> &'static str {
        self.postgres
    }

    /// MySQL's and MariaDB's form: each `$N` replaced by `?`.
    #[must_use]
    pub const fn mysql(&self) -> &'static str {
        self.mysql
    }

    /// The form `backend` runs.
    #[must_use]
    pub const fn on(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::MySql => self.mysql,
            Backend::Postgres | Backend::Sqlite => self.postgres,
        }
    }
}

/// Used by generated code (`sql!`), not public API.
#[doc(hidden)]
#[must_use]
pub const fn sql(postgres: &'static str, mysql: &'static str) -> Sql<Plain> {
    Sql {
        postgres,
        mysql,
        mysql_insert: mysql,
        kind: PhantomData,
    }
}

/// Used by generated code (`sql!`), not public API.
#[doc(hidden)]
#[must_use]
pub const fn sql_returning_id(
    postgres: &'static str,
    mysql: &'static str,
    mysql_insert: &'static str,
) -> Sql<ReturningId> {
    Sql {
        postgres,
        mysql,
        mysql_insert,
        kind: PhantomData,
    }
}

/// A database dbsettings runs statements on: sqlx's `Postgres`, `MySql` and
/// `Sqlite`, each with its driver feature. Sealed.
pub trait Dialect: Database + sealed::Sealed {
    /// The backend.
    const BACKEND: Backend;

    /// Runs an insert and reads the new row's id: from its `RETURNING`
    /// column, or `LAST_INSERT_ID()` on MySQL. Boxed: an `impl Future` here
    /// trips rustc's "`Send` is not general enough" in axum handlers
    /// (<https://github.com/rust-lang/rust/issues/100013>).
    #[doc(hidden)]
    fn insert_id<'e, 'c: 'e, E>(
        query: Query<'static, Self, <Self as Database>::Arguments>,
        executor: E,
    ) -> BoxFuture<'e, Result<i64, sqlx::Error>>
    where
        E: 'e + Executor<'c, Database = Self>;
}

/// A boxed, `Send` future.
type BoxFuture<'a, T> = core::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The id in the first column of a `RETURNING` row: `BIGINT` or `INTEGER`.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
fn returned_id<DB>(row: &DB::Row) -> Result<i64, sqlx::Error>
where
    DB: Database,
    usize: sqlx::ColumnIndex<DB::Row>,
    i64: for<'r> sqlx::Decode<'r, DB> + Type<DB>,
    i32: for<'r> sqlx::Decode<'r, DB> + Type<DB>,
{
    use sqlx::Row as _;
    row.try_get::<i64, usize>(0)
        .or_else(|e| row.try_get::<i32, usize>(0).map(i64::from).map_err(|_| e))
}

/// The dialects whose inserts return the id in a `RETURNING` row.
macro_rules! returning_dialect {
    ($feature:literal, $db:ty, $backend:expr) => {
        #[cfg(feature = $feature)]
        impl Dialect for $db {
            const BACKEND: Backend = $backend;

            fn insert_id<'e, 'c: 'e, E>(
                query: Query<'static, Self, <Self as Database>::Arguments>,
                executor: E,
            ) -> BoxFuture<'e, Result<i64, sqlx::Error>>
            where
                E: 'e + Executor<'c, Database = Self>,
            {
                Box::pin(async move { returned_id::<Self>(&query.fetch_one(executor).await?) })
            }
        }
    };
}

returning_dialect!("postgres", sqlx::Postgres, Backend::Postgres);
returning_dialect!("sqlite", sqlx::Sqlite, Backend::Sqlite);

/// Why MySQL's `insert_id` has no id for a row it wrote.
#[cfg(feature = "mysql")]
const NO_INSERT_ID: &str = "insert_id: the INSERT wrote a row but MySQL reported no id for it (LAST_INSERT_ID() is 0), as for a table without an AUTO_INCREMENT column, so the new row's key is unknown on MySQL. The row is written. Give the table an AUTO_INCREMENT key, or run the INSERT with query(...).execute(...) and use the key you bound";

#[cfg(feature = "mysql")]
impl Dialect for sqlx::MySql {
    const BACKEND: Backend = Backend::MySql;

    fn insert_id<'e, 'c: 'e, E>(
        query: Query<'static, Self, <Self as Database>::Arguments>,
        executor: E,
    ) -> BoxFuture<'e, Result<i64, sqlx::Error>>
    where
        E: 'e + Executor<'c, Database = Self>,
    {
        Box::pin(async move {
            let done = query.execute(executor).await?;
            if done.rows_affected() == 0 {
                // As PostgreSQL's and SQLite's `RETURNING` with no row.
                return Err(sqlx::Error::RowNotFound);
            }
            match done.last_insert_id() {
                0 => Err(sqlx::Error::Protocol(NO_INSERT_ID.to_owned())),
                id => i64::try_from(id).map_err(|e| sqlx::Error::Decode(e.into())),
            }
        })
    }
}

/// `sqlx::query` for a statement written once: the form of the backend `DB`,
/// which the executor it runs on decides (`fetch_all(p)` in an
/// [`on_pool!`](crate::on_pool!) body, a transaction, a connection).
pub fn query<'q, DB: Dialect>(sql: Sql<impl Kind>) -> Query<'q, DB, <DB as Database>::Arguments> {
    sqlx::query(sql.on(DB::BACKEND))
}

/// `sqlx::query_as` for a statement written once: rows as `O`
/// (`#[derive(sqlx::FromRow)]`, or a tuple), in the form of the backend
/// `DB`: `query_as::<_, Todo>(sql!("SELECT ..."))`.
pub fn query_as<'q, DB, O>(sql: Sql<impl Kind>) -> QueryAs<'q, DB, O, <DB as Database>::Arguments>
where
    DB: Dialect,
    O: for<'r> FromRow<'r, DB::Row>,
{
    sqlx::query_as(sql.on(DB::BACKEND))
}

/// `sqlx::query_scalar` for a statement written once: the first column as
/// `O`, in the form of the backend `DB`.
pub fn query_scalar<'q, DB, O>(
    sql: Sql<impl Kind>,
) -> QueryScalar<'q, DB, O, <DB as Database>::Arguments>
where
    DB: Dialect,
    (O,): for<'r> FromRow<'r, DB::Row>,
{
    sqlx::query_scalar(sql.on(DB::BACKEND))
}

/// Inserts a row and returns its id, on every backend: the statement is an
/// `INSERT` that ends in `RETURNING <id column>`, which PostgreSQL and
/// SQLite run as written, and MySQL (which has no `RETURNING`) without that
/// clause, reading `LAST_INSERT_ID()`; [`sql!`](crate::sql!) prepares both
/// forms at compile time. A statement without the clause, or one that is
/// not an `INSERT` (`UPDATE ... RETURNING id`), is a compile error.
///
/// On MySQL the id is the one the server reports for the row's
/// `AUTO_INCREMENT` column: the value it generated, or the key the statement
/// gave that column. When no id comes back, [`fetch`](InsertId::fetch) is
/// an error, never a made-up id:
///
/// - No row inserted (MySQL's `INSERT IGNORE` of a duplicate; PostgreSQL's
///   and SQLite's `ON CONFLICT DO NOTHING`): `sqlx::Error::RowNotFound`,
///   on every backend.
/// - A row inserted into a table without an `AUTO_INCREMENT` column, on
///   MySQL (`INSERT INTO kv (id, v) VALUES ($1, $2) RETURNING id`):
///   `LAST_INSERT_ID()` is 0 and cannot know the key, so the result is a
///   `sqlx::Error::Protocol` saying so, after the row is written (in a
///   transaction, roll back if it must not be). PostgreSQL and SQLite
///   return the key, from `RETURNING`. For such a table, run the insert
///   with [`query`] and keep the key you bound: `insert_id` does not
///   return a bound value as the id, since it cannot tell which parameter
///   is the key nor what the column made of it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use dbsettings::{DatabaseSettings, DatabaseUrl, on_pool, sql};
/// # #[derive(DatabaseSettings)]
/// # struct Settings { #[settings(fallback = "sqlite::memory:")] database_url: DatabaseUrl }
/// # let pool = Settings::from_vars([("DATABASE_URL", "")])?.database().pool().await?;
/// # on_pool!(pool, p => dbsettings::query(sql!("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")).execute(p).await.map(drop))?;
/// let id: i64 = on_pool!(pool, p => {
///     dbsettings::insert_id(sql!("INSERT INTO notes (body) VALUES ($1) RETURNING id"))
///         .bind("hello")
///         .fetch(p)
///         .await?
/// });
/// assert_eq!(id, 1);
/// # Ok(()) }
/// ```
pub fn insert_id<DB: Dialect>(sql: Sql<impl EndsInReturning>) -> InsertId<DB> {
    let statement = match DB::BACKEND {
        Backend::MySql => sql.mysql_insert,
        Backend::Postgres | Backend::Sqlite => sql.postgres,
    };
    InsertId {
        query: sqlx::query(statement),
    }
}

/// An insert whose new row's id [`fetch`](Self::fetch) returns; made by
/// [`insert_id`].
#[must_use = "an insert does nothing until `fetch` runs it"]
pub struct InsertId<DB: Dialect> {
    query: Query<'static, DB, <DB as Database>::Arguments>,
}

impl<DB: Dialect> InsertId<DB> {
    /// Binds the next parameter, as `sqlx::query(...).bind` does.
    pub fn bind<'t, T: Encode<'t, DB> + Type<DB>>(mut self, value: T) -> Self {
        self.query = self.query.bind(value);
        self
    }

    /// Runs the insert on `executor` (a pool, a transaction, a connection)
    /// and returns the new row's id.
    pub async fn fetch<'e, 'c: 'e, E>(self, executor: E) -> Result<i64, sqlx::Error>
    where
        E: 'e + Executor<'c, Database = DB>,
    {
        DB::insert_id(self.query, executor).await
    }
}

#[cfg(test)]
mod tests {
    use crate::{Pool, query_scalar, sql};

    /// Compiled with every feature set, the single-driver builds included:
    /// the body compiles only for the drivers that are on, and no arm is
    /// missing for the others.
    async fn answer(pool: &Pool) -> Result<i64, sqlx::Error> {
        crate::on_pool!(pool, p => {
            query_scalar(sql!("SELECT $1 + 1")).bind(41_i64).fetch_one(p).await
        })
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn the_body_runs_with_the_pool_it_was_given() {
        let pool = Pool::Sqlite(sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap());
        assert_eq!(answer(&pool).await.unwrap(), 42);
    }

    #[cfg(not(feature = "sqlite"))]
    #[test]
    fn the_dispatch_compiles_without_sqlite() {
        fn send<F: Future + Send>(_: F) {}
        let _ = |pool: &'static Pool| send(answer(pool));
    }
}
