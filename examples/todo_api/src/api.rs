//! The HTTP layer: routes, JSON bodies, and errors that never leak SQL, the
//! URL or a password; a visitor sees why the database fails in a few fixed
//! words, the owner what dbsettings says ([`crate::access`]). The front
//! page's routes are in [`crate::page`].

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use dbsettings::{Database, DatabaseError, DatabaseErrorKind, DatabaseSettings as _, sqlx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::Settings;
use crate::access::{self, Access, BODY_LIMIT, Viewer};
use crate::page::{self, FormTokens};
use crate::store::{self, Todo};
use crate::visitor;

/// Seconds a client should wait before retrying while the database is down.
pub(crate) const RETRY_AFTER_SECS: u64 = 5;
/// The longest title accepted.
pub(crate) const MAX_TITLE: usize = 200;

/// What handlers share: the lazy database handle, the page's form tokens
/// and who sees what.
#[derive(Clone)]
pub struct AppState {
    pub(crate) db: Database,
    /// The front page's add-form tokens, so that a form sent twice adds once.
    pub(crate) forms: Arc<FormTokens>,
    /// The status token, who sees details, and the anonymous write limit.
    pub(crate) access: Arc<Access>,
}

impl AppState {
    /// The state for `settings`, sharing its database handle.
    #[must_use]
    pub fn new(settings: &Settings) -> Self {
        Self {
            db: settings.database(),
            forms: Arc::default(),
            access: Arc::new(Access::new(
                settings.status_token.clone(),
                settings.status_details,
            )),
        }
    }
}

/// The service's routes, with request logs. Outermost first: the log, the
/// cross-site guard (403), the body limit (413 before anything is read),
/// who is asking, the anonymous write limit (429), the routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page::show).post(page::add))
        .route("/todos/{id}/done", post(page::mark))
        .route("/todos/{id}/delete", post(page::delete))
        .route("/owner", post(access::sign_in))
        .route("/owner/forget", post(access::sign_out))
        .route("/health", get(health))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::render))
        .route("/todos", get(list).post(create))
        .route("/todos/{id}", get(read).patch(update).delete(remove))
        .fallback(|| async { ApiError::NotFound("no such route") })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            access::limit_writes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            access::identify,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(middleware::from_fn(access::guard))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// A refusal that needs no database: a short page for a browser, else
/// `{"error": words}`.
pub(crate) fn refusal(status: StatusCode, words: &str, html: bool) -> Response {
    if html {
        page::refusal(status, words)
    } else {
        json_response(status, json!({ "error": words }))
    }
}

/// `body` as JSON with `status`; a 503 says when to try again.
fn json_response(status: StatusCode, body: impl Serialize) -> Response {
    with_retry_after((status, Json(body)).into_response())
}

