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
//! layer says is already redacted by dbsettings.

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

use crate::api::{ApiError, AppState, RETRY_AFTER_SECS, TitleError, valid_title, with_retry_after};
use crate::store::{self, Todo};

/// The page's style, inline: a Space visitor's browser reaches only the Space.
const STYLE: &str = include_str!("page.css");

/// Only what the page itself needs: its inline style and its own forms. No
/// script at all, so an escaping mistake could not run one either.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'";

/// How many sent add forms are remembered, to recognise one sent again.
const REMEMBERED_FORMS: usize = 4096;

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
    /// Where to send the browser to show this notice.
    fn location(self) -> &'static str {
        match self {
            Self::Duplicate => "/?notice=duplicate",
            Self::Gone => "/?notice=gone",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Self::Duplicate => "That form was sent twice: its todo was added once.",
            Self::Gone => "That todo is not there any more: it was already deleted.",
        }
    }
}

/// The page's query string.
#[derive(Deserialize)]
pub(crate) struct PageQuery {
    notice: Option<Notice>,
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
/// so the same form sent twice changes nothing more).
#[derive(Deserialize)]
pub(crate) struct DoneForm {
    done: bool,
}

/// `GET /`: the page.
pub(crate) async fn show(
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let notice = query.ok().and_then(|Query(q)| q.notice);
    render(
        &state,
        Outcome {
            message: notice.map(Message::Notice),
            ..Outcome::default()
        },
    )
    .await
}

/// `POST /`: adds a todo, then back to the page; a refused title is shown
/// again with what is wrong next to the field.
pub(crate) async fn add(
    State(state): State<AppState>,
    form: Result<Form<AddForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return render(&state, Outcome::unreadable()).await;
    };
    let title = match valid_title(&form.title) {
        Ok(title) => title,
        Err(e) => return render(&state, Outcome::refused(&form.title, e)).await,
    };
    if !state.forms.claim(&form.token, title) {
        return Redirect::to(Notice::Duplicate.location()).into_response();
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
                    message: None,
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
    let (Ok(Path(id)), Ok(Form(form))) = (id, form) else {
        return render(&state, Outcome::unreadable()).await;
    };
    let changed = state
        .run(async |pool| store::update(pool, id, None, Some(form.done)).await)
        .await;
    after_change(&state, changed.map(|todo| todo.is_some())).await
}

/// `POST /todos/{id}/delete`: deletes a todo.
pub(crate) async fn delete(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    let Ok(Path(id)) = id else {
        return render(&state, Outcome::unreadable()).await;
    };
    let deleted = state.run(async |pool| store::delete(pool, id).await).await;
    after_change(&state, deleted).await
}

/// Back to the page after a change to an existing todo (`Ok(false)`: it
/// was not there), or the page with the reason it failed.
async fn after_change(state: &AppState, changed: Result<bool, ApiError>) -> Response {
    match changed {
        Ok(true) => Redirect::to("/").into_response(),
        Ok(false) => Redirect::to(Notice::Gone.location()).into_response(),
        Err(e) => {
            render(
                state,
                Outcome {
                    status: Some(e.status()),
                    message: Some(Message::Problem(format!("Not saved: {}.", e.detail()))),
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
}

impl<'a> Outcome<'a> {
    fn refused(title: &'a str, why: TitleError) -> Self {
        Self {
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            title,
            title_error: Some(why.for_people()),
            message: None,
        }
    }

    fn unreadable() -> Self {
        Self {
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            message: Some(Message::Problem(
                "That form could not be read: use the forms on this page.".to_owned(),
            )),
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
    let todos = state.run(async |pool| store::list(pool).await).await;
    let status = match (&todos, outcome.status) {
        (Err(e), _) => e.status(),
        (Ok(_), Some(status)) => status,
        (Ok(_), None) => StatusCode::OK,
    };
    let page = Page {
        status: StatusPanel {
            db: state.db.resolution(),
            backend: state.db.backend(),
            fallback: state.db.is_fallback(),
            url: state.db.redacted_url(),
            problem: todos.as_ref().err(),
        },
        todos: todos.as_ref().ok().map(Vec::as_slice),
        token: state.forms.issue(),
        refresh: status == StatusCode::SERVICE_UNAVAILABLE && outcome.title.is_empty(),
        outcome: &outcome,
    };
    let mut response = with_retry_after((status, Html(page.to_string())).into_response());
    let headers = response.headers_mut();
    // The page shows live state: never from a cache, nor from history.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
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
            Some([]) => f.write_str("<p class=\"empty\">Nothing to do yet.</p>\n")?,
            Some(todos) => {
                f.write_str("<ul>\n")?;
                for todo in todos {
                    item(f, todo)?;
                }
                f.write_str("</ul>\n")?;
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
/// whose buttons name the todo for screen readers.
fn item(f: &mut Formatter<'_>, todo: &Todo) -> fmt::Result {
    let (id, title) = (todo.id, Text(&todo.title));
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
         <div class=\"actions\"><form method=\"post\" action=\"/todos/{id}/done\"><input type=\"hidden\" name=\"done\" value=\"{set}\">\
         <button type=\"submit\">{verb}<span class=\"vh\">: {title}</span></button></form>\
         <form method=\"post\" action=\"/todos/{id}/delete\">\
         <button type=\"submit\">Delete<span class=\"vh\">: {title}</span></button></form></div></li>"
    )
}

/// The status panel: which database, why, where the data lives, and
/// whether it answers.
struct StatusPanel<'a> {
    db: &'a Resolution,
    backend: dbsettings::Backend,
    fallback: bool,
    /// The redacted URL: no user name, no password.
    url: &'a str,
    /// Why the list could not be read, when it could not.
    problem: Option<&'a ApiError>,
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
                format!("{backend} is not answering. The service keeps retrying."),
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
                let chosen = self
                    .db
                    .candidates()
                    .iter()
                    .find(|c| c.skipped.is_none())
                    .map(|c| c.kind);
                format!("`{location}`: {}", keeping(location, chosen, *IN_CONTAINER))
            }
            None => format!("`{}`: kept by the database server", self.url),
        };
        row(f, "Data", &data)?;
        let state = match (down, self.problem) {
            (Some(e), _) => format!(
                "not answering: {}. Retrying: this page reloads every {RETRY_AFTER_SECS} seconds.",
                e.detail()
            ),
            (None, Some(e)) => format!("answering, but the list could not be read: {}", e.detail()),
            (None, None) => "answering".to_owned(),
        };
        row(f, "State", &state)?;
        f.write_str("</dl>\n</section>\n")
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

/// Whether an SQLite database at `location` outlives a restart: memory
/// never does; `/data` (a Space's persistent storage) does; elsewhere in a
/// container it is on the container's own disk, replaced at every restart.
fn keeping(location: &Location, chosen: Option<CandidateKind>, in_container: bool) -> &'static str {
    let Location::File(path) = location else {
        return "lost on restart (in memory: nothing is written to disk)";
    };
    if chosen == Some(CandidateKind::PersistentData) || path.starts_with("/data") {
        "kept across restarts (persistent storage)"
    } else if chosen == Some(CandidateKind::DataDirVar) {
        "kept across restarts if the data directory the operator named is on a persistent volume"
    } else if in_container {
        "lost on restart (the container's own disk; persistent storage mounted at `/data` would keep it)"
    } else if chosen == Some(CandidateKind::TempDir) {
        "may be lost on restart (the temporary directory)"
    } else {
        "kept across restarts (this machine's disk)"
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
                "kept across restarts if",
            ),
            (Location::Memory, None, false, "lost on restart"),
            (
                file("/home/me/data/app.db"),
                None,
                false,
                "kept across restarts",
            ),
            (file("/tmp/app.db"), Some(TempDir), false, "may be lost"),
        ] {
            let said = keeping(&location, chosen, in_container);
            assert!(said.starts_with(verdict), "{location}: {said}");
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
        let q: PageQuery = serde_json::from_str(r#"{"notice":"duplicate"}"#).unwrap();
        assert_eq!(q.notice, Some(Notice::Duplicate));
        assert!(serde_json::from_str::<PageQuery>(r#"{"notice":"<b>hi</b>"}"#).is_err());
    }
}
