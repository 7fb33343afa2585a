//! The pool that [`on_pool!`](crate::on_pool!) hands a body: a typed sqlx
//! pool seen through its [`Database`](crate::Database)'s connector.
//!
//! - A connect refused for its credentials makes the connector look at them
//!   again (re-read the `_FILE` secret, ask the provider) and, when they
//!   changed, the statement gets a connection with the new ones: a rotation
//!   costs no failed query, with no call from the caller.
//! - Behind a transaction-mode pooler (PgBouncer, Supabase's, Neon's), each
//!   statement runs unnamed inside a transaction of its own, so its Parse
//!   and its Bind reach the same server connection and nothing is left
//!   prepared on it; statements in the caller's transaction
//!   ([`PoolRef::begin`]) run unnamed in that transaction.
//!
//! A pool is found from its typed sqlx pool through a small registry, as
//! [`Pool`](crate::Pool)'s variants hold sqlx's pools and nothing else.

use core::fmt;
use core::ops::{Deref, DerefMut};
use core::panic::Location;
use std::sync::Arc;

use either::Either;
use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use futures_util::TryStreamExt as _;
use sqlx::{Database, Execute, Executor};
use sqlx_core::sql_str::SqlStr;

use crate::pool::connector::Connector;
use crate::pool::registry::connector_of;
use crate::pool::session::Plan;
use crate::pool::silence::{bounded, is_silent};
use crate::pool::watch::{Hold, Watch};
use crate::query::held::{Conn, acquire};

/// A typed sqlx pool as [`on_pool!`](crate::on_pool!) hands it to a body
/// (`p` is a `&PoolRef<'_, sqlx::Postgres>`, ...): an
/// [`Executor`](sqlx::Executor) for `query(..).fetch_one(p)`, with
/// [`begin`](Self::begin) and [`acquire`](Self::acquire) (see the module
/// docs for what it adds to sqlx's pool). It derefs to the sqlx pool, so a
/// function that takes `&PgPool` takes `p` too; statements run on that
/// raw pool get neither the credential retry nor, behind a pooler, the
/// unnamed statements.
pub struct PoolRef<'p, DB: Database> {
    pool: &'p sqlx::Pool<DB>,
    connector: Option<Arc<Connector>>,
    /// How this pool's sessions get their settings (behind a pooler: in
    /// each transaction).
    plan: Option<Arc<Plan>>,
    unnamed: bool,
    watch: Option<Arc<Watch>>,
    /// Where `on_pool!` was written: where its statements take their
    /// connections, for a slow holder's report.
    at: &'static Location<'static>,
}

/// Behind a transaction-mode pooler with session settings (or on a
/// reader), sets them on `conn`, first in its transaction (a failure rolls
/// it back): the pool's [`Plan`].
async fn apply_settings<DB: Database>(
    conn: &mut DB::Connection,
    plan: Option<&Plan>,
) -> Result<(), sqlx::Error>
where
    for<'x> &'x mut DB::Connection: Executor<'x, Database = DB>,
{
    match plan.and_then(|p| p.statement.clone()) {
        Some(settings) => sqlx::raw_sql(settings).execute(conn).await.map(drop),
        None => Ok(()),
    }
}

impl<'p, DB: Database> PoolRef<'p, DB> {
    /// `pool`, with the connector of the handle that built it (when one
    /// did), as used by the caller's caller (`on_pool!`'s site).
    #[track_caller]
    pub(crate) fn new(pool: &'p sqlx::Pool<DB>) -> Self {
        let (connector, watch) = connector_of(pool).unzip();
        let plan = connector
            .as_ref()
            .zip(watch.as_ref())
            .map(|(c, w)| Arc::clone(c.plan(w.role)))
            .filter(|_| DB::NAME == "PostgreSQL");
        let unnamed = plan.as_ref().is_some_and(|p| p.pooled);
        Self {
            pool,
            connector,
            plan,
            unnamed,
            watch,
            at: Location::caller(),
        }
    }

