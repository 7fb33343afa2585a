//! The lazy `Database` handle against real servers and real SQLite files:
//! round trips, bounded connects with real causes, single flight, recovery,
//! SQLite contention, migrations and redaction.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::servers::{self, MARIADB, MARIADB_URL, POSTGRES, POSTGRES_URL};
use dbsettings::{
    Backend, Database, DatabaseErrorKind, DatabaseSettings, DatabaseUrl, Pool, insert_id, on_pool,
    query_scalar, sql, sqlx,
};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(
        env = "DATABASE_URL",
        fallback = "sqlite::memory:",
        connect_timeout = "500ms",
        acquire_timeout = "2s",
        migrations = "migrations"
    )]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings, Debug)]
struct NoMigrations {
    #[settings(env = "DATABASE_URL", connect_timeout = "500ms")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings, Debug)]
struct FallbackWhenDown {
    #[settings(
        env = "DATABASE_URL",
        connect_timeout = "500ms",
        on_unreachable = "fallback",
        migrations = "migrations"
    )]
    database_url: DatabaseUrl,
}

fn settings(url: &str) -> Settings {
    Settings::from_vars([("DATABASE_URL", url)]).unwrap()
}

fn db(url: &str) -> Database {
    NoMigrations::from_vars([("DATABASE_URL", url)])
        .unwrap()
        .database()
}

/// Inserts a row into `notes` and reads it back, on any backend.
async fn round_trip(pool: &Pool, body: &str) -> String {
    on_pool!(pool, p => {
        let id = insert_id(sql!("INSERT INTO notes (body) VALUES ($1) RETURNING id"))
            .bind(body)
            .fetch(p)
            .await
            .unwrap();
        query_scalar(sql!("SELECT body FROM notes WHERE id = $1"))
            .bind(id)
            .fetch_one(p)
            .await
            .unwrap()
    })
}

#[tokio::test]
async fn postgres_round_trip_with_migrations() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let s = settings(POSTGRES_URL);
    let pool = s.database().pool().await.unwrap();
    assert_eq!(pool.backend(), Backend::Postgres);
    assert_eq!(round_trip(&pool, "hello postgres").await, "hello postgres");
}

#[tokio::test]
async fn mariadb_round_trip_with_migrations() {
    if !servers::available("MariaDB", MARIADB).await {
        return;
    }
    let s = settings(MARIADB_URL);
    let pool = s.database().pool().await.unwrap();
    assert_eq!(pool.backend(), Backend::MySql);
    assert_eq!(round_trip(&pool, "hello mariadb").await, "hello mariadb");
}

#[tokio::test]
async fn sqlite_file_round_trip_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/app.db", dir.path().display());
    let s = settings(&url);
    let pool = s.database().pool().await.unwrap();
    assert_eq!(round_trip(&pool, "hello sqlite").await, "hello sqlite");
    let p = pool.as_sqlite().unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(sync, 1, "synchronous=NORMAL");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(p)
        .await
        .unwrap();
    assert!(busy >= 1000, "busy_timeout is {busy} ms");
}

#[tokio::test]
async fn the_fallback_database_comes_up_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let s = Settings::from_vars([("DBSETTINGS_DATA_DIR", dir.path().to_str().unwrap())]).unwrap();
    assert!(s.database_url.is_fallback());
    let pool = s.database().pool().await.unwrap();
    assert_eq!(round_trip(&pool, "fallback row").await, "fallback row");
}

#[tokio::test]
async fn refused_connection_fails_fast_with_its_cause() {
    let port = servers::free_port();
    let db = db(&format!(
        "postgresql://postgres:Pw-refused-123@127.0.0.1:{port}/test"
    ));
    let started = Instant::now();
    let err = db.pool().await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), DatabaseErrorKind::Refused, "{err}");
    assert!(
        elapsed < Duration::from_millis(200),
        "refused after {elapsed:?}"
    );
    let text = format!("{err} {err:?}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(!text.contains("Pw-refused-123"), "{text}");
    eprintln!("refused: {elapsed:?}: {err}");
}

