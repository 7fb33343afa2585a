//! Layer 5, the TLS files: the certificate and key files the driver will
//! read when it connects are checked when the URL is resolved, so that a
//! missing or unusable one is a rejection naming the parameter and the
//! path, not a connect error saying "No such file or directory" (or
//! "invalid peer certificate") and naming neither.
//!
//! The files are the ones in the connect options layer 5 built, whichever
//! way they got there: the URL's `sslrootcert`, `sslcert`, `sslkey` (and
//! their aliases), or `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`. Which of
//! them a connect reads depends on the TLS mode, as in sqlx 0.9 with
//! rustls: the root certificate only when the server's certificate is
//! verified (`verify-ca`, `verify-full`; MySQL's `VERIFY_CA`,
//! `VERIFY_IDENTITY`), the client certificate and key whenever TLS may be
//! used (all but `disable` and `allow`; MySQL's `DISABLED`). A file that no
//! connect reads is not looked at: such a URL works, and keeps working.
//!
//! Beyond being a readable regular file, the content is checked where
//! rustls refuses what libpq (`psql`) accepts:
//! - the client certificate must be X.509 **version 3**. rustls checks
//!   that the key matches the certificate when sqlx configures the
//!   connection (`ConfigBuilder::with_client_auth_cert`, then
//!   `CertifiedKey::keys_match`), parsing the certificate with webpki,
//!   which accepts version 3 only. `openssl x509 -req` without extensions
//!   (OpenSSL 3.0) issues version 1 certificates, which OpenSSL servers
//!   and libpq accept. The version is inside what the CA signed, so no
//!   conversion can fix such a file: it has to be re-issued.
//! - the key must be an unencrypted PEM key (PKCS#8, PKCS#1 or SEC1):
//!   sqlx has no `sslpassword`.
//! - a certificate needs its key and a key its certificate: sqlx has no
//!   default files (libpq's `~/.postgresql/postgresql.crt`).
//! - a root certificate file must hold a PEM certificate (a DER file or a
//!   key there would fail later as "unknown issuer").

// Without a server driver, nothing reads a TLS file.
#![cfg_attr(
    not(any(feature = "postgres", feature = "mysql")),
    allow(dead_code, unused_imports, unused_variables, unreachable_code)
)]

use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

use crate::resolution::{Rejection, TlsFileProblem};
use crate::url::ConnectOptions;
use crate::url::redact::Secrets;

/// Files larger than this (a big CA bundle) are checked for presence only.
const MAX_CHECKED_BYTES: u64 = 4 * 1024 * 1024;

/// What a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Root,
    Cert,
    Key,
}

/// Which files a connect with this TLS mode reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reads {
    Nothing,
    Client,
    All,
}

/// One TLS setting of the connect options, as the driver holds it.
#[derive(Debug)]
pub(super) struct Setting {
    pub(super) role: Role,
    /// A file, or (`Err`) the PEM text itself (`PGSSLROOTCERT` may hold it).
    pub(super) value: Result<PathBuf, String>,
}

/// The backend's spellings of each role: the URL parameters (the first is
/// sqlx's own; mysqlclient's `ssl_ca` and so on are there for when the URL
/// layer passes them on), the last one in the URL winning as in the
/// drivers, and the variable used when the URL has none.
pub(super) struct Names {
    /// The root certificate is read whenever TLS is used, not only by the
    /// verifying modes: PostgreSQL, where libpq checks the chain with
    /// `require` too when a root file is given (see `url/trust.rs`).
    root_whenever_tls: bool,
    root: &'static [&'static str],
    cert: &'static [&'static str],
    key: &'static [&'static str],
    vars: Option<[&'static str; 3]>,
}

#[cfg(feature = "postgres")]
const POSTGRES_NAMES: Names = Names {
    root_whenever_tls: true,
    root: &["sslrootcert", "ssl-root-cert", "ssl-ca"],
    cert: &["sslcert", "ssl-cert"],
    key: &["sslkey", "ssl-key"],
    vars: Some(["PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY"]),
};

#[cfg(feature = "mysql")]
const MYSQL_NAMES: Names = Names {
    root_whenever_tls: false,
    root: &["ssl-ca", "sslca", "ssl_ca"],
    cert: &["ssl-cert", "sslcert", "ssl_cert"],
    key: &["ssl-key", "sslkey", "ssl_key"],
    vars: None,
};

