//! Who sees what, and who may write how fast.
//!
//! - **Details are the owner's.** As Spring Boot Actuator's
//!   `show-details: when-authorized`: a visitor learns whether the database
//!   works, whether the fallback is in use and why in a few fixed words
//!   ([`crate::visitor`]); the owner, who sends the `STATUS_TOKEN` they set
//!   as a Space secret (an `Authorization: Bearer` header, or the cookie the
//!   page's owner form sets), sees what dbsettings says (redacted of
//!   passwords). Tokens are compared in constant time. Where the request
//!   comes from proves nothing: a Space's proxy connects from loopback too.
//!   Without a `STATUS_TOKEN`, nobody sees details, unless
//!   `STATUS_DETAILS=everyone` says so (local development).
//! - **Cross-site writes are refused** (403), as Go's
//!   `http.CrossOriginProtection` does: a `POST`, `PATCH`, `PUT` or
//!   `DELETE` whose `Sec-Fetch-Site` is neither `same-origin` nor `none`,
//!   or, without that header, whose `Origin` names another host than the
//!   request's. A Space's iframe posts from its own origin, so its forms
//!   work; clients that send neither header (curl, scripts) are not
//!   browsers and pass.
//! - **Bodies are small**: over [`BODY_LIMIT`] bytes, 413.
//! - **Anonymous writes are rate-limited** by `tower_governor`: a burst of
//!   [`WRITE_BURST`], then one per [`WRITE_PERIOD`], then 429 with
//!   `Retry-After`. One bucket for every anonymous client: behind a Space's
//!   proxy every peer address is the proxy's, and `X-Forwarded-For` is
//!   whatever the client wrote unless the proxy overwrites it, so a key from
//!   it would let one client take a fresh key per request. A flood can hold
//!   visitors' writes back for a while, never the owner's: the token is
//!   exempt.

use std::convert::Infallible;
use std::fmt::{self, Debug, Display, Formatter};
use std::str::FromStr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::Form;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use governor::middleware::NoOpMiddleware;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use tower::{Layer as _, ServiceExt as _};
use tower_governor::GovernorError;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::GlobalKeyExtractor;

use crate::api::{AppState, refusal};
use crate::page;

/// The largest request body accepted, in bytes: a todo's JSON or form is
/// well under a kilobyte (a 200-character title, percent-encoded).
pub const BODY_LIMIT: usize = 16 * 1024;
/// How many anonymous writes may come at once.
pub const WRITE_BURST: u32 = 30;
/// After a burst, one more anonymous write per this period.
pub const WRITE_PERIOD: Duration = Duration::from_secs(1);

/// The cookie the owner form sets: the token itself, `HttpOnly`,
/// `SameSite=Strict`, `Secure` over HTTPS.
const COOKIE: &str = "todo_owner";
/// How long the owner cookie lasts: 30 days.
const COOKIE_MAX_AGE: u64 = 30 * 24 * 3600;
/// The shortest and longest token accepted.
const TOKEN_LEN: std::ops::RangeInclusive<usize> = 16..=512;

// ------------------------------------------------------------- settings

/// The owner's status token (`STATUS_TOKEN`): at least 16 characters of
/// letters, digits and `-._~+/=` (what `openssl rand -hex 32` or
/// `-base64 32` print), so it travels in a header and a cookie as it is.
/// Surrounding white space (a pasted newline) is trimmed. Never shown:
/// `Debug` prints no part of it.
#[derive(Clone)]
pub struct StatusToken(String);

impl StatusToken {
    /// Whether `presented` is this token, in time that does not depend on
    /// where they differ (only on the length presented).
    fn matches(&self, presented: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
    }
}

impl Debug for StatusToken {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("StatusToken(****)")
    }
}

/// Why a `STATUS_TOKEN` was refused; never quotes it.
#[derive(Debug)]
pub struct TokenError(&'static str);

impl Display for TokenError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for StatusToken {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let token = s.trim();
        if !TOKEN_LEN.contains(&token.len()) {
            return Err(TokenError(
                "a status token has 16 to 512 characters (try `openssl rand -hex 32`)",
            ));
        }
        if !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
        {
            return Err(TokenError(
                "a status token holds only letters, digits and - . _ ~ + / = (try `openssl rand -hex 32`)",
            ));
        }
        Ok(Self(token.to_owned()))
    }
}

