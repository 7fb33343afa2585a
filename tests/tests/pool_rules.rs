//! One check for every pool setting, wherever it comes from: a URL
//! parameter, an attribute and a `DATABASE_*` override keep the same bounds
//! (at most 10,000 connections, durations of at most a week) and the same
//! rules between two settings (the minimum within the maximum, a lifetime no
//! shorter than the connect timeout), and a broken one names its source.
//! The attribute's side is checked at compile time (the UI cases
//! `pool-rule-*`); here the URL's and the override's, with the same words.

use dbsettings::resolution::{FallbackReason, PoolRule, Rejection};
use dbsettings::{DatabaseSettings, DatabaseUrl};

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", fallback = "sqlite::memory:")]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings, Debug)]
struct Sized {
    #[settings(
        env = "DATABASE_URL",
        fallback = "sqlite::memory:",
        max_connections = 4,
        connect_timeout = "10s"
    )]
    database_url: DatabaseUrl,
}

fn rejection(s: &DatabaseUrl) -> (Rejection, String) {
    let text = s.resolution().to_string();
    match s.resolution().fallback_reason() {
        Some(FallbackReason::Rejected { rejection, .. }) => (rejection.clone(), text),
        other => panic!("not rejected: {other:?}\n{text}"),
    }
}

const URL: &str = "postgresql://app@db.internal/app";

#[test]
fn a_urls_pool_settings_keep_the_rules_the_others_keep() {
    // The lifetime below the connect timeout (5 s by default): 100 queries
    // opened 100 server connections.
    let s = Settings::from_vars([("DATABASE_URL", format!("{URL}?pool_max_conn_lifetime=1ms"))])
        .unwrap();
    let (r, text) = rejection(&s.database_url);
    assert_eq!(
        r,
        Rejection::PoolRuleBroken {
            parameter: "pool_max_conn_lifetime".into(),
            rule: PoolRule::LifetimeBelowConnectTimeout {
                max_lifetime: std::time::Duration::from_millis(1),
                connect_timeout: std::time::Duration::from_secs(5),
            },
            sources: vec![
                "the URL's `pool_max_conn_lifetime`".into(),
                "the default".into()
            ],
        },
        "{text}"
    );
    assert!(
        text.contains("the connections' lifetime (1ms, the URL's `pool_max_conn_lifetime`) is shorter than the connect timeout (5s, the default)"),
        "{text}"
    );
    assert!(text.contains("hint"), "{text}");

    // The minimum above the maximum, both from the URL: sqlx kept fewer,
    // silently.
    let s = Settings::from_vars([(
        "DATABASE_URL",
        format!("{URL}?pool_min_conns=5&connection_limit=2"),
    )])
    .unwrap();
    let (r, text) = rejection(&s.database_url);
    assert!(
        matches!(&r, Rejection::PoolRuleBroken { parameter, sources, rule: PoolRule::MinAboveMax { min: 5, max: 2 } }
            if parameter == "pool_min_conns" && sources[1] == "the URL's `connection_limit`"),
        "{r:?}"
    );
    assert!(text.contains("more than the maximum of 2"), "{text}");

    // Against an attribute: named as the attribute.
    let s = Sized::from_vars([("DATABASE_URL", format!("{URL}?pool_min_conns=5"))]).unwrap();
    let (r, _) = rejection(&s.database_url);
    assert!(
        matches!(&r, Rejection::PoolRuleBroken { sources, .. } if sources[1] == "the `max_connections` attribute"),
        "{r:?}"
    );
    let s =
        Sized::from_vars([("DATABASE_URL", format!("{URL}?pool_max_conn_lifetime=9s"))]).unwrap();
    let (r, _) = rejection(&s.database_url);
    assert!(
        matches!(&r, Rejection::PoolRuleBroken { sources, .. } if sources[1] == "the `connect_timeout` attribute"),
        "{r:?}"
    );

    // What keeps the rules is accepted.
    let s = Settings::from_vars([(
        "DATABASE_URL",
        format!("{URL}?pool_min_conns=2&connection_limit=5&pool_max_conn_lifetime=10m"),
    )])
    .unwrap();
    assert!(
        !s.database_url.is_fallback(),
        "{}",
        s.database_url.resolution()
    );
}

