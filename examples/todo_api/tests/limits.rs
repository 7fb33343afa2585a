//! The service's limits, over HTTP, against the real `todo_api` binary:
//! cross-site writes are refused (403) and write nothing, a body over the
//! limit gets 413 on the JSON and the form routes, the page holds one page
//! of todos however many there are, anonymous writes are rate-limited (429
//! with `Retry-After`) and the owner's are not.

mod common;

use std::time::Duration;

use common::{Answer, Service, TOKEN};
use reqwest::Method as M;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn cross_site_writes_are_refused_and_write_nothing() {
    let s = Service::start(&[]).await;
    let count = async || {
        let (_, list, _) = s.owner_call(M::GET, "/todos", None).await;
        list.as_array().unwrap().len()
    };
    let form = [("title", "from evil"), ("token", "")];
    let evil = |m: M, path: &str| s.request(m, path).header("origin", "https://evil.example");
    let refused = Answer::to(evil(M::POST, "/").header("accept", "text/html").form(&form)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(
        refused.body.contains("sent from another site"),
        "{}",
        refused.body
    );
    let json = Answer::to(evil(M::POST, "/todos").json(&json!({"title": "evil"}))).await;
    assert_eq!(json.status, StatusCode::FORBIDDEN, "{}", json.body);
    // Logging in from elsewhere is refused too, token or not.
    let login = Answer::to(evil(M::POST, "/owner").form(&[("status_token", TOKEN)])).await;
    assert_eq!(
        (login.status, login.header("set-cookie")),
        (StatusCode::FORBIDDEN, "")
    );
    for site in ["cross-site", "same-site"] {
        let r = s
            .request(M::POST, "/")
            .header("sec-fetch-site", site)
            .form(&form);
        assert_eq!(Answer::to(r).await.status, StatusCode::FORBIDDEN, "{site}");
    }
    let null = s.request(M::POST, "/").header("origin", "null").form(&form);
    assert_eq!(Answer::to(null).await.status, StatusCode::FORBIDDEN);
    assert_eq!(count().await, 0, "nothing written");

    // The same site's forms and API clients still write.
    let same = s
        .request(M::POST, "/")
        .header("origin", &s.base)
        .header("sec-fetch-site", "same-origin")
        .form(&[("title", "from here"), ("token", "")]);
    let added = Answer::to(same).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let (st, todo, _) = s
        .call(M::POST, "/todos", Some(json!({"title": "by curl"})))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{todo}");
    let id = todo["id"].as_i64().unwrap();
    let delete = evil(M::DELETE, &format!("/todos/{id}"));
    assert_eq!(Answer::to(delete).await.status, StatusCode::FORBIDDEN);
    assert_eq!(count().await, 2, "the cross-site delete deleted nothing");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_on_the_json_and_form_routes() {
    let s = Service::start(&[]).await;
    let (json, form) = ("application/json", "application/x-www-form-urlencoded");
    for chunked in [false, true] {
        for (method, path, kind) in [
            ("POST", "/todos", json),
            ("PATCH", "/todos/1", json),
            ("POST", "/", form),
            ("POST", "/todos/1/done", form),
            ("POST", "/owner", form),
        ] {
            let (status, answer) = big_body(&s.base, method, path, kind, chunked).await;
            let what = format!("{method} {path}, chunked: {chunked}");
            assert_eq!(status, 413, "{what}: {answer}");
            assert!(answer.contains("over 16384 bytes"), "{what}: {answer}");
            let html = answer.contains("content-type: text/html");
            assert_eq!(html, kind == form, "{what}: in kind: {answer}");
        }
    }
    let (_, list, _) = s.owner_call(M::GET, "/todos", None).await;
    assert_eq!(list, json!([]), "nothing written");
}

/// `method path` with a 10 MB body of `x` (its length said up front, or
/// chunked), written by hand while the answer is read (the service answers
/// before it has read it all, and closes); the status and the answer.
async fn big_body(
    base: &str,
    method: &str,
    path: &str,
    kind: &str,
    chunked: bool,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    const LEN: usize = 10 * 1024 * 1024;
    let addr = base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {LEN}")
    };
    let accept = if kind.contains("form") {
        "text/html"
    } else {
        "*/*"
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nContent-Type: {kind}\r\n{length}\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        write.write_all(head.as_bytes()).await?;
        let block = "x".repeat(0x10000);
        for _ in 0..LEN / 0x10000 {
            if chunked {
                write
                    .write_all(format!("10000\r\n{block}\r\n").as_bytes())
                    .await?;
            } else {
                write.write_all(block.as_bytes()).await?;
            }
        }
        if chunked {
            write.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(())
    });
    let mut answer = Vec::new();
    let mut buf = [0; 4096];
    let read_all = async {
        while let Ok(n) = read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&answer).contains("</html>\n") || answer.ends_with(b"}") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read_all)
        .await
        .expect("an answer in time");
    writer.abort();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok());
    (
        status.unwrap_or_else(|| panic!("no status in {answer:?}")),
        answer,
    )
}