/// Who sees the database's details (`STATUS_DETAILS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusDetails {
    /// Only requests carrying the `STATUS_TOKEN` (nobody without one).
    Owner,
    /// Every visitor: for local development, never on a public Space.
    Everyone,
}

/// Why a `STATUS_DETAILS` was refused.
#[derive(Debug)]
pub struct DetailsError;

impl Display for DetailsError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("expected `owner` or `everyone`")
    }
}

impl FromStr for StatusDetails {
    type Err = DetailsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Self::Owner),
            "everyone" => Ok(Self::Everyone),
            _ => Err(DetailsError),
        }
    }
}

// --------------------------------------------------------------- viewers

/// Who is asking: the owner (the token was presented), and whether they see
/// details (the owner, or everyone by `STATUS_DETAILS=everyone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Viewer {
    owner: bool,
    details: bool,
}

tokio::task_local! {
    /// The viewer of the request being served, set by [`identify`].
    static VIEWER: Viewer;
}

impl Viewer {
    /// Anyone: no details, rate-limited.
    const VISITOR: Self = Self {
        owner: false,
        details: false,
    };

    /// The viewer of the request being served; a visitor outside one (a
    /// spawned task, say), so a mistake shows less, never more.
    pub(crate) fn current() -> Self {
        VIEWER.try_with(|v| *v).unwrap_or(Self::VISITOR)
    }

    /// Whether the token was presented.
    pub(crate) fn is_owner(self) -> bool {
        self.owner
    }

    /// Whether the database's details are shown.
    pub(crate) fn sees_details(self) -> bool {
        self.details
    }
}

/// The service's access rules: the token, if any, and who sees details.
pub(crate) struct Access {
    token: Option<StatusToken>,
    details: StatusDetails,
    /// Anonymous writes' one bucket, behind two layers that differ only in
    /// how a 429 reads (a page, or JSON).
    limit_html: WriteLimit,
    limit_json: WriteLimit,
}

type WriteLimit = GovernorLayer<GlobalKeyExtractor, NoOpMiddleware, Body>;

impl Access {
    pub(crate) fn new(token: Option<StatusToken>, details: StatusDetails) -> Self {
        let config = GovernorConfigBuilder::default()
            .period(WRITE_PERIOD)
            .burst_size(WRITE_BURST)
            .key_extractor(GlobalKeyExtractor)
            .finish()
            .expect("the write limit's burst and period are not zero");
        let config = Arc::new(config);
        let limit = |html: bool| {
            GovernorLayer::new(Arc::clone(&config))
                .error_handler(move |e| too_many_writes(&e, html))
        };
        Self {
            token,
            details,
            limit_html: limit(true),
            limit_json: limit(false),
        }
    }

    /// Whether a status token is set.
    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Who sent `headers`. A wrong token is no token.
    fn viewer(&self, headers: &HeaderMap) -> Viewer {
        let owner = self
            .token
            .as_ref()
            .is_some_and(|token| presented(headers).any(|p| token.matches(p)));
        Viewer {
            owner,
            details: owner || self.details == StatusDetails::Everyone,
        }
    }

    /// Says at startup who sees details, never what the token is.
    pub(crate) fn log_policy(&self) {
        match (&self.token, self.details) {
            (_, StatusDetails::Everyone) => tracing::warn!(
                "STATUS_DETAILS=everyone: every visitor sees the database's details (host, \
                 database name, file paths, server messages); for local development only"
            ),
            (Some(_), StatusDetails::Owner) => tracing::info!(
                "STATUS_TOKEN is set: requests carrying it (Authorization: Bearer, or the page's \
                 owner form) see the database's details and are not rate-limited"
            ),
            (None, StatusDetails::Owner) => tracing::warn!(
                "STATUS_TOKEN is not set: nobody sees the database's details (visitors see whether \
                 it works and why in a few words); set it as a secret to see them"
            ),
        }
        tracing::info!(
            "anonymous writes: {WRITE_BURST} at once, then one every {WRITE_PERIOD:?}; bodies \
             over {BODY_LIMIT} bytes are refused"
        );
    }
}

