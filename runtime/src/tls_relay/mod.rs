//! PostgreSQL TLS that trusts exactly what libpq trusts.
//!
//! sqlx 0.9 builds its rustls root store from the bundled webpki roots (or
//! the system's) and *adds* `sslrootcert` to it: every build of sqlx-core
//! with rustls has one of the two bundles, and none has a way to leave them
//! out. With `verify-ca`, which checks no host name, any publicly issued
//! certificate for any domain then passes; with `verify-full`, any public
//! CA may vouch for the host. libpq trusts the file and nothing else.
//!
//! So when a PostgreSQL connection is to verify the server (a root
//! certificate is given, or `verify-ca`/`verify-full`), the TLS is made
//! here, with a store holding only the file's CAs (or, for
//! `sslrootcert=system`, the system's), and the driver is pointed at a
//! relay: a Unix socket in a private directory (mode 0700) of this process,
//! on a thread of its own. Each connection the driver opens there opens one
//! to the server: TCP to `hostaddr` (else `host`), PostgreSQL's
//! `SSLRequest`, the handshake with the certificate checked against `host`
//! (`verify-full`) or only its chain (`verify-ca`, and `require`/`prefer`
//! with a root file, as in libpq), then bytes both ways until either side
//! closes. The driver speaks plain PostgreSQL over the socket: its
//! authentication, statements and cancellation are unchanged.
//!
//! When the server cannot be reached or its certificate is not trusted,
//! the relay answers the driver's startup message with an `ErrorResponse`
//! (SQLSTATE `08001`, "could not establish connection", which only clients
//! use) whose routine names the cause ([`kind_of`] reads it back), so every
//! path, the sqlx pool itself included, fails at once saying why.

use core::fmt;
use core::time::Duration;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::resolution::DatabaseErrorKind;

mod serve;
mod verify;

/// How long one connection through the relay may take to reach the server
/// and finish the handshake. The driver's own connect timeout is shorter
/// and gives up first; this only bounds the relay's half of a connect the
/// driver no longer waits for.
const OPEN_BOUND: Duration = Duration::from_mins(1);

/// The SQLSTATE of the relay's refusals, and the prefix of their routine.
const CODE: &str = "08001";
const ROUTINE: &str = "dbsettings-tls-relay:";

/// Where the CAs come from.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    /// A PEM file (read at each connect, as libpq and sqlx do).
    File(PathBuf),
    /// PEM text (`PGSSLROOTCERT` may hold it).
    Pem(Vec<u8>),
    /// `sslrootcert=system`: the platform's trusted roots.
    System,
    /// `verify-ca` or `verify-full` (the mode) with no root certificate at
    /// all: libpq refuses each connect, saying what to add.
    Missing(&'static str),
}

/// A client certificate and its key, as files or PEM text.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Pem {
    File(PathBuf),
    Text(Vec<u8>),
}

/// One server and how to trust it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Trust {
    /// The name the certificate must hold (`verify-full`) and the SNI:
    /// the URL's host, not `hostaddr`.
    pub(crate) name: String,
    /// Where to connect: `hostaddr`, else the host.
    pub(crate) addr: String,
    pub(crate) port: u16,
    pub(crate) roots: Roots,
    /// `verify-full`: the host name is checked too.
    pub(crate) check_name: bool,
    /// `require`, `verify-ca`, `verify-full`: a server without TLS is an
    /// error. `prefer`: the session goes on in plain text, as in libpq.
    pub(crate) required: bool,
    pub(crate) client: Option<(Pem, Pem)>,
}

// Compared (to share a relay), never shown: it names files and hosts only,
// but a client key's PEM text is secret.
impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trust").finish_non_exhaustive()
    }
}

/// The running relays: each trust once, for the life of the process (a
/// process connects to a handful of servers).
static RELAYS: Mutex<Vec<(Arc<Trust>, PathBuf)>> = Mutex::new(Vec::new());

/// The relays' thread's runtime: theirs, so that they outlive whichever
/// runtime first asked for them (a test's, a `#[tokio::main]`'s).
static RUNTIME: OnceLock<tokio::runtime::Handle> = OnceLock::new();

