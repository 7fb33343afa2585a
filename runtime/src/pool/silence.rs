//! A statement in flight on a server that stopped answering (a network
//! path that died without a reset, a host that froze): sqlx 0.9 sets no
//! TCP keepalive and has no option for one (launchbadge/sqlx#3540), so
//! such a statement would wait until the kernel gives up, about fifteen
//! minutes. Through [`on_pool!`](crate::on_pool!)'s `p`, a statement that
//! has had no answer for the connect timeout makes dbsettings ask whether
//! the server still takes a new TCP connection (nothing is sent; bounded
//! by the connect timeout too). A server that does is only slow, and the
//! statement goes on, checked again each connect timeout; one that does not
//! ends the statement with an I/O error of kind `TimedOut` that says the
//! server stopped answering, and its connection is closed, never pooled.
//! The bound is twice the connect timeout (10 s by default).

use core::fmt;
use core::pin::pin;
use core::time::Duration;
use std::time::Instant;

use crate::pool::watch::Watch;

/// The server stopped answering.
#[derive(Debug)]
pub(crate) struct Silent {
    server: String,
    waited: Duration,
    bound: Duration,
}

impl fmt::Display for Silent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server at {} stopped answering: no reply for {:.1} s, and it did not accept a new \
             connection within {:?}; the statement was abandoned and its connection closed \
             (a network path that died without a reset, or a frozen host)",
            self.server,
            self.waited.as_secs_f64(),
            self.bound
        )
    }
}

impl std::error::Error for Silent {}

/// `statement`, ended as [`Silent`] when it has had no answer for the
/// watch's silence bound and the server no longer takes connections.
pub(crate) async fn bounded<T>(
    watch: Option<&Watch>,
    statement: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    let Some(watch) = watch else {
        return statement.await;
    };
    let mut statement = pin!(statement);
    let started = Instant::now();
    loop {
        match tokio::time::timeout(watch.silence(), &mut statement).await {
            Ok(outcome) => return outcome,
            Err(_) if watch.answers().await => {}
            Err(_) => {
                let silent = Silent {
                    server: watch.server(),
                    waited: started.elapsed(),
                    bound: watch.silence(),
                };
                tracing::error!(target: "dbsettings", "{silent}");
                return Err(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    silent,
                )));
            }
        }
    }
}

/// Whether `e` is a [`Silent`] server's.
pub(crate) fn is_silent(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Io(io) if is_silent_io(io))
}

/// Whether `io` is a [`Silent`] server's.
pub(crate) fn is_silent_io(io: &std::io::Error) -> bool {
    let silent = |inner: &(dyn std::error::Error + Send + Sync + 'static)| inner.is::<Silent>();
    io.get_ref().is_some_and(silent)
}
