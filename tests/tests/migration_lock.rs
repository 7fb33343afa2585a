//! The migration lock (issue 27, part 1): a migration run that fails lets
//! its lock go, and a lock another session holds is waited for within
//! `migration_lock_wait`, with `health()` saying on whom, then a
//! `Migration` error that names the holder; on PostgreSQL and MariaDB.
//! The lock is sqlx's own (another replica running sqlx's migrator holds
//! it in these tests), so the two exclude each other.

mod common;

use std::time::{Duration, Instant};

use common::servers::{self, MARIADB, MARIADB_URL, POSTGRES, POSTGRES_URL};
use dbsettings::sqlx::migrate::Migrate as _;
use dbsettings::sqlx::{self, Connection as _};
use dbsettings::{DatabaseErrorKind, DatabaseSettings, DatabaseUrl, HealthState};

#[derive(DatabaseSettings, Debug)]
struct Migrating {
    #[settings(
        env = "DATABASE_URL",
        connect_timeout = "3s",
        migrations = "migrations",
        migration_lock_wait = "2s"
    )]
    database_url: DatabaseUrl,
}

/// A fresh database `name` on the machine's PostgreSQL; its URL.
async fn fresh_pg(name: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(POSTGRES_URL).await.unwrap();
    for statement in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    POSTGRES_URL.replace("/test", &format!("/{name}"))
}

/// A fresh database `name` on the machine's MariaDB; its URL.
async fn fresh_mysql(name: &str) -> String {
    let mut admin = sqlx::MySqlConnection::connect(MARIADB_URL).await.unwrap();
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    MARIADB_URL.replace("/test", &format!("/{name}"))
}

/// The advisory locks held on database `name`.
async fn pg_advisory_locks(name: &str) -> i64 {
    let mut admin = sqlx::PgConnection::connect(POSTGRES_URL).await.unwrap();
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
         WHERE l.locktype = 'advisory' AND l.granted AND d.datname = $1",
    )
    .bind(name)
    .fetch_one(&mut admin)
    .await
    .unwrap()
}