/// The directory the driver is to connect to (its socket is
/// `.s.PGSQL.<port>` there, as sqlx names it) for `trust`: the running
/// relay for it, else a new one.
pub(crate) fn route(trust: Trust) -> io::Result<PathBuf> {
    let mut relays = RELAYS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, dir)) = relays.iter().find(|(t, _)| **t == trust) {
        return Ok(dir.clone());
    }
    let dir = private_dir()?;
    let listener =
        std::os::unix::net::UnixListener::bind(dir.join(format!(".s.PGSQL.{}", trust.port)))?;
    listener.set_nonblocking(true)?;
    let trust = Arc::new(trust);
    let serving = Arc::clone(&trust);
    runtime()?.spawn(async move {
        let Ok(listener) = tokio::net::UnixListener::from_std(listener) else {
            return;
        };
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(serve::serve(client, Arc::clone(&serving)));
        }
    });
    relays.push((trust, dir.clone()));
    Ok(dir)
}

/// The trust of the relay in `dir`, for another host of a multi-host URL.
pub(crate) fn trust_of(dir: &Path) -> Option<Trust> {
    let relays = RELAYS.lock().unwrap_or_else(PoisonError::into_inner);
    relays
        .iter()
        .find(|(_, d)| d == dir)
        .map(|(t, _)| Trust::clone(t))
}

