//! The front page, `/`: what a Space shows its owner and every visitor.
//!
//! A status panel says which database the service is on, whether it is the
//! fallback and why, what to do about it, and where the data lives; below
//! it, the todo list with plain HTML forms. No JavaScript, no build step, and
//! nothing fetched from elsewhere: one HTML response with its style inline.
//!
//! Every form answers with a redirect (303 See Other) back to the page, so
//! reloading it or going back never sends a form again; the add form carries
//! a one-time token, so the same form sent twice (a double click) adds one
//! todo and says so. Everything shown is HTML-escaped; what the database
//! layer says is already redacted by dbsettings, and shown to the owner
//! only: a visitor's panel says whether the database works and why in a
//! few fixed words ([`crate::visitor`]).
//!
//! The list shows [`PAGE_SIZE`] todos at a time, newest first (so a todo
//! just added is on the first page), with a link to older ones
//! (`/?before=<id>`); a form sent from a later page comes back to it.

use std::collections::VecDeque;
use std::fmt::{self, Display, Formatter};
use std::hash::{BuildHasher as _, RandomState};
use std::path::Path as FsPath;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};

use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use dbsettings::resolution::{CandidateKind, Location, Resolution};
use serde::Deserialize;

use crate::access::{self, Viewer};
use crate::api::{ApiError, AppState, RETRY_AFTER_SECS, TitleError, valid_title, with_retry_after};
use crate::store::{self, Todo};
use crate::visitor;

/// The page's style, inline: a Space visitor's browser reaches only the Space.
const STYLE: &str = include_str!("page.css");

/// Only what the page itself needs: its inline style and its own forms. No
/// script at all, so an escaping mistake could not run one either.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'";

/// How many sent add forms are remembered, to recognise one sent again.
const REMEMBERED_FORMS: usize = 4096;

/// How many todos a page shows.
pub const PAGE_SIZE: u32 = 50;

/// What a form that could not be read is told.
pub(crate) const UNREADABLE: &str = "That form could not be read: use the forms on this page.";

// ---------------------------------------------------------------- handlers

/// A message shown after a redirect, chosen by a fixed code in the query
/// string (`/?notice=duplicate`): nothing from the request is echoed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Notice {
    /// The add form was sent again: its todo was added once.
    Duplicate,
    /// The todo a form acted on no longer exists.
    Gone,
}

impl Notice {
    /// The notice a query string's code names; `None` for any other.
    fn from_code(code: &str) -> Option<Self> {
        match code {
            "duplicate" => Some(Self::Duplicate),
            "gone" => Some(Self::Gone),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Gone => "gone",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Self::Duplicate => "That form was sent twice: its todo was added once.",
            Self::Gone => "That todo is not there any more: it was already deleted.",
        }
    }
}

/// Where to send the browser: the page of todos older than `before` (the
/// first page when `None`), with `notice` shown.
fn location(before: Option<i64>, notice: Option<Notice>) -> String {
    match (before, notice) {
        (None, None) => "/".to_owned(),
        (None, Some(n)) => format!("/?notice={}", n.code()),
        (Some(b), None) => format!("/?before={b}"),
        (Some(b), Some(n)) => format!("/?before={b}&notice={}", n.code()),
    }
}

/// The page's query string. An unknown notice is not shown; a `before`
/// that is not a todo's id is refused (400) with the first page.
#[derive(Deserialize)]
pub(crate) struct PageQuery {
    notice: Option<String>,
    before: Option<String>,
}

/// The add form.
#[derive(Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    title: String,
    /// The page's one-time token; empty when the form was not sent from it.
    #[serde(default)]
    token: String,
}

/// The mark-done form: `done=true` or `done=false` (setting, not toggling,
/// so the same form sent twice changes nothing more), and the page it was
/// sent from.
#[derive(Deserialize)]
pub(crate) struct DoneForm {
    done: bool,
    before: Option<i64>,
}

/// The delete form: the page it was sent from.
#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    before: Option<i64>,
}

