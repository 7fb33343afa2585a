//! A server that stops answering without a reset (issue 27, part 3): a
//! PostgreSQL cluster in a network namespace of its own, its path cut by
//! an nftables drop inside the namespace. A statement in flight through
//! `on_pool!`'s `p` ends within twice the connect timeout, saying the
//! server stopped answering; `pool()`, a new statement and `health(true)`
//! answer within their bounds; after the path returns, statements succeed
//! within 2 s.

mod common;

use std::time::{Duration, Instant};

use dbsettings::{DatabaseSettings, DatabaseUrl, on_pool, query_scalar, sql, sqlx};
use dbsettings_tests::SilentServer;

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", connect_timeout = "1s", acquire_timeout = "3s")]
    database_url: DatabaseUrl,
}

async fn sleep_for(pool: &dbsettings::Pool, seconds: f64) -> Result<i32, sqlx::Error> {
    on_pool!(pool, p => query_scalar(sql!("SELECT 1 FROM pg_sleep($1)")).bind(seconds).fetch_one(p).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_silent_is_noticed_within_the_bounds() {
    let server = match SilentServer::start() {
        Ok(s) => s,
        Err(why) => return common::skip("the silent-server test", &why),
    };
    let s = Settings::from_vars([("DATABASE_URL", server.url().as_str())]).unwrap();
    let db = s.database();
    let pool = db.pool().await.expect("the server answers");
    // Warm: connections in the pool, idle.
    for _ in 0..3 {
        assert_eq!(sleep_for(&pool, 0.0).await.unwrap(), 1);
    }

    // A statement in flight when the path dies.
    let in_flight = tokio::spawn({
        let pool = pool.clone();
        async move {
            let started = Instant::now();
            (sleep_for(&pool, 30.0).await, started)
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.cut().unwrap();
    let cut = Instant::now();
    let (outcome, _) = in_flight.await.unwrap();
    let took = cut.elapsed();
    let e = outcome.expect_err("the statement cannot finish");
    eprintln!("a statement in flight ended {took:?} after the cut: {e}");
    assert!(e.to_string().contains("stopped answering"), "{e}");
    assert!(
        matches!(&e, sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut),
        "{e:?}"
    );
    assert_eq!(
        dbsettings::DatabaseErrorKind::of(&e, dbsettings::Backend::Postgres),
        dbsettings::DatabaseErrorKind::Silent
    );
    // Twice the connect timeout, and a busy machine's margin.
    assert!(took < Duration::from_secs(4), "{took:?}");

    // pool() is built: it answers at once; health(true) within the
    // connect timeout; a new statement within the acquire timeout.
    let started = Instant::now();
    let again = db.pool().await;
    assert!(again.is_ok() && started.elapsed() < Duration::from_millis(100));
    let started = Instant::now();
    let health = db.health(true).await;
    let health_took = started.elapsed();
    eprintln!(
        "health(true) with the path cut, in {health_took:?}: {}",
        health.state
    );
    assert!(!health.state.is_up(), "{health:?}");
    assert!(health_took < Duration::from_secs(2), "{health_took:?}");
    let started = Instant::now();
    let e = sleep_for(&pool, 0.0).await.expect_err("nothing answers");
    let statement_took = started.elapsed();
    eprintln!("a new statement with the path cut failed in {statement_took:?}: {e}");
    assert!(
        statement_took < Duration::from_secs(5),
        "{statement_took:?}"
    );

    // The path returns: statements succeed within 2 s.
    server.restore().unwrap();
    let restored = Instant::now();
    loop {
        match sleep_for(&pool, 0.0).await {
            Ok(v) => {
                assert_eq!(v, 1);
                break;
            }
            Err(e) => assert!(restored.elapsed() < Duration::from_secs(2), "{e}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "statements answered again {:?} after the path returned",
        restored.elapsed()
    );
    assert!(db.health(true).await.state.is_up());
    db.close().await;
}
