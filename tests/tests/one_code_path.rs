//! One code path on every backend: the same function, written once with
//! `on_pool!`, `sql!` and `insert_id`, against PostgreSQL, MariaDB and
//! SQLite.

mod common;

use common::servers::{self, MARIADB, MARIADB_URL, POSTGRES, POSTGRES_URL};
use dbsettings::{
    Backend, DatabaseSettings, DatabaseUrl, Pool, insert_id, on_pool, query, query_as,
    query_scalar, sql, sqlx,
};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(
        env = "DATABASE_URL",
        connect_timeout = "2s",
        migrations = "migrations"
    )]
    database_url: DatabaseUrl,
}

async fn pool(url: &str) -> Pool {
    Settings::from_vars([("DATABASE_URL", url)])
        .unwrap()
        .database()
        .pool()
        .await
        .unwrap()
}

/// Writes and reads `notes` with statements written once; the same code
/// for every backend.
async fn exercise(pool: &Pool) -> Result<(), sqlx::Error> {
    let tag = format!("{}-{:?}", pool.backend(), std::time::SystemTime::now());
    let first_body = format!("{tag} first");
    let second_body = format!("{tag} second costs $2");

    // The id of an inserted row: RETURNING, or LAST_INSERT_ID() on MySQL.
    let first = on_pool!(pool, p => {
        insert_id(sql!("INSERT INTO notes (body) VALUES ($1) RETURNING id"))
            .bind(&first_body)
            .fetch(p)
            .await?
    });
    // In a transaction too: any executor.
    let second = on_pool!(pool, p => {
        let mut tx = p.begin().await?;
        let id = insert_id(sql!("INSERT INTO notes (body) VALUES ($1) RETURNING id"))
            .bind(&second_body)
            .fetch(&mut *tx)
            .await?;
        tx.commit().await?;
        id
    });
    assert!(second > first, "{first} then {second}");

    // `$N` in a string literal and in comments is text, not a parameter.
    let read: Vec<(i64, String)> = on_pool!(pool, p => {
        query_as(sql!(
            "SELECT id, body FROM notes /* $9 */
             WHERE id IN ($1, $2) AND body <> '$3' -- not $4
             ORDER BY id"
        ))
        .bind(first)
        .bind(second)
        .fetch_all(p)
        .await?
    });
    assert_eq!(read, [(first, first_body), (second, second_body)]);

    let updated = on_pool!(pool, p => {
        query(sql!("UPDATE notes SET body = COALESCE($1, body) WHERE id = $2"))
            .bind(Some(format!("{tag} edited")))
            .bind(first)
            .execute(p)
            .await?
            .rows_affected()
    });
    assert_eq!(updated, 1);
    let body: String = on_pool!(pool, p => {
        query_scalar(sql!("SELECT body FROM notes WHERE id = $1"))
            .bind(first)
            .fetch_one(p)
            .await?
    });
    assert_eq!(body, format!("{tag} edited"));

    let like = format!("{tag}%");
    let count: i64 = on_pool!(pool, p => {
        query_scalar(sql!("SELECT count(*) FROM notes WHERE body LIKE $1"))
            .bind(&like)
            .fetch_one(p)
            .await?
    });
    assert_eq!(count, 2);
    Ok(())
}

/// `insert_id` when MySQL reports no id: an error, never a made-up id
/// (`LAST_INSERT_ID()` is 0 then, and used to come back as `Ok(0)`).
async fn no_id_is_made_up(pool: &Pool) -> Result<(), sqlx::Error> {
    // DDL is where the backends differ: tables of this connection's own,
    // one with an AUTO_INCREMENT key and one without.
    let create = match pool.backend() {
        Backend::Postgres => {
            sql!("CREATE TEMPORARY TABLE ids (id BIGSERIAL PRIMARY KEY, v TEXT UNIQUE)")
        }
        Backend::MySql => sql!(
            "CREATE TEMPORARY TABLE ids (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) UNIQUE)"
        ),
        _ => sql!("CREATE TEMPORARY TABLE ids (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"),
    };
    // A duplicate that inserts nothing, said each backend's way.
    let ignore_duplicate = match pool.backend() {
        Backend::MySql => sql!("INSERT IGNORE INTO ids (v) VALUES ($1) RETURNING id"),
        _ => sql!("INSERT INTO ids (v) VALUES ($1) ON CONFLICT (v) DO NOTHING RETURNING id"),
    };
    let (generated, explicit, ignored, no_auto_increment, rows) = on_pool!(pool, p => {
        let mut tx = p.begin().await?;
        query(create).execute(&mut *tx).await?;
        query(sql!("CREATE TEMPORARY TABLE kv (id BIGINT PRIMARY KEY, v TEXT)"))
            .execute(&mut *tx)
            .await?;
        let generated = insert_id(sql!("INSERT INTO ids (v) VALUES ($1) RETURNING id"))
            .bind("a")
            .fetch(&mut *tx)
            .await?;
        // A key given to an AUTO_INCREMENT column: MySQL reports it.
        let explicit = insert_id(sql!("INSERT INTO ids (id, v) VALUES ($1, $2) RETURNING id"))
            .bind(42_i64)
            .bind("b")
            .fetch(&mut *tx)
            .await?;
        let ignored = insert_id(ignore_duplicate).bind("a").fetch(&mut *tx).await;
        // A key given to a table without AUTO_INCREMENT, after ids were
        // generated on this connection: MySQL reports no id (0).
        let no_auto_increment =
            insert_id(sql!("INSERT INTO kv (id, v) VALUES ($1, $2) RETURNING id"))
                .bind(7_i64)
                .bind("c")
                .fetch(&mut *tx)
                .await;
        let rows: i64 = query_scalar(sql!("SELECT (SELECT count(*) FROM ids) + (SELECT count(*) FROM kv)"))
            .fetch_one(&mut *tx)
            .await?;
        tx.rollback().await?;
        (generated, explicit, ignored, no_auto_increment, rows)
    });
    assert_eq!((generated, explicit), (1, 42));
    assert!(
        matches!(ignored, Err(sqlx::Error::RowNotFound)),
        "an ignored duplicate gave {ignored:?}"
    );
    match (pool.backend(), no_auto_increment) {
        (Backend::MySql, Err(sqlx::Error::Protocol(why))) => {
            assert!(why.contains("MySQL reported no id"), "{why}");
            assert!(why.contains("use the key you bound"), "{why}");
        }
        (Backend::Postgres | Backend::Sqlite, Ok(id)) => assert_eq!(id, 7),
        (backend, other) => panic!("{backend}: a key without AUTO_INCREMENT gave {other:?}"),
    }
    // That row is written on MySQL too, as the error says.
    assert_eq!(rows, 3);
    Ok(())
}