/// `GET /`: the page.
pub(crate) async fn show(
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let (notice, before) = match query {
        Ok(Query(q)) => (q.notice, q.before),
        Err(_) => (None, Some(String::new())),
    };
    let notice = notice.as_deref().and_then(Notice::from_code);
    let outcome = match before.map(|b| b.parse::<i64>()) {
        None => Outcome::default(),
        Some(Ok(before)) => Outcome {
            before: Some(before),
            ..Outcome::default()
        },
        Some(Err(_)) => Outcome {
            status: Some(StatusCode::BAD_REQUEST),
            message: Some(Message::Problem(
                "That page link is not valid: here are the newest todos.".to_owned(),
            )),
            ..Outcome::default()
        },
    };
    let message = outcome.message.or(notice.map(Message::Notice));
    render(&state, Outcome { message, ..outcome }).await
}

/// `status` and the page with `words` above the panel: for refusals that
/// still show the list.
pub(crate) async fn problem(state: &AppState, status: StatusCode, words: &str) -> Response {
    render(
        state,
        Outcome {
            status: Some(status),
            message: Some(Message::Problem(words.to_owned())),
            ..Outcome::default()
        },
    )
    .await
}

/// A refusal that touches no database: a short page saying why, with a
/// link back.
pub(crate) fn refusal(status: StatusCode, words: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n\
         <title>Todos · dbsettings</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>Todos</h1>\n\
         <p class=\"problem\" role=\"alert\">{}</p>\n<p><a href=\"/\">Back to the list</a></p>\n\
         </main>\n</body>\n</html>\n",
        Words(words)
    );
    headed(with_retry_after((status, Html(body)).into_response()))
}

/// `response` with the page's headers: never cached, no script.
fn headed(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // The page shows live state: never from a cache, nor from history.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

/// `POST /`: adds a todo, then back to the page; a refused title is shown
/// again with what is wrong next to the field.
pub(crate) async fn add(
    State(state): State<AppState>,
    form: Result<Form<AddForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return access::too_large(true),
        Err(_) => return render(&state, Outcome::unreadable()).await,
    };
    let title = match valid_title(&form.title) {
        Ok(title) => title,
        Err(e) => return render(&state, Outcome::refused(&form.title, e)).await,
    };
    if !state.forms.claim(&form.token, title) {
        return Redirect::to(&location(None, Some(Notice::Duplicate))).into_response();
    }
    let added = state
        .run(async |pool| store::create(pool, title, false).await)
        .await;
    match added {
        Ok(_) => Redirect::to("/").into_response(),
        Err(e) => {
            // Not added: the same form may be sent again.
            state.forms.release(&form.token, title);
            render(
                &state,
                Outcome {
                    status: Some(e.status()),
                    title: &form.title,
                    title_error: Some(format!("Not added: {}.", e.detail())),
                    ..Outcome::default()
                },
            )
            .await
        }
    }
}

/// `POST /todos/{id}/done`: marks a todo done (or not done).
pub(crate) async fn mark(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<DoneForm>, FormRejection>,
) -> Response {
    if let Err(e) = &form
        && e.status() == StatusCode::PAYLOAD_TOO_LARGE
    {
        return access::too_large(true);
    }
    let (Ok(Path(id)), Ok(Form(form))) = (id, form) else {
        return render(&state, Outcome::unreadable()).await;
    };
    let changed = state
        .run(async |pool| store::update(pool, id, None, Some(form.done)).await)
        .await;
    after_change(&state, changed.map(|todo| todo.is_some()), form.before).await
}

/// `POST /todos/{id}/delete`: deletes a todo. A body is not needed (the
/// page's forms send the page they are on).
pub(crate) async fn delete(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<DeleteForm>, FormRejection>,
) -> Response {
    let before = match form {
        Ok(Form(form)) => form.before,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return access::too_large(true),
        Err(_) => None,
    };
    let Ok(Path(id)) = id else {
        return render(&state, Outcome::unreadable()).await;
    };
    let deleted = state.run(async |pool| store::delete(pool, id).await).await;
    after_change(&state, deleted, before).await
}

/// Back to the page `before` after a change to an existing todo
/// (`Ok(false)`: it was not there), or the page with the reason it failed.
async fn after_change(
    state: &AppState,
    changed: Result<bool, ApiError>,
    before: Option<i64>,
) -> Response {
    match changed {
        Ok(true) => Redirect::to(&location(before, None)).into_response(),
        Ok(false) => Redirect::to(&location(before, Some(Notice::Gone))).into_response(),
        Err(e) => {
            render(
                state,
                Outcome {
                    status: Some(e.status()),
                    message: Some(Message::Problem(format!("Not saved: {}.", e.detail()))),
                    before,
                    ..Outcome::default()
                },
            )
            .await
        }
    }
}

