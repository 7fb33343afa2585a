//! Hiding passwords: every string this crate shows goes through here.

/// Query parameters whose values are shown: settings the drivers know that
/// hold no secret.
const PUBLIC_PARAMS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "application_name",
    "options",
    "statement-cache-capacity",
    "charset",
    "collation",
    "socket",
    "timezone",
    "time-zone",
    "mode",
    "cache",
    "immutable",
    "vfs",
    "target_session_attrs",
    "load_balance_hosts",
];

/// Query parameters whose values are secrets (or name the user, which a
/// server echoes): their values are hidden, and a driver message is scrubbed
/// of them.
const SECRET_PARAMS: &[&str] = &[
    "password",
    "sslpassword",
    "passwd",
    "pwd",
    "pass",
    "user",
    "username",
    "token",
    "access_token",
    "auth_token",
    "secret",
    "api_key",
    "apikey",
];

/// Other parameter names that real URLs carry (libpq, JDBC, Prisma,
/// SQLAlchemy and the MySQL connectors): named in warnings, values hidden.
/// A key outside the three lists is never shown, not even its name: in
/// `?password=ab&cd=1` the `cd` is part of a password that lost its `%26`.
const KNOWN_PARAMS: &[&str] = &[
    "connect_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "gssencmode",
    "gsslib",
    "krbsrvname",
    "requirepeer",
    "require_auth",
    "channel_binding",
    "replication",
    "fallback_application_name",
    "client_encoding",
    "service",
    "passfile",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "sslnegotiation",
    "pgbouncer",
    "schema",
    "connection_limit",
    "pool_timeout",
    "socket_timeout",
    "statement_cache_size",
    "sslaccept",
    "sslidentity",
    "currentSchema",
    "ssl",
    "sslfactory",
    "loginTimeout",
    "connectTimeout",
    "prepareThreshold",
    "useSSL",
    "requireSSL",
    "verifyServerCertificate",
    "serverTimezone",
    "allowPublicKeyRetrieval",
    "autoReconnect",
    "characterEncoding",
    "useUnicode",
    "reconnect",
    "ssl_ca",
    "ssl_cert",
    "ssl_key",
    "ssl_mode",
    "ssl_verify_cert",
    "ssl_verify_identity",
    "read_timeout",
    "write_timeout",
    "unix_socket",
    "statement-cache-capacity",
    "pool_size",
    "max_overflow",
    "sslrootkey",
    "sslpasswordfile",
    "journal",
    "journal_mode",
    "synchronous",
    "foreign_keys",
    "busy_timeout",
    "_pragma",
    "_journal_mode",
    "_busy_timeout",
    "_foreign_keys",
    "_txlock",
];

/// What a query parameter's key tells about showing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// A setting without a secret: key and value are shown.
    Public,
    /// A secret (or the user name): the key is shown, never the value.
    Secret,
    /// A known name: the key is shown, the value hidden.
    Known,
    /// Anything else: neither is shown.
    Unknown,
}

/// How to show the parameter `key`.
pub(crate) fn param_kind(key: &str) -> ParamKind {
    if SECRET_PARAMS.contains(&key) {
        ParamKind::Secret
    } else if PUBLIC_PARAMS.contains(&key)
        || (key.starts_with("options[") && key.ends_with(']'))
        || super::params::known(key)
    {
        // Every parameter of the table is a setting, shown with its value.
        ParamKind::Public
    } else if KNOWN_PARAMS.contains(&key) || super::normalise::PYTHON_SQLITE_PARAMS.contains(&key) {
        ParamKind::Known
    } else {
        ParamKind::Unknown
    }
}

/// The key of a query pair, owned, when it is safe to repeat in a message.
pub(crate) fn shown_name(key: &str) -> Option<String> {
    (param_kind(key) != ParamKind::Unknown).then(|| key.to_owned())
}

/// What replaces a hidden secret.
pub(crate) const MASK: &str = "****";