    /// The sqlx pool itself. Statements run on it directly get neither the
    /// credential retry, nor the run again of a statement that met an ended
    /// session, nor, behind a transaction-mode pooler, unnamed statements
    /// and the session settings: prefer `p` itself (a script too:
    /// `sqlx::raw_sql(script).execute(p)`). Behind a pooler its first use
    /// is said in the log; [`Database::direct`](crate::Database::direct)
    /// is a pool for session work there.
    #[must_use]
    pub fn raw(&self) -> &'p sqlx::Pool<DB> {
        self.pool
    }

    /// Whether statements run unnamed, each in a transaction (behind a
    /// transaction-mode pooler).
    #[must_use]
    pub fn unnamed_statements(&self) -> bool {
        self.unnamed
    }

    /// A connection, with the credential retry. It is watched until
    /// dropped (see [`Conn`]), as acquired here: the caller's file and
    /// line.
    ///
    /// Behind a transaction-mode pooler it fails at once, saying why: the
    /// server connection under a held connection may change between two
    /// statements, and the settings the pool sets in each transaction
    /// (a schema, a reader's read-only session) would be missing. Use
    /// [`begin`](Self::begin) there, or a direct URL for session work.
    #[track_caller]
    pub fn acquire(&self) -> impl Future<Output = Result<Conn<DB>, sqlx::Error>> + '_ {
        let at = Location::caller();
        let refused = self.plan.as_ref().and_then(|p| p.refuse_held_connection());
        async move {
            if let Some(why) = refused {
                return Err(sqlx::Error::Configuration(why.into()));
            }
            self.take(at).await
        }
    }

    /// A connection for this pool's own paths (`begin`, statements).
    fn take(
        &self,
        at: &'static Location<'static>,
    ) -> impl Future<Output = Result<Conn<DB>, sqlx::Error>> + '_ {
        acquire(
            self.pool,
            self.connector.as_deref(),
            self.watch.as_ref(),
            at,
        )
    }

    /// Starts a transaction, with the credential retry. `&mut *tx` is an
    /// executor; behind a transaction-mode pooler its statements run
    /// unnamed. Its connection is watched as [`acquire`](Self::acquire)'s
    /// is, as acquired here.
    #[track_caller]
    pub fn begin(&self) -> impl Future<Output = Result<Transaction<DB>, sqlx::Error>> + '_
    where
        for<'x> &'x mut DB::Connection: Executor<'x, Database = DB>,
    {
        // Boxed: the acquire's future is large, and a body's future holds
        // every transaction it begins.
        let at = Location::caller();
        let taken = Box::pin(self.take(at));
        async move {
            // An idle connection the server had ended fails its `BEGIN`:
            // nothing ran, so a fresh connection is taken once (the idle
            // ones opened before are turned down: a restart ended them).
            match self.begin_on(taken.await?).await {
                Err(e) if terminated(&e) => {
                    // What the ended session says of the pool, as for a
                    // statement (the idle connections opened before go).
                    let _ = Attempt::<DB>::of(self).closes(&e);
                    self.begin_on(Box::pin(self.take(at)).await?).await
                }
                other => other,
            }
        }
    }

    async fn begin_on(&self, conn: Conn<DB>) -> Result<Transaction<DB>, sqlx::Error>
    where
        for<'x> &'x mut DB::Connection: Executor<'x, Database = DB>,
    {
        let (conn, hold) = conn.split();
        let mut tx = sqlx::Transaction::begin(conn, None).await?;
        if self.unnamed {
            // A failure drops `tx`, which rolls back: the connection is
            // never left in an aborted transaction.
            apply_settings::<DB>(&mut tx, self.plan.as_deref()).await?;
        }
        Ok(Transaction {
            conn: TxConn {
                tx,
                unnamed: self.unnamed,
                plan: self.plan.clone(),
            },
            _hold: hold,
        })
    }
}