/// What the request did, for the page to show.
#[derive(Default)]
struct Outcome<'a> {
    /// The failed action's status, if it failed.
    status: Option<StatusCode>,
    /// The add field's value, as typed.
    title: &'a str,
    /// Why the add form was refused, shown next to the field.
    title_error: Option<String>,
    /// A line above the status panel.
    message: Option<Message>,
    /// The page of the list shown: todos older than this id (the newest
    /// when `None`).
    before: Option<i64>,
}

impl<'a> Outcome<'a> {
    fn refused(title: &'a str, why: TitleError) -> Self {
        Self {
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            title,
            title_error: Some(why.for_people()),
            ..Self::default()
        }
    }

    fn unreadable() -> Self {
        Self {
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            message: Some(Message::Problem(UNREADABLE.to_owned())),
            ..Self::default()
        }
    }
}

/// A line above the status panel.
enum Message {
    Notice(Notice),
    Problem(String),
}

/// The page after `outcome`: the status panel, then the list as it is now.
/// While the database is down: 503 with `Retry-After`, the cause, and a page
/// that reloads itself (unless it holds a title being typed).
async fn render(state: &AppState, outcome: Outcome<'_>) -> Response {
    // The pool first: an `on_unreachable = "fallback"` switch happens there,
    // and the panel must describe the database actually in use.
    let todos = state
        .run(async |pool| store::page(pool, outcome.before, PAGE_SIZE).await)
        .await;
    // What the request did says more than the list: a refused form is
    // refused, whether the database answers or not.
    let status = match (&todos, outcome.status) {
        (_, Some(status)) => status,
        (Err(e), None) => e.status(),
        (Ok(_), None) => StatusCode::OK,
    };
    let viewer = Viewer::current();
    let page = Page {
        status: StatusPanel {
            db: state.db.resolution(),
            backend: state.db.backend(),
            fallback: state.db.is_fallback(),
            url: state.db.redacted_url(),
            problem: todos.as_ref().err(),
            reader: Reader::of(viewer, state.access.has_token()),
        },
        todos: todos.as_ref().ok().map(|(todos, _)| todos.as_slice()),
        more: todos.as_ref().is_ok_and(|(_, more)| *more),
        token: state.forms.issue(),
        refresh: status == StatusCode::SERVICE_UNAVAILABLE && outcome.title.is_empty(),
        outcome: &outcome,
    };
    headed(with_retry_after(
        (status, Html(page.to_string())).into_response(),
    ))
}

// ------------------------------------------------------------ form tokens

/// The add form's one-time tokens: each page served gets a fresh one, and
/// the (token, title) pairs already added are remembered, so the same form
/// sent twice (a double click, a resent request) adds one todo. A page
/// brought back by the back button and sent with another title adds that
/// title: only the very same form is refused.
pub(crate) struct FormTokens {
    keys: RandomState,
    issued: AtomicU64,
    sent: Mutex<VecDeque<u64>>,
}

impl Default for FormTokens {
    fn default() -> Self {
        Self {
            keys: RandomState::new(),
            issued: AtomicU64::new(0),
            sent: Mutex::new(VecDeque::with_capacity(REMEMBERED_FORMS)),
        }
    }
}

impl FormTokens {
    /// A token for a page about to be served: unique within this process,
    /// and not the same across processes.
    fn issue(&self) -> String {
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}", self.keys.hash_one(n))
    }

    /// Records that `title` was sent with `token`; false when the same pair
    /// was already sent. A form without a token (not from the page) is
    /// always new.
    fn claim(&self, token: &str, title: &str) -> bool {
        if token.is_empty() {
            return true;
        }
        let key = self.keys.hash_one((token, title));
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        if sent.contains(&key) {
            return false;
        }
        if sent.len() == REMEMBERED_FORMS {
            sent.pop_front();
        }
        sent.push_back(key);
        true
    }

    /// Forgets a claim whose todo could not be added.
    fn release(&self, token: &str, title: &str) {
        let key = self.keys.hash_one((token, title));
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|k| *k != key);
    }
}

