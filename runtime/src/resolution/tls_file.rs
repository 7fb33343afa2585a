//! What is wrong with a TLS certificate or key file a URL names.

use core::fmt;

use std::io;
use std::path::Path;

/// What is wrong with a file of a [`Rejection::TlsFile`](super::Rejection::TlsFile).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "kind", rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum TlsFileProblem {
    /// No file at that path.
    Missing,
    /// The path is a directory, a FIFO or a device.
    NotAFile,
    /// The file cannot be read.
    Unreadable {
        /// Why, as the OS said it.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "io_error", serialize_with = "super::serde::io_kind")
        )]
        kind: io::ErrorKind,
    },
    /// No PEM certificate (`-----BEGIN CERTIFICATE-----`) in it, or one
    /// that does not decode: a DER file, a key.
    NoCertificate,
    /// The client certificate is not X.509 version 3, the only version
    /// rustls (webpki) accepts; `openssl x509 -req` without extensions
    /// makes version 1, which libpq and `psql` accept.
    CertificateVersion {
        /// 1 or 2.
        version: u8,
    },
    /// No unencrypted PEM private key in it.
    NoKey,
    /// The private key is encrypted, and sqlx has no `sslpassword`.
    EncryptedKey,
    /// A client certificate without its key, or a key without its
    /// certificate: sqlx needs both, and has no default files.
    Unpaired {
        /// The parameter to add.
        missing: String,
    },
    /// The certificate is to be checked as libpq checks it, and the TLS
    /// relay that does so could not start: its socket goes in a private
    /// directory of the temp directory (`TMPDIR`, else `/tmp`).
    NoRelay {
        /// Why, as the OS said it.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "io_error", serialize_with = "super::serde::io_kind")
        )]
        kind: io::ErrorKind,
    },
    /// `sslrootcert=system` with a mode weaker than `verify-full`: with
    /// the system's public CAs, a certificate for any name would pass.
    /// libpq refuses it.
    WeakModeForSystem {
        /// The TLS mode as written (`require`).
        mode: String,
    },
}

impl TlsFileProblem {
    pub(super) fn describe(
        &self,
        f: &mut fmt::Formatter<'_>,
        parameter: &str,
        path: Option<&Path>,
    ) -> fmt::Result {
        match self {
            Self::Unpaired { missing } => {
                return write!(
                    f,
                    "its `{parameter}` is given without `{missing}`: sqlx sends a client certificate only with both"
                );
            }
            Self::NoRelay { kind } => {
                return write!(
                    f,
                    "its `{parameter}` asks for the server's certificate to be checked, and the relay that checks it as libpq does could not start ({kind})"
                );
            }
            Self::WeakModeForSystem { mode } => {
                return write!(
                    f,
                    "`{parameter}=system` trusts every public CA, and `sslmode={mode}` does not check the host name: any public certificate would pass"
                );
            }
            _ => {}
        }
        match path {
            Some(p) => write!(f, "`{parameter}` names {}, which ", p.display())?,
            None => write!(f, "the PEM text in `{parameter}` ")?,
        }
        match self {
            Self::Missing => f.write_str("does not exist"),
            Self::NotAFile => f.write_str("is not a regular file"),
            Self::Unreadable { kind } => write!(f, "cannot be read ({kind})"),
            Self::NoCertificate => f.write_str("holds no PEM certificate"),
            Self::CertificateVersion { version } => write!(
                f,
                "is an X.509 version {version} certificate: rustls (sqlx's TLS) accepts version 3 only"
            ),
            Self::NoKey => f.write_str("holds no unencrypted PEM private key"),
            Self::EncryptedKey => {
                f.write_str("holds an encrypted private key: sqlx cannot decrypt it")
            }
            Self::Unpaired { .. } | Self::NoRelay { .. } | Self::WeakModeForSystem { .. } => Ok(()),
        }
    }

    pub(super) fn hint(&self, parameter: &str) -> String {
        match self {
            Self::NoRelay { .. } => "let the service create a directory in its temp directory (`TMPDIR`, else /tmp), with a path short enough for a Unix socket".to_owned(),
            Self::WeakModeForSystem { .. } => format!(
                "use `sslmode=verify-full` with `{parameter}=system`, or name the CA's file in `{parameter}`"
            ),
            Self::Missing => format!(
                "create the file, or correct the path in `{parameter}` (a relative path is read from the working directory)"
            ),
            Self::NotAFile => format!("name a PEM file in `{parameter}`"),
            Self::Unreadable { .. } => {
                "let the user the service runs as read the file".to_owned()
            }
            Self::NoCertificate => format!(
                "name a PEM certificate in `{parameter}`; convert a DER one with `openssl x509 -inform der -in FILE -out FILE.pem`"
            ),
            Self::CertificateVersion { .. } => "re-issue the certificate as version 3 (its version is signed, so no conversion helps): sign the request with extensions, e.g. `openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -days 365 -extfile client.ext -out client.crt` with `extendedKeyUsage = clientAuth` in client.ext".to_owned(),
            Self::NoKey => format!(
                "name an unencrypted PEM private key in `{parameter}` (`BEGIN PRIVATE KEY`, `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY`)"
            ),
            Self::EncryptedKey => format!(
                "decrypt a copy (`openssl pkey -in KEY -out KEY.plain`), keep it private (chmod 600) and name it in `{parameter}`"
            ),
            Self::Unpaired { missing } => format!(
                "add `{missing}` (sqlx has no default such as libpq's ~/.postgresql/postgresql.key)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Rejection;
    use super::*;

    /// A relay that cannot start says so, and where it looked: not "the
    /// PEM text cannot be read".
    #[test]
    fn a_relay_that_cannot_start_says_where() {
        let r = Rejection::TlsFile {
            parameter: "sslrootcert".to_owned(),
            path: None,
            problem: TlsFileProblem::NoRelay {
                kind: io::ErrorKind::PermissionDenied,
            },
        };
        let text = r.to_string();
        assert!(
            text.contains("relay") && !text.contains("PEM text"),
            "{text}"
        );
        assert!(r.hint().unwrap().contains("TMPDIR"));
    }
}
