//! The front page in a real browser: Debian's Chromium, headless, driven
//! through chromedriver (`WebDriver`) against the real `todo_api` binary, all
//! on loopback. A person's path through the page: read the status panel (a
//! visitor's, then the owner's after typing the status token into the
//! owner form), add a todo, mark it done, reload, type an empty and a too
//! long title, add one made of HTML, delete them all; the page is checked
//! after each step, measured, and photographed (on a desktop and a phone
//! screen). And the page inside another site's iframe, as a Space shows
//! it: its forms work there, while another site's form is refused.
//!
//! Screenshots go to `target/tmp/todo_api/`; with `UPDATE_SCREENSHOT=1`
//! the broken-URL journey's also replace the README's, in
//! `examples/todo_api/docs/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Service, TOKEN, free_port, skip};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Headless, and nothing that talks to anything but the page under test.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

/// The desktop window, and a phone's (an iPhone 14's CSS pixels).
const DESKTOP: (u32, u32) = (900, 1000);
const PHONE: (u32, u32) = (390, 844);

/// Long enough for a loaded machine; a journey takes seconds.
const JOURNEY_LIMIT: Duration = Duration::from_mins(5);

/// A program on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// chromedriver, in a process group of its own with the Chromium it
/// starts: dropping it kills the group, whatever state the test left.
struct Driver {
    child: Child,
    log: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A `WebDriver` session in a fresh headless Chromium.
struct Browser {
    client: Client,
    /// chromedriver's URL.
    webdriver: String,
    driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None`, after a SKIP notice, when Chromium or chromedriver is missing.
    async fn start() -> Option<Self> {
        let (Some(chromium), Some(chromedriver)) = (on_path("chromium"), on_path("chromedriver"))
        else {
            skip(
                "the browser test",
                "`chromium` or `chromedriver` is not on PATH (Debian: apt-get install chromium chromium-driver)",
            );
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = profile.path().join("chromedriver.log");
        let child = std::os::unix::process::CommandExt::process_group(
            Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display())),
            0,
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let driver = Driver { child, log };
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(ToString::to_string).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ));
        args.push(format!("--window-size={},{}", DESKTOP.0, DESKTOP.1));
        let Value::Object(capabilities) = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }) else {
            unreachable!("an object")
        };
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver takes a moment to listen.
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!(
                    "no WebDriver session: {e}\n{}",
                    std::fs::read_to_string(&driver.log).unwrap_or_default()
                ),
            }
        };
        Some(Self {
            client,
            webdriver: url,
            driver,
            _profile: profile,
        })
    }

    async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("{css}: {e}\n{}", self.source().await),
        }
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// The page's add-form token: fresh on every page served.
    async fn token(&self) -> Option<String> {
        let script = "return document.readyState === 'complete' \
                      && document.querySelector('input[name=token]').value";
        match self.client.execute(script, Vec::new()).await {
            Ok(Value::String(token)) => Some(token),
            _ => None,
        }
    }

    /// Clicks `button` of a form, and waits for the page that answers it
    /// (a click returns before the navigation it starts is over).
    async fn submit(&self, button: &Element) {
        let before = self.token().await;
        button.click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = self.token().await;
            if now.is_some() && now != before {
                return;
            }
            assert!(Instant::now() < deadline, "no page came after the click");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Types `title` into the add form and sends it.
    async fn add(&self, title: &str) {
        let field = self.find("#title").await;
        field.clear().await.unwrap();
        field.send_keys(title).await.unwrap();
        self.submit(&self.find("form.add button").await).await;
    }

    /// The list items showing `title`.
    async fn items(&self, title: &str) -> Vec<Element> {
        let mut found = Vec::new();
        for li in self.client.find_all(Locator::Css("li")).await.unwrap() {
            let shown = li.find(Locator::Css(".title")).await.unwrap();
            if shown.text().await.unwrap() == title {
                found.push(li);
            }
        }
        found
    }

    /// The one list item showing `title`.
    async fn item(&self, title: &str) -> Element {
        let mut items = self.items(title).await;
        assert_eq!(items.len(), 1, "{title:?} once in\n{}", self.source().await);
        items.remove(0)
    }

    /// Clicks the button `label` (`Mark done`, `Delete`, ...) of `title`'s item.
    async fn press(&self, title: &str, label: &str) {
        let item = self.item(title).await;
        for button in item.find_all(Locator::Css("button")).await.unwrap() {
            // The visible label, then the title for screen readers.
            if button.text().await.unwrap().starts_with(label) {
                return self.submit(&button).await;
            }
        }
        panic!("no {label:?} button for {title:?}");
    }

    async fn script(&self, js: &str) -> Value {
        self.client.execute(js, Vec::new()).await.unwrap()
    }

    /// Gives the page a `width` × `height` viewport (CSS pixels), as a
    /// phone's when `mobile`, through chromedriver's `DevTools` command: a
    /// window cannot be narrower than 500 pixels. Waits until the page is
    /// laid out at that size.
    async fn viewport(&self, (width, height): (u32, u32), mobile: bool) {
        let session = self.client.session_id().await.unwrap().unwrap();
        let sent = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.webdriver))
            .json(&json!({
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": { "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile },
            }))
            .send()
            .await
            .unwrap();
        assert!(sent.status().is_success(), "{}", sent.text().await.unwrap());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let now = self.script("return [innerWidth, innerHeight]").await;
            if now == json!([width, height]) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the page stays at {now}, not {width} × {height}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A screenshot of the whole page on `screen` (as tall as the page),
    /// written as `name.png` to the output directory, and to the README's
    /// when `readme` and `UPDATE_SCREENSHOT` say so; then back to the
    /// desktop screen.
    async fn photograph(
        &self,
        (screen, mobile): ((u32, u32), bool),
        name: &str,
        readme: bool,
    ) -> PathBuf {
        self.viewport(screen, mobile).await;
        let height = self
            .script(
                "return Math.ceil(document.querySelector('main').getBoundingClientRect().bottom)",
            )
            .await
            .as_u64()
            .unwrap();
        let height = u32::try_from(height).unwrap();
        self.viewport((screen.0, height), mobile).await;
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("todo_api");
        std::fs::create_dir_all(&out).unwrap();
        let path = out.join(format!("{name}.png"));
        std::fs::write(&path, &png).unwrap();
        if readme && std::env::var_os("UPDATE_SCREENSHOT").is_some() {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
            std::fs::create_dir_all(&docs).unwrap();
            std::fs::write(docs.join(format!("{name}.png")), &png).unwrap();
        }
        self.viewport(DESKTOP, false).await;
        path
    }

    /// Loads `url` and prints how long it took, from the browser's own
    /// clock (0: navigation start), and the page's weight.
    async fn open(&self, url: &str, name: &str) {
        let asked = Instant::now();
        self.client.goto(url).await.unwrap();
        let navigated = asked.elapsed();
        // First contentful paint is waited for: headless Chromium may
        // report it after the load event.
        let timing = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const n = performance.getEntriesByType('navigation')[0];
                 const report = (paint) => done({ request: n.requestStart, response: n.responseEnd,
                     paint, load: n.loadEventEnd, bytes: n.decodedBodySize });
                 new PerformanceObserver((list) => {
                     const fcp = list.getEntriesByName('first-contentful-paint')[0];
                     if (fcp) report(fcp.startTime);
                 }).observe({ type: 'paint', buffered: true });
                 setTimeout(() => report(null), 3000);",
                Vec::new(),
            )
            .await
            .unwrap();
        eprintln!(
            "{name}: GET / to first contentful paint {} ms (request sent at {} ms, response in \
             at {} ms, load event at {} ms; WebDriver navigation {navigated:?}); page weight {} bytes",
            timing["paint"], timing["request"], timing["response"], timing["load"], timing["bytes"],
        );
        assert!(timing["bytes"].as_u64().unwrap() > 0, "{timing}");
    }

    /// Ends the session; the driver's group is killed on drop.
    async fn quit(self) {
        self.client.clone().close().await.unwrap();
        drop(self.driver);
    }
}

/// What a journey's status panel must show: `visitor` to everyone, and
/// `owner` (none of which a visitor sees) once the status token is typed
/// into the owner form, when the journey `signs_in`.
struct Panel<'a> {
    visitor: &'a [&'a str],
    owner: &'a [&'a str],
    signs_in: bool,
}

/// A person's path through the page, on a service started with `env`,
/// whose status panel must show `panel`. Screenshots are named after
/// `name` (and may become the README's when `readme`). Returns every page
/// source seen, and the service's log, for leak checks; `None` when the
/// browser is missing (and skipping is allowed).
///
/// A journey that does not end fails instead of hanging: dropping it kills
/// the browser and the service, which a killed test process would leave.
async fn journey(
    env: &[(&str, &str)],
    panel: &Panel<'_>,
    name: &str,
    readme: bool,
) -> Option<String> {
    let browser = Browser::start().await?;
    let walk = walk(&browser, env, panel, name, readme);
    let seen = tokio::time::timeout(JOURNEY_LIMIT, walk)
        .await
        .unwrap_or_else(|_| panic!("{name}: the journey did not end in {JOURNEY_LIMIT:?}"));
    browser.quit().await;
    Some(seen)
}

/// The journey's steps, in `b`.
async fn walk(
    b: &Browser,
    env: &[(&str, &str)],
    panel: &Panel<'_>,
    name: &str,
    readme: bool,
) -> String {
    let s = Service::start(env).await;

    b.open(&format!("{}/", s.base), name).await;
    assert_eq!(b.client.title().await.unwrap(), "Todos · dbsettings");
    // Markup a screen reader can use: a language, one top heading, a label
    // for every field.
    let markup = b
        .script(
            "return [document.documentElement.lang, document.querySelectorAll('h1').length,
                     [...document.querySelectorAll('input:not([type=hidden])')]
                         .filter((i) => i.labels.length === 0).length]",
        )
        .await;
    assert_eq!(markup, json!(["en", 1, 0]), "lang, h1s, unlabelled fields");
    let mut seen = b.source().await;
    see_panel(b, panel.visitor, panel.owner).await;
    if panel.signs_in {
        seen += &sign_in(b, panel).await;
    }

    // Add a todo whose title looks like markup: shown as typed.
    let milk = r#"Buy milk & eggs <the "big" box>"#;
    b.add(milk).await;
    assert_eq!(b.client.current_url().await.unwrap().path(), "/");
    assert_eq!(
        b.find("#title").await.prop("value").await.unwrap(),
        Some(String::new())
    );
    b.item(milk).await;
    b.add("Water the plants").await;
    seen += &b.source().await;

    // Mark it done.
    b.press(milk, "Mark done").await;
    let done = b.item(milk).await;
    assert_eq!(done.attr("class").await.unwrap().as_deref(), Some("done"));
    assert!(done.text().await.unwrap().contains("done"));
    b.press(milk, "Not done").await;
    b.press(milk, "Mark done").await;
    seen += &b.source().await;
    let shot = b.photograph((DESKTOP, false), name, readme).await;
    eprintln!("{name}: screenshot {}", shot.display());

    // Readable on a phone: nothing wider than the screen.
    b.viewport(PHONE, true).await;
    let widths = b
        .script("return [document.documentElement.scrollWidth, innerWidth]")
        .await;
    assert!(widths[0].as_u64() <= widths[1].as_u64(), "{widths}");
    let phone = format!("{name}-phone");
    b.photograph((PHONE, true), &phone, readme).await;

    // Reloading after a form sent nothing again: a redirect after POST.
    b.client.refresh().await.unwrap();
    assert_eq!(b.items(milk).await.len(), 1);

    // Refusals, next to the field, with the typed title kept.
    let long = "x".repeat(201);
    for (typed, words) in [("", "the title is empty"), (long.as_str(), "too long")] {
        b.add(typed).await;
        let error = b.text("form.add #title-error").await;
        assert!(error.contains(words), "{typed:?}: {error}");
        let field = b.find("#title").await;
        assert_eq!(
            field.attr("aria-invalid").await.unwrap().as_deref(),
            Some("true")
        );
        assert_eq!(field.prop("value").await.unwrap().as_deref(), Some(typed));
        seen += &b.source().await;
    }

    // HTML is text: no script element, no alert.
    let script = r#"<script>alert("x")</script>"#;
    b.add(script).await;
    b.item(script).await;
    assert!(
        b.client
            .find_all(Locator::Css("main script"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(b.client.get_alert_text().await.is_err(), "an alert opened");
    seen += &b.source().await;

    // Delete them all.
    for title in [milk, "Water the plants", script] {
        b.press(title, "Delete").await;
        assert!(b.items(title).await.is_empty(), "{title:?} deleted");
    }
    assert_eq!(b.text("p.empty").await, "Nothing to do yet.");
    seen += &b.source().await;
    if panel.signs_in {
        // Hidden again: the cookie is gone.
        b.submit(&b.find("form[action='/owner/forget'] button").await)
            .await;
        see_panel(b, panel.visitor, panel.owner).await;
        assert!(b.client.get_named_cookie("todo_owner").await.is_err());
    }
    seen + &s.log()
}

/// The status panel holds each of `shown` and none of `hidden`, and says
/// whether the data is kept.
async fn see_panel(b: &Browser, shown: &[&str], hidden: &[&str]) {
    let status = b.text("section.status").await;
    for words in shown {
        assert!(status.contains(words), "{words:?} in the panel:\n{status}");
    }
    for words in hidden {
        assert!(!status.contains(words), "{words:?} in the panel:\n{status}");
    }
    assert!(
        status.contains("restart"),
        "whether the data is kept:\n{status}"
    );
}

/// Types a wrong token, then the right one, into the owner form: the
/// details show, through an `HttpOnly`, `SameSite=Strict` cookie. Returns
/// the pages seen.
async fn sign_in(b: &Browser, panel: &Panel<'_>) -> String {
    let mut seen = String::new();
    for (token, shown) in [("not-the-token-0123456789", false), (TOKEN, true)] {
        let field = b.find("#status-token").await;
        assert_eq!(
            field.attr("type").await.unwrap().as_deref(),
            Some("password")
        );
        field.send_keys(token).await.unwrap();
        b.submit(&b.find("form[action='/owner'] button").await)
            .await;
        seen += &b.source().await;
        if shown {
            see_panel(b, &[], &[]).await;
            let status = b.text("section.status").await;
            for words in panel.owner {
                assert!(status.contains(words), "{words:?} for the owner:\n{status}");
            }
            assert!(
                status.contains("your status token was accepted"),
                "{status}"
            );
        } else {
            assert!(b.text("p.problem").await.contains("not the status token"));
            see_panel(b, panel.visitor, panel.owner).await;
        }
    }
    let cookie = b.client.get_named_cookie("todo_owner").await.unwrap();
    assert_eq!(cookie.http_only(), Some(true), "{cookie:?}");
    assert_eq!(
        format!("{:?}", cookie.same_site()),
        "Some(Strict)",
        "{cookie:?}"
    );
    seen
}

#[tokio::test]
async fn the_front_page_in_chromium_on_the_fallback() {
    journey(
        &[],
        &Panel {
            visitor: &[
                "fallback database, SQLite",
                "no database URL is set",
                "answering",
                "status token shows the details",
            ],
            owner: &["DATABASE_URL is not set", "data/app.db", "What to do"],
            signs_in: false,
        },
        "no-database-url",
        false,
    )
    .await;
}

#[tokio::test]
async fn a_broken_url_in_chromium_shows_the_owner_the_hint_and_no_password() {
    let url = "postgresql://app:Pa55-Secret#77-word@db.internal:5432/app";
    let Some(seen) = journey(
        &[("DATABASE_URL", url)],
        &Panel {
            visitor: &["fallback database, SQLite", "the database URL was rejected"],
            owner: &[
                "the password contains an unencoded #",
                "percent-encode # in the password as %23",
                "data/app.db: ",
            ],
            signs_in: true,
        },
        "front-page",
        true,
    )
    .await
    else {
        return;
    };
    for secret in ["Pa55-Secret", "77-word", "Pa55", TOKEN] {
        assert!(!seen.contains(secret), "{secret:?} shown");
    }
}

/// Another site (`127.0.0.2`, another site than `127.0.0.1`, as
/// huggingface.co is to a Space's own host) that frames the service, as a
/// Space does, and holds a form of its own aimed at the service.
async fn framing_site(app: &str) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let html = format!(
        "<!doctype html><html><head><title>A Space</title></head><body>\
         <iframe id=\"space\" src=\"{app}/\" width=\"860\" height=\"700\"></iframe>\
         <form id=\"elsewhere\" method=\"post\" action=\"{app}/\">\
         <input name=\"title\" value=\"sent from another site\"><input type=\"hidden\" name=\"token\" value=\"\">\
         <button type=\"submit\">Send</button></form></body></html>"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0; 4096];
            let _ = stream.read(&mut request).await;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (base, server)
}

#[tokio::test]
async fn inside_another_sites_frame_its_forms_work_and_that_sites_are_refused() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let s = Service::start(&[]).await;
    let (site, server) = framing_site(&s.base).await;
    let steps = async {
        b.client.goto(&format!("{site}/")).await.unwrap();
        b.find("#space").await.enter_frame().await.unwrap();
        b.add("Added inside a frame").await;
        b.item("Added inside a frame").await;
        b.press("Added inside a frame", "Mark done").await;
        let done = b.item("Added inside a frame").await;
        assert_eq!(done.attr("class").await.unwrap().as_deref(), Some("done"));
        b.client.enter_parent_frame().await.unwrap();
        b.find("#elsewhere button").await.click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while b.client.current_url().await.unwrap().as_str() != format!("{}/", s.base) {
            assert!(Instant::now() < deadline, "the form was not sent");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let refused = b.text("p.problem").await;
        assert!(refused.contains("sent from another site"), "{refused}");
    };
    tokio::time::timeout(JOURNEY_LIMIT, steps)
        .await
        .expect("the framed journey did not end");
    let (_, list, _) = s.owner_call(reqwest::Method::GET, "/todos", None).await;
    let titles: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].clone())
        .collect();
    assert_eq!(titles, [json!("Added inside a frame")], "{}", s.log());
    assert_eq!(list[0]["done"], true);
    assert!(
        s.log().contains("refused a cross-site POST /"),
        "{}",
        s.log()
    );
    server.abort();
    b.quit().await;
}