impl Names {
    fn aliases(&self, role: Role) -> &'static [&'static str] {
        match role {
            Role::Root => self.root,
            Role::Cert => self.cert,
            Role::Key => self.key,
        }
    }

    /// The name the user wrote for `role`: the URL's parameter, else the
    /// variable, else the usual parameter.
    fn of(&self, role: Role, url: &str) -> String {
        let aliases = self.aliases(role);
        let written = url::Url::parse(url).ok().and_then(|u| {
            u.query_pairs()
                .filter(|(k, _)| aliases.contains(&&**k))
                .last()
                .map(|(k, _)| k.into_owned())
        });
        written.unwrap_or_else(|| {
            let i = role as usize;
            self.vars.map_or(aliases[0], |v| v[i]).to_owned()
        })
    }
}

/// The name the user wrote for PostgreSQL's root certificate.
#[cfg(all(feature = "postgres", feature = "tls", unix))]
pub(super) fn root_parameter(url: &str) -> String {
    POSTGRES_NAMES.of(Role::Root, url)
}

/// The TLS mode and settings of `connect`, read back through the driver's
/// own URL form (sqlx offers no getters for them). The user name and host
/// are replaced first: sqlx builds that URL with `expect`, unescaped.
pub(super) fn settings(connect: &ConnectOptions) -> Option<(Reads, Vec<Setting>, &'static Names)> {
    #[allow(unused_imports)]
    use sqlx::ConnectOptions as _;
    let (lossy, names, keys): (url::Url, &'static Names, [&str; 4]) = match connect {
        #[cfg(feature = "postgres")]
        ConnectOptions::Postgres(o) => (
            o.clone()
                .username("u")
                .password("")
                .host("localhost")
                .to_url_lossy(),
            &POSTGRES_NAMES,
            ["sslmode", "sslrootcert", "sslcert", "sslkey"],
        ),
        #[cfg(feature = "mysql")]
        ConnectOptions::MySql(o) => (
            o.clone()
                .username("u")
                .password("")
                .host("localhost")
                .to_url_lossy(),
            &MYSQL_NAMES,
            ["ssl-mode", "ssl-ca", "ssl-cert", "ssl-key"],
        ),
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    let mut reads = Reads::Nothing;
    let mut found = Vec::new();
    for (k, v) in lossy.query_pairs() {
        let role = match &*k {
            k if k == keys[0] => {
                reads = match &*v.to_ascii_lowercase() {
                    "disable" | "allow" | "disabled" => Reads::Nothing,
                    "verify-ca" | "verify-full" | "verify_ca" | "verify_identity" => Reads::All,
                    _ => Reads::Client,
                };
                continue;
            }
            k if k == keys[1] => Role::Root,
            k if k == keys[2] => Role::Cert,
            k if k == keys[3] => Role::Key,
            _ => continue,
        };
        // sqlx's `CertificateInput` shows a file as `file: <path>`, and PEM
        // text as itself.
        let value = match v.strip_prefix("file: ") {
            Some(path) => Ok(PathBuf::from(path)),
            None => Err(v.into_owned()),
        };
        found.push(Setting { role, value });
    }
    Some((reads, found, names))
}

/// Checks the TLS files of `connect`, built from `url`; relative paths are
/// read from `cwd`, as the driver will read them from the working directory.
pub(super) fn check(url: &str, connect: &ConnectOptions, cwd: &Path) -> Result<(), Rejection> {
    let Some((reads, found, names)) = settings(connect) else {
        return Ok(());
    };
    if reads == Reads::Nothing {
        return Ok(());
    }
    let has = |role| found.iter().any(|s| s.role == role);
    // A path is no secret, but no output shows the URL's user name or
    // password, even where a path happens to hold it.
    let secrets = Secrets::of_url(url);
    for setting in &found {
        if setting.role == Role::Root && reads != Reads::All && !names.root_whenever_tls {
            continue;
        }
        // libpq 16's word for the system's roots (see `url/trust.rs`).
        if setting.role == Role::Root
            && names.root_whenever_tls
            && setting
                .value
                .as_ref()
                .is_ok_and(|p| p == Path::new("system"))
        {
            continue;
        }
        let rejection = |problem| Rejection::TlsFile {
            parameter: names.of(setting.role, url),
            path: setting
                .value
                .as_ref()
                .ok()
                .map(|p| PathBuf::from(secrets.scrub_path(&p.to_string_lossy()))),
            problem,
        };
        let pair = match setting.role {
            Role::Cert => Some(Role::Key),
            Role::Key => Some(Role::Cert),
            Role::Root => None,
        };
        if let Some(pair) = pair
            && !has(pair)
        {
            return Err(rejection(TlsFileProblem::Unpaired {
                missing: names.aliases(pair)[0].to_owned(),
            }));
        }
        let content = match &setting.value {
            Ok(path) => read(&cwd.join(path)).map_err(rejection)?,
            // An empty root certificate is how "no extra root" is said.
            Err(pem) if pem.is_empty() && setting.role == Role::Root => continue,
            Err(pem) => Some(pem.clone().into_bytes()),
        };
        if let Some(content) = content {
            check_content(setting.role, &content).map_err(rejection)?;
        }
    }
    Ok(())
}

/// Reads a regular file, without blocking on a FIFO; `None` when it is too
/// large to check its content.
fn read(path: &Path) -> Result<Option<Vec<u8>>, TlsFileProblem> {
    let problem = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => TlsFileProblem::Missing,
        kind => TlsFileProblem::Unreadable { kind },
    };
    if !std::fs::metadata(path).map_err(problem)?.is_file() {
        return Err(TlsFileProblem::NotAFile);
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(problem)?;
    if !file.metadata().map_err(problem)?.is_file() {
        return Err(TlsFileProblem::NotAFile);
    }
    let mut bytes = Vec::new();
    file.take(MAX_CHECKED_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(problem)?;
    Ok((bytes.len() as u64 <= MAX_CHECKED_BYTES).then_some(bytes))
}

/// What rustls will refuse in a file's content.
fn check_content(role: Role, content: &[u8]) -> Result<(), TlsFileProblem> {
    let blocks = pem_blocks(content);
    match role {
        Role::Root => {
            let certs: Vec<_> = blocks.iter().filter(|b| b.label == "CERTIFICATE").collect();
            if certs.is_empty() || certs.iter().any(|b| b.der.is_none()) {
                return Err(TlsFileProblem::NoCertificate);
            }
        }
        Role::Cert => {
            // The first certificate is the client's; others are its chain.
            let first = blocks.iter().find(|b| b.label == "CERTIFICATE");
            match first.and_then(|b| b.der.as_deref()).map(x509_version) {
                None | Some(None) => return Err(TlsFileProblem::NoCertificate),
                Some(Some(3)) => {}
                Some(Some(version)) => {
                    return Err(TlsFileProblem::CertificateVersion { version });
                }
            }
        }
        Role::Key => {
            let plain = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];
            // The first key block is the one the driver takes.
            match blocks
                .iter()
                .find(|b| plain.contains(&&*b.label) || b.label == "ENCRYPTED PRIVATE KEY")
            {
                Some(b) if b.encrypted || b.label == "ENCRYPTED PRIVATE KEY" => {
                    return Err(TlsFileProblem::EncryptedKey);
                }
                Some(b) if b.der.is_some() => {}
                _ => return Err(TlsFileProblem::NoKey),
            }
        }
    }
    Ok(())
}

/// One `-----BEGIN <label>-----` ... `-----END <label>-----` block.
#[derive(Debug)]
struct Block {
    label: String,
    /// RFC 1421 headers say the body is encrypted (`Proc-Type: 4,ENCRYPTED`).
    encrypted: bool,
    /// The decoded body; `None` when it is not base64.
    der: Option<Vec<u8>>,
}

fn pem_blocks(content: &[u8]) -> Vec<Block> {
    let text = String::from_utf8_lossy(content);
    let mut blocks = Vec::new();
    let mut open: Option<(String, bool, String)> = None;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            open = Some((label.to_owned(), false, String::new()));
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if let Some((open_label, encrypted, body)) = open.take()
                && open_label == label
            {
                blocks.push(Block {
                    label: open_label,
                    encrypted,
                    der: base64_decode(&body),
                });
            }
        } else if let Some((_, encrypted, body)) = &mut open {
            if let Some((name, value)) = line.split_once(':') {
                *encrypted |= name.trim() == "Proc-Type" && value.contains("ENCRYPTED");
            } else {
                body.push_str(line);
            }
        }
    }
    blocks
}

