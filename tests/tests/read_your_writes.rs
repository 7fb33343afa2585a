//! Reads that see the session's own writes, on a real primary and a
//! streaming standby of PostgreSQL 15 that applies the primary's log
//! 150 ms late (`recovery_min_apply_delay`), as a loaded standby does.
//!
//! 1,000 write-then-read pairs (`db.written()` after the commit, then
//! `db.reader_after(written)`): none reads stale data. Reads without a prior
//! write (`reader_after` with the start, or an old position) are served by
//! the standby. Where each read ran is counted by `pg_is_in_recovery()` on
//! the connection that answered.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dbsettings::{CAUSAL_WAIT, Database, DatabaseSettings, DatabaseUrl, Pool, Written, sqlx};
use dbsettings_tests::Cluster;

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(
        env = "DATABASE_URL",
        replica = "DATABASE_REPLICA_URL",
        connect_timeout = "2s",
        max_connections = 12
    )]
    database_url: DatabaseUrl,
}

const PAIRS: usize = 1_000;
const TASKS: usize = 10;

fn url(c: &Cluster) -> String {
    format!(
        "postgresql://postgres@127.0.0.1:{}/postgres?sslmode=disable",
        c.port
    )
}

fn pg(pool: &Pool) -> &sqlx::PgPool {
    pool.as_postgres().expect("PostgreSQL")
}

/// Whether note `id` is there, and whether the server that said so is the
/// standby.
async fn read(pool: &Pool, id: i32) -> (bool, bool) {
    sqlx::query_as("SELECT EXISTS (SELECT 1 FROM notes WHERE id = $1), pg_is_in_recovery()")
        .bind(id)
        .fetch_one(pg(pool))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_after_a_write_sees_it_and_other_reads_stay_on_the_standby() {
    let primary = match Cluster::start_new() {
        Ok(c) => c,
        Err(why) => return common::skip("the read-your-writes test", &why),
    };
    primary
        .sql("CREATE TABLE notes (id serial PRIMARY KEY, body text)")
        .unwrap();
    let standby = match Cluster::standby_of(&primary) {
        Ok(s) => s,
        Err(why) => return common::skip("the read-your-writes test", &why),
    };
    // The standby applies what it receives 150 ms late.
    let conf = standby.data().join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str("recovery_min_apply_delay = '150ms'\n");
    std::fs::write(&conf, text).unwrap();
    standby.sql("SELECT pg_reload_conf()").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while standby
        .sql("SELECT to_regclass('notes') IS NOT NULL")
        .unwrap()
        != "t"
    {
        assert!(
            Instant::now() < deadline,
            "the standby never replayed the table"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let s = Settings::from_vars([
        ("DATABASE_URL", url(&primary)),
        ("DATABASE_REPLICA_URL", url(&standby)),
    ])
    .unwrap();
    let db = Arc::new(s.database());
    let reader = db.reader().await.unwrap();
    assert_eq!(db.reader_source(), Some("the replica"));
    assert!(read(&reader, 0).await.1, "the reader is not on the standby");

    // Write, then read what was written: never stale.
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let db = Arc::clone(&db);
            tokio::spawn(async move { pairs(&db, PAIRS / TASKS).await })
        })
        .collect();
    let (mut stale, mut on_standby, mut waited) = (0, 0, Duration::ZERO);
    for t in tasks {
        let (s, o, w) = t.await.unwrap();
        stale += s;
        on_standby += o;
        waited += w;
    }
    let took = started.elapsed();
    eprintln!(
        "{PAIRS} write-then-read pairs in {took:?}: {stale} stale, {on_standby} read on the standby, reader_after took {:?} on average",
        waited / u32::try_from(PAIRS).unwrap()
    );
    assert_eq!(stale, 0, "reads missed their own writes");

    // Reads with no write before them: the standby, at once.
    let old = db.written().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (mut standby_reads, mut plain, mut causal) = (0, Duration::ZERO, Duration::ZERO);
    let n = u32::try_from(PAIRS).unwrap();
    for i in 0..PAIRS {
        let t = Instant::now();
        let pool = db.reader().await.unwrap();
        let (_, on) = read(&pool, 1).await;
        plain += t.elapsed();
        let t = Instant::now();
        // Every other one carries a position the standby passed long ago.
        let after = if i % 2 == 0 { Written::default() } else { old };
        let pool = db.reader_after(after).await.unwrap();
        let (_, on_too) = read(&pool, 1).await;
        causal += t.elapsed();
        standby_reads += usize::from(on) + usize::from(on_too);
    }
    let share = f64::from(u32::try_from(standby_reads).unwrap()) / f64::from(2 * n);
    eprintln!(
        "reads without a prior write: {:.1} % on the standby; a read through reader() {:?}, through reader_after() {:?} (averages)",
        share * 100.0,
        plain / n,
        causal / n
    );
    assert!(
        share >= 0.9,
        "only {:.1} % of reads on the standby",
        share * 100.0
    );

    a_paused_standby_is_read_around(&db, &standby).await;
    db.close().await;
}

/// A standby that stops replaying: caught up first, then paused; the
/// health report says by how much it is behind, and a read after a write
/// goes to the primary within the bound.
async fn a_paused_standby_is_read_around(db: &Database, standby: &Cluster) {
    tokio::time::sleep(Duration::from_millis(400)).await;
    let health = db.health(false).await;
    assert!(
        health.reader_behind.is_some_and(|b| b < 1024 * 1024),
        "{health:?}"
    );
    standby.sql("SELECT pg_wal_replay_pause()").unwrap();
    let primary_pool = db.pool().await.unwrap();
    let id: i32 =
        sqlx::query_scalar("INSERT INTO notes (body) VALUES (repeat('y', 100000)) RETURNING id")
            .fetch_one(pg(&primary_pool))
            .await
            .unwrap();
    let written = db.written().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let health = db.health(false).await;
    let behind = health.reader_behind.expect("the lag");
    assert!(behind > 0, "{health:?}");
    eprintln!("a paused standby: {behind} bytes behind, by the health report");
    let t = Instant::now();
    let pool = db.reader_after(written).await.unwrap();
    assert!(t.elapsed() < CAUSAL_WAIT + Duration::from_millis(200));
    assert_eq!(
        read(&pool, id).await,
        (true, false),
        "not read on the primary"
    );
    standby.sql("SELECT pg_wal_replay_resume()").unwrap();
}

/// `n` pairs: insert a note on the primary, take the position, read the
/// note through `reader_after`. Returns the stale reads, the reads on the
/// standby, and the time `reader_after` took in all.
async fn pairs(db: &Database, n: usize) -> (usize, usize, Duration) {
    let primary = db.pool().await.unwrap();
    let (mut stale, mut on_standby, mut waited) = (0, 0, Duration::ZERO);
    for _ in 0..n {
        let id: i32 = sqlx::query_scalar("INSERT INTO notes (body) VALUES ('x') RETURNING id")
            .fetch_one(pg(&primary))
            .await
            .unwrap();
        let written = db.written().await.unwrap();
        let t = Instant::now();
        let pool = db.reader_after(written).await.unwrap();
        let took = t.elapsed();
        assert!(
            took < CAUSAL_WAIT + Duration::from_millis(200),
            "reader_after took {took:?}"
        );
        waited += took;
        let (seen, on) = read(&pool, id).await;
        stale += usize::from(!seen);
        on_standby += usize::from(on);
    }
    (stale, on_standby, waited)
}
