//! Every URL parameter does what it says (issue 18): the table in the
//! README is the code's, honoured parameters reach the pool and the
//! sessions (directly and through PgBouncer), precedence is said once, and
//! bad values are rejections that name the parameter.

mod common;

use common::servers::{self, POSTGRES};
use dbsettings::resolution::{FallbackReason, Rejection, SettingSource, Warning};
use dbsettings::{DatabaseSettings, DatabaseUrl, on_pool, query, query_scalar, sql};
use dbsettings_tests::PgBouncer;

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(
        env = "DATABASE_URL",
        fallback = "sqlite::memory:",
        max_connections = 7
    )]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings, Debug)]
struct Strict {
    #[settings(env = "DATABASE_URL", strict)]
    database_url: DatabaseUrl,
}

#[test]
fn the_readme_table_is_the_codes() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- parameters:")
        .and_then(|i| readme[i..].find('\n').map(|j| i + j + 1))
        .expect("the README's parameter table marker");
    let end = readme.find("<!-- /parameters -->").expect("its end marker");
    let table = dbsettings::__private::parameter_table();
    assert!(
        readme[start..end] == table,
        "the README's parameter table differs from the code's; it should read:\n{table}"
    );
}

fn rejection_of(url: &str) -> Rejection {
    let s = Settings::from_vars([("DATABASE_URL", url)]).unwrap();
    match s.database_url.resolution().fallback_reason() {
        Some(FallbackReason::Rejected { rejection, .. }) => rejection.clone(),
        other => panic!("{url}: {other:?}"),
    }
}

#[test]
fn honoured_parameters_reach_the_pool_and_say_where_from() {
    let s = Settings::from_vars([(
        "DATABASE_URL",
        "postgresql://app:Pw-1@db/app?connection_limit=3&pool_timeout=20&connect_timeout=4&application_name=web&pool_max_conn_lifetime=1h",
    )])
    .unwrap();
    let o = s.database_url.pool_options();
    assert_eq!(o.max_connections, 3);
    assert_eq!(o.acquire_timeout, std::time::Duration::from_secs(20));
    assert_eq!(o.connect_timeout, std::time::Duration::from_secs(4));
    assert_eq!(o.max_lifetime, Some(std::time::Duration::from_hours(1)));
    assert!(o.lifetime_jitter < std::time::Duration::from_hours(1));
    let r = s.database_url.resolution();
    let max = r
        .settings()
        .iter()
        .find(|s| s.name == "max_connections")
        .expect("max_connections is reported");
    assert_eq!(max.value, "3");
    assert_eq!(
        max.from,
        SettingSource::Parameter {
            name: "connection_limit".into()
        }
    );
    assert_eq!(max.over, vec![SettingSource::Attribute]);
    let text = r.to_string();
    assert!(
        text.contains(
            "max_connections = 3 (from the URL's `connection_limit`, over the attribute)"
        ),
        "{text}"
    );
    // Values of settings are shown; the password is not.
    let shown = s.database_url.to_string();
    assert!(shown.contains("application_name=web"), "{shown}");
    assert!(
        !shown.contains("Pw-1") && !text.contains("Pw-1"),
        "{shown}\n{text}"
    );
}

#[test]
fn an_override_beats_the_url_which_beats_the_attribute() {
    let s = Settings::from_vars([
        ("DATABASE_URL", "postgresql://db/app?connection_limit=3"),
        ("DATABASE_MAX_CONNECTIONS", "5"),
    ])
    .unwrap();
    assert_eq!(s.database_url.pool_options().max_connections, 5);
    let text = s.database_url.resolution().to_string();
    assert!(
        text.contains("max_connections = 5 (from `DATABASE_MAX_CONNECTIONS`, over the URL's `connection_limit` and the attribute)"),
        "{text}"
    );
    // Without a parameter, the attribute is named as the source.
    let s = Settings::from_vars([("DATABASE_URL", "postgresql://db/app")]).unwrap();
    assert_eq!(s.database_url.pool_options().max_connections, 7);
    assert!(
        s.database_url
            .resolution()
            .to_string()
            .contains("max_connections = 7 (from the attribute)")
    );
}

#[test]
fn refused_parameters_are_rejections_with_a_reason_and_a_hint() {
    for (url, param) in [
        ("postgresql://db/app?keepalives_idle=30", "keepalives_idle"),
        ("postgresql://db/app?gssencmode=require", "gssencmode"),
        ("postgresql://db/app?service=prod", "service"),
        ("postgresql://db/app?sslcrl=/etc/crl.pem", "sslcrl"),
        ("mysql://db/app?useSSL=true", "useSSL"),
    ] {
        let r = rejection_of(url);
        assert!(
            matches!(&r, Rejection::ParameterRefused { parameter, .. } if parameter == param),
            "{url}: {r:?}"
        );
        assert!(r.to_string().contains(param), "{r}");
        assert!(r.hint().is_some(), "{url}");
    }
}