// ---------------------------------------------------------------- markup

/// Text, HTML-escaped: safe as element content and in quoted attributes.
struct Text<'a>(&'a str);

impl Display for Text<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// A message of dbsettings' (a reason, a hint), escaped, with its
/// `backquoted` names set as code.
struct Words<'a>(&'a str);

impl Display for Words<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = self.0.split('`').collect();
        // An unpaired backquote is shown as it is.
        let paired = parts.len() % 2 == 1;
        for (i, part) in parts.iter().enumerate() {
            match (i % 2 == 1, paired) {
                (true, true) => write!(f, "<code>{}</code>", Text(part))?,
                (true, false) => write!(f, "`{}", Text(part))?,
                (false, _) => write!(f, "{}", Text(part))?,
            }
        }
        Ok(())
    }
}

/// The whole page.
struct Page<'a> {
    status: StatusPanel<'a>,
    /// `None` while the list cannot be read.
    todos: Option<&'a [Todo]>,
    /// Whether there are older todos than those shown.
    more: bool,
    outcome: &'a Outcome<'a>,
    token: String,
    refresh: bool,
}

impl Display for Page<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n",
        )?;
        if self.refresh {
            writeln!(
                f,
                "<meta http-equiv=\"refresh\" content=\"{RETRY_AFTER_SECS}\">"
            )?;
        }
        write!(
            f,
            "<title>Todos · dbsettings</title>\n<link rel=\"icon\" href=\"data:,\">\n\
             <style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>Todos</h1>\n"
        )?;
        match &self.outcome.message {
            Some(Message::Notice(n)) => {
                writeln!(
                    f,
                    "<p class=\"notice\" role=\"status\">{}</p>",
                    Text(n.words())
                )?;
            }
            Some(Message::Problem(p)) => {
                writeln!(f, "<p class=\"problem\" role=\"alert\">{}</p>", Words(p))?;
            }
            None => {}
        }
        write!(f, "{}", self.status)?;
        f.write_str("<section aria-labelledby=\"list-h\">\n<h2 id=\"list-h\">To do</h2>\n")?;
        self.add_form(f)?;
        match self.todos {
            None => f.write_str(
                "<p class=\"empty\">The list is shown again as soon as the database answers.</p>\n",
            )?,
            Some([]) if self.outcome.before.is_some() => f.write_str(
                "<p class=\"empty\">No older todos.</p>\n\
                 <nav class=\"pages\" aria-label=\"Pages\"><a href=\"/\">Newest todos</a></nav>\n",
            )?,
            Some([]) => f.write_str("<p class=\"empty\">Nothing to do yet.</p>\n")?,
            Some(todos) => {
                f.write_str("<ul>\n")?;
                for todo in todos {
                    item(f, todo, self.outcome.before)?;
                }
                f.write_str("</ul>\n")?;
                self.pages(f, todos)?;
            }
        }
        f.write_str(
            "</section>\n<footer><p>A <code>dbsettings</code> example. The same data as JSON: \
             <a href=\"/todos\">/todos</a>; the database's state: <a href=\"/health\">/health</a>.\
             </p></footer>\n</main>\n</body>\n</html>\n",
        )
    }
}

impl Page<'_> {
    /// Links to the newest todos and to older ones, where there are.
    fn pages(&self, f: &mut Formatter<'_>, todos: &[Todo]) -> fmt::Result {
        let older = todos.last().filter(|_| self.more);
        if self.outcome.before.is_none() && older.is_none() {
            return Ok(());
        }
        f.write_str("<nav class=\"pages\" aria-label=\"Pages\">")?;
        if self.outcome.before.is_some() {
            f.write_str("<a href=\"/\">Newest todos</a>")?;
        }
        if let Some(last) = older {
            write!(
                f,
                "<a rel=\"next\" href=\"/?before={}\">Older todos</a>",
                last.id
            )?;
        }
        f.write_str("</nav>\n")
    }

    /// The add form, with the refused title and why next to the field.
    fn add_form(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (invalid, error) = match &self.outcome.title_error {
            Some(e) => (
                " aria-invalid=\"true\" aria-describedby=\"title-error\" autofocus",
                Some(e),
            ),
            None => ("", None),
        };
        write!(
            f,
            "<form class=\"add\" method=\"post\" action=\"/\">\n\
             <label for=\"title\">New todo</label>\n\
             <input id=\"title\" name=\"title\" type=\"text\" autocomplete=\"off\" value=\"{}\"{invalid}>\n\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\n\
             <button type=\"submit\">Add</button>\n",
            Text(self.outcome.title),
            Text(&self.token),
        )?;
        if let Some(e) = error {
            writeln!(f, "<p class=\"error\" id=\"title-error\">{}</p>", Text(e))?;
        }
        f.write_str("</form>\n")
    }
}

