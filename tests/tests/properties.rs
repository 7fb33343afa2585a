//! Property tests: resolution never panics, always ends in an accepted URL
//! of a compiled-in backend or the SQLite fallback, and the password of the
//! input appears in no output of the crate: `Display`, `Debug`, errors and
//! `tracing` events.

mod common;

use common::capture::capture;
use dbsettings::{Backend, DatabaseSettings, DatabaseUrl};
use proptest::prelude::*;

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings, Debug)]
struct Strict {
    #[settings(env = "DATABASE_URL", strict)]
    database_url: DatabaseUrl,
}

/// Every output of a resolution, as one text.
fn all_output(raw: &str, data_dir: &str) -> (Option<DatabaseUrl>, String) {
    let vars = [("DATABASE_URL", raw), ("DBSETTINGS_DATA_DIR", data_dir)];
    let ((settings, strict), logs) =
        capture(|| (Settings::from_vars(vars), Strict::from_vars(vars)));
    let settings = settings.expect("the URL field is never an error without strict mode");
    let url = settings.database_url;
    let mut text = format!(
        "{url}\n{url:?}\n{}\n{:?}\n{logs}",
        url.resolution(),
        url.resolution()
    );
    let strict = match strict {
        Ok(s) => format!("{s:?}"),
        Err(e) => format!("{e}\n{e:?}"),
    };
    text.push_str(&strict);
    (Some(url), text)
}

fn check_invariants(url: &DatabaseUrl) -> Result<(), TestCaseError> {
    prop_assert!(url.backend().is_compiled_in());
    if url.is_fallback() {
        prop_assert_eq!(url.backend(), Backend::Sqlite);
        prop_assert!(url.resolution().fallback_reason().is_some());
    } else {
        prop_assert!(url.resolution().fallback_reason().is_none());
    }
    Ok(())
}

/// Real URLs with a `{PW}` slot for the password.
const TEMPLATES: &[&str] = &[
    "postgresql://app:{PW}@localhost:5432/app",
    "postgres://app:{PW}@db.internal/app?sslmode=require",
    "\"postgresql://app:{PW}@localhost:5432/app\"",
    "postgresql+asyncpg://app:{PW}@db:5432/app",
    "DATABASE_URL=postgresql://app:{PW}@localhost/app",
    "mysql://root:{PW}@127.0.0.1:3306/test",
    "mariadb://root:{PW}@localhost/test",
    "postgresql://app:{PW}@[::1]:5432/app",
    "postgresql://app:{PW}@/app?host=/cloudsql/p:r:i",
    "jdbc:postgresql://localhost:5432/app?user=app&password={PW}",
    "  postgresql://app:{PW}@localhost:5432/app  \n",
];

/// Characters that break URLs in real life.
const NASTY: &[char] = &[
    '#', '/', '?', '@', ':', '%', '[', ']', ' ', '\t', '"', '\'', '$', '{', '&', '=',
];

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, char),
    Delete(usize),
    Upper(usize),
    Duplicate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), prop::sample::select(NASTY)).prop_map(|(i, c)| Mutation::Insert(i, c)),
        (any::<usize>(), any::<char>()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Upper),
        any::<usize>().prop_map(Mutation::Duplicate),
    ]
}

fn apply(s: &str, m: &Mutation) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = |i: usize| if chars.is_empty() { 0 } else { i % chars.len() };
    let mut out = chars.clone();
    match *m {
        Mutation::Insert(i, c) => out.insert(at(i), c),
        Mutation::Delete(i) if !out.is_empty() => {
            out.remove(at(i));
        }
        Mutation::Upper(i) if !out.is_empty() => {
            let i = at(i);
            out[i] = out[i].to_ascii_uppercase();
        }
        Mutation::Duplicate(i) if !out.is_empty() => {
            let i = at(i);
            out.insert(i, out[i]);
        }
        _ => {}
    }
    out.into_iter().collect()
}

/// `cases`, unless `PROPTEST_CASES` asks for another number (for each of the
/// four). The defaults, 640 cases in all, keep `cargo test` to seconds;
/// `.ci/run` adds a longer run (`PROPTEST_CASES=1500 cargo test --workspace
/// --test properties`, 6,000 cases). A case costs about as much in release
/// as in debug: most of it is the fallback's test write to disk.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn arbitrary_strings_resolve_without_panicking(raw in any::<String>()) {
        let dir = tempfile::tempdir().unwrap();
        let (url, _) = all_output(&raw, dir.path().to_str().unwrap());
        check_invariants(&url.unwrap())?;
    }

    #[test]
    fn url_shaped_strings_resolve_without_panicking(
        raw in "(postgres(ql)?|mysql|mariadb|sqlite3?|jdbc:postgresql|[a-z]{1,6})(\\+[a-z]{1,8})?:/{0,4}[a-zA-Z0-9:@/?#%&=\\[\\]._ -]{0,40}"
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (url, _) = all_output(&raw, dir.path().to_str().unwrap());
        check_invariants(&url.unwrap())?;
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn mutated_real_urls_never_show_the_password(
        template in prop::sample::select(TEMPLATES),
        password in "Pw[A-Za-z0-9]{10,14}",
        mutations in prop::collection::vec(mutation(), 0..4),
    ) {
        let mut raw = template.replace("{PW}", &password);
        for m in &mutations {
            raw = apply(&raw, m);
        }
        // The secret is whatever survived of the password: each run of 8 of
        // its characters still in the input. It is still a password while it
        // is delimited as one: before an `@` (user info) or after
        // `password=`. A mutation that deletes both `:` and `@` fuses it
        // into the host name, where no parser could tell it apart.
        let dir = tempfile::tempdir().unwrap();
        let (url, text) = all_output(&raw, dir.path().to_str().unwrap());
        check_invariants(&url.unwrap())?;
        let chars: Vec<char> = password.chars().collect();
        for window in chars.windows(8) {
            let piece: String = window.iter().collect();
            let Some(at) = raw.find(&piece) else { continue };
            let delimited = raw[at..].contains('@') || raw[..at].ends_with("password=");
            if delimited {
                prop_assert!(!text.contains(&piece), "{piece:?} of {raw:?} leaked into:\n{text}");
            }
        }
    }
}

