//! Credentials that change while the service runs: a URL read from a `_FILE`
//! secret that is rewritten in place (Kubernetes, Docker), and a password
//! from a provider (an IAM token, a Vault lease) that expires.
//!
//! sqlx has no per-connection credential hook (launchbadge/sqlx#445), but
//! `Pool::set_connect_options` swaps the options new connections use: open
//! connections are kept, new ones log in with the new credentials.

use core::future::Future;
use core::pin::Pin;
use core::time::Duration;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Instant;

use futures_util::future::Either;

use crate::pool::connector::{Connector, Why, same_options};
use crate::pool::error::DatabaseError;
use crate::url::redact::Secrets;

/// A password and how long it is good for, from a
/// [`Database::set_credentials_provider`](crate::Database::set_credentials_provider).
#[derive(Clone)]
#[non_exhaustive]
pub struct Credential {
    /// The password new connections log in with.
    pub password: String,
    /// How long it is good for; `None` for as long as it works. Shortly
    /// before it runs out, the provider is asked again.
    pub valid_for: Option<Duration>,
}

impl Credential {
    /// A password good for `valid_for` (`None`: until it stops working).
    #[must_use]
    pub fn new(password: impl Into<String>, valid_for: Option<Duration>) -> Self {
        Self {
            password: password.into(),
            valid_for,
        }
    }
}

impl core::fmt::Debug for Credential {
    // Never the password.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credential")
            .field("password", &"****")
            .field("valid_for", &self.valid_for)
            .finish()
    }
}

/// The error a provider returns.
pub type ProviderError = Box<dyn std::error::Error + Send + Sync>;

type ProviderFuture = Pin<Box<dyn Future<Output = Result<Credential, ProviderError>> + Send>>;

/// A credential provider, boxed.
pub(crate) type Provider = Box<dyn Fn() -> ProviderFuture + Send + Sync>;

/// Boxes `f` as a [`Provider`].
pub(crate) fn provider<F, Fut>(f: F) -> Provider
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Credential, ProviderError>> + Send + 'static,
{
    Box::new(move || Box::pin(f()))
}

/// The `_FILE` secret a URL was read from, watched for a new value.
#[derive(Debug, Clone)]
pub(crate) struct SecretFile {
    /// The file.
    pub(crate) path: PathBuf,
    /// The URL variable it stands for, for messages and the layers.
    pub(crate) var: String,
    /// The variable that names the file.
    pub(crate) file_var: String,
    /// What the layers resolve a relative SQLite path against.
    pub(crate) cwd: PathBuf,
    /// libpq's default socket directories, for a URL with no host.
    pub(crate) sockets: Vec<PathBuf>,
    /// The libpq variables the source held, for the PostgreSQL options.
    pub(crate) libpq: crate::source::Vars,
}