impl<DB: Database> Deref for PoolRef<'_, DB> {
    type Target = sqlx::Pool<DB>;

    fn deref(&self) -> &sqlx::Pool<DB> {
        self.pool
    }
}

impl<DB: Database> fmt::Debug for PoolRef<'_, DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolRef")
            .field("pool", &self.pool)
            .field("unnamed_statements", &self.unnamed)
            .finish_non_exhaustive()
    }
}

/// A transaction from [`PoolRef::begin`]: `&mut *tx` is the executor its
/// statements run on (and derefs to the driver's connection); end it with
/// [`commit`](Self::commit), or drop it to roll back.
pub struct Transaction<DB: Database> {
    conn: TxConn<DB>,
    /// Its connection's record: the use ends when the transaction does.
    _hold: Option<Hold>,
}

/// The connection of a [`Transaction`], as its statements see it: an
/// executor (`&mut *tx`) that derefs to the driver's connection.
pub struct TxConn<DB: Database> {
    tx: sqlx::Transaction<'static, DB>,
    unnamed: bool,
    /// Behind a pooler with settings: what this transaction carries.
    plan: Option<Arc<Plan>>,
}

impl<DB: Database> TxConn<DB>
where
    DB::Arguments: Clone,
{
    /// `query` as this transaction runs it: unnamed behind a pooler, and
    /// refused when it would end the transaction that carries the pooler's
    /// per-transaction settings.
    fn checked<'q, E: Execute<'q, DB>>(&self, query: E) -> Result<Replay<DB>, sqlx::Error> {
        let query = Replay::<DB>::of(query, self.unnamed)?;
        keeps_settings(self.plan.as_deref(), query.sql.as_str())?;
        Ok(query)
    }
}

impl<DB: Database> Transaction<DB> {
    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.conn.tx.commit().await
    }

    /// Rolls back (dropping the transaction does too, without waiting).
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.conn.tx.rollback().await
    }

    /// The sqlx transaction itself: statements run on it directly are not
    /// made unnamed behind a pooler.
    #[must_use]
    pub fn into_inner(self) -> sqlx::Transaction<'static, DB> {
        self.conn.tx
    }
}

impl<DB: Database> Deref for Transaction<DB> {
    type Target = TxConn<DB>;

    fn deref(&self) -> &TxConn<DB> {
        &self.conn
    }
}

impl<DB: Database> DerefMut for Transaction<DB> {
    fn deref_mut(&mut self) -> &mut TxConn<DB> {
        &mut self.conn
    }
}

impl<DB: Database> Deref for TxConn<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: Database> DerefMut for TxConn<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

impl<DB: Database> fmt::Debug for Transaction<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.conn.fmt(f)
    }
}

impl<DB: Database> fmt::Debug for TxConn<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("unnamed_statements", &self.unnamed)
            .finish_non_exhaustive()
    }
}

type Step<DB> = Either<<DB as Database>::QueryResult, <DB as Database>::Row>;

/// A statement taken apart, so that it can be sent once more: on a fresh
/// connection, when the first met a session the server had already ended
/// (`57P01`, an idle connection cut by `pg_terminate_backend`, a restart or
/// a rotation) before anything came back. A session ended so ran nothing
/// of the statement to its end: the server aborts the transaction of a
/// session it terminates, and nothing was returned.
struct Replay<DB: Database> {
    sql: SqlStr,
    arguments: Option<DB::Arguments>,
    statement: Option<DB::Statement>,
    persistent: bool,
}

/// Whether a statement may be sent once more after its session was ended:
/// PostgreSQL's `57P01` only, and one statement that commits as a whole
/// ([`replayable`](super::statements::replayable): not a `CALL` or `DO`,
/// whose procedure may commit part way, nor a script). Only such a
/// statement's arguments are kept for a second run.
fn may_run_again<DB: Database>(sql: &str) -> bool {
    DB::NAME == "PostgreSQL" && super::statements::replayable(sql)
}