/// One todo: its title as text, whether it is done, and its two forms,
/// whose buttons name the todo for screen readers; each form says the page
/// it is on (`before`), to come back to it.
fn item(f: &mut Formatter<'_>, todo: &Todo, before: Option<i64>) -> fmt::Result {
    let (id, title) = (todo.id, Text(&todo.title));
    let back = match before {
        Some(b) => format!("<input type=\"hidden\" name=\"before\" value=\"{b}\">"),
        None => String::new(),
    };
    let (class, tag, set, verb) = if todo.done {
        (
            " class=\"done\"",
            "<span class=\"tag\">done</span>",
            "false",
            "Not done",
        )
    } else {
        ("", "", "true", "Mark done")
    };
    writeln!(
        f,
        "<li id=\"todo-{id}\"{class}><span class=\"title\">{title}</span>{tag}\
         <div class=\"actions\"><form method=\"post\" action=\"/todos/{id}/done\"><input type=\"hidden\" name=\"done\" value=\"{set}\">{back}\
         <button type=\"submit\">{verb}<span class=\"vh\">: {title}</span></button></form>\
         <form method=\"post\" action=\"/todos/{id}/delete\">{back}\
         <button type=\"submit\">Delete<span class=\"vh\">: {title}</span></button></form></div></li>"
    )
}

/// The status panel: which database, whether it is the fallback, whether
/// the data is kept, and whether it answers; for the owner also why in
/// dbsettings' words, what to do, and where the data lives.
struct StatusPanel<'a> {
    db: &'a Resolution,
    backend: dbsettings::Backend,
    fallback: bool,
    /// The redacted URL: no user name, no password.
    url: &'a str,
    /// Why the list could not be read, when it could not.
    problem: Option<&'a ApiError>,
    /// Who reads the panel: whether it shows the details, and its owner box.
    reader: Reader,
}

/// Who reads the status panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// The status token was presented: the details, and a way to hide them.
    Owner,
    /// `STATUS_DETAILS=everyone`: the details, said to be everyone's.
    Everyone,
    /// A visitor, with a form for the owner's token.
    Visitor,
    /// A visitor, and no token is set: nobody sees the details.
    Nobody,
}

impl Reader {
    fn of(viewer: Viewer, has_token: bool) -> Self {
        match (viewer.is_owner(), viewer.sees_details(), has_token) {
            (true, _, _) => Self::Owner,
            (false, true, _) => Self::Everyone,
            (false, false, true) => Self::Visitor,
            (false, false, false) => Self::Nobody,
        }
    }

    fn sees_details(self) -> bool {
        matches!(self, Self::Owner | Self::Everyone)
    }
}

impl Display for StatusPanel<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let backend = self.backend.to_string();
        let down = self
            .problem
            .filter(|e| e.status() == StatusCode::SERVICE_UNAVAILABLE);
        let (class, lead) = match (down, self.fallback) {
            (Some(_), _) => (
                "down",
                format!("{backend} is not available. The service keeps retrying."),
            ),
            (None, true) => (
                "fallback",
                format!("This service runs on its fallback database, {backend}."),
            ),
            (None, false) => (
                "ok",
                format!("This service runs on {backend}, as configured."),
            ),
        };
        write!(
            f,
            "<section class=\"status {class}\" aria-labelledby=\"db-h\">\n\
             <h2 id=\"db-h\">Database</h2>\n<p class=\"lead\">{}</p>\n<dl>\n",
            Text(&lead)
        )?;
        if self.reader.sees_details() {
            self.details_rows(f, &backend)?;
        } else {
            self.visitor_rows(f, &backend)?;
        }
        let state = match (down, self.problem) {
            (Some(e), _) => format!(
                "unavailable: {}. Retrying: this page reloads every {RETRY_AFTER_SECS} seconds.",
                e.detail()
            ),
            (None, Some(e)) => format!("answering, but the list could not be read: {}", e.detail()),
            (None, None) => "answering".to_owned(),
        };
        row(f, "State", &state)?;
        f.write_str("</dl>\n")?;
        self.owner_box(f)?;
        f.write_str("</section>\n")
    }
}