/// Standard base64 with padding; `None` on anything else.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let s = s.as_bytes();
    if s.is_empty() || !s.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (i, chunk) in s.chunks(4).enumerate() {
        let last = i == s.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

/// A DER element: its tag, its content and what follows it.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The X.509 version (1, 2 or 3) of a DER certificate; `None` when it is
/// not one.
fn x509_version(der: &[u8]) -> Option<u8> {
    const SEQUENCE: u8 = 0x30;
    const INTEGER: u8 = 0x02;
    const EXPLICIT_0: u8 = 0xa0;
    let (SEQUENCE, certificate, _) = der_element(der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = der_element(certificate)? else {
        return None;
    };
    match der_element(tbs)? {
        (EXPLICIT_0, version, _) => match der_element(version)? {
            (INTEGER, [v], _) if *v < 0x7f => Some(v + 1),
            _ => None,
        },
        // No version field: the default, version 1.
        (INTEGER, _, _) => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Vars;
    use crate::url::Refusal;
    use crate::url::fallback::Places;

    /// A throwaway test CA's version 3 client certificate (`CN=cert_user`,
    /// `extendedKeyUsage = clientAuth`), a version 1 certificate for the
    /// same key, as `openssl x509 -req` makes it without extensions, and
    /// the key. They protect nothing.
    const V3: &str = "-----BEGIN CERTIFICATE-----
MIIBiDCCAS+gAwIBAgIBAjAKBggqhkjOPQQDAjAiMSAwHgYDVQQDDBdkYnNldHRp
bmdzIHVuaXQgdGVzdCBDQTAgFw0yNjEyMDIxNjAyMjhaGA8yMTI2MTEwODE2MDIy
OFowFDESMBAGA1UEAwwJY2VydF91c2VyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD
QgAENzLRh34Tf5xPvqOWPzAhPRRjGazrMPmopqEvRnlEtkujlMfMHts2jBVCjvnH
2E2+A8PsXqFfr8zoHiMnHjZkaaNiMGAwCQYDVR0TBAIwADATBgNVHSUEDDAKBggr
BgEFBQcDAjAdBgNVHQ4EFgQUBjcOAbHpLKIL167LwHvnIRKt0xEwHwYDVR0jBBgw
FoAUpGd043mWwuD3T2GhTl07eIg7gkowCgYIKoZIzj0EAwIDRwAwRAIgZuC+yuhT
5ZJ3BTnZj6Jdc/tijde47QtVl3B1y/wvDMICIFWRcCEJfOO2JquSuA4GEuHyBrlz
j1pvT0LeZPrqqymx
-----END CERTIFICATE-----
";

    const V1: &str = "-----BEGIN CERTIFICATE-----
MIIBHjCBxgIBAzAKBggqhkjOPQQDAjAiMSAwHgYDVQQDDBdkYnNldHRpbmdzIHVu
aXQgdGVzdCBDQTAgFw0yNjEyMDIxNjAyMjhaGA8yMTI2MTEwODE2MDIyOFowFDES
MBAGA1UEAwwJY2VydF91c2VyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENzLR
h34Tf5xPvqOWPzAhPRRjGazrMPmopqEvRnlEtkujlMfMHts2jBVCjvnH2E2+A8Ps
XqFfr8zoHiMnHjZkaTAKBggqhkjOPQQDAgNHADBEAiB2TdxyCdA4bFk7xTr1QC+w
uWmvxTq6Njq7bwYYbN1+NgIgHkD/Zn88NM66gwjcpLri5OvKZtyfcgr2w8FVGNI8
oYs=
-----END CERTIFICATE-----
";

    const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCqtsIifmw9sdgL9J
z3sYVy0OfhwrSbCgf5pEUfS1QnKhRANCAAQ3MtGHfhN/nE++o5Y/MCE9FGMZrOsw
+aimoS9GeUS2S6OUx8we2zaMFUKO+cfYTb4Dw+xeoV+vzOgeIyceNmRp
-----END PRIVATE KEY-----
";

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("aA==").unwrap(), b"h");
        for bad in ["", "aGk", "a===", "aA==aA==", "a*==", "aGVsbG8=aGk="] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn versions_are_read_from_the_certificate() {
        let der = |pem: &str| pem_blocks(pem.as_bytes()).remove(0).der.unwrap();
        assert_eq!(x509_version(&der(V3)), Some(3));
        assert_eq!(x509_version(&der(V1)), Some(1));
        assert_eq!(x509_version(&der(KEY)), None);
        assert_eq!(x509_version(&[]), None);
        assert_eq!(x509_version(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(check_content(Role::Cert, V3.as_bytes()), Ok(()));
        assert_eq!(
            check_content(Role::Cert, V1.as_bytes()),
            Err(TlsFileProblem::CertificateVersion { version: 1 })
        );
        // A chain: the first certificate is the client's.
        let chain = format!("{V3}{V1}");
        assert_eq!(check_content(Role::Cert, chain.as_bytes()), Ok(()));
        assert_eq!(check_content(Role::Root, chain.as_bytes()), Ok(()));
    }

    #[test]
    fn contents_rustls_refuses() {
        assert_eq!(
            check_content(Role::Root, KEY.as_bytes()),
            Err(TlsFileProblem::NoCertificate)
        );
        assert_eq!(
            check_content(Role::Root, b"\x30\x82\x01\x00binary DER"),
            Err(TlsFileProblem::NoCertificate)
        );
        assert_eq!(
            check_content(Role::Cert, KEY.as_bytes()),
            Err(TlsFileProblem::NoCertificate)
        );
        assert_eq!(check_content(Role::Key, KEY.as_bytes()), Ok(()));
        let rsa = KEY.replace("PRIVATE KEY", "RSA PRIVATE KEY");
        assert_eq!(check_content(Role::Key, rsa.as_bytes()), Ok(()));
        assert_eq!(
            check_content(Role::Key, V3.as_bytes()),
            Err(TlsFileProblem::NoKey)
        );
        let encrypted = KEY.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY");
        assert_eq!(
            check_content(Role::Key, encrypted.as_bytes()),
            Err(TlsFileProblem::EncryptedKey)
        );
        let legacy = rsa.replace(
            "KEY-----\n",
            "KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\n",
        );
        assert_eq!(
            check_content(Role::Key, legacy.as_bytes()),
            Err(TlsFileProblem::EncryptedKey)
        );
    }

    /// The rejection of `url` by the whole resolution, relative paths read
    /// from `cwd`.
    fn rejection_with(url: &str, cwd: &Path, vars: &Vars) -> Option<Rejection> {
        let places = Places {
            cwd: cwd.to_owned(),
            ..Places::default()
        };
        match crate::url::check(url, "DATABASE_URL", &places, vars).outcome {
            Ok(_) => None,
            Err(Refusal::Rejected(r)) => Some(r),
            Err(other) => panic!("{url}: {other:?}"),
        }
    }

    fn rejection(url: &str, cwd: &Path) -> Option<Rejection> {
        rejection_with(url, cwd, &Vars::default())
    }

    fn missing(parameter: &str, path: &str) -> Rejection {
        Rejection::TlsFile {
            parameter: parameter.into(),
            path: Some(path.into()),
            problem: TlsFileProblem::Missing,
        }
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_files_are_checked_when_the_mode_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ca.pem"), V3).unwrap();
        std::fs::write(d.join("v1.crt"), V1).unwrap();
        std::fs::write(d.join("v3.crt"), V3).unwrap();
        std::fs::write(d.join("client.key"), KEY).unwrap();
        let pg = "postgresql://u@h/db";

        // Read by verify-*, not by require (sqlx does not verify there).
        assert_eq!(
            rejection(&format!("{pg}?sslmode=verify-full&sslrootcert=no.pem"), d),
            Some(missing("sslrootcert", "no.pem"))
        );
        assert_eq!(
            rejection(
                &format!("{pg}?sslmode=verify-ca&ssl-root-cert=/no/ca.pem"),
                d
            ),
            Some(missing("ssl-root-cert", "/no/ca.pem"))
        );
        // And by require: libpq checks the chain when a root file is given.
        assert_eq!(
            rejection(&format!("{pg}?sslmode=require&sslrootcert=no.pem"), d),
            Some(missing("sslrootcert", "no.pem"))
        );
        assert_eq!(
            rejection(&format!("{pg}?sslmode=verify-full&sslrootcert=ca.pem"), d),
            None
        );
        let not_a_file = rejection(&format!("{pg}?sslmode=verify-full&sslrootcert=."), d);
        assert_eq!(
            not_a_file,
            Some(Rejection::TlsFile {
                parameter: "sslrootcert".into(),
                path: Some(".".into()),
                problem: TlsFileProblem::NotAFile,
            })
        );

        // The client's files, in every mode that may use TLS.
        let client = |cert: &str, key: &str, mode: &str| {
            rejection(
                &format!("{pg}?sslmode={mode}&sslcert={cert}&sslkey={key}"),
                d,
            )
        };
        assert_eq!(client("v3.crt", "client.key", "prefer"), None);
        assert_eq!(client("v3.crt", "gone.key", "disable"), None);
        assert_eq!(
            client("v3.crt", "gone.key", "prefer"),
            Some(missing("sslkey", "gone.key"))
        );
        let v1 = client("v1.crt", "client.key", "verify-full").unwrap();
        assert_eq!(
            v1,
            Rejection::TlsFile {
                parameter: "sslcert".into(),
                path: Some("v1.crt".into()),
                problem: TlsFileProblem::CertificateVersion { version: 1 },
            }
        );
        assert_eq!(v1.layer(), 5);
        assert!(v1.hint().unwrap().contains("-extfile"), "{:?}", v1.hint());
        #[cfg(feature = "serde")]
        assert_eq!(
            serde_json::to_value(&v1).unwrap(),
            serde_json::json!({
                "kind": "tls_file",
                "parameter": "sslcert",
                "path": "v1.crt",
                "problem": {"kind": "certificate_version", "version": 1},
            })
        );
        assert_eq!(
            rejection(&format!("{pg}?sslmode=require&sslcert=v3.crt"), d),
            Some(Rejection::TlsFile {
                parameter: "sslcert".into(),
                path: Some("v3.crt".into()),
                problem: TlsFileProblem::Unpaired {
                    missing: "sslkey".into()
                },
            })
        );

        // `PGSSLROOTCERT` from the source is named when the URL has no
        // parameter.
        let vars = Vars::new([("PGSSLROOTCERT", "/no/such/root.crt")]);
        let r = rejection_with(&format!("{pg}?sslmode=verify-full"), d, &vars).unwrap();
        assert_eq!(r, missing("PGSSLROOTCERT", "/no/such/root.crt"));
        assert!(
            r.hint().unwrap().contains("PGSSLROOTCERT"),
            "{:?}",
            r.hint()
        );
        let vars = Vars::new([("PGSSLROOTCERT", "/no/such/root.crt")]);
        assert_eq!(
            rejection_with(&format!("{pg}?sslmode=require"), d, &vars),
            Some(missing("PGSSLROOTCERT", "/no/such/root.crt"))
        );

        // The path is shown, without the URL's user name or password.
        let r = rejection(
            "postgresql://alice:Secr3tPw@h/db?sslmode=verify-full&sslrootcert=/home/alice/Secr3tPw.pem",
            d,
        )
        .unwrap();
        assert_eq!(r, missing("sslrootcert", "/home/****/****.pem"));
    }

    #[cfg(feature = "mysql")]
    #[test]
    fn mysql_files_are_checked_when_the_mode_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("v1.crt"), V1).unwrap();
        std::fs::write(d.join("client.key"), KEY).unwrap();
        let my = "mysql://u@h/db";
        assert_eq!(
            rejection(&format!("{my}?ssl-mode=VERIFY_CA&ssl-ca=no.pem"), d),
            Some(missing("ssl-ca", "no.pem"))
        );
        assert_eq!(
            rejection(&format!("{my}?ssl-mode=REQUIRED&ssl-ca=no.pem"), d),
            None
        );
        assert_eq!(
            rejection(&format!("{my}?ssl-mode=DISABLED&ssl-cert=v1.crt"), d),
            None
        );
        let v1 = rejection(
            &format!("{my}?ssl-mode=REQUIRED&ssl-cert=v1.crt&ssl-key=client.key"),
            d,
        )
        .unwrap();
        assert_eq!(
            v1.to_string(),
            "`ssl-cert` names v1.crt, which is an X.509 version 1 certificate: rustls (sqlx's TLS) accepts version 3 only"
        );
    }
}