#[tokio::test]
async fn a_server_that_never_answers_fails_at_the_connect_timeout() {
    let (addr, _listener) = servers::silent_listener().await;
    for url in [
        format!("postgresql://postgres@{addr}/test"),
        format!("mysql://root@{addr}/test"),
    ] {
        let db = db(&url);
        let started = Instant::now();
        let err = db.pool().await.unwrap_err();
        let elapsed = started.elapsed();
        assert_eq!(err.kind(), DatabaseErrorKind::Timeout, "{err}");
        let ms = elapsed.as_millis();
        assert!(
            (400..=600).contains(&ms),
            "timed out after {elapsed:?}, expected 500 ms ± 20 %"
        );
        eprintln!("hung server ({url}): {elapsed:?}: {err}");
    }
}

#[tokio::test]
async fn dns_failure_and_missing_database_are_told_apart() {
    let err = db("postgresql://postgres@no-such-host.invalid:5432/test")
        .pool()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::Dns, "{err}");
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let err = db("postgresql://postgres@127.0.0.1:5432/dbsettings_no_such_db")
        .pool()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::DatabaseMissing, "{err}");
}

#[tokio::test]
async fn mariadb_wrong_password_is_an_auth_error_without_the_password() {
    if !servers::available("MariaDB", MARIADB).await {
        return;
    }
    let root = db(MARIADB_URL).pool().await.unwrap();
    let root = root.as_mysql().unwrap();
    sqlx::query("CREATE USER IF NOT EXISTS 'dbs_auth'@'%' IDENTIFIED BY 'Right-Pw-4821'")
        .execute(root)
        .await
        .unwrap();
    sqlx::query("CREATE USER IF NOT EXISTS 'dbs_auth'@'localhost' IDENTIFIED BY 'Right-Pw-4821'")
        .execute(root)
        .await
        .unwrap();
    for grant in [
        "GRANT ALL ON test.* TO 'dbs_auth'@'%'",
        "GRANT ALL ON test.* TO 'dbs_auth'@'localhost'",
    ] {
        sqlx::query(grant).execute(root).await.unwrap();
    }
    let (err, logs) = {
        let url = "mysql://dbs_auth:Wrong-Pw-9377@127.0.0.1:3306/test";
        let database = db(url);
        let buffer = common::capture::Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .with_max_level(tracing::Level::TRACE)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let err = database.pool().await.unwrap_err();
        (err, buffer.text())
    };
    assert_eq!(err.kind(), DatabaseErrorKind::Auth, "{err}");
    let text = format!("{err}\n{err:?}\n{logs}");
    assert!(!text.contains("Wrong-Pw-9377"), "{text}");
    assert!(logs.contains("database connect failed"), "{logs}");
    let ok = db("mysql://dbs_auth:Right-Pw-4821@127.0.0.1:3306/test")
        .pool()
        .await;
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[tokio::test]
async fn postgres_password_never_appears_in_output() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let admin = db(POSTGRES_URL).pool().await.unwrap();
    let admin = admin.as_postgres().unwrap();
    let _ = sqlx::query("CREATE ROLE dbs_secret LOGIN PASSWORD 'Pg-Secret-7731'")
        .execute(admin)
        .await;
    let buffer = common::capture::Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let url = "postgresql://dbs_secret:Pg-Secret-7731@127.0.0.1:5432/test";
    let s = NoMigrations::from_vars([("DATABASE_URL", url)]).unwrap();
    let pool = s.database().pool().await.unwrap();
    pool.ping().await.unwrap();
    let missing = db("postgresql://dbs_secret:Pg-Secret-7731@127.0.0.1:5432/dbsettings_no_such_db")
        .pool()
        .await
        .unwrap_err();
    let port = servers::free_port();
    let refused = db(&format!(
        "postgresql://dbs_secret:Pg-Secret-7731@127.0.0.1:{port}/test"
    ))
    .pool()
    .await
    .unwrap_err();
    let text = format!(
        "{}\n{:?}\n{}\n{:?}\n{missing}\n{missing:?}\n{refused}\n{refused:?}\n{:?}\n{}",
        s.database_url,
        s.database_url,
        s.database_url.resolution(),
        s.database(),
        pool,
        buffer.text()
    );
    assert!(!text.contains("Pg-Secret-7731"), "{text}");
    assert!(!text.contains("Pg-Secret"), "{text}");
    assert!(
        buffer.text().contains("database pool ready"),
        "{}",
        buffer.text()
    );
}

