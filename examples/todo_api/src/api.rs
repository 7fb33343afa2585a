//! The HTTP layer: routes, JSON bodies, and errors that never leak SQL, the
//! URL or a password. The front page's routes are in [`crate::page`].

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dbsettings::{Database, DatabaseError, DatabaseSettings as _, sqlx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::Settings;
use crate::page::{self, FormTokens};
use crate::store::{self, Todo};

/// Seconds a client should wait before retrying while the database is down.
pub(crate) const RETRY_AFTER_SECS: u64 = 5;
/// The longest title accepted.
pub(crate) const MAX_TITLE: usize = 200;

/// What handlers share: the lazy database handle and how it was chosen.
#[derive(Clone)]
pub struct AppState {
    pub(crate) db: Database,
    url: dbsettings::DatabaseUrl,
    /// The front page's add-form tokens, so that a form sent twice adds once.
    pub(crate) forms: std::sync::Arc<FormTokens>,
}

impl AppState {
    /// The state for `settings`, sharing its database handle.
    #[must_use]
    pub fn new(settings: &Settings) -> Self {
        Self {
            db: settings.database(),
            url: settings.database_url.clone(),
            forms: std::sync::Arc::default(),
        }
    }
}

/// The service's routes, with request logs.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page::show).post(page::add))
        .route("/todos/{id}/done", post(page::mark))
        .route("/todos/{id}/delete", post(page::delete))
        .route("/health", get(health))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::render))
        .route("/todos", get(list).post(create))
        .route("/todos/{id}", get(read).patch(update).delete(remove))
        .fallback(|| async { ApiError::NotFound("no such route") })
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
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
    Unavailable(String),
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match self {
            Self::Invalid(m) => json!({ "error": m }),
            Self::NotFound(m) => json!({ "error": m }),
            Self::Unavailable(m) => {
                json!({ "error": "database unavailable", "detail": m, "retry_after_seconds": RETRY_AFTER_SECS })
            }
            Self::Internal => json!({ "error": "internal error" }),
        };
        json_response(status, body)
    }
}

impl From<DatabaseError> for ApiError {
    fn from(e: DatabaseError) -> Self {
        // Redacted by dbsettings: safe to show.
        Self::Unavailable(e.to_string())
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
                ApiError::Unavailable("the database did not answer".to_owned())
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
        Self::Invalid(e.body_text())
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
/// with `Retry-After` while the database is down.
async fn readyz(State(state): State<AppState>) -> Response {
    let report = state.db.health(true).await;
    let status = if report.state.is_up() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, report)
}

async fn health(State(state): State<AppState>) -> Response {
    // dbsettings' report builds the pool when needed (an `on_unreachable =
    // "fallback"` switch happens there, so what follows describes the
    // database actually in use), and says at once when the first build
    // waits for the migration lock (another replica migrating).
    let (status, error) = match state.db.health(true).await.state {
        dbsettings::HealthState::Up => (StatusCode::OK, None),
        dbsettings::HealthState::Migrating { detail } => {
            (StatusCode::SERVICE_UNAVAILABLE, Some(detail))
        }
        dbsettings::HealthState::Down { error, .. } => {
            (StatusCode::SERVICE_UNAVAILABLE, Some(error))
        }
        other => (StatusCode::SERVICE_UNAVAILABLE, Some(other.to_string())),
    };
    let resolution = state.url.resolution();
    let mut body = json!({
        "status": if error.is_some() { "unavailable" } else { "ok" },
        "backend": state.url.backend().name(),
        "fallback": state.url.is_fallback(),
        "reason": resolution.fallback_reason().map(ToString::to_string),
        "hint": resolution.fallback_reason().and_then(dbsettings::resolution::FallbackReason::hint),
        "location": resolution.location().map(ToString::to_string),
    });
    if let Some(error) = error {
        body["error"] = Value::from(error);
    }
    json_response(status, body)
}

impl ApiError {
    /// The HTTP status this error answers with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What went wrong, safe to show: redacted, never SQL.
    pub(crate) fn detail(&self) -> String {
        match self {
            Self::Invalid(m) | Self::Unavailable(m) => m.clone(),
            Self::NotFound(m) => (*m).to_owned(),
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
