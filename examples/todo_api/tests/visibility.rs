//! Who sees what, over HTTP, against the real `todo_api` binary: a visitor
//! learns whether the database works and why in a few words, never a host,
//! port, database or application name, path or server message; the owner
//! (the status token, as a header or through the form's cookie) sees the
//! details. Without a token set, nobody does; a bad token stops the start.

mod common;

use std::process::{Command, Stdio};

use common::{Answer, Service, TOKEN, answers, skip};
use reqwest::Method as M;
use reqwest::StatusCode;
use serde_json::json;

/// A refused primary whose URL names what a visitor must not learn.
const REFUSED: &str = "postgresql://app:pw@127.0.0.1:1/prod_customers?application_name=billing-svc";

/// What a visitor must never see of [`REFUSED`] and its failure.
const SECRETS: &[&str] = &[
    "127.0.0.1",
    ":1/",
    "prod_customers",
    "billing-svc",
    "app:pw",
    "os error",
    "Connection refused",
    "connection refused",
];

/// `body` without its inline style (whose `flex:1` is no port).
fn markup(body: &str) -> String {
    match (body.find("<style>"), body.find("</style>")) {
        (Some(a), Some(b)) => format!("{}{}", &body[..a], &body[b..]),
        _ => body.to_owned(),
    }
}