impl StatusPanel<'_> {
    /// What dbsettings says: the source, the reason and the hint, where the
    /// data lives (a path, or the redacted URL).
    fn details_rows(&self, f: &mut Formatter<'_>, backend: &str) -> fmt::Result {
        let source = if self.fallback {
            "the fallback".to_owned()
        } else {
            format!("from {}", self.db.origin())
        };
        row(f, "Backend", &format!("{backend}, {source}"))?;
        if let Some(reason) = self.db.fallback_reason() {
            row(f, "Why", &reason.to_string())?;
            if let Some(hint) = reason.hint() {
                row(f, "What to do", &hint)?;
            }
        }
        let data = match self.db.location() {
            Some(location) => {
                let (verdict, why) = keeping(location, self.chosen(), *IN_CONTAINER);
                format!("`{location}`: {verdict} ({why})")
            }
            None => format!("`{}`: kept by the database server", self.url),
        };
        row(f, "Data", &data)
    }

    /// A visitor's rows: fixed words chosen by dbsettings' types.
    fn visitor_rows(&self, f: &mut Formatter<'_>, backend: &str) -> fmt::Result {
        let source = if self.fallback {
            "the fallback"
        } else {
            "as configured"
        };
        row(f, "Backend", &format!("{backend}, {source}"))?;
        if let Some(reason) = self.db.fallback_reason() {
            row(f, "Why", visitor::fallback_reason(reason))?;
        }
        let data = match self.db.location() {
            Some(location) => keeping(location, self.chosen(), *IN_CONTAINER).0,
            None => "kept by the database server",
        };
        row(f, "Data", data)
    }

    /// The fallback candidate that was chosen, if any.
    fn chosen(&self) -> Option<CandidateKind> {
        self.db
            .candidates()
            .iter()
            .find(|c| c.skipped.is_none())
            .map(|c| c.kind)
    }

    /// Who sees the details, and the owner form (to show them, or hide
    /// them again).
    fn owner_box(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("<div class=\"owner\">")?;
        match self.reader {
            Reader::Owner => f.write_str(
                "<p>You see the details: your status token was accepted.</p>\
                 <form method=\"post\" action=\"/owner/forget\"><button type=\"submit\">Hide details</button></form>",
            )?,
            Reader::Everyone => f.write_str(
                "<p>Everyone sees these details (<code>STATUS_DETAILS=everyone</code>): for local development only.</p>",
            )?,
            Reader::Visitor => f.write_str(
                "<form class=\"owner-form\" method=\"post\" action=\"/owner\">\
                 <label for=\"status-token\">The owner's status token shows the details</label>\
                 <input id=\"status-token\" name=\"status_token\" type=\"password\" autocomplete=\"off\">\
                 <button type=\"submit\">Show details</button></form>",
            )?,
            Reader::Nobody => f.write_str(
                "<p>The details are shown to nobody: this service has no <code>STATUS_TOKEN</code>.</p>",
            )?,
        }
        f.write_str("</div>\n")
    }
}

/// A row of the panel's description list.
fn row(f: &mut Formatter<'_>, name: &str, value: &str) -> fmt::Result {
    writeln!(f, "<dt>{}</dt><dd>{}</dd>", Text(name), Words(value))
}

/// Whether this process runs in a container (a Space, Docker, Podman,
/// Kubernetes), whose own disk is replaced when it restarts.
static IN_CONTAINER: LazyLock<bool> = LazyLock::new(|| {
    ["SPACE_ID", "KUBERNETES_SERVICE_HOST"]
        .iter()
        .any(|var| std::env::var_os(var).is_some())
        || ["/.dockerenv", "/run/.containerenv"]
            .iter()
            .any(|marker| FsPath::new(marker).exists())
});

