//! Reads that see the session's own writes. A standby replays the
//! primary's write-ahead log some time after each commit; a request that
//! writes, then reads through the reader, can miss its own write for that
//! long. [`Database::written`] takes the primary's log position after a
//! commit; [`Database::reader_after`] gives the reader when its server has
//! replayed past that position (checked once, then polled for at most
//! [`CAUSAL_WAIT`]), else the primary. Reads with no prior write use
//! [`Database::reader`] as before: nothing is checked.
//!
//! The position is a plain value ([`Written`], printed and parsed as
//! PostgreSQL's `16/B374D848`), so a request can carry it to the next
//! (a cookie, a header) and a reader on another replica of the service
//! honours it the same way.

use core::fmt;
use core::str::FromStr;
use core::time::Duration;
use std::sync::atomic::Ordering;

#[cfg(feature = "postgres")]
use tokio::time::Instant;

use crate::Pool;
use crate::pool::database::Database;
use crate::pool::error::DatabaseError;
use crate::pool::reader::ReaderOn;

/// How long [`Database::reader_after`] waits for the reader's server to
/// replay a write before it reads from the primary instead.
pub const CAUSAL_WAIT: Duration = Duration::from_millis(50);

/// How long after a wait ran out [`Database::reader_after`] looks once
/// and does not wait: a standby that was [`CAUSAL_WAIT`] behind rarely
/// catches up sooner, and each read would pay the whole wait.
#[cfg(feature = "postgres")]
const LAGGING_FOR: Duration = Duration::from_secs(1);

/// How often the replay position is asked while waiting.
#[cfg(feature = "postgres")]
const POLL: Duration = Duration::from_millis(5);

/// A position in the primary's write-ahead log: a read through
/// [`Database::reader_after`] with it sees every write committed before it
/// was taken. `Written::default()` is the start: no write to wait for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Written(u64);

impl Written {
    /// The position as a number (PostgreSQL's LSN).
    #[must_use]
    pub fn lsn(self) -> u64 {
        self.0
    }
}

/// PostgreSQL's notation: `16/B374D848`.
impl fmt::Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// Parses PostgreSQL's notation, as [`Display`](fmt::Display) writes it.
impl FromStr for Written {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const SAYS: &str = "a log position is two hexadecimal numbers such as `16/B374D848`";
        let (hi, lo) = s.trim().split_once('/').ok_or(SAYS)?;
        // As `pg_lsn` reads them: one to eight hexadecimal digits each.
        let part = |p: &str| {
            let digits = !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_hexdigit());
            digits
                .then(|| u32::from_str_radix(p, 16).ok())
                .flatten()
                .ok_or(SAYS)
        };
        let (hi, lo) = (part(hi)?, part(lo)?);
        Ok(Self((u64::from(hi) << 32) | u64::from(lo)))
    }
}

impl Database {
    /// Where the primary's write-ahead log is now: take it after a commit
    /// and pass it to [`reader_after`](Self::reader_after), so that the
    /// read sees the write. On MySQL and SQLite (whose reader is the
    /// primary) the start, which waits for nothing.
    ///
    /// # Errors
    ///
    /// The primary's pool cannot be built, or the statement fails.
    pub async fn written(&self) -> Result<Written, DatabaseError> {
        let pool = self.pool().await?;
        #[cfg(feature = "postgres")]
        #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
        if let Pool::Postgres(p) = &pool {
            // The simple protocol: a pooler may sit between.
            let row = sqlx::raw_sql("SELECT pg_current_wal_insert_lsn()::text")
                .fetch_one(p)
                .await
                .map_err(|e| {
                    let c = self.connector();
                    DatabaseError::from_sqlx(e, pool.backend(), self.redacted_url(), &c.secrets())
                })?;
            let lsn: Option<String> = sqlx::Row::try_get(&row, 0).ok().flatten();
            return Ok(lsn.and_then(|l| l.parse().ok()).unwrap_or_default());
        }
        drop(pool);
        Ok(Written::default())
    }