impl<DB: Database> Replay<DB>
where
    DB::Arguments: Clone,
{
    fn of<'q, E: Execute<'q, DB>>(mut query: E, unnamed: bool) -> Result<Self, sqlx::Error> {
        let arguments = query.take_arguments().map_err(sqlx::Error::Encode)?;
        let statement = query.statement().cloned();
        let persistent = !unnamed && query.persistent();
        Ok(Self {
            sql: query.sql(),
            arguments,
            statement,
            persistent,
        })
    }

    fn again(&self) -> Self {
        Self {
            sql: self.sql.clone(),
            arguments: self.arguments.clone(),
            statement: self.statement.clone(),
            persistent: self.persistent,
        }
    }
}

impl<DB: Database> Execute<'_, DB> for Replay<DB> {
    fn sql(self) -> SqlStr {
        self.sql
    }

    fn statement(&self) -> Option<&DB::Statement> {
        self.statement.as_ref()
    }

    fn take_arguments(
        &mut self,
    ) -> Result<Option<<DB as Database>::Arguments>, sqlx::error::BoxDynError> {
        Ok(self.arguments.take())
    }

    fn persistent(&self) -> bool {
        self.persistent
    }
}

/// Whether `e` refuses a write as read-only (`25006`).
fn read_only_refusal(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("25006"))
}

/// Whether `e` says the server had ended the session (`57P01`: an
/// administrator's `pg_terminate_backend`, a fast shutdown).
fn terminated(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("57P01"))
}

/// Behind a pooler with per-transaction settings, a statement that would
/// end the transaction carrying them is refused at once: what followed it
/// would run without them. For `p`'s statements and those in a transaction
/// from [`PoolRef::begin`].
fn keeps_settings(plan: Option<&Plan>, sql: &str) -> Result<(), sqlx::Error> {
    let Some(plan) = plan.filter(|p| p.pooled && !p.held.is_empty()) else {
        return Ok(());
    };
    match super::statements::ends_transaction(sql) {
        None => Ok(()),
        Some(word) => Err(sqlx::Error::Configuration(
            format!(
                "behind a transaction-mode pooler (`pgbouncer=true`), {} are set in each \
                 transaction, and `{word}` in a statement ends that transaction: what follows it \
                 would run without them. Split the script at transaction boundaries, or run it \
                 on `db.direct()` (a session pool on the `direct_url`)",
                plan.names()
            )
            .into(),
        )),
    }
}

/// What one attempt at a statement needs, owned.
struct Attempt<DB: Database> {
    pool: sqlx::Pool<DB>,
    connector: Option<Arc<Connector>>,
    plan: Option<Arc<Plan>>,
    unnamed: bool,
    watch: Option<Arc<Watch>>,
    at: &'static Location<'static>,
}

