//! A connection taken through [`PoolRef`](super::PoolRef): timed while
//! it is waited for and while it is held, in an `acquire` span, and
//! reported when held longer than `leak_threshold`, with where it was
//! acquired.

use core::fmt;
use core::ops::{Deref, DerefMut};
use core::panic::Location;
use std::sync::Arc;

use sqlx::Database;
use sqlx::pool::PoolConnection;

use crate::pool::connector::Connector;
use crate::pool::watch::{Hold, Watch};

/// A connection from [`PoolRef::acquire`](super::PoolRef::acquire): it
/// derefs to the driver's connection (`&mut *conn` is an executor), and
/// goes back to the pool when dropped. Until then it counts as used: its
/// use time is recorded then (`db.client.connection.use_time`, feature
/// `metrics`), and with `leak_threshold` a connection held longer is
/// logged with the file and line that acquired it.
pub struct Conn<DB: Database> {
    conn: PoolConnection<DB>,
    hold: Option<Hold>,
}

impl<DB: Database> Conn<DB> {
    /// The sqlx connection itself; from then on it is not watched (its use
    /// time ends here).
    #[must_use]
    pub fn into_inner(self) -> PoolConnection<DB> {
        self.conn
    }

    pub(crate) fn split(self) -> (PoolConnection<DB>, Option<Hold>) {
        (self.conn, self.hold)
    }

    /// Closes the connection when dropped instead of returning it to the
    /// pool (it may be in an aborted transaction).
    pub(crate) fn close_on_drop(&mut self) {
        self.conn.close_on_drop();
    }
}

impl<DB: Database> Deref for Conn<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        &self.conn
    }
}

impl<DB: Database> DerefMut for Conn<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.conn
    }
}

impl<DB: Database> fmt::Debug for Conn<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("watched", &self.hold.is_some())
            .finish_non_exhaustive()
    }
}

/// A connection from `pool`, through the connector (the credential retry)
/// when there is one, and told about by `watch` when there is one, as
/// acquired `at`.
pub(super) async fn acquire<DB: Database>(
    pool: &sqlx::Pool<DB>,
    connector: Option<&Connector>,
    watch: Option<&Arc<Watch>>,
    at: &'static Location<'static>,
) -> Result<Conn<DB>, sqlx::Error> {
    let taken = async {
        match connector {
            Some(c) => c.acquire(pool).await,
            None => pool.acquire().await,
        }
    };
    let Some(watch) = watch else {
        return Ok(Conn {
            conn: taken.await?,
            hold: None,
        });
    };
    let counts = || (pool.size(), pool.num_idle());
    let (conn, hold) = watch.acquire(at, counts, taken).await?;
    Ok(Conn { conn, hold })
}