/// Redacts a URL-like string: everything between the scheme and the last `@`
/// is hidden, and so are the values of every query parameter but the
/// public settings, and the names of parameters no driver knows. It works on
/// strings that do not parse too, erring on the side of hiding more.
pub(crate) fn redact(input: &str) -> String {
    let secrets = Secrets::of_url(input);
    let (head, rest) = split_scheme(input);
    let mut out = String::with_capacity(input.len());
    out.push_str(head);

    // All of the user info is hidden, the user name too: when a delimiter
    // is missing or doubled, part of the password can sit in the user name.
    let after_auth = match rest.rfind('@') {
        Some(at) => {
            out.push_str(MASK);
            out.push('@');
            &rest[at + 1..]
        }
        None => rest,
    };

    match after_auth.find('?') {
        Some(q) => {
            out.push_str(&secrets.hide_components(&after_auth[..q]));
            out.push('?');
            let query = &after_auth[q + 1..];
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    out.push('&');
                }
                match pair.split_once('=').map(|(key, _)| (key, param_kind(key))) {
                    Some((key, ParamKind::Public))
                        if secrets.holds_value(&pair[key.len() + 1..]) =>
                    {
                        out.push_str(key);
                        out.push('=');
                        out.push_str(MASK);
                    }
                    Some((_, ParamKind::Public)) => out.push_str(pair),
                    Some((key, ParamKind::Secret | ParamKind::Known)) => {
                        out.push_str(key);
                        out.push('=');
                        out.push_str(MASK);
                    }
                    Some((_, ParamKind::Unknown)) | None => out.push_str(MASK),
                }
            }
        }
        None => out.push_str(&secrets.hide_components(after_auth)),
    }
    out
}

/// Splits `scheme://` (or `scheme:` and any slashes) from the rest.
fn split_scheme(input: &str) -> (&str, &str) {
    if let Some(i) = input.find("://") {
        return input.split_at(i + 3);
    }
    match input.find(':') {
        Some(i)
            if input[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) =>
        {
            let slashes = input[i + 1..].len() - input[i + 1..].trim_start_matches('/').len();
            input.split_at(i + 1 + slashes)
        }
        _ => ("", input),
    }
}

/// The secret-bearing parts of a URL (or of any value), in every form a
/// driver or a parser may echo them: raw and percent-decoded user name and
/// password, the whole user info, and the values of secret parameters.
/// [`scrub`](Self::scrub) removes them from a message.
#[derive(Clone, Default)]
pub(crate) struct Secrets {
    /// Longest first, so a part inside another is not cut out first.
    parts: Vec<String>,
    /// The parts that hold a password (the password, secret parameters,
    /// a user info without one): where a public part of the URL (its
    /// database name, host, a setting's value) is one of them, that part is
    /// hidden in the URL as shown too, so that no output shows what
    /// another hides.
    held: Vec<String>,
}

impl core::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Secrets({} parts)", self.parts.len())
    }
}

/// A part shorter than this is cut out only where it stands alone (between
/// characters that are not letters or digits): cutting a one-letter user
/// name out of every word would leave nothing to read.
const SHORTEST_CUT: usize = 3;

impl Secrets {
    /// The given values (and their trimmed and percent-encoded forms).
    pub(crate) fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(values: I) -> Self {
        let mut secrets = Self::default();
        for v in values {
            secrets.add(v.as_ref());
        }
        secrets.settle()
    }