impl<DB: Database> Attempt<DB>
where
    for<'x> &'x mut DB::Connection: Executor<'x, Database = DB>,
{
    fn of(p: &PoolRef<'_, DB>) -> Self {
        Self {
            pool: p.pool.clone(),
            connector: p.connector.clone(),
            plan: p.plan.clone(),
            unnamed: p.unnamed,
            watch: p.watch.clone(),
            at: p.at,
        }
    }

    fn cloned(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            connector: self.connector.clone(),
            plan: self.plan.clone(),
            unnamed: self.unnamed,
            watch: self.watch.clone(),
            at: self.at,
        }
    }

    /// What `e`, a statement's failure, says of the pool, and whether the
    /// connection that met it must be closed rather than pooled: its
    /// server stopped answering; or, on the primary pool of a URL that asks
    /// for a writable host, it refused a write as read-only (a primary
    /// demoted to a standby keeps answering pings while every write fails),
    /// and the failover task chooses the host again at once. When the
    /// server ended the session (`57P01`: a restart, a manager's failover),
    /// the pool's other idle connections opened before now are turned
    /// down (a restart ended them all), and the failover task looks again.
    fn closes(&self, e: &sqlx::Error) -> bool {
        if is_silent(e) {
            return true;
        }
        if terminated(e) {
            if let Some(w) = &self.watch {
                w.sessions_ended();
            }
            if let Some(c) = self.connector.as_ref().filter(|c| c.choose()) {
                c.failover_wake.notify_one();
            }
            return false;
        }
        let demoted = read_only_refusal(e)
            && self
                .watch
                .as_ref()
                .is_some_and(|w| w.role == crate::pool::watch::Role::Primary)
            && self.connector.as_ref().is_some_and(|c| c.choose());
        if demoted && let Some(c) = &self.connector {
            c.failover_wake.notify_one();
        }
        demoted
    }

    /// The statement's results on a connection of its own: behind a
    /// pooler, in a transaction of its own with the plan's settings (`BEGIN`
    /// and the settings in one round trip). Each step is bounded by the
    /// silence check ([`silence`](super::silence)). A connection is closed
    /// rather than pooled when its server stopped answering, or when a
    /// setting the server refused in the `BEGIN`'s round trip left it in an
    /// aborted transaction.
    fn stream(&self, query: Replay<DB>) -> BoxStream<'static, Result<Step<DB>, sqlx::Error>> {
        let a = self.cloned();
        Box::pin(sqlx_core::try_stream! {
            let closes = |e: &sqlx::Error| a.closes(e);
            let mut conn = acquire(&a.pool, a.connector.as_deref(), a.watch.as_ref(), a.at).await?;
            let w = a.watch.as_deref();
            // The error that ended the statement, and whether its
            // connection must be closed.
            let mut failed: Option<(sqlx::Error, bool)> = None;
            if a.unnamed {
                let begin = a.plan.as_ref().and_then(|p| p.begin.clone());
                let merged = begin.is_some();
                match bounded(w, sqlx::Transaction::<DB>::begin(&mut *conn, begin)).await {
                    Ok(mut tx) => {
                        {
                            let mut s = (&mut *tx).fetch_many(query);
                            loop {
                                match bounded(w, s.try_next()).await {
                                    Ok(Some(v)) => r#yield!(v),
                                    Ok(None) => break,
                                    Err(e) => {
                                        let close = closes(&e);
                                        failed = Some((e, close));
                                        break;
                                    }
                                }
                            }
                        }
                        if failed.is_none()
                            && let Err(e) = bounded(w, tx.commit()).await
                        {
                            let close = closes(&e);
                            failed = Some((e, close));
                        }
                    }
                    Err(e) => {
                        let close = merged || closes(&e);
                        failed = Some((e, close));
                    }
                }
            } else {
                let mut s = conn.fetch_many(query);
                loop {
                    match bounded(w, s.try_next()).await {
                        Ok(Some(v)) => r#yield!(v),
                        Ok(None) => break,
                        Err(e) => {
                            let close = closes(&e);
                            failed = Some((e, close));
                            break;
                        }
                    }
                }
            }
            if let Some((e, close)) = failed {
                if close {
                    conn.close_on_drop();
                }
                Err(e)?;
            }
            Ok(())
        })
    }

    /// The statement's row, if any, as [`stream`](Self::stream) runs it.
    async fn optional(&self, query: Replay<DB>) -> Result<Option<DB::Row>, sqlx::Error> {
        let mut conn = acquire(
            &self.pool,
            self.connector.as_deref(),
            self.watch.as_ref(),
            self.at,
        )
        .await?;
        let mut refused = false;
        let outcome = bounded(self.watch.as_deref(), async {
            if !self.unnamed {
                return conn.fetch_optional(query).await;
            }
            let begin = self.plan.as_ref().and_then(|p| p.begin.clone());
            let merged = begin.is_some();
            match sqlx::Transaction::<DB>::begin(&mut *conn, begin).await {
                Ok(mut tx) => {
                    let row = (&mut *tx).fetch_optional(query).await?;
                    tx.commit().await?;
                    Ok(row)
                }
                Err(e) => {
                    refused = merged;
                    Err(e)
                }
            }
        })
        .await;
        let close = outcome.as_ref().is_err_and(|e| self.closes(e));
        if refused || close {
            conn.close_on_drop();
        }
        outcome
    }
}

