//! Layer 5, PostgreSQL's TLS trust as libpq's: which certificate a
//! connection accepts follows from the TLS mode and the root certificate
//! as in libpq (`fe-secure-openssl.c`), not as in sqlx.
//!
//! | `sslmode` | root certificate | libpq, and dbsettings |
//! |---|---|---|
//! | `disable`, `allow` | any | no check |
//! | `prefer`, `require` | none | encrypted, no check |
//! | `prefer`, `require` | a file | the chain must lead to the file's CAs |
//! | `verify-ca` | a file | the chain must lead to the file's CAs |
//! | `verify-full` | a file | the same, and the certificate names `host` |
//! | `verify-ca`, `verify-full` | none | each connect refused, saying what to add |
//! | `verify-full` (or none) | `system` | the system's CAs, and `host` |
//! | weaker than `verify-full` | `system` | refused |
//!
//! The root certificate is `sslrootcert` (or `PGSSLROOTCERT`), else
//! `~/.postgresql/root.crt` when it exists. Where the chain is checked,
//! the TLS is made by dbsettings' relay (`crate::tls_relay`), whose store
//! holds only those CAs: sqlx's adds the public webpki roots to it.
//! `hostaddr` is where the relay connects; the certificate is checked
//! against `host`, as in libpq.

#![cfg(all(feature = "postgres", feature = "tls", unix))]

use std::path::{Path, PathBuf};

use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::resolution::{Rejection, TlsFileProblem};
use crate::source::Source;
use crate::tls_relay::{Pem, Roots, Trust};
use crate::url::ConnectOptions;
use crate::url::tls::{Role, settings};

/// `connect` as libpq would trust it: unchanged where nothing is checked,
/// pointed at a relay that checks as libpq where something is.
pub(super) fn as_libpq(
    url: &str,
    connect: ConnectOptions,
    source: &dyn Source,
    cwd: &Path,
) -> Result<ConnectOptions, Rejection> {
    #[allow(irrefutable_let_patterns)]
    let ConnectOptions::Postgres(o) = &connect else {
        return Ok(connect);
    };
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(connect);
    };
    let param = |keys: &[&str]| {
        parsed
            .query_pairs()
            .filter(|(k, _)| keys.contains(&&**k))
            .last()
            .map(|(_, v)| v.into_owned())
    };
    let written_mode = param(&["sslmode", "ssl-mode"])
        .or_else(|| crate::source::text_var(source, "PGSSLMODE", &mut Vec::new()));
    let Some((_, found, _)) = settings(&connect) else {
        return Ok(connect);
    };
    let value = |role: Role| {
        found
            .iter()
            .rev()
            .find(|s| s.role == role)
            .map(|s| &s.value)
    };
    let absolute = |p: &PathBuf| cwd.join(p);
    let mut mode = o.get_ssl_mode();
    let mut roots = match value(Role::Root) {
        Some(Ok(p)) if p == Path::new("system") => Some(Roots::System),
        Some(Ok(p)) => Some(Roots::File(absolute(p))),
        // An empty PEM text is how "no root" is said.
        Some(Err(pem)) if pem.is_empty() => None,
        Some(Err(pem)) => Some(Roots::Pem(pem.clone().into_bytes())),
        // Without TLS, libpq's default file is not looked for.
        None if matches!(mode, PgSslMode::Disable | PgSslMode::Allow) => None,
        None => home_root(source).map(Roots::File),
    };
    let parameter = || crate::url::tls::root_parameter(url);
    if roots == Some(Roots::System) {
        match (written_mode.is_some(), mode) {
            // libpq 16: `system` makes verify-full the default.
            (false, _) => mode = PgSslMode::VerifyFull,
            (true, PgSslMode::VerifyFull) => {}
            (true, weak) => {
                return Err(Rejection::TlsFile {
                    parameter: parameter(),
                    path: None,
                    problem: TlsFileProblem::WeakModeForSystem {
                        mode: mode_name(weak).to_owned(),
                    },
                });
            }
        }
    }
    let (check_name, required) = match (mode, &roots) {
        (PgSslMode::Disable | PgSslMode::Allow, _)
        | (PgSslMode::Prefer | PgSslMode::Require, None) => return Ok(connect),
        // libpq refuses each connect (the file may appear later), saying
        // what to add: so does the relay.
        (PgSslMode::VerifyCa | PgSslMode::VerifyFull, None) => {
            roots = Some(Roots::Missing(mode_name(mode)));
            (matches!(mode, PgSslMode::VerifyFull), true)
        }
        (PgSslMode::Prefer, Some(_)) => (false, false),
        (PgSslMode::Require | PgSslMode::VerifyCa, Some(_)) => (false, true),
        (PgSslMode::VerifyFull, Some(_)) => (true, true),
    };
    let Some(roots) = roots else {
        return Ok(connect);
    };
    // libpq's `host`: the URL's, or its `host` parameter; `hostaddr` only
    // says where to connect.
    let name = param(&["host"])
        .or_else(|| {
            parsed
                .host_str()
                .map(|h| h.trim_matches(['[', ']']).to_owned())
        })
        .unwrap_or_else(|| o.get_host().to_owned());
    if name.starts_with('/') || o.get_socket().is_some() {
        // A Unix socket: libpq uses no TLS there.
        return Ok(connect);
    }
    let addr = param(&["hostaddr"]).unwrap_or_else(|| name.clone());
    let pem = |role| match value(role) {
        Some(Ok(p)) => Some(Pem::File(absolute(p))),
        Some(Err(t)) => Some(Pem::Text(t.clone().into_bytes())),
        None => None,
    };
    let client = pem(Role::Cert).zip(pem(Role::Key));
    let trust = Trust {
        name,
        addr,
        port: o.get_port(),
        roots,
        check_name,
        required,
        client,
    };
    Ok(ConnectOptions::Postgres(routed(o, trust)?))
}

/// `o` pointed at the relay for `trust`.
fn routed(o: &PgConnectOptions, trust: Trust) -> Result<PgConnectOptions, Rejection> {
    let dir = crate::tls_relay::route(trust).map_err(|e| Rejection::TlsFile {
        parameter: "sslrootcert".to_owned(),
        path: None,
        problem: TlsFileProblem::NoRelay { kind: e.kind() },
    })?;
    Ok(o.clone().socket(dir).ssl_mode(PgSslMode::Disable))
}

/// The options of another host of a multi-host URL: through a relay of
/// its own when `base` goes through one.
pub(crate) fn for_host(base: &PgConnectOptions, host: &str, port: u16) -> PgConnectOptions {
    let moved = base.clone().host(host).port(port);
    let Some(mut trust) = base
        .get_socket()
        .and_then(|d| crate::tls_relay::trust_of(d))
    else {
        return moved;
    };
    trust.name = host.trim_matches(['[', ']']).to_owned();
    trust.addr = trust.name.clone();
    trust.port = port;
    // A relay that cannot start leaves a socket path that refuses: the
    // connect fails and says so, rather than skip the check.
    match crate::tls_relay::route(trust) {
        Ok(dir) => moved.socket(dir),
        Err(_) => moved.socket(PathBuf::from("/nonexistent/dbsettings-tls-relay")),
    }
}

/// libpq's default root certificate, when it exists.
fn home_root(source: &dyn Source) -> Option<PathBuf> {
    let home = source.var("HOME").filter(|h| !h.is_empty())?;
    let home = PathBuf::from(home);
    let path = home.join(".postgresql/root.crt");
    path.is_file().then_some(path)
}

fn mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}