#[tokio::test]
async fn recovery_without_restarting_anything() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let port = servers::free_port();
    let db = db(&format!("postgresql://postgres@127.0.0.1:{port}/test"));
    let err = db.pool().await.unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::Refused);
    let (_addr, proxy) = servers::proxy(&format!("127.0.0.1:{port}"), POSTGRES).await;
    let pool = db.pool().await.expect("the next call tries again");
    pool.ping().await.unwrap();
    assert_eq!(db.builds(), 2);
    proxy.abort();
}

#[tokio::test]
async fn bracketed_ipv6_and_unix_socket_hosts_connect() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let (addr, proxy) = servers::proxy("[::1]:0", POSTGRES).await;
    let url = format!("postgresql://postgres@[::1]:{}/test", addr.port());
    let pool = db(&url).pool().await.unwrap();
    pool.ping().await.unwrap();
    proxy.abort();

    let socket_dir = std::path::Path::new("/var/run/postgresql/.s.PGSQL.5432");
    if !socket_dir.exists() {
        common::skip(
            "the Unix socket test",
            "no PostgreSQL socket in /var/run/postgresql",
        );
        return;
    }
    let pool = db("postgresql://postgres@/test?host=/var/run/postgresql")
        .pool()
        .await
        .unwrap();
    pool.ping().await.unwrap();

    // No host at all: libpq's default socket, found and named.
    let settings =
        NoMigrations::from_vars([("DATABASE_URL", "postgresql://postgres@/test")]).unwrap();
    let url = &settings.database_url;
    assert!(!url.is_fallback(), "{}", url.resolution());
    assert!(
        url.resolution()
            .to_string()
            .contains("default Unix socket in /var/run/postgresql"),
        "{}",
        url.resolution()
    );
    let pool = settings.database().pool().await.unwrap();
    let over_socket: bool = sqlx::query_scalar("SELECT inet_client_addr() IS NULL")
        .fetch_one(pool.as_postgres().unwrap())
        .await
        .unwrap();
    assert!(over_socket, "connected over TCP, not the socket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_callers_share_one_build() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(&format!("sqlite://{}/single.db", dir.path().display()));
    let handle = s.database();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let h = s.database();
            tokio::spawn(async move { h.pool().await.map(|p| p.backend()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), Backend::Sqlite);
    }
    assert_eq!(handle.builds(), 1);

    // Failures are shared too: callers that arrive while an attempt runs get
    // its error (a server that never answers keeps the attempt open 500 ms).
    let (addr, _listener) = servers::silent_listener().await;
    let down = db(&format!("postgresql://postgres@{addr}/test"));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let d = down.clone();
            tokio::spawn(async move { d.pool().await.map(drop) })
        })
        .collect();
    let mut timed_out = 0;
    for t in tasks {
        if t.await
            .unwrap()
            .is_err_and(|e| e.kind() == DatabaseErrorKind::Timeout)
        {
            timed_out += 1;
        }
    }
    assert_eq!(timed_out, 100);
    assert_eq!(down.builds(), 1, "one attempt for the whole burst");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_read_then_write_transactions_never_see_busy() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(&format!("sqlite://{}/contention.db", dir.path().display()));
    let pool = s.database().pool().await.unwrap();
    let pool = Arc::new(pool.as_sqlite().unwrap().clone());
    sqlx::query("CREATE TABLE counter (n INTEGER NOT NULL)")
        .execute(&*pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO counter (n) VALUES (0)")
        .execute(&*pool)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                let mut tx = dbsettings::sqlite::begin_write(&pool).await?;
                let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query("UPDATE counter SET n = ?")
                    .bind(n + 1)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            })
        })
        .collect();
    let mut errors = Vec::new();
    for t in tasks {
        if let Err(e) = t.await.unwrap() {
            errors.push(e.to_string());
        }
    }
    assert!(
        errors.is_empty(),
        "{} errors: {:?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
        .fetch_one(&*pool)
        .await
        .unwrap();
    assert_eq!(n, 200, "200 committed read-then-write transactions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_memory_is_one_database_for_the_whole_pool() {
    let s = NoMigrations::from_vars([
        ("DATABASE_URL", "sqlite::memory:"),
        ("DATABASE_MAX_CONNECTIONS", "4"),
    ])
    .unwrap();
    let pool = s.database().pool().await.unwrap();
    let pool = pool.as_sqlite().unwrap();
    let mut conns = Vec::new();
    for _ in 0..4 {
        conns.push(pool.acquire().await.unwrap());
    }
    sqlx::query("CREATE TABLE shared (x INTEGER)")
        .execute(&mut *conns[0])
        .await
        .unwrap();
    sqlx::query("INSERT INTO shared VALUES (42)")
        .execute(&mut *conns[1])
        .await
        .unwrap();
    for c in &mut conns {
        let x: i64 = sqlx::query_scalar("SELECT x FROM shared")
            .fetch_one(&mut **c)
            .await
            .unwrap();
        assert_eq!(x, 42);
    }
    assert_eq!(pool.size(), 4, "four distinct connections");
}

#[tokio::test]
async fn unreachable_primary_can_opt_in_to_the_fallback() {
    let port = servers::free_port();
    let dir = tempfile::tempdir().unwrap();
    let s = FallbackWhenDown::from_vars([
        (
            "DATABASE_URL",
            format!("postgresql://postgres@127.0.0.1:{port}/test").as_str(),
        ),
        ("DBSETTINGS_DATA_DIR", dir.path().to_str().unwrap()),
    ])
    .unwrap();
    assert_eq!(s.database_url.backend(), Backend::Postgres);
    let pool = s.database().pool().await.unwrap();
    assert_eq!(pool.backend(), Backend::Sqlite);
    assert_eq!(round_trip(&pool, "kept locally").await, "kept locally");
}

#[test]
fn database_is_created_outside_a_runtime_and_is_send_sync_static() {
    fn assert_traits<T: Clone + Send + Sync + 'static>(_: &T) {}
    fn assert_send<F: Future + Send>(_: F) {}
    let s = NoMigrations::from_vars([("DATABASE_URL", "sqlite::memory:")]).unwrap();
    let db = s.database();
    assert_traits(&db);
    assert_send(db.pool());
    assert!(db.get().is_none(), "creating the handle never connects");

    // Polled outside any runtime, pool() says so instead of panicking.
    let mut fut = std::pin::pin!(db.pool());
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Err(e)) => assert_eq!(e.kind(), DatabaseErrorKind::NoRuntime),
        other => panic!(
            "expected a NoRuntime error, got {:?}",
            other.map(|r| r.map(|p| p.backend()))
        ),
    }

    // settings.database() is one handle: a pool built through one call is
    // there for the next.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(db.pool()).unwrap();
    let again = s.database();
    assert!(again.get().is_some());
    assert_eq!(again.builds(), 1);
}