    /// A pool for reads that must see every write committed before
    /// `after`: the [`reader`](Self::reader) when its server has replayed
    /// that far (known, or asked, waiting at most [`CAUSAL_WAIT`] for it),
    /// else the primary's pool (whose sessions are not read-only: use it
    /// for the reads). When the reader was built on the primary, the
    /// primary's pool as it is now (after a failover, the new primary).
    ///
    /// The standby is asked on one of the reader's connections, and the
    /// reads run on others: the guarantee holds for a reader on one
    /// server, a standby among the URL's hosts or a `replica` URL naming
    /// one standby. A `replica` URL that balances connections over several
    /// standbys (an RDS reader endpoint) may send a read to one further
    /// behind than the one asked: list the standbys as the URL's hosts
    /// instead. A position the standby of a `replica` URL was seen to pass
    /// is not remembered (another server may answer there next).
    ///
    /// # Errors
    ///
    /// As [`reader`](Self::reader).
    pub async fn reader_after(&self, after: Written) -> Result<Pool, DatabaseError> {
        let reader = self.reader().await?;
        if reader.backend() != crate::Backend::Postgres {
            return Ok(reader);
        }
        let on = self.inner.reader.get().map_or(ReaderOn::Primary, |r| r.on);
        if on == ReaderOn::Primary {
            return self.pool().await;
        }
        if after == Written::default() {
            return Ok(reader);
        }
        // A standby of the URL's hosts is one server: what it replayed
        // stays replayed.
        if on == ReaderOn::Standby && self.inner.replayed.load(Ordering::Relaxed) >= after.0 {
            return Ok(reader);
        }
        #[cfg(feature = "postgres")]
        #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
        if let Pool::Postgres(p) = &reader {
            // After a wait that ran out, the standby is far behind: for a
            // while, one look and no wait (the primary answers at once).
            let lagging = self
                .inner
                .lag_seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_some_and(|at| at.elapsed() < LAGGING_FOR);
            let deadline = Instant::now() + CAUSAL_WAIT;
            while let Ok(Some(replayed)) = tokio::time::timeout_at(deadline, replayed(p)).await {
                self.inner.replayed.fetch_max(replayed.0, Ordering::Relaxed);
                if replayed >= after {
                    return Ok(reader);
                }
                if lagging || Instant::now() + POLL >= deadline {
                    break;
                }
                tokio::time::sleep(POLL).await;
            }
            if !lagging {
                *self
                    .inner
                    .lag_seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some(std::time::Instant::now());
            }
        }
        self.pool().await
    }
}

impl Database {
    /// How many bytes of the primary's log the reader's standby has not
    /// replayed: `None` unless the reader is built on a standby and both
    /// servers answer.
    #[cfg_attr(not(feature = "postgres"), allow(clippy::unused_async))]
    pub(crate) async fn reader_behind(&self) -> Option<u64> {
        let reader = &self
            .inner
            .reader
            .get()
            .filter(|r| r.on != ReaderOn::Primary)?
            .pool;
        #[cfg(feature = "postgres")]
        #[allow(irrefutable_let_patterns, reason = "refutable with another driver")]
        if let Pool::Postgres(p) = reader {
            let replayed = replayed(p).await?;
            self.inner.replayed.fetch_max(replayed.0, Ordering::Relaxed);
            let written = self.written().await.ok()?;
            return Some(written.0.saturating_sub(replayed.0));
        }
        let _ = reader;
        None
    }
}

/// How far the reader's server has replayed; `None` when it cannot say
/// (not a standby, or the query failed).
#[cfg(feature = "postgres")]
async fn replayed(reader: &sqlx::PgPool) -> Option<Written> {
    // The simple protocol: a pooler may sit between.
    // Only a server in recovery: a promoted one keeps its last replayed
    // position, which says nothing of the primary's writes since.
    let row = sqlx::raw_sql(
        "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END",
    )
    .fetch_one(reader)
    .await
    .ok()?;
    let lsn: Option<String> = sqlx::Row::try_get(&row, 0).ok()?;
    lsn?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_read_and_print_as_postgresql_writes_them() {
        let w: Written = "16/B374D848".parse().unwrap();
        assert_eq!(w.lsn(), (0x16 << 32) | 0xB374_D848);
        assert_eq!(w.to_string(), "16/B374D848");
        assert_eq!("0/0".parse::<Written>().unwrap(), Written::default());
        assert!("0/1".parse::<Written>().unwrap() > Written::default());
        for bad in [
            "",
            "16",
            "x/1",
            "1/2/3",
            "100000000/0",
            "+1/+2",
            "0000000000016/0",
            "/1",
        ] {
            assert!(bad.parse::<Written>().is_err(), "{bad}");
        }
    }
}