/// Statements close to what MySQL reads differently from PostgreSQL (the
/// rest is a compile error), which every backend reads alike: `#`, `--x`
/// and `/*` in a string, quotes, `#` and `?` in comments, a comment line
/// ending in `\r\n`; and a backslash bound as a parameter, as the error
/// for one in a literal advises.
async fn read_alike(pool: &Pool) -> Result<(), sqlx::Error> {
    let row: (String, String) = on_pool!(pool, p => {
        query_as(sql!(
            "SELECT '# --x /* it''s $2 ?' AS a, $1 AS b -- it's # ? $3 /*
             /* it's # --x */ -- \r\n"
        ))
        .bind("ok")
        .fetch_one(p)
        .await?
    });
    assert_eq!(row, ("# --x /* it's $2 ?".to_owned(), "ok".to_owned()));
    let path: String = on_pool!(pool, p => {
        query_scalar(sql!("SELECT REPLACE($1, $2, '/')"))
            .bind(r"C:\new\notes")
            .bind(r"\")
            .fetch_one(p)
            .await?
    });
    assert_eq!(path, "C:/new/notes");
    Ok(())
}

#[tokio::test]
async fn postgres() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let pool = pool(POSTGRES_URL).await;
    assert_eq!(pool.backend(), Backend::Postgres);
    exercise(&pool).await.unwrap();
    no_id_is_made_up(&pool).await.unwrap();
    read_alike(&pool).await.unwrap();

    // An `INTEGER` (not `BIGINT`) id reads as well.
    let p = pool.as_postgres().unwrap();
    let mut tx = p.begin().await.unwrap();
    sqlx::query("CREATE TEMPORARY TABLE small_ids (id SERIAL PRIMARY KEY, x TEXT)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let id = insert_id(sql!("INSERT INTO small_ids (x) VALUES ($1) RETURNING id"))
        .bind("a")
        .fetch(&mut *tx)
        .await
        .unwrap();
    assert_eq!(id, 1);
}

#[tokio::test]
async fn mariadb() {
    if !servers::available("MariaDB", MARIADB).await {
        return;
    }
    let pool = pool(MARIADB_URL).await;
    assert_eq!(pool.backend(), Backend::MySql);
    exercise(&pool).await.unwrap();
    no_id_is_made_up(&pool).await.unwrap();
    read_alike(&pool).await.unwrap();
}

#[tokio::test]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let pool = pool(&format!("sqlite://{}/one.db", dir.path().display())).await;
    assert_eq!(pool.backend(), Backend::Sqlite);
    exercise(&pool).await.unwrap();
    no_id_is_made_up(&pool).await.unwrap();
    read_alike(&pool).await.unwrap();
}

/// A statement is a constant.
const LIST: query::Sql = sql!("SELECT id FROM notes");

/// What each backend is sent: the translation, checked against the
/// statement as written.
#[test]
fn each_backend_gets_its_form() {
    let q = sql!("SELECT $1::text, '$2', \"$3\", $2 -- $3");
    assert_eq!(q.postgres(), "SELECT $1::text, '$2', \"$3\", $2 -- $3");
    assert_eq!(q.on(Backend::Sqlite), q.postgres());
    assert_eq!(
        q.on(Backend::MySql),
        "SELECT ?::text, '$2', \"$3\", ? -- $3"
    );
    assert_eq!(LIST.mysql(), "SELECT id FROM notes");
    assert_eq!(LIST.to_string(), "SELECT id FROM notes");
}

/// Only an INSERT that ends in `RETURNING <column>` is a
/// `Sql<ReturningId>`, which `insert_id` takes: an UPDATE or DELETE that
/// ends so is a plain statement (a compile error in `insert_id`, see the UI
/// case `insert-id-not-an-insert`), since it generates no id for MySQL's
/// `LAST_INSERT_ID()`.
#[test]
fn only_an_insert_returns_an_id() {
    const UPDATE: query::Sql = sql!("UPDATE notes SET body = $1 WHERE id = $2 RETURNING id");
    const DELETE: query::Sql = sql!("DELETE FROM notes WHERE id = $1 RETURNING id");
    const INSERT: query::Sql<query::ReturningId> =
        sql!("INSERT INTO notes (body) VALUES ($1) RETURNING id");
    assert_eq!(
        UPDATE.mysql(),
        "UPDATE notes SET body = ? WHERE id = ? RETURNING id"
    );
    assert_eq!(
        DELETE.mysql(),
        "DELETE FROM notes WHERE id = ? RETURNING id"
    );
    assert_eq!(
        INSERT.mysql(),
        "INSERT INTO notes (body) VALUES (?) RETURNING id"
    );
}