/// What a relay's refusal says of the connect, when `error` is one.
pub(crate) fn kind_of(
    error: &(dyn sqlx::error::DatabaseError + 'static),
) -> Option<DatabaseErrorKind> {
    let pg = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    if pg.code() != CODE {
        return None;
    }
    Some(match pg.routine()?.strip_prefix(ROUTINE)? {
        "refused" => DatabaseErrorKind::Refused,
        "dns" => DatabaseErrorKind::Dns,
        "timeout" => DatabaseErrorKind::Timeout,
        "tls" => DatabaseErrorKind::Tls,
        _ => DatabaseErrorKind::Io,
    })
}

/// A new directory of this process's own, mode 0700, under a name no
/// other process can know or take: created, never reused (`create` fails
/// on a name that exists, and another is drawn), so no other process's
/// relay, in this PID namespace or another sharing the temp directory, is
/// ever removed or connected to.
fn private_dir() -> io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt as _;
    // A socket path has room for about 100 bytes.
    let base = std::env::temp_dir();
    let base = if base.as_os_str().len() > 60 {
        PathBuf::from("/tmp")
    } else {
        base
    };
    sweep(&base);
    for _ in 0..16 {
        let dir = base.join(format!("dbsettings-tls-{:016x}", unpredictable()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            made => return made.map(|()| dir),
        }
    }
    Err(io::Error::other("no fresh directory for the TLS relay"))
}

/// 64 bits no other process can guess: the standard library's per-process
/// random hash keys, over the time and a counter.
fn unpredictable() -> u64 {
    use core::hash::{BuildHasher as _, Hasher as _};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNT.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// How old a relay directory must be before [`sweep`] may judge it: a new
/// one is made and its socket bound within moments.
const SWEEP_AGE: Duration = Duration::from_mins(10);

/// Removes the relay directories of ended processes, and only those: a
/// directory of this user, older than [`SWEEP_AGE`], whose socket nobody
/// listens on (a live relay listens until its process ends, whatever PID
/// namespace it runs in). A process cannot remove its own on exit: the
/// driver may connect until the last moment.
fn sweep(base: &Path) {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let uid = std::fs::metadata("/proc/self").ok().map(|m| m.uid());
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name
            .to_str()
            .is_some_and(|n| n.starts_with("dbsettings-tls-"))
        {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age > SWEEP_AGE);
        if !meta.is_dir() || !old || uid.is_some_and(|u| u != meta.uid()) {
            continue;
        }
        let sockets: Vec<PathBuf> = std::fs::read_dir(&path)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let listened = sockets
            .iter()
            .any(|s| std::os::unix::net::UnixStream::connect(s).is_ok());
        if !listened {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn runtime() -> io::Result<&'static tokio::runtime::Handle> {
    if let Some(handle) = RUNTIME.get() {
        return Ok(handle);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("dbsettings-tls".to_owned())
        .spawn(move || {
            let built = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match built {
                Ok(rt) => {
                    let _ = tx.send(Ok(rt.handle().clone()));
                    rt.block_on(core::future::pending::<()>());
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        })?;
    let handle = rx.recv().map_err(io::Error::other)??;
    Ok(RUNTIME.get_or_init(|| handle))
}

#[cfg(test)]
mod tests {
    use super::verify::store;
    use super::*;

    /// A CA certificate made with `openssl req -x509` (EC P-256).
    const CA: &str = "-----BEGIN CERTIFICATE-----
MIIBqjCCAVGgAwIBAgIUUWzKoYPvXItSRmL/bd4VJbBlT88wCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXZGJzZXR0aW5ncyB1bml0IHRlc3QgQ0EwIBcNMjYxMjA4MDEx
MDA0WhgPMjEyNjExMTQwMTEwMDRaMCIxIDAeBgNVBAMMF2Ric2V0dGluZ3MgdW5p
dCB0ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEzs7OBB8K+Jz4HQZC
rflUuzWEXD1R2IAmWjJ/dhwsp7bLt93XtKblBePS6iiJhsEhclVmZxNrnbq4v21Y
DkSAaaNjMGEwHQYDVR0OBBYEFCTlxhCqrp4Co4zj9JuhxyPioBrXMB8GA1UdIwQY
MBaAFCTlxhCqrp4Co4zj9JuhxyPioBrXMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0P
AQH/BAQDAgIEMAoGCCqGSM49BAMCA0cAMEQCIEtX6VCMiCBt7UzvnQM/NQFX7wOd
qd5kFKLO72XAYpsQAiB328XaeMc5LgQxUvZQEDpILimGT+f4rT1PubuHMbCNSw==
-----END CERTIFICATE-----
";

    /// The store holds the file's CA and nothing else: sqlx's starts from
    /// the ~150 public webpki roots, which `verify-ca` then trusts for any
    /// name.
    #[test]
    fn a_root_file_is_the_whole_store() {
        assert_eq!(store_len(CA), 1);
        let err = store(&Roots::Pem(b"not a certificate".to_vec())).unwrap_err();
        assert!(err.contains("no certificate"), "{err}");
    }

    fn store_len(pem: &str) -> usize {
        store(&Roots::Pem(pem.as_bytes().to_vec())).unwrap().len()
    }

    /// A directory nobody listens in goes once it is old; a live relay's,
    /// a young one and others stay.
    #[test]
    fn only_dead_relays_are_swept() {
        let base = tempfile::tempdir().unwrap();
        let dead = base.path().join("dbsettings-tls-dead");
        let live = base.path().join("dbsettings-tls-live");
        let young = base.path().join("dbsettings-tls-young");
        let other = base.path().join("something-else");
        for d in [&dead, &live, &young, &other] {
            std::fs::create_dir(d).unwrap();
        }
        std::fs::write(dead.join(".s.PGSQL.5432"), "").unwrap();
        let _listener = std::os::unix::net::UnixListener::bind(live.join(".s.PGSQL.5432")).unwrap();
        let old = std::time::SystemTime::now() - SWEEP_AGE * 2;
        for d in [&dead, &live, &other] {
            std::fs::File::open(d).unwrap().set_modified(old).unwrap();
        }
        sweep(base.path());
        assert!(!dead.exists());
        assert!(live.exists() && young.exists() && other.exists());
    }

    /// Each relay has a directory of its own, under a name no other
    /// process can predict.
    #[test]
    fn relay_directories_are_fresh_and_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let a = private_dir().unwrap();
        let b = private_dir().unwrap();
        assert_ne!(a, b);
        let mode = std::fs::metadata(&a).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let _ = std::fs::remove_dir(a);
        let _ = std::fs::remove_dir(b);
    }

    /// A refusal is read back as its cause, and nothing else is.
    #[test]
    fn refusals_are_told_from_server_errors() {
        let trust = Trust {
            name: "localhost".to_owned(),
            addr: "127.0.0.1".to_owned(),
            port: 1,
            roots: Roots::Pem(CA.as_bytes().to_vec()),
            check_name: true,
            required: true,
            client: None,
        };
        assert_eq!(format!("{trust:?}"), "Trust { .. }");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dir = route(trust.clone()).unwrap();
        assert_eq!(route(trust.clone()).unwrap(), dir, "one relay per trust");
        assert!(trust_of(&dir).is_some_and(|t| t == trust));
        let options = sqlx::postgres::PgConnectOptions::new()
            .socket(&dir)
            .port(1)
            .username("u")
            .ssl_mode(sqlx::postgres::PgSslMode::Disable);
        let connected: Result<sqlx::PgConnection, sqlx::Error> = rt.block_on(
            <sqlx::PgConnection as sqlx::Connection>::connect_with(&options),
        );
        let err = connected.map(drop).unwrap_err();
        let sqlx::Error::Database(db) = &err else {
            panic!("{err}");
        };
        assert_eq!(kind_of(&**db), Some(DatabaseErrorKind::Refused), "{err}");
        assert!(db.message().contains("cannot connect"), "{err}");
    }
}
