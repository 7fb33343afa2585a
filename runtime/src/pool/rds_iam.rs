//! AWS RDS and Aurora IAM database authentication: the password is a token
//! signed with the caller's AWS credentials (Signature Version 4, service
//! `rds-db`, action `connect`), good for 15 minutes. Signed here exactly as
//! AWS's SDK signs it (`aws-sdk-rds`'s `AuthTokenGenerator`): a presigned
//! `GET /?Action=connect&DBUser=...` for `host:port`, with the SHA-256 of an
//! empty body, checked against AWS's published vector.
//!
//! The signing uses `hmac` and `sha2`, which sqlx's PostgreSQL driver
//! already builds (for SCRAM): the `rds-iam` feature adds no crate.
//!
//! ```no_run
//! # async fn demo(db: dbsettings::Database) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use dbsettings::credentials::RdsIam;
//! // Host, port and user from the URL (`postgresql://app_user@db.xxx.us-east-1.rds.amazonaws.com/app?sslmode=verify-full&sslrootcert=global-bundle.pem`),
//! // the region from the host (or `AWS_REGION`), the AWS credentials from
//! // `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
//! RdsIam::for_database(&db)?.install(&db)?;
//! let pool = db.pool().await?;
//! # Ok(()) }
//! ```

use core::fmt;
use core::time::Duration;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::pool::{Credential, Database, ProviderError};

/// Where and as whom a database logs in ([`Database::login`]).
pub(crate) struct Login {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    /// The TLS mode is `require` or stricter.
    pub(crate) tls_required: bool,
    /// The URL lists several hosts: a token is for one host and port.
    pub(crate) hosts: usize,
}

const WEAK_TLS: &str = "RDS IAM: the URL's TLS mode is weaker than `require` (RDS refuses IAM logins without TLS, and the token would travel in the clear): add `sslmode=verify-full&sslrootcert=<the RDS CA bundle>` (MySQL: `ssl-mode=VERIFY_IDENTITY&ssl-ca=...`)";

const SEVERAL_HOSTS: &str = "RDS IAM: the URL lists several hosts, and a token is signed for one host and port: name one endpoint (an Aurora cluster endpoint follows failovers), or give each host a database of its own";

/// How long AWS accepts a token.
const TOKEN_LIFETIME: Duration = Duration::from_mins(15);

/// How long a token is used before the next is signed: five minutes
/// before it ends, so connections opened in the last minutes still log in,
/// with room for a clock that runs late.
const USED_FOR: Duration = Duration::from_mins(10);

/// AWS credentials: an access key, its secret, and the session token of
/// temporary credentials (an assumed role, ECS, Lambda).
#[derive(Clone)]
pub struct AwsCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl AwsCredentials {
    /// Credentials given by the caller.
    #[must_use]
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
        }
    }

    /// The standard environment variables: `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY` and, for temporary credentials,
    /// `AWS_SESSION_TOKEN`. The other sources of AWS's chain (profiles,
    /// the ECS and EC2 metadata endpoints, SSO) are not read: an ECS task
    /// or Lambda function has these variables set; elsewhere, give
    /// credentials from AWS's SDK with [`RdsIam::with_credentials`].
    ///
    /// # Errors
    ///
    /// When the key or its secret is not set (naming the variable).
    pub fn from_env() -> Result<Self, ProviderError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let access_key_id = var("AWS_ACCESS_KEY_ID").ok_or(
            "RDS IAM: `AWS_ACCESS_KEY_ID` is not set: set the access key of the role that may `rds-db:connect` (and `AWS_SECRET_ACCESS_KEY`)",
        )?;
        let secret_access_key = var("AWS_SECRET_ACCESS_KEY").ok_or(
            "RDS IAM: `AWS_SECRET_ACCESS_KEY` is not set: set the secret of `AWS_ACCESS_KEY_ID`",
        )?;
        Ok(Self {
            access_key_id,
            secret_access_key,
            session_token: var("AWS_SESSION_TOKEN"),
        })
    }
}