    /// Every secret-bearing part of `url`. When the URL does not parse,
    /// everything between the scheme and the last `@` counts.
    pub(crate) fn of_url(url: &str) -> Self {
        let mut secrets = Self::default();
        let (_, rest) = split_scheme(url);
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        // The user info as written: up to the last `@` of the authority (or
        // of the whole text, when a delimiter inside it ended the authority).
        let userinfo = rest[..authority_end]
            .rfind('@')
            .or_else(|| rest.rfind('@'))
            .map(|at| &rest[..at]);
        if let Some(userinfo) = userinfo {
            secrets.add(userinfo);
            match userinfo.split_once(':') {
                Some((user, password)) => {
                    secrets.add(user);
                    secrets.add_held(password);
                }
                // A user info without `:` may be a token, or a password
                // that lost its user name.
                None => secrets.add_held(userinfo),
            }
        }
        // The forms the `url` crate writes them in, which drivers built on it
        // may quote.
        if let Ok(parsed) = url::Url::parse(url) {
            secrets.add(parsed.username());
            if let Some(password) = parsed.password() {
                secrets.add_held(password);
            }
        }
        if let Some((_, query)) = rest.split_once('?') {
            for pair in query.split('&') {
                if let Some((key, value)) = pair.split_once('=')
                    && param_kind(key) == ParamKind::Secret
                {
                    // `user=` names the user; the others hold a secret.
                    if matches!(key, "user" | "username") {
                        secrets.add(value);
                    } else {
                        secrets.add_held(value);
                    }
                }
            }
        }
        secrets.settle()
    }

    /// These secrets and `value` (a password from a provider, say).
    pub(crate) fn with(&self, value: &str) -> Self {
        let mut out = self.clone();
        out.add_held(value);
        out.settle()
    }

    /// Adds `raw` as a part that holds a password.
    fn add_held(&mut self, raw: &str) {
        let from = self.parts.len();
        self.add(raw);
        let added: Vec<String> = self.parts[from..].to_vec();
        self.held.extend(added);
    }

    /// Whether a public value of the URL (raw, as written) is, or holds
    /// as one of its words, a part that holds a password.
    pub(crate) fn holds_value(&self, raw: &str) -> bool {
        if self.held.is_empty() || raw.is_empty() {
            return false;
        }
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        let is_held = |t: &str| !t.is_empty() && self.held.iter().any(|h| h == t);
        is_held(raw)
            || is_held(&decoded)
            || decoded
                .split(|c: char| !(c.is_alphanumeric() || "_-.$".contains(c)))
                .any(is_held)
    }

    /// `text` (hosts, ports and the path of a URL) with each component
    /// that is a part holding a password hidden.
    pub(crate) fn hide_components(&self, text: &str) -> String {
        if self.held.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut token = String::new();
        let flush = |token: &mut String, out: &mut String| {
            if self.holds_value(token) {
                out.push_str(MASK);
            } else {
                out.push_str(token);
            }
            token.clear();
        };
        for c in text.chars() {
            if "/:,[]".contains(c) {
                flush(&mut token, &mut out);
                out.push(c);
            } else {
                token.push(c);
            }
        }
        flush(&mut token, &mut out);
        out
    }

    /// These secrets and `other`'s (a rotated URL's, so that a retired
    /// password stays hidden too).
    pub(crate) fn merged(&self, other: &Self) -> Self {
        let mut out = self.clone();
        out.parts.extend(other.parts.iter().cloned());
        out.held.extend(other.held.iter().cloned());
        out.settle()
    }

    /// Longest first (so a part inside another is not cut out first),
    /// without repeats: sorted once, not per part added, so a URL with many
    /// secret parameters costs n log n.
    fn settle(mut self) -> Self {
        self.parts
            .sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.parts.dedup();
        self.held.sort_unstable();
        self.held.dedup();
        self
    }