#[test]
fn bad_values_are_rejections_naming_the_parameter_only() {
    for (url, param) in [
        (
            "postgresql://u:Secret-9@db/app?connection_limit=0",
            "connection_limit",
        ),
        (
            "postgresql://u:Secret-9@db/app?pool_timeout=abc",
            "pool_timeout",
        ),
        ("postgresql://u:Secret-9@db/app?schema=", "schema"),
        (
            "postgresql://u:Secret-9@db/app?schema=a%3BDROP%20TABLE%20x",
            "schema",
        ),
        (
            "postgresql://u:Secret-9@db/app?schema=a;DROP TABLE x",
            "schema",
        ),
    ] {
        let s = Settings::from_vars([("DATABASE_URL", url)]).unwrap();
        let r = s.database_url.resolution();
        assert!(s.database_url.is_fallback(), "{url} was used");
        let text = r.to_string();
        // An interior space is a shape problem (layer 3) before the
        // parameter is read; every other case names the parameter.
        if !url.contains(' ') {
            assert!(text.contains(param), "{url}: {text}");
        }
        assert!(!text.contains("Secret-9"), "{text}");
    }
}

#[tokio::test]
async fn neons_channel_binding_connects_with_a_named_downgrade_and_strict_refuses_it() {
    // Neon's form, on a port that refuses at once (the doctor connects).
    let url =
        "postgresql://app:Neon-Pw-1@127.0.0.1:1/neondb?sslmode=require&channel_binding=require";
    let s = Settings::from_vars([("DATABASE_URL", url)]).unwrap();
    assert!(!s.database_url.is_fallback());
    let r = s.database_url.resolution();
    assert!(
        r.warnings().iter().any(
            |w| matches!(w, Warning::Downgrade { parameter, .. } if parameter == "channel_binding")
        ),
        "{r}"
    );
    assert!(r.to_string().contains("channel binding"), "{r}");
    // Shown with its value now: it is no secret.
    assert!(
        s.database_url
            .to_string()
            .contains("channel_binding=require")
    );
    let health = s.database().health(false).await;
    assert_eq!(health.downgrades.len(), 1, "{:?}", health.downgrades);
    assert!(health.downgrades[0].contains("channel binding"));
    let vars = dbsettings::source::Vars::new([("DATABASE_URL", url)]);
    let text = dbsettings::doctor::diagnose::<Settings>(&vars).await.text;
    assert!(text.contains("channel binding"), "{text}");
    assert!(!text.contains("Neon-Pw-1"), "{text}");

    let e = Strict::from_vars([("DATABASE_URL", url)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("channel_binding"), "{e}");
    assert!(!e.contains("Neon-Pw-1"), "{e}");
}

#[derive(DatabaseSettings, Debug)]
struct Direct {
    #[settings(env = "DATABASE_URL", connect_timeout = "2s")]
    database_url: DatabaseUrl,
}

/// A schema `myschema` holding `t(v)` = 'in myschema', and `public.t` =
/// 'in public': which one an unqualified `SELECT v FROM t` reads says which
/// `search_path` the session has.
fn prepare_schemas() {
    let psql = |sql: &str| {
        let out = std::process::Command::new("psql")
            .args([
                "-X",
                "-q",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "test",
                "-c",
            ])
            .arg(sql)
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    psql(
        "DROP SCHEMA IF EXISTS myschema CASCADE; CREATE SCHEMA myschema; \
         CREATE TABLE myschema.t (v text); INSERT INTO myschema.t VALUES ('in myschema'); \
         DROP TABLE IF EXISTS public.t; CREATE TABLE public.t (v text); INSERT INTO public.t VALUES ('in public')",
    );
}

async fn reads(url: &str) -> (String, String) {
    let s = Direct::from_vars([("DATABASE_URL", url)]).unwrap();
    let db = s.database();
    let pool = db.pool().await.unwrap();
    let v: String =
        on_pool!(pool, p => query_scalar(sql!("SELECT v FROM t")).fetch_one(p).await.unwrap());
    let timeout: String = on_pool!(pool, p => query_scalar(sql!("SELECT current_setting('statement_timeout')")).fetch_one(p).await.unwrap());
    // A table the service creates lands in the schema, too.
    on_pool!(pool, p => {
        query(sql!("CREATE TABLE IF NOT EXISTS made_here (x int)")).execute(p).await.map(drop).unwrap();
    });
    db.close().await;
    (v, timeout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prismas_schema_and_session_options_hold_directly_and_through_pgbouncer() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    prepare_schemas();
    let direct = "postgresql://postgres@127.0.0.1:5432/test?sslmode=disable&schema=myschema&options=-c%20statement_timeout%3D4321";
    assert_eq!(
        reads(direct).await,
        ("in myschema".to_owned(), "4321ms".to_owned())
    );

    let bouncer = match PgBouncer::start(5432, "test", 2) {
        Ok(b) => b,
        Err(why) => return common::skip("the PgBouncer test", &why),
    };
    let pooled = format!(
        "postgresql://postgres@127.0.0.1:{}/test?sslmode=disable&pgbouncer=true&schema=myschema&statement_timeout=4321",
        bouncer.port
    );
    assert_eq!(
        reads(&pooled).await,
        ("in myschema".to_owned(), "4321ms".to_owned())
    );
    // The settings end with each transaction: the pooler's server
    // connections, shared with other clients, keep the defaults.
    let plain = dbsettings::sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!(
            "postgresql://postgres@127.0.0.1:{}/test?sslmode=disable",
            bouncer.port
        ))
        .await
        .unwrap();
    let path: String = dbsettings::sqlx::raw_sql("SHOW search_path")
        .fetch_one(&plain)
        .await
        .map(|row| dbsettings::sqlx::Row::get(&row, 0))
        .unwrap();
    assert!(!path.contains("myschema"), "{path}");
    plain.close().await;

    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c"])
        .arg("SELECT count(*) FROM pg_tables WHERE tablename = 'made_here' AND schemaname = 'myschema'")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
}
