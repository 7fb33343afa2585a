//! The HTTP layer: routes, JSON bodies, and errors that never leak SQL, the
//! URL or a password.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use dbsettings::{Database, DatabaseError, DatabaseSettings as _, sqlx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::Settings;
use crate::store::{self, Todo};

/// Seconds a client should wait before retrying while the database is down.
const RETRY_AFTER_SECS: u64 = 5;
/// The longest title accepted.
const MAX_TITLE: usize = 200;

/// What handlers share: the lazy database handle and how it was chosen.
#[derive(Clone)]
pub struct AppState {
    db: Database,
    url: dbsettings::DatabaseUrl,
}

impl AppState {
    /// The state for `settings`, sharing its database handle.
    #[must_use]
    pub fn new(settings: &Settings) -> Self {
        Self {
            db: settings.database(),
            url: settings.database_url.clone(),
        }
    }
}

/// The service's routes, with request logs.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/livez", get(livez))
        .route("/readyz", get(readyz))
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
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// Every way a request can fail, each with its status.
enum ApiError {
    Invalid(String),
    NotFound(&'static str),
    Unavailable(String),
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": m })),
            Self::NotFound(m) => (StatusCode::NOT_FOUND, json!({ "error": m })),
            Self::Unavailable(m) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "error": "database unavailable", "detail": m, "retry_after_seconds": RETRY_AFTER_SECS }),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "internal error" }),
            ),
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
    // The pool first: an `on_unreachable = "fallback"` switch happens there,
    // and the report below must describe the database actually in use.
    let (status, error) = match state.db.pool().await {
        Ok(pool) => match pool.ping().await {
            Ok(()) => (StatusCode::OK, None),
            Err(e) => (
                StatusCode::SERVICE_UNAVAILABLE,
                Some(state.query_error(&e).detail()),
            ),
        },
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Some(e.to_string())),
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
    fn detail(&self) -> String {
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

fn valid_title(title: &str) -> Result<&str, ApiError> {
    let t = title.trim();
    if t.is_empty() {
        return Err(ApiError::Invalid("`title` must not be empty".to_owned()));
    }
    if t.chars().count() > MAX_TITLE {
        return Err(ApiError::Invalid(format!(
            "`title` must be at most {MAX_TITLE} characters"
        )));
    }
    Ok(t)
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<Todo>>, ApiError> {
    let pool = state.db.pool().await?;
    Ok(Json(
        store::list(&pool)
            .await
            .map_err(|e| state.query_error(&e))?,
    ))
}

async fn create(
    State(state): State<AppState>,
    body: Result<Json<NewTodo>, JsonRejection>,
) -> Result<(StatusCode, Json<Todo>), ApiError> {
    let Json(new) = body?;
    let title = valid_title(&new.title)?;
    let pool = state.db.pool().await?;
    Ok((
        StatusCode::CREATED,
        Json(
            store::create(&pool, title, new.done)
                .await
                .map_err(|e| state.query_error(&e))?,
        ),
    ))
}

async fn read(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Todo>, ApiError> {
    let Path(id) = id?;
    let pool = state.db.pool().await?;
    store::get(&pool, id)
        .await
        .map_err(|e| state.query_error(&e))?
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
    let pool = state.db.pool().await?;
    store::update(&pool, id, title, changes.done)
        .await
        .map_err(|e| state.query_error(&e))?
        .map(Json)
        .ok_or(ApiError::NotFound("no such todo"))
}

async fn remove(
    State(state): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id?;
    let pool = state.db.pool().await?;
    if store::delete(&pool, id)
        .await
        .map_err(|e| state.query_error(&e))?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such todo"))
    }
}