    fn add(&mut self, raw: &str) {
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        let encoded =
            percent_encoding::utf8_percent_encode(&decoded, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        // How a `{:?}` in a parser's message would quote it (`str`'s
        // `Debug` escapes `"` but not `'`; `escape_debug` escapes both).
        let debug = format!("{decoded:?}");
        let debug = debug[1..debug.len() - 1].to_owned();
        let escaped = decoded.escape_debug().to_string();
        for part in [
            raw.to_owned(),
            raw.trim().to_owned(),
            decoded,
            encoded,
            debug,
            escaped,
        ] {
            if !part.is_empty() {
                self.parts.push(part);
            }
        }
    }

    /// Whether a part longer than `bytes` would be cut inside a character
    /// there (a server that shortens names by bytes echoes it as text that
    /// is not UTF-8).
    pub(crate) fn cut_inside_a_character(&self, bytes: usize) -> bool {
        self.parts
            .iter()
            .any(|p| p.len() > bytes && !p.is_char_boundary(bytes))
    }

    /// A file path with each component that is a part (a user name,
    /// `/home/alice`) hidden, and the parts that are not words hidden
    /// wherever they stand.
    pub(crate) fn scrub_path(&self, path: &str) -> String {
        path.split('/')
            .map(|c| {
                if self.parts.iter().any(|p| p == c) {
                    MASK.to_owned()
                } else {
                    self.scrub(c)
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Whether any part appears in `message`, anywhere.
    pub(crate) fn appear_in(&self, message: &str) -> bool {
        self.parts.iter().any(|p| message.contains(p.as_str()))
    }

    /// `message` with every part hidden where it can have been echoed,
    /// and nowhere else.
    ///
    /// A part that reads as a word (letters only, not camel case; or digits
    /// only) is hidden only where a server or driver echoes a value: as a
    /// quoted run (`user "app"`, `database "shop"`, `'app'@'host'`), whole
    /// or cut short. Anywhere else, hiding it would mask the fixed words of
    /// a message that hold it (`au****ntication` for `the`, `**** returned
    /// from database` for `error`) and so tell it to whoever knows the
    /// message. Any other part (digits or signs with letters, camel case)
    /// cannot be a word of a message, and is hidden wherever it stands.
    pub(crate) fn scrub(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for part in &self.parts {
            if !distinctive(part) || !out.contains(part.as_str()) {
                continue;
            }
            out = if part.chars().count() < SHORTEST_CUT {
                replace_standalone(&out, part)
            } else {
                out.replace(part.as_str(), MASK)
            };
        }
        self.scrub_quoted(&out)
    }

    /// Servers quote the names they echo, and may shorten them first
    /// (PostgreSQL to 63 bytes, MySQL to its column width), cut a
    /// multibyte character in two (read back as U+FFFD) or replace the
    /// characters they cannot store with `?` (MySQL, for 4-byte UTF-8). A
    /// run that follows a quote and is the start of a secret, so read, up
    /// to a closing quote, is hidden too, whatever quotes the secret itself
    /// holds (`"app"s3cret..."`), in plain and in `{:?}` text (`\"`).
    fn scrub_quoted(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut from = 0;
        let mut at = 0;
        while let Some(open) = text[at..].find(['"', '\'']).map(|i| at + i) {
            let quote = text.as_bytes()[open];
            let after = &text[open + 1..];
            match self.echoed_secret(after, quote) {
                Some(len) => {
                    out.push_str(&text[from..=open]);
                    out.push_str(MASK);
                    from = open + 1 + len;
                    at = from;
                }
                None => at = open + 1,
            }
        }
        out.push_str(&text[from..]);
        out
    }

    /// The length in bytes of the longest start of `after` that reads as
    /// the start of a secret (at least four characters) and is followed by
    /// the closing `quote`, plain or escaped.
    fn echoed_secret(&self, after: &str, quote: u8) -> Option<usize> {
        if after.starts_with(MASK) {
            return None;
        }
        let closes = |rest: &str| {
            let rest = rest.trim_start_matches(char::REPLACEMENT_CHARACTER);
            let rest = rest.strip_prefix('\\').unwrap_or(rest);
            rest.as_bytes().first() == Some(&quote)
        };
        let mut best: Option<usize> = None;
        for part in &self.parts {
            // Where `after` stops reading as `part` (a `?` stands for any
            // one character), as (characters, byte offset) at each step.
            let mut secret = part.chars();
            let mut ends = Vec::new();
            for (i, c) in after.char_indices() {
                if !secret.next().is_some_and(|s| c == s || c == '?') {
                    break;
                }
                ends.push(i + c.len_utf8());
            }
            // The whole part, however short, or a start of four or more
            // characters (a server shortens what it echoes).
            let whole = part.chars().count();
            let found = ends
                .iter()
                .enumerate()
                .rev()
                .take_while(|&(n, _)| n + 1 >= 4.min(whole))
                .filter(|&(n, _)| n + 1 >= 4 || n + 1 == whole)
                .find(|&(_, &end)| closes(&after[end..]))
                .map(|(_, &end)| end);
            if let Some(end) = found {
                best = Some(best.map_or(end, |b| b.max(end)));
            }
        }
        best.map(|end| {
            let rest = &after[end..];
            end + (rest.len() - rest.trim_start_matches(char::REPLACEMENT_CHARACTER).len())
        })
    }
}

/// Whether `part` cannot be a word of a message: not letters only (unless
/// camel case) and not digits only.
fn distinctive(part: &str) -> bool {
    if part.chars().all(char::is_alphabetic) {
        let mut lower_before = false;
        for c in part.chars() {
            if c.is_uppercase() && lower_before {
                return true;
            }
            lower_before = c.is_lowercase();
        }
        return false;
    }
    !part.chars().all(|c| c.is_ascii_digit())
}

/// Replaces the occurrences of `part` that no letter or digit touches.
fn replace_standalone(text: &str, part: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(part) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + part.len()..].chars().next();
        let alone =
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric);
        out.push_str(&rest[..i]);
        out.push_str(if alone { MASK } else { part });
        rest = &rest[i + part.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_user_info() {
        assert_eq!(
            redact("postgresql://user:s3cret@localhost:5432/app"),
            "postgresql://****@localhost:5432/app"
        );
    }

    #[test]
    fn unparsable_inputs_hide_up_to_the_last_at() {
        assert_eq!(
            redact("postgresql://user:p#ss@localhost/app"),
            "postgresql://****@localhost/app"
        );
        assert_eq!(
            redact("postgresql://us/er:p@ss@host/db"),
            "postgresql://****@host/db"
        );
        assert_eq!(
            redact("postgresql:/user:pw@host/db"),
            "postgresql:/****@host/db"
        );
    }

    #[test]
    fn secret_query_parameters() {
        assert_eq!(
            redact("jdbc:postgresql://localhost:5432/app?user=u&password=p&sslmode=require"),
            "jdbc:postgresql://localhost:5432/app?user=****&password=****&sslmode=require"
        );
    }

    #[test]
    fn unknown_parameters_are_hidden_name_and_value() {
        assert_eq!(
            redact("postgresql://h/db?sslmode=require&x=secret&junk"),
            "postgresql://h/db?sslmode=require&****&****"
        );
        // A password with an unencoded `&`: its tail is not shown as a key.
        assert_eq!(
            redact("postgresql://h/db?password=ab&REST=1"),
            "postgresql://h/db?password=****&****"
        );
        // A setting of the parameter table is shown with its value.
        assert_eq!(
            redact("postgresql://h/db?user=me&connect_timeout=10"),
            "postgresql://h/db?user=****&connect_timeout=10"
        );
    }

    #[test]
    fn secrets_are_scrubbed_in_every_form() {
        let s = Secrets::of_url("postgresql://app%3BPASS:p%40ss@h/db?sslpassword=keypw");
        let m = s.scrub(r#"role "app;PASS" (app%3BPASS), password p@ss / p%40ss, key "keypw""#);
        for leaked in ["app;PASS", "app%3BPASS", "p@ss", "p%40ss", "keypw"] {
            assert!(!m.contains(leaked), "{leaked} in {m}");
        }
        assert_eq!(m, r#"role "****" (****), password **** / ****, key "****""#);
        // A word is hidden where it is echoed (quoted), not in a message's
        // own words.
        assert_eq!(
            s.scrub("the key keypw is a keypwd"),
            "the key keypw is a keypwd"
        );
    }

    #[test]
    fn a_user_name_without_a_delimiter_is_a_secret_too() {
        // `app;PASSWORD` is one user name to the parser, but the password
        // is in it, and servers echo user names.
        let s = Secrets::of_url("mysql://app;PASSWORD@127.0.0.1/test");
        assert_eq!(
            s.scrub("Access denied for user 'app;PASSWORD'@'localhost'"),
            "Access denied for user '****'@'localhost'"
        );
    }

    #[test]
    fn shortened_and_lossy_echoes_are_hidden() {
        let user = format!("usrx_{}SEKRIT", "a".repeat(60));
        let s = Secrets::of_url(&format!("postgresql://{user}@h/db"));
        // PostgreSQL echoes the first 63 bytes.
        let said = format!(r#"role "{}" does not exist"#, &user[..63]);
        assert_eq!(s.scrub(&said), r#"role "****" does not exist"#);
        // MySQL stores a 4-byte character as `?`.
        let s = Secrets::of_url("mysql://USRX%F0%9F%98%80SEKRIT@h/db");
        assert_eq!(
            s.scrub("Access denied for user 'USRX?SEKRIT'@'127.0.0.1'"),
            "Access denied for user '****'@'127.0.0.1'"
        );
        // Other quoted words stay.
        assert_eq!(s.scrub(r#"database "test""#), r#"database "test""#);
        // A parser's `{:?}` of a value.
        let s = Secrets::new(["SEKRIT\"KEY"]);
        assert_eq!(s.scrub(r#"bad key "SEKRIT\"KEY""#), "bad key \"****\"");
    }

    #[test]
    fn cut_echoes_holding_quotes_are_hidden() {
        // A password that lost its `:`, with a quote in it: PostgreSQL cuts
        // the name at 63 bytes and quotes it without escaping.
        let secret =
            "S3cr\"tS3cr\"tS3cr\"tS3cr\"tS3cr\"tS3cr\"tS3cr\"tS3cr\"tS3cr\"tS3cr\"tS3cr\"t";
        for url in [
            format!("postgresql://app\"{secret}@h/db"),
            format!("postgresql://app%22{}@h/db", secret.replace('"', "%22")),
        ] {
            let s = Secrets::of_url(&url);
            let user = format!("app\"{secret}");
            let said = format!(r#"role "{}" does not exist"#, &user[..63]);
            assert_eq!(s.scrub(&said), r#"role "****" does not exist"#, "{url}");
            // `{:?}` of that message escapes the quotes.
            assert_eq!(
                s.scrub(&format!("{said:?}")),
                r#""role \"****\" does not exist""#,
                "{url}"
            );
        }
        // MariaDB: `'`, cut by characters.
        let s = Secrets::of_url("mysql://app'Pa'ss'word'Pa'ss'word@h/db");
        assert_eq!(
            s.scrub("Access denied for user 'app'Pa'ss'wo'@'localhost'"),
            "Access denied for user '****'@'localhost'"
        );
        // Cut inside a multibyte character, read back lossily.
        let user = format!("app\"{}", "é".repeat(40));
        let s = Secrets::of_url(&format!("postgresql://{user}@h/db"));
        let said = format!(
            r#"role "{}" does not exist"#,
            String::from_utf8_lossy(&user.as_bytes()[..63])
        );
        assert_eq!(s.scrub(&said), r#"role "****" does not exist"#);
        // A short echo that is only the start of a secret's name stays.
        assert_eq!(
            s.scrub(r#"role "app" does not exist"#),
            r#"role "app" does not exist"#
        );
    }

    #[test]
    fn short_secrets_are_cut_where_they_stand_alone() {
        let s = Secrets::of_url("postgresql://u:pw@h/db");
        assert_eq!(
            s.scrub(r#"authentication failed for user "u" ('pw')"#),
            r#"authentication failed for user "****" ('****')"#
        );
        let s = Secrets::of_url("postgresql://u:p1@h/db");
        assert_eq!(s.scrub("failed (p1, xp1)"), "failed (****, xp1)");
    }

    #[test]
    fn nothing_to_hide() {
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(redact("sqlite:///srv/app.db"), "sqlite:///srv/app.db");
        assert_eq!(
            redact("postgresql://localhost/app"),
            "postgresql://localhost/app"
        );
    }
}