#[tokio::test]
async fn a_tls_failure_is_a_tls_error() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    // The local server's certificate is Debian's self-signed one, which
    // verify-full rejects: the error must say TLS, not time out.
    let err = db("postgresql://postgres@127.0.0.1:5432/test?sslmode=verify-full")
        .pool()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::Tls, "{err}");
}

#[tokio::test]
async fn mariadb_unix_socket_connects() {
    if !servers::available("MariaDB", MARIADB).await {
        return;
    }
    let socket = "/run/mysqld/mysqld.sock";
    if !std::path::Path::new(socket).exists() {
        common::skip(
            "the MariaDB socket test",
            "no socket at /run/mysqld/mysqld.sock",
        );
        return;
    }
    let pool = db(&format!("mysql://root@localhost/test?socket={socket}"))
        .pool()
        .await
        .unwrap();
    pool.ping().await.unwrap();
}

#[derive(DatabaseSettings, Debug)]
struct Broken {
    #[settings(env = "DATABASE_URL", migrations = "migrations_broken")]
    database_url: DatabaseUrl,
}

#[tokio::test]
async fn a_failed_migration_is_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/broken.db", dir.path().display());
    let db = Broken::from_vars([("DATABASE_URL", url.as_str())])
        .unwrap()
        .database();
    let err = db.pool().await.unwrap_err();
    assert_eq!(err.kind(), DatabaseErrorKind::Migration, "{err}");
    assert_eq!(err.migration_name(), Some("2_add broken index"), "{err}");
    assert!(err.to_string().contains("no_such_column"), "{err}");
    assert!(db.get().is_none(), "no half-migrated pool is handed out");
}