impl fmt::Debug for AwsCredentials {
    // The key id names the key; the secret and the token are secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"****")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "****"),
            )
            .finish()
    }
}

/// Where the credentials come from: fixed, or the environment at each
/// signing (so a rotated `AWS_SESSION_TOKEN` is taken).
#[derive(Clone, Debug)]
enum Keys {
    Given(AwsCredentials),
    Env,
}

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Signs RDS IAM authentication tokens for one database user on one
/// endpoint, and serves them as a credentials provider
/// ([`install`](Self::install)): a new token at each ask, asked again 5
/// minutes before it ends.
#[derive(Clone)]
pub struct RdsIam {
    host: String,
    port: u16,
    region: String,
    user: String,
    keys: Keys,
    clock: Clock,
}

impl fmt::Debug for RdsIam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RdsIam")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("region", &self.region)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl RdsIam {
    /// Tokens for `user` at `host:port` in `region`, signed with the
    /// credentials of [`AwsCredentials::from_env`] read at each signing.
    #[must_use]
    pub fn new(
        host: impl Into<String>,
        port: u16,
        region: impl Into<String>,
        user: impl Into<String>,
    ) -> Self {
        // As AWS's SDK signs it: the host in lower case; an IPv6 address in
        // brackets, so that `host:port` reads as one.
        let host = host.into().to_ascii_lowercase();
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        Self {
            host,
            port,
            region: region.into(),
            user: user.into(),
            keys: Keys::Env,
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Tokens for the database `db` connects to: its URL's host, port and
    /// user; the region from the host (`*.<region>.rds.amazonaws.com`),
    /// else `AWS_REGION` (or `AWS_DEFAULT_REGION`).
    ///
    /// # Errors
    ///
    /// When `db` is not a PostgreSQL or MySQL URL, when its TLS mode is
    /// weaker than `require` (RDS refuses IAM logins without TLS, and the
    /// token would cross the network in the clear), or when no region is
    /// found.
    pub fn for_database(db: &Database) -> Result<Self, ProviderError> {
        let login = db
            .login()
            .ok_or("RDS IAM: the database is not a PostgreSQL or MySQL server")?;
        if !login.tls_required {
            return Err(WEAK_TLS.into());
        }
        if login.hosts > 1 {
            return Err(SEVERAL_HOSTS.into());
        }
        let region = region_of(&login.host)
            .or_else(|| {
                ["AWS_REGION", "AWS_DEFAULT_REGION"]
                    .iter()
                    .find_map(|v| {
                        std::env::var(v)
                            .ok()
                            .map(|r| r.trim().to_owned())
                            .filter(|r| !r.is_empty())
                    })
            })
            .ok_or("RDS IAM: no region: the host is not `*.<region>.rds.amazonaws.com`; set `AWS_REGION`")?;
        Ok(Self::new(login.host, login.port, region, login.user))
    }

    /// Signs with these credentials rather than the environment's.
    #[must_use]
    pub fn with_credentials(mut self, credentials: AwsCredentials) -> Self {
        self.keys = Keys::Given(credentials);
        self
    }

    /// Reads the time from `clock` (tests pin it).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Makes this the provider of `db`'s password
    /// ([`Database::set_credentials_provider`]).
    ///
    /// # Errors
    ///
    /// When `db`'s TLS mode is weaker than `require` (the token would
    /// travel in the clear, and RDS refuses it), or `db` has a provider
    /// already.
    pub fn install(self, db: &Database) -> Result<(), ProviderError> {
        let login = db.login();
        if !login.as_ref().is_some_and(|l| l.tls_required) {
            return Err(WEAK_TLS.into());
        }
        if login.is_some_and(|l| l.hosts > 1) {
            return Err(SEVERAL_HOSTS.into());
        }
        let installed = db.set_credentials_provider(move || {
            let answer = self.credential();
            async move { answer }
        });
        if installed {
            Ok(())
        } else {
            Err("RDS IAM: the database has a credentials provider already".into())
        }
    }

    /// A token signed now, used for ten minutes (five before it ends, the
    /// provider is asked again). Signed anew at each ask: a login the
    /// server refused asks again and gets a new token, with the
    /// environment's credentials as they are then.
    ///
    /// # Errors
    ///
    /// No credentials (or an empty key or secret), or a clock before 1970.
    pub fn credential(&self) -> Result<Credential, ProviderError> {
        let keys = match &self.keys {
            Keys::Given(k) => k.clone(),
            Keys::Env => AwsCredentials::from_env()?,
        };
        if keys.access_key_id.trim().is_empty() || keys.secret_access_key.trim().is_empty() {
            return Err("RDS IAM: the AWS access key or its secret is empty".into());
        }
        let token = self.token_at(&keys, (self.clock)())?;
        Ok(Credential::new(token, Some(USED_FOR)))
    }

    /// The token for `keys` signed at `at`.
    ///
    /// # Errors
    ///
    /// A time before 1970.
    pub fn token_at(&self, keys: &AwsCredentials, at: SystemTime) -> Result<String, ProviderError> {
        let secs = at
            .duration_since(UNIX_EPOCH)
            .map_err(|_| "RDS IAM: the clock is before 1970")?
            .as_secs();
        let (date, stamp) = utc(secs);
        let scope = format!("{date}/{}/rds-db/aws4_request", self.region);
        let mut query = vec![
            ("Action", "connect".to_owned()),
            ("DBUser", self.user.clone()),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_owned()),
            (
                "X-Amz-Credential",
                format!("{}/{scope}", keys.access_key_id),
            ),
            ("X-Amz-Date", stamp.clone()),
            ("X-Amz-Expires", TOKEN_LIFETIME.as_secs().to_string()),
            ("X-Amz-SignedHeaders", "host".to_owned()),
        ];
        if let Some(token) = &keys.session_token {
            query.push(("X-Amz-Security-Token", token.clone()));
        }
        query.sort_by(|a, b| a.0.cmp(b.0));
        let canonical_query = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let endpoint = format!("{}:{}", self.host, self.port);
        let canonical = format!(
            "GET\n/\n{canonical_query}\nhost:{endpoint}\n\nhost\n{}",
            hex(&Sha256::digest(b""))
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut key = format!("AWS4{}", keys.secret_access_key).into_bytes();
        for part in [
            date.as_str(),
            self.region.as_str(),
            "rds-db",
            "aws4_request",
        ] {
            key = hmac(&key, part.as_bytes());
        }
        let signature = hex(&hmac(&key, to_sign.as_bytes()));
        Ok(format!(
            "{endpoint}/?{canonical_query}&X-Amz-Signature={signature}"
        ))
    }
}

/// The region of an RDS endpoint (`name.id.us-east-1.rds.amazonaws.com`).
fn region_of(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let rest = host
        .strip_suffix(".rds.amazonaws.com")
        .or_else(|| host.strip_suffix(".rds.amazonaws.com.cn"))?;
    rest.rsplit('.')
        .next()
        .filter(|r| r.contains('-'))
        .map(str::to_owned)
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            use fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The URI encoding of `SigV4`: every byte but `A-Z a-z 0-9 - _ . ~`.
fn encode(s: &str) -> String {
    s.bytes()
        .fold(String::with_capacity(s.len()), |mut out, b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(char::from(b));
            } else {
                use fmt::Write as _;
                let _ = write!(out, "%{b:02X}");
            }
            out
        })
}