/// `response`, with `Retry-After` when it is a 503.
pub(crate) fn with_retry_after(mut response: Response) -> Response {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// Every way a request can fail, each with its status.
pub(crate) enum ApiError {
    Invalid(String),
    NotFound(&'static str),
    /// The body is over [`BODY_LIMIT`] (a chunked one: a declared length
    /// over it is refused before any handler).
    TooLarge,
    /// The database is unavailable: `kind` chooses the visitor's words,
    /// `detail` (redacted by dbsettings) is the owner's.
    Unavailable {
        kind: DatabaseErrorKind,
        detail: String,
    },
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::TooLarge = self {
            return access::too_large(false);
        }
        let status = self.status();
        let body = match self {
            Self::Invalid(m) => json!({ "error": m }),
            Self::NotFound(m) => json!({ "error": m }),
            Self::Unavailable { kind, detail } => {
                let mut body = json!({
                    "error": "database unavailable",
                    "reason": visitor::error_kind(kind),
                    "retry_after_seconds": RETRY_AFTER_SECS,
                });
                if Viewer::current().sees_details() {
                    body["detail"] = Value::from(detail);
                }
                body
            }
            Self::TooLarge | Self::Internal => json!({ "error": "internal error" }),
        };
        json_response(status, body)
    }
}

impl From<DatabaseError> for ApiError {
    fn from(e: DatabaseError) -> Self {
        Self::Unavailable {
            kind: e.kind(),
            // Redacted by dbsettings; still the owner's only.
            detail: e.to_string(),
        }
    }
}

impl AppState {
    /// `query` on the pool (built if need be), with the pool's and the
    /// query's errors as the client sees them.
    pub(crate) async fn run<T>(
        &self,
        query: impl AsyncFnOnce(&dbsettings::Pool) -> Result<T, sqlx::Error>,
    ) -> Result<T, ApiError> {
        let pool = self.db.pool().await?;
        query(&pool).await.map_err(|e| self.query_error(&e))
    }

    /// A query's error as the client sees it; logged for the operator with
    /// the URL's user name and password scrubbed (servers echo user names).
    fn query_error(&self, e: &sqlx::Error) -> ApiError {
        let said = self.db.redact(&e.to_string());
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::warn!("database unavailable: {said}");
                ApiError::Unavailable {
                    kind: DatabaseErrorKind::of(e, self.db.backend()),
                    detail: "the database did not answer".to_owned(),
                }
            }
            _ => {
                // Logged, never sent: it may quote SQL.
                tracing::error!("database error: {said}");
                ApiError::Internal
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge
        } else {
            Self::Invalid(e.body_text())
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        Self::NotFound("no such todo")
    }
}

/// Liveness: the process serves HTTP. Never touches the database, so a
/// database outage does not get the container restarted.
async fn livez() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Readiness: dbsettings' health report (building the pool if needed); 503
/// with `Retry-After` while the database is down. The owner gets the whole
/// report; a visitor its state and kind, the backend, whether it is the
/// fallback and why in a few words, and the ping's time.
async fn readyz(State(state): State<AppState>) -> Response {
    let report = state.db.health(true).await;
    let status = if report.state.is_up() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if Viewer::current().sees_details() {
        return json_response(status, report);
    }
    // Chosen fields, not the report less some: a field dbsettings adds
    // later stays the owner's.
    let shown_state = match &report.state {
        dbsettings::HealthState::Down { kind, .. } => {
            json!({ "state": "down", "kind": kind.name() })
        }
        dbsettings::HealthState::Up => json!({ "state": "up" }),
        dbsettings::HealthState::Migrating { .. } => json!({ "state": "migrating" }),
        _ => json!({ "state": "not_ready" }),
    };
    let reason = state.db.resolution().fallback_reason();
    let shown = json!({
        "state": shown_state,
        "backend": report.backend.name(),
        "fallback": report.fallback,
        "reason": reason.map(visitor::fallback_reason),
        "ping_ms": report.ping_ms,
    });
    json_response(status, shown)
}

async fn health(State(state): State<AppState>) -> Response {
    // dbsettings' report builds the pool when needed (an `on_unreachable =
    // "fallback"` switch happens there, so what follows describes the
    // database actually in use), and says at once when the first build
    // waits for the migration lock (another replica migrating).
    let report = state.db.health(true).await;
    let resolution = state.db.resolution();
    let problem = visitor::health_state(&report.state);
    let status = if problem.is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let mut body = json!({
        "status": if problem.is_some() { "unavailable" } else { "ok" },
        "backend": state.db.backend().name(),
        "fallback": state.db.is_fallback(),
    });
    if Viewer::current().sees_details() {
        let error = match report.state {
            dbsettings::HealthState::Up => None,
            dbsettings::HealthState::Migrating { detail } => Some(detail),
            dbsettings::HealthState::Down { error, .. } => Some(error),
            other => Some(other.to_string()),
        };
        body["reason"] = Value::from(resolution.fallback_reason().map(ToString::to_string));
        body["hint"] = Value::from(
            resolution
                .fallback_reason()
                .and_then(dbsettings::resolution::FallbackReason::hint),
        );
        body["location"] = Value::from(resolution.location().map(ToString::to_string));
        if let Some(error) = error {
            body["error"] = Value::from(error);
        }
    } else {
        body["reason"] = Value::from(resolution.fallback_reason().map(visitor::fallback_reason));
        if let Some(problem) = problem {
            body["error"] = Value::from(problem);
        }
    }
    json_response(status, body)
}

impl ApiError {
    /// The HTTP status this error answers with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What went wrong, safe to show to whoever asks: never SQL; for a
    /// visitor, an unavailable database in a few fixed words; for the
    /// owner, what dbsettings said (redacted).
    pub(crate) fn detail(&self) -> String {
        match self {
            Self::Invalid(m) => m.clone(),
            Self::Unavailable { detail, .. } if Viewer::current().sees_details() => detail.clone(),
            Self::Unavailable { kind, .. } => visitor::error_kind(*kind).to_owned(),
            Self::NotFound(m) => (*m).to_owned(),
            Self::TooLarge => format!("the request body is over {BODY_LIMIT} bytes"),
            Self::Internal => "internal error".to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct NewTodo {
    title: String,
    #[serde(default)]
    done: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TodoChanges {
    title: Option<String>,
    done: Option<bool>,
}

/// Why a title was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TitleError {
    Empty,
    TooLong,
    /// A tab, newline, NUL or other control character: PostgreSQL refuses
    /// NUL, and a one-line title has no use for the others.
    ControlCharacter,
}

impl TitleError {
    /// The JSON API's words, naming the field.
    fn for_api(self) -> String {
        match self {
            Self::Empty => "`title` must not be empty".to_owned(),
            Self::TooLong => format!("`title` must be at most {MAX_TITLE} characters"),
            Self::ControlCharacter => "`title` must not contain control characters".to_owned(),
        }
    }

    /// The front page's words, shown next to the field.
    pub(crate) fn for_people(self) -> String {
        match self {
            Self::Empty => "Write what there is to do: the title is empty.".to_owned(),
            Self::TooLong => format!("That title is too long: {MAX_TITLE} characters at most."),
            Self::ControlCharacter => {
                "The title holds a control character (a tab, a line break, ...): keep it to one line of text.".to_owned()
            }
        }
    }
}

impl From<TitleError> for ApiError {
    fn from(e: TitleError) -> Self {
        Self::Invalid(e.for_api())
    }
}

/// `title` without surrounding white space, if it is acceptable.
pub(crate) fn valid_title(title: &str) -> Result<&str, TitleError> {
    let t = title.trim();
    if t.is_empty() {
        return Err(TitleError::Empty);
    }
    if t.chars().count() > MAX_TITLE {
        return Err(TitleError::TooLong);
    }
    if t.chars().any(char::is_control) {
        return Err(TitleError::ControlCharacter);
    }
    Ok(t)
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<Todo>>, ApiError> {
    Ok(Json(state.run(async |pool| store::list(pool).await).await?))
}

async fn create(
    State(state): State<AppState>,
    body: Result<Json<NewTodo>, JsonRejection>,
) -> Result<(StatusCode, Json<Todo>), ApiError> {
    let Json(new) = body?;
    let title = valid_title(&new.title)?;
    let todo = state
        .run(async |pool| store::create(pool, title, new.done).await)
        .await?;
    Ok((StatusCode::CREATED, Json(todo)))
}

async fn read(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Todo>, ApiError> {
    let Path(id) = id?;
    state
        .run(async |pool| store::get(pool, id).await)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("no such todo"))
}

async fn update(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<TodoChanges>, JsonRejection>,
) -> Result<Json<Todo>, ApiError> {
    let Path(id) = id?;
    let Json(changes) = body?;
    let title = changes.title.as_deref().map(valid_title).transpose()?;
    state
        .run(async |pool| store::update(pool, id, title, changes.done).await)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("no such todo"))
}

async fn remove(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id?;
    if state
        .run(async |pool| store::delete(pool, id).await)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such todo"))
    }
}
