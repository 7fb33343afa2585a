//! The real `todo_api` binary, started as a child process on a free loopback
//! port, in an empty working directory with an empty environment (only
//! `PATH`, the port and what a test sets), and driven over HTTP: fallback,
//! PostgreSQL, MariaDB, a dead primary, a garbage URL with a password, and
//! SIGTERM. The binary carries its migrations: no source tree is needed.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Service, answers, free_port, skip};
use reqwest::StatusCode;
use serde_json::{Value, json};

use reqwest::Method as M;

/// Create, list, get, update, delete, and the 404 and 422 answers; returns
/// every body seen, for leak checks.
async fn crud_round_trip(s: &Service) -> String {
    let mut seen = String::new();
    let (st, created, _) = s
        .call(M::POST, "/todos", Some(json!({"title": "  buy milk  "})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{created}\n{}", s.log());
    assert_eq!(created["title"], "buy milk");
    assert_eq!(created["done"], false);
    let id = created["id"].as_i64().unwrap();
    seen += &created.to_string();

    let (st, list, _) = s.call(M::GET, "/todos", None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        list.as_array().unwrap().iter().any(|t| t["id"] == id),
        "{list}"
    );
    seen += &list.to_string();

    let (st, one, _) = s.call(M::GET, &format!("/todos/{id}"), None).await;
    assert_eq!(
        (st, one["title"].as_str()),
        (StatusCode::OK, Some("buy milk"))
    );

    let (st, updated, _) = s
        .call(
            M::PATCH,
            &format!("/todos/{id}"),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{updated}");
    assert_eq!(
        (updated["done"].as_bool(), updated["title"].as_str()),
        (Some(true), Some("buy milk"))
    );

    for (body, what) in [
        (json!({"title": "   "}), "empty title"),
        (json!({"title": "x".repeat(201)}), "long title"),
        (json!({"done": true}), "missing title"),
        (json!({"title": 5}), "wrong type"),
    ] {
        let (st, err, _) = s.call(M::POST, "/todos", Some(body)).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {err}");
        assert!(err["error"].is_string(), "{what}: {err}");
        seen += &err.to_string();
    }
    let (st, err, _) = s
        .call(
            M::PATCH,
            &format!("/todos/{id}"),
            Some(json!({"colour": "red"})),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");

    let (st, _, _) = s.call(M::DELETE, &format!("/todos/{id}"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    for (method, path) in [
        (M::GET, format!("/todos/{id}")),
        (M::DELETE, format!("/todos/{id}")),
        (M::GET, "/todos/not-a-number".to_owned()),
        (M::GET, "/nowhere".to_owned()),
    ] {
        let (st, err, _) = s.call(method, &path, None).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {err}");
        seen += &err.to_string();
    }
    seen
}

/// The value of the page's add-form token.
fn form_token(page: &str) -> String {
    let start = page.find("name=\"token\" value=\"").expect("a token field") + 20;
    let len = page[start..].find('"').unwrap();
    page[start..start + len].to_owned()
}

/// The id of the todo titled `title`, through the JSON API.
async fn todo_id(s: &Service, title: &str) -> Option<i64> {
    let (_, list, _) = s.call(M::GET, "/todos", None).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == title)
        .map(|t| t["id"].as_i64().unwrap())
}

/// The page as a visitor sees it, holding `panel` and none of
/// `owner_panel`, which the owner's holds.
async fn panels(s: &Service, panel: &[&str], owner_panel: &[&str]) -> common::Answer {
    let owner = s.owner_get("/").await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
    for words in owner_panel {
        assert!(owner.body.contains(words), "{words:?} in\n{}", owner.body);
    }
    let page = s.get("/").await;
    for words in panel {
        assert!(page.body.contains(words), "{words:?} in\n{}", page.body);
    }
    for words in owner_panel {
        assert!(!page.body.contains(words), "{words:?} for a visitor");
    }
    page
}

/// The front page over HTTP, as a browser without JavaScript uses it: the
/// status panel must hold `panel` for a visitor and `owner_panel` for the
/// owner, then add (HTML in the title, the same form sent twice), refusals
/// next to the field, mark done, delete, each form answered by a redirect.
/// Returns every page seen, for leak checks.
async fn page_round_trip(s: &Service, panel: &[&str], owner_panel: &[&str]) -> String {
    let page = panels(s, panel, owner_panel).await;
    assert_eq!(page.status, StatusCode::OK, "{}\n{}", page.body, s.log());
    assert!(page.header("content-type").starts_with("text/html"));
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(
        page.header("content-security-policy")
            .contains("default-src 'none'")
    );
    assert!(page.body.starts_with("<!doctype html>"), "{}", page.body);
    let mut seen = page.body.clone();

    // HTML in a title is text; a unique title, as the database outlives runs.
    let raw = format!(
        "<script>alert(\"x\")</script> & 'quotes' {}",
        std::process::id()
    );
    let token = form_token(&page.body);
    let fields = [("title", raw.as_str()), ("token", token.as_str())];
    let added = s.post_form("/", &fields).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert_eq!(added.header("location"), "/");
    // The same form again (a double click): not a second row, and said so.
    let again = s.post_form("/", &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(again.header("location"), "/?notice=duplicate");
    let id = todo_id(s, &raw)
        .await
        .expect("the todo, through the JSON API");
    let (_, list, _) = s.call(M::GET, "/todos", None).await;
    let rows = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"] == raw.as_str());
    assert_eq!(rows.count(), 1, "{list}");

    let page = s.get(again.header("location")).await;
    assert!(page.body.contains("sent twice"), "{}", page.body);
    let escaped = format!(
        "<span class=\"title\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; {}</span>",
        std::process::id()
    );
    assert!(page.body.contains(&escaped), "{}", page.body);
    assert!(!page.body.contains("<script"), "{}", page.body);
    assert!(page.body.contains(&format!("<li id=\"todo-{id}\">")));
    seen += &page.body;

    // Refusals: the page again, with what is wrong next to the field.
    let long = "x".repeat(201);
    for (title, words) in [
        ("   ", "the title is empty"),
        (long.as_str(), "too long: 200 characters at most"),
        ("tab\there", "control character"),
    ] {
        let refused = s.post_form("/", &[("title", title), ("token", "t")]).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{title:?}"
        );
        assert!(refused.body.contains(words), "{title:?}: {}", refused.body);
        assert!(refused.body.contains("aria-describedby=\"title-error\""));
        seen += &refused.body;
    }
    assert_eq!(todo_id(s, "tab\there").await, None);
    // An unknown notice is not echoed.
    let page = s.get("/?notice=%3Cscript%3E").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script") && !page.body.contains("role=\"status\""));

    let done = s
        .post_form(&format!("/todos/{id}/done"), &[("done", "true")])
        .await;
    assert_eq!(
        (done.status, done.header("location")),
        (StatusCode::SEE_OTHER, "/")
    );
    let page = s.get("/").await;
    assert!(
        page.body
            .contains(&format!("<li id=\"todo-{id}\" class=\"done\">")),
        "{}",
        page.body
    );
    seen += &page.body;

    for location in ["/", "/?notice=gone"] {
        let deleted = s.post_form(&format!("/todos/{id}/delete"), &[]).await;
        assert_eq!(
            (deleted.status, deleted.header("location")),
            (StatusCode::SEE_OTHER, location)
        );
    }
    let page = s.get("/").await;
    assert!(!page.body.contains(&format!("id=\"todo-{id}\"")));
    assert_eq!(todo_id(s, &raw).await, None);
    seen + &page.body
}

#[tokio::test]
async fn a_no_database_url_falls_back_to_sqlite_with_full_crud() {
    let s = Service::start(&[]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}\n{}", s.log());
    assert_eq!(health["backend"], "sqlite");
    assert_eq!(health["fallback"], true);
    assert_eq!(health["reason"], "no database URL is set");
    assert_eq!(health["location"], Value::Null, "the owner's: {health}");
    let (st, health, _) = s.owner_call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}");
    assert_eq!(health["reason"], "`DATABASE_URL` is not set");
    assert!(
        health["location"]
            .as_str()
            .unwrap()
            .ends_with("data/app.db"),
        "{health}"
    );
    let (st, ready, _) = s.call(M::GET, "/readyz", None).await;
    assert_eq!(st, StatusCode::OK, "{ready}");
    assert_eq!(ready["state"]["state"], "up", "{ready}");
    assert_eq!(ready["fallback"], true, "{ready}");
    assert!(ready["ping_ms"].as_f64().is_some(), "{ready}");
    crud_round_trip(&s).await;
    page_round_trip(
        &s,
        &[
            "fallback database, SQLite",
            "no database URL is set",
            "answering",
        ],
        &[
            "<code>DATABASE_URL</code> is not set",
            "data/app.db</code>: ",
        ],
    )
    .await;
    assert!(s.log().contains("falling back to SQLite"), "{}", s.log());
    assert!(
        s.log().contains("finished processing request"),
        "request logs: {}",
        s.log()
    );
}

/// A database of its own, so its migration history is the service's alone.
/// "Already exists", from a concurrent or earlier run, is fine.
async fn create_database(admin_url: &str, statement: &'static str) {
    use dbsettings::{DatabaseSettings as _, on_pool, sqlx};
    let admin = NoMigrations::from_vars([("DATABASE_URL", admin_url)]).unwrap();
    let pool = admin.database().pool().await.unwrap();
    // Not `sql!`: DDL that differs per server, run on the one it names.
    let _ = on_pool!(pool, p => sqlx::query(statement).execute(p).await.map(drop));
}

#[derive(dbsettings::DatabaseSettings)]
struct NoMigrations {
    database_url: dbsettings::DatabaseUrl,
}

#[tokio::test]
async fn b_postgres_round_trip() {
    if !answers("127.0.0.1:5432") {
        skip(
            "the PostgreSQL service test",
            "nothing answers at 127.0.0.1:5432",
        );
        return;
    }
    let url = "postgresql://postgres@127.0.0.1:5432/dbsettings_todo";
    create_database(
        "postgresql://postgres@127.0.0.1:5432/test",
        "CREATE DATABASE dbsettings_todo",
    )
    .await;
    let s = Service::start(&[("DATABASE_URL", url)]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}\n{}", s.log());
    assert_eq!(
        (health["backend"].as_str(), health["fallback"].as_bool()),
        (Some("postgres"), Some(false))
    );
    assert_eq!(health["reason"], Value::Null);
    crud_round_trip(&s).await;
    let pages = page_round_trip(
        &s,
        &[
            "runs on PostgreSQL, as configured",
            "kept by the database server",
        ],
        &[
            "<code>postgresql://",
            "127.0.0.1:5432/dbsettings_todo</code>: kept by the database server",
        ],
    )
    .await;
    assert!(
        !pages.contains("dbsettings_todo"),
        "no database name for visitors"
    );
    assert!(!pages.contains("postgres@"), "no user name on the page");
}

#[tokio::test]
async fn b_mariadb_round_trip() {
    if !answers("127.0.0.1:3306") {
        skip(
            "the MariaDB service test",
            "nothing answers at 127.0.0.1:3306",
        );
        return;
    }
    let url = "mysql://root@127.0.0.1:3306/dbsettings_todo";
    create_database(
        "mysql://root@127.0.0.1:3306/test",
        "CREATE DATABASE IF NOT EXISTS dbsettings_todo",
    )
    .await;
    let s = Service::start(&[("DATABASE_URL", url)]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}\n{}", s.log());
    assert_eq!(health["backend"], "mysql");
    crud_round_trip(&s).await;
    let pages = page_round_trip(
        &s,
        &[
            "runs on MySQL/MariaDB, as configured",
            "kept by the database server",
        ],
        &["127.0.0.1:3306/dbsettings_todo</code>: kept by the database server"],
    )
    .await;
    assert!(
        !pages.contains("dbsettings_todo"),
        "no database name for visitors"
    );
    assert!(!pages.contains("root@"), "no user name on the page");
}

#[tokio::test]
async fn c_a_refused_primary_still_starts_and_answers_503() {
    let port = free_port();
    let url = format!("postgresql://postgres:Refused-Pw-551@127.0.0.1:{port}/app");
    let s = Service::start(&[("DATABASE_URL", &url)]).await;
    let (st, health, retry) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{health}");
    assert_eq!(retry, "5");
    // Liveness never looks at the database; readiness does.
    let (st, live, _) = s.call(M::GET, "/livez", None).await;
    assert_eq!(st, StatusCode::OK, "{live}");
    let (st, ready, retry) = s.call(M::GET, "/readyz", None).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(retry, "5");
    assert_eq!(ready["state"]["state"], "down", "{ready}");
    assert_eq!(ready["state"]["kind"], "refused", "{ready}");
    assert!(!ready.to_string().contains("Refused-Pw-551"), "{ready}");
    assert_eq!(health["status"], "unavailable");
    assert_eq!(health["error"], "the database is not answering", "{health}");
    let (_, health, _) = s.owner_call(M::GET, "/health", None).await;
    assert!(
        health["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{health}"
    );
    for (method, path, body) in [
        (M::GET, "/todos", None),
        (M::POST, "/todos", Some(json!({"title": "x"}))),
        (M::GET, "/todos/1", None),
        (M::DELETE, "/todos/1", None),
    ] {
        let (st, err, retry) = s.call(method, path, body).await;
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{path}: {err}");
        assert_eq!(retry, "5");
        assert_eq!(err["error"], "database unavailable");
        assert!(!err.to_string().contains("Refused-Pw-551"));
    }
    // The page says so, with the cause (the owner's words for the owner),
    // and retries by reloading itself.
    let owner = s.owner_get("/").await;
    assert!(owner.body.contains("connection refused"), "{}", owner.body);
    let page = s.get("/").await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.body
    );
    assert_eq!(page.header("retry-after"), "5");
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(!page.body.contains("connection refused"), "{}", page.body);
    for words in [
        "PostgreSQL is not available",
        "the database is not answering",
        "Retrying",
        "<meta http-equiv=\"refresh\" content=\"5\">",
        "as soon as the database answers",
    ] {
        assert!(page.body.contains(words), "{words:?} in\n{}", page.body);
    }
    // A todo sent meanwhile: refused with the cause, the title kept, no reload.
    let sent = s
        .post_form("/", &[("title", "while down"), ("token", "t")])
        .await;
    assert_eq!(
        sent.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        sent.body
    );
    assert!(
        sent.body
            .contains("Not added: the database is not answering."),
        "{}",
        sent.body
    );
    assert!(sent.body.contains("value=\"while down\""), "{}", sent.body);
    assert!(!sent.body.contains("http-equiv"), "{}", sent.body);
    let log = s.log();
    let everything = format!("{}{}{log}", page.body, sent.body);
    assert!(!log.contains("panicked"), "{log}");
    assert!(!everything.contains("Refused-Pw-551"), "{everything}");
}

#[tokio::test]
async fn d_a_garbage_url_with_a_password_starts_on_the_fallback_and_never_shows_it() {
    let secret = "Sup3r-Secret-Pw";
    let url = format!("\"postgresql://admin:{secret}@db.internal:5432/app # production\"");
    let s = Service::start(&[("DATABASE_URL", &url)]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}");
    assert_eq!(health["fallback"], true);
    assert_eq!(
        health["reason"], "the database URL was rejected",
        "{health}"
    );
    let (_, owner, _) = s.owner_call(M::GET, "/health", None).await;
    assert!(
        owner["reason"].as_str().unwrap().contains("white space"),
        "{owner}"
    );
    let bodies = crud_round_trip(&s).await;
    let pages = page_round_trip(
        &s,
        &["the database URL was rejected", "fallback database"],
        &["white space", "inline comment"],
    )
    .await;
    let everything = format!("{health}\n{bodies}\n{pages}\n{}", s.log());
    assert!(!everything.contains(secret), "{everything}");
    assert!(!everything.contains("Sup3r"), "{everything}");
}

#[tokio::test]
async fn e_sigterm_exits_cleanly_within_a_second() {
    let mut s = Service::start(&[]).await;
    let (st, _, _) = s
        .call(M::POST, "/todos", Some(json!({"title": "before shutdown"})))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (status, took) = s.terminate();
    assert!(status.success(), "exit status {status}\n{}", s.log());
    assert!(took < Duration::from_secs(1), "took {took:?} to exit");
    assert!(s.log().contains("shut down cleanly"), "{}", s.log());
    eprintln!("SIGTERM to exit: {took:?}");
}

/// What the Dockerfile sets up, without a Docker engine: the binary as uid
/// 1000 in a working directory that user owns, `/data` absent, so the
/// fallback must land in `./data`.
#[tokio::test]
async fn f_runs_as_the_container_user() {
    let uid = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        skip("running as uid 1000", "switching users needs root");
        return;
    }
    let s = Service::start_as(&[], Some(1000)).await;
    let (st, health, _) = s.owner_call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}\n{}", s.log());
    let location = health["location"].as_str().unwrap();
    assert!(
        location.ends_with("/data/app.db") && !location.starts_with("/data/"),
        "{health}"
    );
    crud_round_trip(&s).await;
    let meta = std::fs::metadata(location).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta),
        1000,
        "the database belongs to the container user"
    );
}

