//! Hiding passwords: every string this crate shows goes through here.

/// Query parameters whose values are shown: settings the drivers know that
/// hold no secret. Every other value is hidden, since an unknown parameter
/// may be a pasted secret (or a password that lost its `@`).
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
    "user",
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
];

/// What replaces a hidden secret.
pub(crate) const MASK: &str = "****";

/// Redacts a URL-like string: everything between the scheme and the last `@`
/// is hidden, and so are the values of
/// secret-looking query parameters. It works on strings that do not parse
/// too, erring on the side of hiding more.
pub(crate) fn redact(input: &str) -> String {
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
            out.push_str(&after_auth[..=q]);
            let query = &after_auth[q + 1..];
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    out.push('&');
                }
                match pair.split_once('=') {
                    Some((key, _)) if PUBLIC_PARAMS.contains(&key) => out.push_str(pair),
                    Some((key, _)) => {
                        out.push_str(key);
                        out.push('=');
                        out.push_str(MASK);
                    }
                    None => out.push_str(MASK),
                }
            }
        }
        None => out.push_str(after_auth),
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

#[cfg(test)]
mod tests {
    use super::redact;

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
            "jdbc:postgresql://localhost:5432/app?user=u&password=****&sslmode=require"
        );
    }

    #[test]
    fn unknown_parameters_are_hidden() {
        assert_eq!(
            redact("postgresql://h/db?sslmode=require&x=secret&junk"),
            "postgresql://h/db?sslmode=require&x=****&****"
        );
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