/// The tokens a request presents: `Authorization: Bearer …` and the owner
/// cookie.
fn presented(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .into_iter()
        .filter_map(|v| {
            let (scheme, token) = v.to_str().ok()?.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    let cookies = headers
        .get_all(header::COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then_some(value)
        });
    bearer.chain(cookies)
}

// ------------------------------------------------------------ middleware

/// Whether the client asked for a page (a browser's navigation) rather
/// than JSON: refusals answer in kind.
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Whether `method` changes nothing.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why a write is refused as cross-site, if it is (Go's
/// `CrossOriginProtection` algorithm).
fn cross_site(method: &Method, headers: &HeaderMap) -> Option<&'static str> {
    if is_safe(method) {
        return None;
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => None,
            _ => Some("it was sent from another site"),
        };
    }
    let origin = headers.get(header::ORIGIN)?;
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host)
    else {
        // `Origin: null` (a sandboxed frame, a redirect across sites) or
        // something unreadable.
        return Some("its origin is opaque");
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host)) {
        None
    } else {
        Some("it was sent from another site")
    }
}

/// Refuses cross-site writes with 403, before anything else looks at them;
/// also gives the body limit's bare 413 the service's words.
pub(crate) async fn guard(request: Request, next: Next) -> Response {
    let html = wants_html(request.headers());
    if let Some(why) = cross_site(request.method(), request.headers()) {
        tracing::warn!(
            "refused a cross-site {} {}: {why}",
            request.method(),
            request.uri().path()
        );
        return refusal(
            StatusCode::FORBIDDEN,
            &format!("Refused: {why}. Use this site's own forms."),
            html,
        );
    }
    let response = next.run(request).await;
    // tower-http's limit answers before any handler, in plain text (the
    // service's own answers are JSON or HTML).
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/plain"))
    {
        return too_large(html);
    }
    response
}

/// The 413 answer.
pub(crate) fn too_large(html: bool) -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("Refused: the request body is over {BODY_LIMIT} bytes."),
        html,
    )
}

/// Who is asking, for everything after it ([`Viewer::current`]).
pub(crate) async fn identify(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let viewer = state.access.viewer(request.headers());
    VIEWER.scope(viewer, next.run(request)).await
}

/// Anonymous writes through the governor's bucket; reads and the owner's
/// writes straight on.
pub(crate) async fn limit_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe(request.method()) || Viewer::current().is_owner() {
        return next.run(request).await;
    }
    let layer = if wants_html(request.headers()) {
        &state.access.limit_html
    } else {
        &state.access.limit_json
    };
    let answered: Result<Response, Infallible> = layer.layer(next).oneshot(request).await;
    answered.unwrap_or_else(|e| match e {})
}

/// The 429 answer, with `Retry-After` in whole seconds, rounded up (the
/// governor's wait is rounded down, so 0 for under a second).
fn too_many_writes(e: &GovernorError, html: bool) -> Response {
    let GovernorError::TooManyRequests { wait_time, .. } = e else {
        return refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The rate limit failed.",
            html,
        );
    };
    let retry = wait_time + 1;
    let mut response = refusal(
        StatusCode::TOO_MANY_REQUESTS,
        &format!(
            "Too many changes at once: at most {WRITE_BURST} at once, then one a second. Try again in {retry} s."
        ),
        html,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry));
    response
}

// -------------------------------------------------------- the owner form

/// The owner form: the token, typed once.
#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    status_token: String,
}

/// Whether this process runs on a Hugging Face Space (always HTTPS).
static ON_A_SPACE: LazyLock<bool> = LazyLock::new(|| std::env::var_os("SPACE_ID").is_some());