#[test]
fn a_urls_settings_and_the_overrides_are_checked_together() {
    // Against an override: named as the variable.
    let s = Settings::from_vars([
        ("DATABASE_URL", format!("{URL}?pool_min_conns=5")),
        ("DATABASE_MAX_CONNECTIONS", "3".to_owned()),
    ])
    .unwrap();
    let (r, _) = rejection(&s.database_url);
    assert!(
        matches!(&r, Rejection::PoolRuleBroken { sources, .. } if sources[1] == "`DATABASE_MAX_CONNECTIONS`"),
        "{r:?}"
    );
    // An override wins over the URL's parameter: no rule is broken by a
    // value that is not used.
    let s = Settings::from_vars([
        ("DATABASE_URL", format!("{URL}?pool_max_conn_lifetime=1ms")),
        ("DATABASE_MAX_LIFETIME", "10m".to_owned()),
    ])
    .unwrap();
    assert!(
        !s.database_url.is_fallback(),
        "{}",
        s.database_url.resolution()
    );

    // The URL's lifetime against an override's jitter: the jitter is not
    // cut to fit, the rule is broken (as with both from overrides).
    let s = Settings::from_vars([
        ("DATABASE_URL", format!("{URL}?pool_max_conn_lifetime=10s")),
        ("DATABASE_LIFETIME_JITTER", "1m".to_owned()),
    ])
    .unwrap();
    let (r, _) = rejection(&s.database_url);
    assert!(
        matches!(&r, Rejection::PoolRuleBroken { rule: PoolRule::JitterNotBelowLifetime { .. }, sources, .. }
            if sources[0] == "`DATABASE_LIFETIME_JITTER`" && sources[1] == "the URL's `pool_max_conn_lifetime`"),
        "{r:?}"
    );
    // An override checked against the URL's value, not the default it
    // replaces: a 1 h connect timeout with the URL's 2 h lifetime is fine.
    let s = Settings::from_vars([
        ("DATABASE_URL", format!("{URL}?pool_max_conn_lifetime=2h")),
        ("DATABASE_CONNECT_TIMEOUT", "1h".to_owned()),
    ])
    .unwrap();
    assert!(
        !s.database_url.is_fallback(),
        "{}",
        s.database_url.resolution()
    );
    // ... and against the default when the URL says nothing: an error
    // naming the override, the default named as the other.
    let err = Settings::from_vars([
        ("DATABASE_URL", URL.to_owned()),
        ("DATABASE_CONNECT_TIMEOUT", "1h".to_owned()),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("the connections' lifetime (1800s, the default) is shorter than the connect timeout (3600s, `DATABASE_CONNECT_TIMEOUT`)"),
        "{text}"
    );
}

#[test]
fn every_source_keeps_the_same_bounds() {
    for (query, parameter) in [
        ("connect_timeout=18446744073709551615", "connect_timeout"),
        ("connect_timeout=604801", "connect_timeout"),
        ("connection_limit=10001", "connection_limit"),
        ("pool_max_conn_lifetime=169h", "pool_max_conn_lifetime"),
    ] {
        let s = Settings::from_vars([("DATABASE_URL", format!("{URL}?{query}"))]).unwrap();
        let (r, text) = rejection(&s.database_url);
        assert!(
            matches!(&r, Rejection::ParameterValue { parameter: p, .. } if p == parameter),
            "{query}: {r:?}"
        );
        assert!(text.contains("a week") || text.contains("10000"), "{text}");
    }
    // At the bounds: accepted.
    let s = Settings::from_vars([(
        "DATABASE_URL",
        format!("{URL}?connect_timeout=604800&connection_limit=10000&pool_max_conn_lifetime=168h"),
    )])
    .unwrap();
    assert!(
        !s.database_url.is_fallback(),
        "{}",
        s.database_url.resolution()
    );

    // The overrides: the same bounds, naming the variable.
    for (var, value) in [
        ("DATABASE_CONNECT_TIMEOUT", "18446744073709551615"),
        ("DATABASE_CONNECT_TIMEOUT", "169h"),
        ("DATABASE_MAX_CONNECTIONS", "10001"),
        ("DATABASE_MAX_LIFETIME", "8d"),
    ] {
        let err = Settings::from_vars([("DATABASE_URL", URL), (var, value)]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(var), "{text}");
        assert!(text.contains("a week") || text.contains("10000"), "{text}");
        assert!(!text.contains(value), "{text}");
    }
    // And the rules between two overrides, in the same words as the URL's.
    let err = Settings::from_vars([
        ("DATABASE_URL", URL),
        ("DATABASE_MIN_CONNECTIONS", "5"),
        ("DATABASE_MAX_CONNECTIONS", "2"),
    ])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("the minimum of 5 connections (`DATABASE_MIN_CONNECTIONS`) is more than the maximum of 2 (`DATABASE_MAX_CONNECTIONS`)"),
        "{text}"
    );
}
