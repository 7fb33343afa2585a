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

/// When to ask a provider again for a credential good for `valid_for`:
/// at four fifths of its life, and not more often than every 100 ms.
pub(crate) fn refresh_after(valid_for: Duration) -> Duration {
    (valid_for * 4 / 5).max(Duration::from_millis(100))
}