/// Whether the browser reached the service over HTTPS: a Space, or a proxy
/// that says so. Only decides whether the cookie is `Secure`.
fn over_https(headers: &HeaderMap) -> bool {
    *ON_A_SPACE
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// The owner cookie holding `value`, kept for `max_age` seconds.
fn cookie(value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::try_from(format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .expect("a token's characters are a cookie's")
}

/// `POST /owner`: the right token sets the owner cookie and goes back to
/// the page; a wrong one, or none set, is refused with 403 and why.
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let form = match form {
        Ok(Form(form)) => form,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(true),
        Err(_) => {
            return page::problem(&state, StatusCode::UNPROCESSABLE_ENTITY, page::UNREADABLE).await;
        }
    };
    let typed = form.status_token.trim();
    match &state.access.token {
        Some(token) if token.matches(typed) => {
            let mut response = Redirect::to("/").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                cookie(typed, COOKIE_MAX_AGE, over_https(&headers)),
            );
            response
        }
        Some(_) => {
            tracing::warn!("a wrong status token was sent to the owner form");
            page::problem(
                &state,
                StatusCode::FORBIDDEN,
                "That is not the status token: the details stay hidden.",
            )
            .await
        }
        None => {
            page::problem(
                &state,
                StatusCode::FORBIDDEN,
                "This service has no status token (`STATUS_TOKEN` is not set): nobody sees the details.",
            )
            .await
        }
    }
}

/// `POST /owner/forget`: clears the owner cookie; the page again.
pub(crate) async fn sign_out(headers: HeaderMap) -> Response {
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie("", 0, over_https(&headers)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn tokens_are_checked_and_never_shown() {
        let token: StatusToken = " 0123456789abcdef-Token \n".parse().unwrap();
        assert_eq!(format!("{token:?}"), "StatusToken(****)");
        assert!(token.matches("0123456789abcdef-Token"));
        assert!(!token.matches("0123456789abcdef-Tokem"));
        assert!(!token.matches(""));
        for bad in ["short", "0123456789abcdef 0123", "0123456789abcdef;x=1"] {
            let e = bad.parse::<StatusToken>().unwrap_err().to_string();
            assert!(!e.contains(bad), "{e}");
        }
    }

    #[test]
    fn the_owner_is_who_presents_the_token() {
        let access = Access::new(
            Some("0123456789abcdef".parse().unwrap()),
            StatusDetails::Owner,
        );
        let owner = |pairs: &[(&'static str, &str)]| access.viewer(&headers(pairs)).is_owner();
        assert!(owner(&[("authorization", "Bearer 0123456789abcdef")]));
        assert!(owner(&[("authorization", "bearer 0123456789abcdef")]));
        assert!(owner(&[("cookie", "a=b; todo_owner=0123456789abcdef")]));
        assert!(!owner(&[("authorization", "Bearer 0123456789abcdeF")]));
        assert!(!owner(&[("authorization", "Basic 0123456789abcdef")]));
        assert!(!owner(&[("cookie", "other=0123456789abcdef")]));
        assert!(!owner(&[]));
        let nobody = Access::new(None, StatusDetails::Owner);
        let empty = headers(&[("authorization", "Bearer ")]);
        assert!(!nobody.viewer(&empty).is_owner());
        let everyone = Access::new(None, StatusDetails::Everyone);
        let v = everyone.viewer(&HeaderMap::new());
        assert!(v.sees_details() && !v.is_owner());
    }

    #[test]
    fn cross_site_writes_are_refused() {
        let refused = |method: Method, pairs: &[(&'static str, &str)]| {
            cross_site(&method, &headers(pairs)).is_some()
        };
        let host = ("host", "todo.example:7860");
        assert!(refused(
            Method::POST,
            &[host, ("origin", "https://evil.example")]
        ));
        assert!(refused(
            Method::DELETE,
            &[host, ("sec-fetch-site", "cross-site")]
        ));
        assert!(refused(
            Method::POST,
            &[host, ("sec-fetch-site", "same-site")]
        ));
        assert!(refused(Method::POST, &[host, ("origin", "null")]));
        assert!(!refused(
            Method::POST,
            &[host, ("sec-fetch-site", "same-origin")]
        ));
        assert!(!refused(
            Method::POST,
            &[host, ("origin", "http://todo.example:7860")]
        ));
        assert!(!refused(Method::POST, &[host]), "not a browser");
        assert!(!refused(
            Method::GET,
            &[host, ("sec-fetch-site", "cross-site")]
        ));
    }
}