/// URLs whose password holds a delimiter, in the places where it escapes
/// its slot: the user name (a `:` missing or replaced), and a `password=`
/// query parameter (an `&` or `=` that turns its tail into a key).
const DELIMITED: &[&str] = &[
    "postgresql://app{PW}@localhost:5432/app",
    "postgresql://app;{PW}@localhost:5432/app",
    "mysql://root{PW}@127.0.0.1:3306/test",
    "postgresql://localhost/app?password={PW}",
    "postgresql://localhost/app?password={PW}&sslmode=require",
    "mysql://root@localhost/test?password={PW}",
    "jdbc:postgresql://localhost:5432/app?user=app&password={PW}",
];

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn passwords_with_delimiters_never_show_through_keys_or_user_names(
        template in prop::sample::select(DELIMITED),
        head in "Pw[A-Za-z0-9]{6,8}",
        delimiter in prop::sample::select(&['&', '=', ';', ':', '@', '/', '?', '#', '%', '+'][..]),
        tail in "Tl[A-Za-z0-9]{6,8}",
        suffix in prop::sample::select(&["", "=1", "=x&y=2"][..]),
    ) {
        let password = format!("{head}{delimiter}{tail}{suffix}");
        let raw = template.replace("{PW}", &password);
        let dir = tempfile::tempdir().unwrap();
        let (url, mut text) = all_output(&raw, dir.path().to_str().unwrap());
        let url = url.unwrap();
        check_invariants(&url)?;
        // What a server would echo: the user name it was given, decoded.
        if let Ok(parsed) = url::Url::parse(url.expose_secret()) {
            let user = percent_encoding_decode(parsed.username());
            let said = format!(
                "role \"{user}\" does not exist; Access denied for user '{user}'@'localhost' ({})",
                parsed.username()
            );
            text.push_str(&url.database().redact(&said));
        }
        for piece in [&head, &tail] {
            prop_assert!(!text.contains(piece.as_str()), "{piece:?} of {raw:?} leaked into:\n{text}");
        }
    }
}

proptest! {
    #![proptest_config(config(256))]
    // A password that lost its `:` is part of the user name, which servers
    // echo cut short (PostgreSQL at 63 bytes, MariaDB at its column width),
    // maybe inside a multibyte character, and quoted without escaping the
    // quotes the name itself holds; `{:?}` of that message escapes them.
    // No run of the secret survives `redact`, however it was cut.
    #[test]
    fn cut_echoes_of_a_user_name_with_quotes_never_show(
        secret in r#"[A-Za-z0-9"'\\é€😀]{40,70}"#,
        quote in prop::sample::select(&['"', '\''][..]),
        cut in 40usize..70,
    ) {
        let user = format!("app{quote}{secret}");
        let encoded = percent_encoded(&user);
        let url: DatabaseUrl = format!("postgresql://{encoded}@127.0.0.1/db").parse().unwrap();
        prop_assert!(!url.is_fallback());
        let db = url.database();
        // PostgreSQL: bytes, cut anywhere; MariaDB: characters.
        let bytes = &user.as_bytes()[..cut.min(user.len())];
        let pg = String::from_utf8_lossy(bytes);
        let maria: String = user.chars().take(cut).collect();
        let said = [
            format!("role \"{pg}\" does not exist"),
            format!("Access denied for user '{maria}'@'localhost' (using password: NO)"),
        ];
        let mut text = String::new();
        for s in &said {
            text.push_str(&db.redact(s));
            text.push_str(&db.redact(&format!("{s:?}")));
        }
        let chars: Vec<char> = secret.chars().collect();
        for window in chars.windows(6).take(30) {
            let run: String = window.iter().collect();
            prop_assert!(!text.contains(&run), "{run:?} of {user:?} leaked into:\n{text}");
        }
        prop_assert!(text.contains("does not exist") && text.contains("@'localhost'"), "{text}");
    }
}

/// Percent-decodes `s` as drivers do (`+` is a plus, not a space).
fn percent_encoding_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (b[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every byte of `s` percent-encoded.
fn percent_encoded(s: &str) -> String {
    use std::fmt::Write as _;
    s.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "%{b:02X}");
        out
    })
}