/// `YYYYMMDD` and `YYYYMMDDTHHMMSSZ` of a Unix time, in UTC.
fn utc(secs: u64) -> (String, String) {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let stamp = format!(
        "{date}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    (date, stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-08-26T22:00:00Z, the time of AWS's vector.
    const VECTOR_SECS: u64 = 1_724_709_600;

    /// AWS's published vector (aws-sdk-rust, `auth_token` tests).
    #[test]
    fn signs_as_aws_does() {
        let iam = RdsIam::new(
            "prod-instance.us-east-1.rds.amazonaws.com",
            3306,
            "us-east-1",
            "peccy",
        );
        let keys = AwsCredentials::new("akid", "secret", None);
        let at = UNIX_EPOCH + Duration::from_secs(VECTOR_SECS);
        let token = iam.token_at(&keys, at).unwrap();
        assert_eq!(
            token,
            "prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect&DBUser=peccy&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=akid%2F20240826%2Fus-east-1%2Frds-db%2Faws4_request&X-Amz-Date=20240826T220000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=dd0cba843009474347af724090233265628ace491ea17ce3eb3da098b983ad89"
        );
    }

    #[test]
    fn a_session_token_is_signed_in_its_place() {
        let iam = RdsIam::new("h.eu-west-1.rds.amazonaws.com", 5432, "eu-west-1", "app");
        let keys = AwsCredentials::new("AKIA", "s3cr3t", Some("tok/en+=".to_owned()));
        let token = iam
            .token_at(&keys, UNIX_EPOCH + Duration::from_secs(VECTOR_SECS))
            .unwrap();
        let expires = token.find("X-Amz-Expires").unwrap();
        let session = token.find("X-Amz-Security-Token=tok%2Fen%2B%3D").unwrap();
        let signed = token.find("X-Amz-SignedHeaders").unwrap();
        assert!(expires < session && session < signed, "{token}");
        let shown = format!("{keys:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("tok/en"),
            "{shown}"
        );
    }

    #[test]
    fn dates_and_regions() {
        assert_eq!(utc(0), ("19700101".into(), "19700101T000000Z".into()));
        assert_eq!(
            utc(951_782_400),
            ("20000229".into(), "20000229T000000Z".into())
        );
        assert_eq!(utc(1_724_709_600).1, "20240826T220000Z");
        assert_eq!(
            region_of("db.abc123.us-east-1.rds.amazonaws.com").as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            region_of("x.cluster-ro-abc.eu-central-1.rds.amazonaws.com").as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(region_of("localhost"), None);
    }

    /// A token is good for ten minutes of use; each ask signs at the
    /// clock's time, so a login the server refused gets a new one.
    #[test]
    fn each_ask_signs_at_the_clocks_time() {
        use std::sync::Mutex;
        let now = Arc::new(Mutex::new(UNIX_EPOCH + Duration::from_secs(VECTOR_SECS)));
        let clock = Arc::clone(&now);
        let iam = RdsIam::new("H.example", 5432, "us-east-1", "u")
            .with_credentials(AwsCredentials::new("a", "s", None))
            .with_clock(move || *clock.lock().unwrap());
        let first = iam.credential().unwrap();
        assert_eq!(first.valid_for, Some(Duration::from_mins(10)));
        assert!(
            first.password.starts_with("h.example:5432/"),
            "signed for the lower-case host"
        );
        assert_eq!(iam.credential().unwrap().password, first.password);
        *now.lock().unwrap() += Duration::from_mins(9);
        assert_ne!(iam.credential().unwrap().password, first.password);
        assert!(!format!("{iam:?}").contains(&first.password));
        let empty =
            RdsIam::new("h", 1, "r", "u").with_credentials(AwsCredentials::new("", " ", None));
        assert!(
            empty
                .credential()
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let v6 = RdsIam::new("::1", 5432, "r", "u")
            .with_credentials(AwsCredentials::new("a", "s", None));
        assert!(v6.credential().unwrap().password.starts_with("[::1]:5432/"));
        assert_eq!(
            region_of("db.x.us-east-1.rds.amazonaws.com.").as_deref(),
            Some("us-east-1")
        );
    }
}
