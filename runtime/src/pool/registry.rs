//! Which `Database` handle built a typed sqlx pool: `on_pool!`'s `p`
//! (the query stage) finds the handle's connector and the pool's watch
//! from the sqlx pool it is given, as [`Pool`]'s variants hold sqlx's
//! pools and nothing else.

use std::sync::{Arc, PoisonError, RwLock, Weak};

use sqlx::Database;

use crate::pool::Pool;
use crate::pool::connector::Connector;
use crate::pool::watch::Watch;

/// The pools built by a `Database`, its connector and each pool's watch.
/// Entries of dropped handles are swept when a new pool registers.
type Entry = (usize, Weak<Connector>, Arc<Watch>);
static REGISTRY: RwLock<Vec<Entry>> = RwLock::new(Vec::new());

/// The identity of a sqlx pool: the address of its shared state, stable
/// for its life.
fn identity<DB: Database>(pool: &sqlx::Pool<DB>) -> usize {
    core::ptr::from_ref(pool.options()) as usize
}

fn identity_of(pool: &Pool) -> usize {
    match pool {
        #[cfg(feature = "postgres")]
        Pool::Postgres(p) => identity(p),
        #[cfg(feature = "mysql")]
        Pool::MySql(p) => identity(p),
        #[cfg(feature = "sqlite")]
        Pool::Sqlite(p) => identity(p),
    }
}

/// Records that `pool` was built by the handle of `connector`, and is
/// told about by `watch`.
pub(crate) fn register(pool: &Pool, connector: &Arc<Connector>, watch: &Arc<Watch>) {
    let mut registry = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
    registry.retain(|(_, c, _)| c.strong_count() > 0);
    registry.push((
        identity_of(pool),
        Arc::downgrade(connector),
        Arc::clone(watch),
    ));
}

/// The connector of the handle that built `pool`, if one did, and the
/// pool's watch.
pub(crate) fn connector_of<DB: Database>(
    pool: &sqlx::Pool<DB>,
) -> Option<(Arc<Connector>, Arc<Watch>)> {
    let id = identity(pool);
    REGISTRY
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|(i, _, _)| *i == id)
        .and_then(|(_, c, w)| Some((c.upgrade()?, Arc::clone(w))))
}