/// Everything a visitor can ask about the database: the page, `/health`,
/// `/readyz`, a read and a write of the API, the add form.
async fn seen_by(s: &Service, bearer: Option<&str>) -> String {
    let with = |m: M, path: &str| {
        let r = s.request(m, path);
        match bearer {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    };
    let mut seen = String::new();
    for (m, path) in [
        (M::GET, "/"),
        (M::GET, "/health"),
        (M::GET, "/readyz"),
        (M::GET, "/todos"),
    ] {
        seen += &markup(&Answer::to(with(m, path)).await.body);
    }
    let write = Answer::to(with(M::POST, "/todos").json(&json!({"title": "x"}))).await;
    assert_eq!(
        write.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        write.body
    );
    seen += &write.body;
    let form = Answer::to(with(M::POST, "/").form(&[("title", "x"), ("token", "t")])).await;
    seen + &markup(&form.body)
}

#[tokio::test]
async fn a_visitor_sees_the_category_of_a_refused_primary_and_the_owner_the_details() {
    let s = Service::start(&[("DATABASE_URL", REFUSED)]).await;
    let visitor = seen_by(&s, None).await;
    for secret in SECRETS {
        assert!(
            !visitor.contains(secret),
            "{secret:?} shown to a visitor:\n{visitor}"
        );
    }
    assert!(
        visitor.contains("the database is not answering"),
        "{visitor}"
    );
    assert!(visitor.contains(r#""kind":"refused""#), "{visitor}");
    // A wrong token is no token.
    let wrong = seen_by(&s, Some("not-the-token-0123456789")).await;
    for secret in SECRETS {
        assert!(
            !wrong.contains(secret),
            "{secret:?} shown for a wrong token"
        );
    }
    let owner = seen_by(&s, Some(TOKEN)).await;
    for details in [
        "127.0.0.1:1/prod_customers",
        "billing-svc",
        "connection refused",
    ] {
        assert!(
            owner.contains(details),
            "{details:?} for the owner:\n{owner}"
        );
    }
    assert!(!owner.contains(":pw@"), "no password, even for the owner");
    let log = s.log();
    assert!(log.contains("STATUS_TOKEN is set"), "{log}");
    assert!(!log.contains(TOKEN), "the token in the log");
}

#[tokio::test]
async fn a_rejected_tls_file_is_a_category_for_visitors_and_a_path_for_the_owner() {
    let path = "/run/secrets/tls-root-7c1f.pem";
    let url = format!("{REFUSED}&sslmode=verify-full&sslrootcert={path}");
    let s = Service::start(&[("DATABASE_URL", &url)]).await;
    let (st, health, _) = s.call(M::GET, "/health", None).await;
    assert_eq!(st, StatusCode::OK, "{health}");
    assert_eq!(
        health["reason"], "the database URL was rejected",
        "{health}"
    );
    let page = s.get("/").await;
    let visitor = format!("{health}{}", markup(&page.body));
    for secret in [
        path,
        "tls-root",
        "sslrootcert",
        "prod_customers",
        "billing-svc",
        "127.0.0.1",
    ] {
        assert!(!visitor.contains(secret), "{secret:?} shown:\n{visitor}");
    }
    assert!(visitor.contains("the database URL was rejected"));
    let (_, owner, _) = s.owner_call(M::GET, "/health", None).await;
    assert!(owner.to_string().contains("tls-root-7c1f.pem"), "{owner}");
}

#[tokio::test]
async fn a_server_message_is_the_owners() {
    if !answers("127.0.0.1:5432") {
        skip(
            "the server-message test",
            "nothing answers at 127.0.0.1:5432",
        );
        return;
    }
    let url =
        "postgresql://postgres@127.0.0.1:5432/prod_customers_absent?application_name=billing-svc";
    let s = Service::start(&[("DATABASE_URL", url)]).await;
    let visitor = seen_by(&s, None).await;
    for secret in [
        "prod_customers",
        "billing-svc",
        "database \"",
        "127.0.0.1",
        "postgres@",
    ] {
        assert!(!visitor.contains(secret), "{secret:?} shown:\n{visitor}");
    }
    assert!(
        visitor.contains("the configured database does not exist"),
        "{visitor}"
    );
    let owner = seen_by(&s, Some(TOKEN)).await;
    assert!(owner.contains("prod_customers_absent"), "{owner}");
}

#[tokio::test]
async fn the_owner_form_sets_a_strict_http_only_cookie() {
    let s = Service::start(&[("DATABASE_URL", REFUSED)]).await;
    let page = s.get("/").await;
    assert!(
        page.body
            .contains("name=\"status_token\" type=\"password\""),
        "{}",
        page.body
    );

    let wrong = s
        .post_form("/owner", &[("status_token", "not-the-token-0123456789")])
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    assert!(
        wrong.body.contains("not the status token"),
        "{}",
        wrong.body
    );
    assert_eq!(wrong.header("set-cookie"), "");

    let right = s.post_form("/owner", &[("status_token", TOKEN)]).await;
    assert_eq!(
        (right.status, right.header("location")),
        (StatusCode::SEE_OTHER, "/")
    );
    let cookie = right.header("set-cookie");
    for part in [
        "todo_owner=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=",
    ] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let pair = cookie.split(';').next().unwrap();
    let owner = Answer::to(s.request(M::GET, "/").header("cookie", pair)).await;
    assert!(
        owner.body.contains("127.0.0.1:1/prod_customers"),
        "{}",
        owner.body
    );
    assert!(owner.body.contains("Hide details"), "{}", owner.body);
    let forged = Answer::to(
        s.request(M::GET, "/")
            .header("cookie", "todo_owner=forged-0123456789abc"),
    )
    .await;
    assert!(!forged.body.contains("prod_customers"), "{}", forged.body);

    // Behind an HTTPS proxy the cookie is Secure; forgetting clears it.
    let https = s
        .request(M::POST, "/owner")
        .header("x-forwarded-proto", "https");
    let secure = Answer::to(https.form(&[("status_token", TOKEN)])).await;
    assert!(
        secure.header("set-cookie").contains("; Secure"),
        "{}",
        secure.header("set-cookie")
    );
    let cleared = s.post_form("/owner/forget", &[]).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert!(cleared.header("set-cookie").starts_with("todo_owner=;"));
    assert!(cleared.header("set-cookie").contains("Max-Age=0"));
}

#[tokio::test]
async fn without_a_status_token_nobody_sees_details() {
    let s = Service::start(&[("DATABASE_URL", REFUSED), ("STATUS_TOKEN", "")]).await;
    let owner = seen_by(&s, Some(TOKEN)).await;
    for secret in SECRETS {
        assert!(
            !owner.contains(secret),
            "{secret:?} shown without a token set"
        );
    }
    assert!(owner.contains("shown to nobody"), "{owner}");
    let form = s.post_form("/owner", &[("status_token", TOKEN)]).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    assert!(form.body.contains("no status token"), "{}", form.body);
    assert!(
        s.log().contains("STATUS_TOKEN is not set: nobody sees"),
        "{}",
        s.log()
    );

    // Local development says so explicitly.
    let dev = Service::start(&[("DATABASE_URL", REFUSED), ("STATUS_DETAILS", "everyone")]).await;
    let (_, health, _) = dev.call(M::GET, "/health", None).await;
    assert!(
        health["error"]
            .as_str()
            .unwrap()
            .contains("connection refused"),
        "{health}"
    );
    assert!(
        dev.log()
            .contains("STATUS_DETAILS=everyone: every visitor sees")
    );
}

#[test]
fn a_bad_status_token_is_refused_at_startup_without_echoing_it() {
    for (token, words) in [
        ("short;Secret-99", "16 to 512 characters"),
        ("a-long-enough-token; with spaces", "only letters, digits"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_todo_api"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("PORT", common::free_port().to_string())
            .env("STATUS_TOKEN", token)
            .current_dir(tempfile::tempdir().unwrap().path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{log}");
        assert!(log.contains("STATUS_TOKEN") && log.contains(words), "{log}");
        assert!(
            !log.contains("Secret-99") && !log.contains("with spaces"),
            "{log}"
        );
    }
}