impl SecretFile {
    /// `text`, a new value of the file, through the URL stage's own check
    /// (the same layers as at start-up); the reason in words when it is
    /// not usable, never the value.
    pub(crate) fn recheck(&self, text: &str) -> Result<crate::url::Accepted, String> {
        let places = crate::url::fallback::Places {
            cwd: self.cwd.clone(),
            sockets: self.sockets.clone(),
            ..Default::default()
        };
        match crate::url::check(text, &self.var, &places, &self.libpq).outcome {
            Ok(accepted) => Ok(accepted),
            Err(crate::url::Refusal::Absent(_)) => Err("is empty".to_owned()),
            Err(crate::url::Refusal::Rejected(r)) => {
                Err(format!("no longer holds a usable URL ({r})"))
            }
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// When to ask a provider again for a credential good for `valid_for`:
/// at four fifths of its life, and not more often than every 100 ms. A
/// life too long to count (`Duration::MAX`: "never expires") does not
/// overflow.
pub(crate) fn refresh_after(valid_for: Duration) -> Duration {
    (valid_for / 5 * 4).max(Duration::from_millis(100))
}

/// The connector's side of credentials: re-reading a rotated file, asking
/// the provider.
impl Connector {
    /// Re-reads the `_FILE` secret through the URL stage's own check; when
    /// it holds a new, valid URL of the same backend, it becomes the base.
    /// A file that disappears, cannot be read, is half-written or holds an
    /// invalid URL keeps the current credentials, and says why once (never
    /// the value).
    pub(super) fn reread(&self, file: &SecretFile) -> bool {
        let path = file.path.to_string_lossy();
        let checked = crate::source::read_secret_file(&path)
            .map_err(|e| e.describe())
            .and_then(|text| {
                let (text, bom) = match text.strip_prefix('\u{feff}') {
                    Some(rest) => (rest.to_owned(), true),
                    None => (text, false),
                };
                if bom && !self.creds().bom_said {
                    self.creds().bom_said = true;
                    tracing::info!(
                        target: "dbsettings",
                        var = %file.file_var,
                        "the secret file named by `{}` starts with a UTF-8 byte-order mark; it was ignored",
                        file.file_var
                    );
                }
                file.recheck(&text)
            });
        let accepted = match checked {
            Ok(a) if a.backend == self.backend && !self.same_place(&a.url) => {
                // Another server, database or setting: not a rotation of
                // credentials. Reports and pools stay with one database.
                self.say(
                    file,
                    "now names another server, database or setting, not only new credentials; keeping the current ones (restart to switch)",
                );
                return false;
            }
            Ok(a) if a.backend == self.backend => a,
            Ok(_) => {
                self.say(
                    file,
                    "now names another kind of database; keeping the current credentials (restart to switch)",
                );
                return false;
            }
            Err(why) => {
                self.say(file, &format!("{why}; keeping the current credentials"));
                return false;
            }
        };
        // As at start-up: on a direct connection the session settings are
        // startup parameters; behind a pooler each transaction sets them.
        let connect = if self.runtime.pool.pgbouncer {
            accepted.connect.clone()
        } else {
            accepted.connect_with_session(&accepted.settings)
        };
        let mut creds = self.creds();
        creds.said = None;
        let same = creds
            .base
            .as_ref()
            .is_some_and(|c| same_options(c, &connect));
        if same {
            return false;
        }
        self.add_secret(&Secrets::of_url(&accepted.url));
        creds.base = Some(connect);
        creds.url = accepted.url;
        creds.changed_at = Some(Instant::now());
        drop(creds);
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(
            target: "dbsettings",
            var = %file.file_var,
            generation,
            "the secret file named by `{}` changed: new connections use the new credentials",
            file.file_var
        );
        true
    }

    /// Whether `url` differs from the URL in force only in its user name
    /// and password: what a rotation may change.
    fn same_place(&self, url: &str) -> bool {
        without_credentials(url) == without_credentials(&self.creds().url)
    }

    /// A rotation problem with the file, said once until it changes.
    fn say(&self, file: &SecretFile, problem: &str) {
        let mut creds = self.creds();
        if creds.said.as_deref() == Some(problem) {
            return;
        }
        creds.said = Some(problem.to_owned());
        tracing::warn!(
            target: "dbsettings",
            var = %file.file_var,
            "the secret file named by `{}` {problem}",
            file.file_var
        );
    }

    /// Asks the provider for a password, bounded by the connect timeout.
    /// Returns it, and whether it differs from the one in force.
    pub(super) async fn ask_provider(&self) -> Result<(String, bool), DatabaseError> {
        let Some(provider) = self.provider.get() else {
            return Err(self.credentials_error("no credential provider is set".to_owned()));
        };
        let bound = self.runtime.pool.connect_timeout;
        // On a task of its own: a provider that blocks its thread (a
        // synchronous HTTP client, a sleep) cannot hold this caller past
        // the bound. A provider that panics fails this connect, like one
        // that errs: the rotation task and the caller's query live on.
        // The task is ended when the answer is not waited for any more (the
        // bound passed, the caller gone): no provider outlives its ask.
        let mut asked = tokio::spawn(provider());
        let _ends_with_the_ask = AbortOnDrop(asked.abort_handle());
        let credential = match tokio::time::timeout(bound, &mut asked).await {
            Ok(Err(_panic)) => {
                return Err(self.credentials_error("the credential provider panicked".to_owned()));
            }
            Ok(Ok(answer)) => match answer {
                Err(e) => {
                    let said = self.secrets().scrub(&e.to_string());
                    return Err(self.credentials_error(said));
                }
                Ok(c) => c,
            },
            Err(_) => {
                return Err(self.credentials_error(format!("no answer within {bound:?}")));
            }
        };
        if credential.valid_for == Some(Duration::ZERO) {
            return Err(self.credentials_error(
                "the provider returned a credential that is already expired (valid for 0 s)"
                    .to_owned(),
            ));
        }
        let refresh = credential
            .valid_for
            .and_then(|v| Instant::now().checked_add(refresh_after(v)));
        self.add_value(&credential.password);
        let changed = {
            let mut creds = self.creds();
            let changed = creds
                .provided
                .as_ref()
                .is_some_and(|(old, _)| *old != credential.password);
            creds.provided = Some((credential.password.clone(), refresh));
            if changed {
                creds.changed_at = Some(Instant::now());
            }
            changed
        };
        if changed {
            self.generation.fetch_add(1, Ordering::Relaxed);
        }
        // The credentials task computes its next wait from this answer,
        // and hands the pools a new password.
        self.answered.notify_one();
        Ok((credential.password, changed))
    }
}

/// The credentials task: re-reads the `_FILE` secret when the file (or
/// its directory: Kubernetes swaps a symlinked directory) changes, and
/// every poll interval as a fallback (a watch that cannot start, a network
/// file system); when the provider's password nears its end, asks again.
/// Ends when the last handle is dropped, and the watch with it.
pub(crate) async fn follow(weak: Weak<Connector>) {
    let changed = Arc::new(tokio::sync::Notify::new());
    let _watch = {
        let Some(c) = weak.upgrade() else { return };
        c.runtime
            .secret_file
            .as_ref()
            .and_then(|file| watch_file(file, &changed))
    };
    loop {
        let (poll, refresh_at) = {
            let Some(c) = weak.upgrade() else { return };
            let at = c.creds().provided.as_ref().and_then(|(_, at)| *at);
            (c.runtime.pool.credentials_poll, at)
        };
        let wait = refresh_at.map_or(poll, |at| {
            poll.min(at.saturating_duration_since(Instant::now()))
        });
        let why = {
            let Some(c) = weak.upgrade() else { return };
            let wake = Arc::clone(&c.wake);
            let answered = Arc::clone(&c.answered);
            drop(c);
            let by_wake = core::pin::pin!(wake.notified());
            let by_file = core::pin::pin!(changed.notified());
            let by_answer = core::pin::pin!(answered.notified());
            let woken = futures_util::future::select(
                by_wake,
                futures_util::future::select(by_file, by_answer),
            );
            match tokio::time::timeout(wait, woken).await {
                Err(_) => Why::Poll,
                Ok(Either::Left(_)) => Why::AuthFailed,
                Ok(Either::Right((Either::Left(_), _))) => {
                    // A rewrite is several events: re-read once they
                    // settled.
                    tokio::time::sleep(FILE_SETTLE).await;
                    Why::FileChanged
                }
                // A provider answered: the next wait is from its answer,
                // and the pools get it if they are behind.
                Ok(Either::Right((Either::Right(_), _))) => Why::Answered,
            }
        };
        let Some(c) = weak.upgrade() else { return };
        c.refresh(why).await;
        drop(c);
        if why == Why::FileChanged {
            // A writer in a loop (thousands of events a second) costs at
            // most ten re-reads a second: `Notify` keeps one wake-up for
            // all the events of this pause.
            tokio::time::sleep(FILE_PAUSE).await;
        }
    }
}

/// How long a changed secret file is left to settle before it is re-read.
const FILE_SETTLE: Duration = Duration::from_millis(20);
/// The pause after a re-read for a change before the next.
const FILE_PAUSE: Duration = Duration::from_millis(80);

/// Watches the directory of the secret file (and of the file it links to),
/// waking `changed` at each event there. `None`, said once, when the
/// system cannot watch it: the poll goes on alone.
fn watch_file(
    file: &SecretFile,
    changed: &Arc<tokio::sync::Notify>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher as _;
    let wake = Arc::clone(changed);
    let handler = move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            wake.notify_one();
        }
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    for path in [
        Some(file.path.clone()),
        std::fs::canonicalize(&file.path).ok(),
    ]
    .into_iter()
    .flatten()
    {
        let path = if path.is_relative() {
            file.cwd.join(path)
        } else {
            path
        };
        if let Some(dir) = path.parent()
            && !dirs.iter().any(|d| d == dir)
        {
            dirs.push(dir.to_path_buf());
        }
    }
    let started = notify::recommended_watcher(handler).and_then(|mut w| {
        for dir in &dirs {
            w.watch(dir, notify::RecursiveMode::NonRecursive)?;
        }
        Ok(w)
    });
    match started {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::info!(
                target: "dbsettings",
                var = %file.file_var,
                "the secret file named by `{}` cannot be watched ({}); it is re-read at each poll",
                file.file_var,
                why_unwatched(&e.kind)
            );
            None
        }
    }
}

/// Why a watch could not start, in words (never the path: it is a
/// variable's value).
fn why_unwatched(kind: &notify::ErrorKind) -> String {
    match kind {
        notify::ErrorKind::Io(e) => e.kind().to_string(),
        notify::ErrorKind::PathNotFound => "its directory does not exist".to_owned(),
        notify::ErrorKind::MaxFilesWatch => "the system's limit of watches is reached".to_owned(),
        _ => "the system refused".to_owned(),
    }
}

/// `url` without its credentials: the scheme, the hosts, the database and
/// the parameters, less the user info and libpq's `user` and `password`
/// parameters (`postgresql://host/db?user=app&password=...`, a form hosting
/// panels and libpq users write).
fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(k, _)| k);
            !matches!(key, "user" | "password" | "")
        })
        .collect();
    if kept.is_empty() {
        format!("{scheme}://{hosts}{path}")
    } else {
        format!("{scheme}://{hosts}{path}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_credential_that_never_expires_is_refreshed_never_early() {
        use core::time::Duration;
        // `Duration::MAX` used to overflow on `valid_for * 4 / 5`.
        assert!(super::refresh_after(Duration::MAX) > Duration::from_secs(1 << 60));
        assert_eq!(
            super::refresh_after(Duration::from_secs(10)),
            Duration::from_secs(8)
        );
        assert_eq!(
            super::refresh_after(Duration::from_nanos(1)),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn a_rotation_may_change_only_the_credentials() {
        use super::without_credentials as w;
        assert_eq!(
            w("postgresql://a:1@h:5432/db?sslmode=require"),
            w("postgresql://b:2@h:5432/db?sslmode=require")
        );
        assert_ne!(w("postgresql://a:1@h/db"), w("postgresql://a:1@h/other"));
        assert_ne!(
            w("postgresql://a:1@h:5432/db"),
            w("postgresql://a:1@h:54/db")
        );
        assert_ne!(
            w("postgresql://a@h/db"),
            w("postgresql://a@h/db?pgbouncer=true")
        );
        assert_eq!(w("postgresql://h1,h2/db"), w("postgresql://u:p@h1,h2/db"));
        // libpq's credentials in the query rotate like user info.
        assert_eq!(
            w("postgresql://h/db?user=app&password=Old&sslmode=disable"),
            w("postgresql://h/db?user=app&password=New&sslmode=disable")
        );
        assert_eq!(w("postgresql://h/db?password=a"), w("postgresql://h/db"));
        assert_ne!(
            w("postgresql://h/db?password=a&sslmode=disable"),
            w("postgresql://h/db?password=a&sslmode=require")
        );
        assert_ne!(w("postgresql://h/db?passwords=a"), w("postgresql://h/db"));
    }
}