/// Five requests wait on a table lock held elsewhere: SIGTERM still ends
/// the process within the grace (`SHUTDOWN_GRACE_SECS`, 2 s here; 10 s by
/// default), cutting them, with the pool closed and exit code 0.
#[tokio::test]
async fn g_sigterm_cuts_requests_stuck_on_the_database_within_the_grace() {
    use dbsettings::sqlx::{self, Connection as _};
    if !answers("127.0.0.1:5432") {
        skip(
            "the PostgreSQL shutdown test",
            "nothing answers at 127.0.0.1:5432",
        );
        return;
    }
    let url = "postgresql://postgres@127.0.0.1:5432/dbsettings_todo_stuck";
    create_database(
        "postgresql://postgres@127.0.0.1:5432/test",
        "CREATE DATABASE dbsettings_todo_stuck",
    )
    .await;
    let mut s = Service::start(&[("DATABASE_URL", url), ("SHUTDOWN_GRACE_SECS", "2")]).await;
    let (st, _, _) = s
        .call(M::POST, "/todos", Some(json!({"title": "before the lock"})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{}", s.log());

    // Another session holds the table.
    let mut holder = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE todos IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let stuck: Vec<_> = (0..5)
        .map(|i| {
            let request = client
                .post(format!("{}/todos", s.base))
                .json(&json!({ "title": format!("stuck {i}") }));
            tokio::spawn(async move { request.send().await.map(|r| r.status()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        stuck.iter().all(|t| !t.is_finished()),
        "the requests did not wait"
    );

    let (status, took) = s.terminate();
    eprintln!("SIGTERM with 5 requests stuck on a lock: exit after {took:?}");
    assert!(status.success(), "exit status {status}\n{}", s.log());
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "took {took:?}\n{}",
        s.log()
    );
    assert!(s.log().contains("requests still in flight"), "{}", s.log());
    assert!(s.log().contains("shut down cleanly"), "{}", s.log());
    for t in stuck {
        match t.await.unwrap() {
            Ok(st) => assert_ne!(st, StatusCode::CREATED, "a cut request was answered 201"),
            Err(e) => assert!(
                e.is_request() || e.is_connect() || e.to_string().contains("closed"),
                "{e}"
            ),
        }
    }
    // None was acknowledged. The server noticed none of the closed
    // connections while its statements waited on the lock (PostgreSQL
    // notices a vanished client when it next talks to it, or every
    // `client_connection_check_interval`): once the lock is let go, those
    // statements may still run, unanswered.
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ran: i64 = sqlx::query_scalar("SELECT count(*) FROM todos WHERE title LIKE 'stuck %'")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    eprintln!("of the 5 cut requests, {ran} statements ran after the lock was let go, unanswered");
}

/// Another replica holds the migration lock (sqlx's own migrator here):
/// `/health` and `/readyz` answer at once with 503, saying on whom the
/// first build waits; once it lets go, the service comes up.
#[tokio::test]
async fn h_health_answers_while_another_replica_holds_the_migration_lock() {
    use dbsettings::sqlx::migrate::Migrate as _;
    use dbsettings::sqlx::{self, Connection as _};
    if !answers("127.0.0.1:5432") {
        skip(
            "the PostgreSQL migration-lock test",
            "nothing answers at 127.0.0.1:5432",
        );
        return;
    }
    let url = "postgresql://postgres@127.0.0.1:5432/dbsettings_todo_locked";
    create_database(
        "postgresql://postgres@127.0.0.1:5432/test",
        "CREATE DATABASE dbsettings_todo_locked",
    )
    .await;
    let mut holder = sqlx::PgConnection::connect(&format!("{url}?application_name=other_replica"))
        .await
        .unwrap();
    holder.lock().await.unwrap();
    let s = Service::start(&[
        ("DATABASE_URL", url),
        ("DATABASE_MIGRATION_LOCK_WAIT", "30s"),
    ])
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for path in ["/health", "/readyz"] {
        let started = std::time::Instant::now();
        let (st, body, _) = s.owner_call(M::GET, path, None).await;
        let took = started.elapsed();
        eprintln!("{path} while the lock is held, in {took:?}: {st} {body}");
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{body}\n{}", s.log());
        assert!(took < Duration::from_secs(1), "{took:?}\n{}", s.log());
        assert!(body.to_string().contains("other_replica"), "{body}");
        // A visitor learns that the schema is being set up, not by whom.
        let (st, body, _) = s.call(M::GET, path, None).await;
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(!body.to_string().contains("other_replica"), "{body}");
        assert!(
            body.to_string().contains("migrating") || body.to_string().contains("schema"),
            "{body}"
        );
    }
    holder.unlock().await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let (st, body, _) = s.call(M::GET, "/health", None).await;
        if st == StatusCode::OK {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{st} {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    holder.close().await.unwrap();
}