impl<'c, DB: Database> Executor<'c> for &'c PoolRef<'_, DB>
where
    for<'x> &'x mut DB::Connection: Executor<'x, Database = DB>,
    DB::Arguments: Clone,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Step<DB>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let attempt = Attempt::<DB>::of(self);
        let unnamed = self.unnamed;
        Box::pin(sqlx_core::try_stream! {
            let query = Replay::<DB>::of(query, unnamed)?;
            keeps_settings(attempt.plan.as_deref(), query.sql.as_str())?;
            // The statement's arguments are kept for a second run only when
            // one may come.
            let mut kept = may_run_again::<DB>(query.sql.as_str()).then(|| query.again());
            let mut first = Some(query);
            loop {
                let Some(query) = first.take().or_else(|| kept.take()) else { break };
                let again = kept.is_some();
                let mut s = attempt.stream(query);
                let mut yielded = false;
                let mut failed = None;
                while let Some(step) = futures_util::StreamExt::next(&mut s).await {
                    match step {
                        Ok(v) => {
                            yielded = true;
                            r#yield!(v);
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                match failed {
                    Some(e) if !yielded && again && terminated(&e) => {}
                    Some(e) => Err(e)?,
                    None => break,
                }
            }
            Ok(())
        })
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let attempt = Attempt::<DB>::of(self);
        let unnamed = self.unnamed;
        Box::pin(async move {
            let query = Replay::<DB>::of(query, unnamed)?;
            keeps_settings(attempt.plan.as_deref(), query.sql.as_str())?;
            // The statement's arguments are kept for a second run only when
            // one may come.
            if !may_run_again::<DB>(query.sql.as_str()) {
                return attempt.optional(query).await;
            }
            match attempt.optional(query.again()).await {
                Err(e) if terminated(&e) => attempt.optional(query).await,
                other => other,
            }
        })
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, sqlx::Error>>
    where
        'c: 'e,
    {
        let pool = self.pool.clone();
        let connector = self.connector.clone();
        let (watch, at) = (self.watch.clone(), self.at);
        Box::pin(async move {
            acquire(&pool, connector.as_deref(), watch.as_ref(), at)
                .await?
                .prepare_with(sql, parameters)
                .await
        })
    }

    fn describe<'e>(
        self,
        sql: SqlStr,
    ) -> BoxFuture<'e, Result<sqlx_core::describe::Describe<DB>, sqlx::Error>>
    where
        'c: 'e,
    {
        let pool = self.pool.clone();
        Box::pin(crate::pool::watch::ours(async move {
            pool.acquire().await?.describe(sql).await
        }))
    }
}

impl<'c, DB: Database> Executor<'c> for &'c mut TxConn<DB>
where
    for<'x> &'x mut DB::Connection: Executor<'x, Database = DB>,
    DB::Arguments: Clone,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Step<DB>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, DB>,
    {
        match self.checked(query) {
            Ok(q) => (&mut *self.tx).fetch_many(q),
            Err(e) => Box::pin(futures_util::stream::once(async { Err(e) })),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<DB::Row>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, DB>,
    {
        match self.checked(query) {
            Ok(q) => (&mut *self.tx).fetch_optional(q),
            Err(e) => Box::pin(async { Err(e) }),
        }
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, sqlx::Error>>
    where
        'c: 'e,
    {
        (&mut *self.tx).prepare_with(sql, parameters)
    }

    fn describe<'e>(
        self,
        sql: SqlStr,
    ) -> BoxFuture<'e, Result<sqlx_core::describe::Describe<DB>, sqlx::Error>>
    where
        'c: 'e,
    {
        (&mut *self.tx).describe(sql)
    }
}