/// Another application's migration 1 in the books: the history disagrees
/// with the binary's.
const FOREIGN: &str = "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, \
     description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), \
     success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL); \
     INSERT INTO _sqlx_migrations VALUES (1, 'notes', now(), true, '\\x00', 0)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_that_disagrees_is_the_same_error_every_time_with_nothing_locked() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let url = fresh_pg("mig_mismatch").await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(FOREIGN).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();

    let s = Migrating::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let db = s.database();
    // 50 callers at once, then again: each gets the error, none hangs.
    for round in 0..2 {
        let started = Instant::now();
        let calls: Vec<_> = (0..50)
            .map(|_| {
                let db = db.clone();
                // Bounded: the failure this test exists for is a hang.
                tokio::spawn(async move {
                    tokio::time::timeout(Duration::from_secs(10), db.pool())
                        .await
                        .expect("pool() hung")
                })
            })
            .collect();
        for call in calls {
            let e = call.await.unwrap().expect_err("the history disagrees");
            assert_eq!(e.kind(), DatabaseErrorKind::Migration, "{e}");
            assert!(
                e.to_string()
                    .contains("previously applied but has been modified"),
                "{e}"
            );
        }
        let took = started.elapsed();
        eprintln!("round {round}: 50 callers answered in {took:?}");
        assert!(took < Duration::from_secs(10), "{took:?}");
        assert_eq!(
            pg_advisory_locks("mig_mismatch").await,
            0,
            "a lock was left held"
        );
    }
    let health = db.health(true).await;
    assert!(
        matches!(&health.state, HealthState::Down { kind: DatabaseErrorKind::Migration, error } if error.contains("modified")),
        "{health:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_elsewhere_is_waited_for_visibly_then_named() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let url = fresh_pg("mig_held").await;
    // Another replica, running sqlx's own migrator, holds the lock.
    let holder_url = format!("{url}?application_name=other_replica");
    let mut holder = sqlx::PgConnection::connect(&holder_url).await.unwrap();
    holder.lock().await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut holder)
        .await
        .unwrap();

    let s = Migrating::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let db = s.database();
    let started = Instant::now();
    let build = tokio::spawn({
        let db = db.clone();
        async move { db.pool().await }
    });
    // Meanwhile, health() answers at once and says on whom it waits.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let asked = Instant::now();
    let health = db.health(true).await;
    let answered = asked.elapsed();
    eprintln!("health while waiting, in {answered:?}: {}", health.state);
    assert!(answered < Duration::from_millis(300), "{answered:?}");
    match &health.state {
        HealthState::Migrating { detail } => {
            assert!(
                detail.contains("waiting for the migration lock"),
                "{detail}"
            );
            assert!(detail.contains(&format!("pid {pid}")), "{detail}");
            assert!(detail.contains("other_replica"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!health.state.is_up());

    let e = build.await.unwrap().expect_err("the lock is not let go");
    let took = started.elapsed();
    eprintln!("pool() returned after {took:?}: {e}");
    assert_eq!(e.kind(), DatabaseErrorKind::Migration, "{e}");
    let text = e.to_string();
    assert!(
        text.contains(&format!("pid {pid}")) && text.contains("migration_lock_wait"),
        "{text}"
    );
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(5),
        "{took:?}"
    );

    // Let go: the next call migrates.
    holder.unlock().await.unwrap();
    let pool = db.pool().await.expect("the next call tries again");
    let books: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(pool.as_postgres().unwrap())
        .await
        .unwrap();
    assert_eq!(books, 1);
    assert_eq!(
        pg_advisory_locks("mig_held").await,
        0,
        "our lock was let go"
    );
    assert!(db.health(true).await.state.is_up());
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_lets_go_of_a_failed_run_and_names_a_holder() {
    if !servers::available("MariaDB", MARIADB).await {
        return;
    }
    let url = fresh_mysql("mig_maria").await;
    // Another session holds the lock sqlx's migrator names for this
    // database. (sqlx's own `lock()` is no lock on MariaDB 10.11: its
    // `GET_LOCK(name, -1)` returns NULL there, a negative timeout being
    // MySQL's spelling of "for ever" only.)
    let mut holder = sqlx::MySqlConnection::connect(&url).await.unwrap();
    let held: Option<i64> = sqlx::query_scalar(SQLX_LOCK)
        .fetch_one(&mut holder)
        .await
        .unwrap();
    assert_eq!(held, Some(1));
    let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    let s = Migrating::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let db = s.database();
    let e = db.pool().await.expect_err("the lock is held");
    assert_eq!(e.kind(), DatabaseErrorKind::Migration, "{e}");
    assert!(e.to_string().contains(&format!("connection {id}")), "{e}");
    sqlx::raw_sql("SELECT RELEASE_ALL_LOCKS()")
        .execute(&mut holder)
        .await
        .unwrap();

    // A history that disagrees: the error, twice, and the lock free after
    // each (sqlx's own migrator takes it at once).
    sqlx::raw_sql(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
         checksum BLOB NOT NULL, execution_time BIGINT NOT NULL); \
         INSERT INTO _sqlx_migrations VALUES (1, 'notes', NOW(), true, x'00', 0)",
    )
    .execute(&mut holder)
    .await
    .unwrap();
    for _ in 0..2 {
        let e = db.pool().await.expect_err("the history disagrees");
        assert!(
            e.to_string()
                .contains("previously applied but has been modified"),
            "{e}"
        );
        let free: Option<i64> =
            sqlx::query_scalar("SELECT IS_FREE_LOCK(LOWER(HEX(1026731422 * CRC32(DATABASE()))))")
                .fetch_one(&mut holder)
                .await
                .unwrap();
        assert_eq!(free, Some(1), "the lock was left held");
    }
    holder.close().await.unwrap();
}

/// Takes the lock sqlx's migrator names for the database (sqlx-mysql's
/// `generate_lock_id`: 0x3d32ad9e times the CRC-32 of the name, in hex).
const SQLX_LOCK: &str = "SELECT GET_LOCK(LOWER(HEX(1026731422 * CRC32(DATABASE()))), 0)";