#[tokio::test]
async fn two_thousand_todos_show_one_page_at_a_time() {
    let s = Service::start(&[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..2000 {
        let title = format!("todo number {i}: buy milk, eggs and bread at the corner shop");
        let r = s
            .request(M::POST, "/todos")
            .bearer_auth(TOKEN)
            .json(&json!({ "title": title }));
        tasks.spawn(async move { r.send().await.map(|r| r.status()) });
        if tasks.len() == 16 {
            assert_eq!(
                tasks.join_next().await.unwrap().unwrap().unwrap(),
                StatusCode::CREATED
            );
        }
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.unwrap().unwrap(), StatusCode::CREATED);
    }
    let ids = |body: &str| -> Vec<i64> {
        body.split("<li id=\"todo-")
            .skip(1)
            .map(|r| r[..r.find('"').unwrap()].parse().unwrap())
            .collect()
    };
    let first = s.get("/").await;
    assert_eq!(first.status, StatusCode::OK);
    let on_first = ids(&first.body);
    eprintln!(
        "GET / with 2,000 todos: {} bytes, {} todos",
        first.body.len(),
        on_first.len()
    );
    assert_eq!(on_first.len(), 50);
    assert!(first.body.len() < 40_000, "{} bytes", first.body.len());
    assert!(on_first.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(
        first.body.contains("todo number 1999:"),
        "the newest is on the first page"
    );
    let next = format!("/?before={}", on_first[49]);
    assert!(
        first
            .body
            .contains(&format!("rel=\"next\" href=\"{next}\"")),
        "{}",
        first.body
    );
    let second = s.get(&next).await;
    let on_second = ids(&second.body);
    assert_eq!(on_second.len(), 50);
    assert!(on_second[0] < on_first[49], "older than the first page");
    assert!(second.body.contains("Newest todos"));
    // A form sent from the second page comes back to it.
    let done = s
        .post_form(
            &format!("/todos/{}/done", on_second[0]),
            &[("done", "true"), ("before", &on_first[49].to_string())],
        )
        .await;
    assert_eq!(done.header("location"), next);
    // The last page has no link further; a bad link is refused with the first page.
    let oldest = *ids(&s.get("/?before=41").await.body).last().unwrap();
    let last = s.get(&format!("/?before={}", oldest + 1)).await;
    assert_eq!(ids(&last.body), [oldest]);
    assert!(!last.body.contains("rel=\"next\""));
    let bad = s.get("/?before=%3Cscript%3E").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("page link is not valid") && !bad.body.contains("<script"));
    assert_eq!(ids(&bad.body), on_first);
}

#[tokio::test]
async fn anonymous_writes_are_rate_limited_and_the_owner_is_not() {
    let s = Service::start(&[]).await;
    let mut statuses = Vec::new();
    let mut retry = String::new();
    for i in 0..45 {
        let (st, body, after) = s
            .call(
                M::POST,
                "/todos",
                Some(json!({"title": format!("flood {i}")})),
            )
            .await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            assert!(
                body["error"].as_str().unwrap().contains("Too many changes"),
                "{body}"
            );
            retry = after;
        }
        statuses.push(st);
    }
    let accepted = statuses
        .iter()
        .filter(|st| **st == StatusCode::CREATED)
        .count();
    let limited = statuses
        .iter()
        .filter(|st| **st == StatusCode::TOO_MANY_REQUESTS)
        .count();
    eprintln!("45 anonymous writes at once: {accepted} accepted, {limited} answered 429");
    assert!(
        statuses[..30].iter().all(|st| *st == StatusCode::CREATED),
        "{statuses:?}"
    );
    assert_eq!(accepted + limited, 45, "{statuses:?}");
    assert!(limited >= 10, "{statuses:?}");
    assert!(
        retry.parse::<u64>().is_ok_and(|r| (1..=2).contains(&r)),
        "Retry-After {retry:?}"
    );
    // A browser's form gets a page that says so.
    let r = s
        .request(M::POST, "/")
        .header("accept", "text/html")
        .form(&[("title", "one more"), ("token", "")]);
    let page = Answer::to(r).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("Too many changes") && !page.header("retry-after").is_empty());
    // Reads are not limited; the owner's writes are not either.
    let (st, list, _) = s.call(M::GET, "/todos", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        list.as_array().unwrap().len(),
        accepted,
        "a refused write wrote nothing"
    );
    for i in 0..40 {
        let (st, body, _) = s
            .owner_call(
                M::POST,
                "/todos",
                Some(json!({"title": format!("owner {i}")})),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{i}: {body}");
    }
    // After a pause the bucket has room again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (st, _, _) = s
        .call(M::POST, "/todos", Some(json!({"title": "later"})))
        .await;
    assert_eq!(st, StatusCode::CREATED);
}