/// Whether an SQLite database at `location` outlives a restart (what a
/// visitor is told), and why (the owner's): memory never does; `/data` (a
/// Space's persistent storage) does; elsewhere in a container it is on the
/// container's own disk, replaced at every restart.
fn keeping(
    location: &Location,
    chosen: Option<CandidateKind>,
    in_container: bool,
) -> (&'static str, &'static str) {
    let Location::File(path) = location else {
        return ("lost on restart", "in memory: nothing is written to disk");
    };
    if chosen == Some(CandidateKind::PersistentData) || path.starts_with("/data") {
        ("kept across restarts", "persistent storage")
    } else if chosen == Some(CandidateKind::DataDirVar) {
        (
            "may be kept across restarts",
            "if the data directory the operator named is on a persistent volume",
        )
    } else if in_container {
        (
            "lost on restart",
            "the container's own disk; persistent storage mounted at `/data` would keep it",
        )
    } else if chosen == Some(CandidateKind::TempDir) {
        ("may be lost on restart", "the temporary directory")
    } else {
        ("kept across restarts", "this machine's disk")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markup_and_quotes() {
        assert_eq!(
            Text(r#"<script>alert("x")</script> & 'y'"#).to_string(),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(Text("plain é ✓").to_string(), "plain é ✓");
    }

    #[test]
    fn words_set_backquoted_names_as_code_and_escape_them() {
        assert_eq!(
            Words("`DATABASE_URL` is not set").to_string(),
            "<code>DATABASE_URL</code> is not set"
        );
        assert_eq!(
            Words("percent-encode `<#>` as `%23`").to_string(),
            "percent-encode <code>&lt;#&gt;</code> as <code>%23</code>"
        );
        assert_eq!(Words("a ` b <i>").to_string(), "a ` b &lt;i&gt;");
    }

    #[test]
    fn where_the_data_lives_and_whether_it_is_kept() {
        use CandidateKind::{DataDirVar, PersistentData, TempDir, WorkingDir};
        let file = |p: &str| Location::File(p.into());
        for (location, chosen, in_container, verdict) in [
            (
                file("/data/app.db"),
                Some(PersistentData),
                true,
                "kept across restarts",
            ),
            (
                file("/app/data/app.db"),
                Some(WorkingDir),
                true,
                "lost on restart",
            ),
            (file("/srv/app.db"), None, true, "lost on restart"),
            (
                file("/mnt/vol/app.db"),
                Some(DataDirVar),
                true,
                "may be kept across restarts",
            ),
            (Location::Memory, None, false, "lost on restart"),
            (
                file("/home/me/data/app.db"),
                None,
                false,
                "kept across restarts",
            ),
            (
                file("/tmp/app.db"),
                Some(TempDir),
                false,
                "may be lost on restart",
            ),
        ] {
            let (said, why) = keeping(&location, chosen, in_container);
            assert_eq!(said, verdict, "{location}: {said} ({why})");
        }
    }

    #[test]
    fn a_form_sent_twice_is_claimed_once_and_a_failed_one_can_be_sent_again() {
        let tokens = FormTokens::default();
        let (a, b) = (tokens.issue(), tokens.issue());
        assert_ne!(a, b);
        assert!(tokens.claim(&a, "milk"));
        assert!(!tokens.claim(&a, "milk"), "the same form again");
        assert!(tokens.claim(&a, "bread"), "the page again, another title");
        assert!(tokens.claim(&b, "milk"), "another page");
        assert!(tokens.claim("", "milk") && tokens.claim("", "milk"));
        tokens.release(&b, "milk");
        assert!(tokens.claim(&b, "milk"), "released after a failure");
    }

    #[test]
    fn only_fixed_notices_are_shown() {
        assert_eq!(Notice::from_code("duplicate"), Some(Notice::Duplicate));
        assert_eq!(Notice::from_code("<b>hi</b>"), None);
        assert_eq!(location(None, Some(Notice::Gone)), "/?notice=gone");
        assert_eq!(
            location(Some(7), Some(Notice::Gone)),
            "/?before=7&notice=gone"
        );
        assert_eq!(location(Some(7), None), "/?before=7");
    }
}
