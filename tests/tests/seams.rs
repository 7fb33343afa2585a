//! The seams (issue 26): every public path a user takes, in every
//! environment the crate supports, either behaves as it does on a direct
//! connection or fails at once saying why. Each environment is one test
//! that runs every path against real servers (the machine's PostgreSQL;
//! Debian's PgBouncer in transaction mode, refusing and ignoring the
//! `options` startup parameter; a password-checking cluster through a
//! rotation; a TLS cluster with `verify-full`) and checks its column of the
//! README's matrix (between `<!-- seams` and `<!-- /seams -->`): the table
//! says what these tests saw, cell by cell.
//!
//! Every environment's URL carries session settings (`schema`,
//! `statement_timeout`): a path that silently runs without them is the
//! failure this file exists to catch.

mod common;

use std::time::{Duration, Instant};

use common::capture::capture_scoped;
use common::servers::{self, POSTGRES};
use dbsettings::{DatabaseSettings, DatabaseUrl, Pool, on_pool, query, query_scalar, sql, sqlx};
use dbsettings_tests::{Cluster, PgBouncer, Tls};

#[derive(DatabaseSettings, Debug)]
struct Seams {
    #[settings(
        env = "DATABASE_URL",
        connect_timeout = "3s",
        acquire_timeout = "5s",
        credentials_poll = "10m",
        migrations = "migrations",
        direct_url = "DATABASE_DIRECT_URL"
    )]
    database_url: DatabaseUrl,
}

#[derive(DatabaseSettings, Debug)]
struct NoMigrations {
    #[settings(env = "DATABASE_URL", connect_timeout = "3s")]
    database_url: DatabaseUrl,
}

/// The session every path must run in: the URL's schema and timeout.
const PROBE: &str = "SELECT current_schema() || ' ' || current_setting('statement_timeout')";
const TIMEOUT: &str = "4s";

/// The paths, in the README's order.
const PATHS: [&str; 8] = [
    "`on_pool!`'s `p`",
    "`p.begin()`",
    "`p.acquire()`",
    "the sqlx pool (`p.raw()`, `Pool::Postgres`)",
    "`db.direct()`",
    "`db.reader()`",
    "migrations",
    "`health()`",
];

/// What a path did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// As on a direct connection: the URL's session, the reader read-only.
    AsDirect,
    /// An error at once that names the settings and the way out.
    Refused,
    /// Not pooler-safe, and said in the log at its first use, with the
    /// way out.
    Said,
}

impl Outcome {
    fn cell(self) -> &'static str {
        match self {
            Self::AsDirect => "as direct",
            Self::Refused => "refused at once, naming the settings and `p.begin()`",
            Self::Said => "warned once in the log, naming `db.direct()`",
        }
    }
}

/// The README's matrix: its header's environments, and each row's cells.
fn readme_matrix() -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- seams")
        .and_then(|i| readme[i..].find('\n').map(|j| i + j + 1))
        .expect("the README's matrix marker");
    let end = readme.find("<!-- /seams -->").expect("its end marker");
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_owned())
            .collect()
    };
    let mut lines = readme[start..end].lines().filter(|l| l.starts_with('|'));
    let header = cells(lines.next().expect("a header"));
    let rows = lines
        .skip(1)
        .map(|l| {
            let c = cells(l);
            (c[0].clone(), c[1..].to_vec())
        })
        .collect();
    (header[1..].to_vec(), rows)
}

/// Checks the README's column `env` against what the paths did.
fn column_is(env: &str, seen: &[(&str, Outcome)]) {
    let (header, rows) = readme_matrix();
    let col = header
        .iter()
        .position(|h| h == env)
        .unwrap_or_else(|| panic!("no column `{env}` in the README's matrix: {header:?}"));
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, PATHS, "the README's matrix rows");
    for ((path, outcome), (_, cells)) in seen.iter().zip(&rows) {
        assert_eq!(
            cells[col],
            outcome.cell(),
            "the README's matrix, {path} in {env}: the tests saw `{}`",
            outcome.cell()
        );
    }
}

/// The probe through `on_pool!`'s `p`.
async fn through_p(pool: &Pool) -> Result<String, sqlx::Error> {
    on_pool!(pool, p => query_scalar(sql!("SELECT current_schema() || ' ' || current_setting('statement_timeout')")).fetch_one(p).await)
}

/// What a test does to each handle before its first use (a credential
/// provider).
type Setup<'a> = &'a (dyn Fn(&dbsettings::Database) + Sync);

/// Nothing to set up.
fn plain(_: &dbsettings::Database) {}

/// Every path on `db`, whose session must be `expected`; `pooled` behind a
/// transaction-mode pooler. The outcome of each, in [`PATHS`]' order.
async fn every_path(
    vars: &[(&str, &str)],
    expected: &str,
    pooled: bool,
    setup: Setup<'_>,
) -> Vec<(&'static str, Outcome)> {
    let (logs, _guard) = capture_scoped();
    let settings = Seams::from_vars(vars.iter().copied()).unwrap();
    let db = settings.database();
    setup(&db);
    let pool = db.pool().await.expect("the pool, migrations run");
    let mut seen = Vec::new();

    // on_pool!'s p.
    assert_eq!(through_p(&pool).await.unwrap(), expected, "on_pool!'s p");
    seen.push((PATHS[0], Outcome::AsDirect));

    // p.begin().
    let in_tx: String = on_pool!(pool, p => async {
        let mut tx = p.begin().await?;
        let v: String = query_scalar(sql!("SELECT current_schema() || ' ' || current_setting('statement_timeout')")).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(v)
    }.await)
    .unwrap();
    assert_eq!(in_tx, expected, "p.begin()");
    seen.push((PATHS[1], Outcome::AsDirect));

    // p.acquire().
    let started = Instant::now();
    let held: Result<String, sqlx::Error> = on_pool!(pool, p => {
        match p.acquire().await {
            Ok(mut conn) => query_scalar(sql!("SELECT current_schema() || ' ' || current_setting('statement_timeout')")).fetch_one(&mut *conn).await,
            Err(e) => Err(e),
        }
    });
    seen.push((
        PATHS[2],
        match held {
            Ok(v) => {
                assert_eq!(v, expected, "p.acquire()");
                Outcome::AsDirect
            }
            Err(e) => {
                let text = e.to_string();
                assert!(pooled, "p.acquire() failed on a direct connection: {text}");
                assert!(started.elapsed() < Duration::from_secs(1), "not at once");
                for needed in [
                    "search_path",
                    "statement_timeout",
                    "p.begin()",
                    "direct_url",
                ] {
                    assert!(text.contains(needed), "`{needed}` not in: {text}");
                }
                Outcome::Refused
            }
        },
    ));

    seen.push((PATHS[3], raw_path(&pool, &logs, expected, pooled).await));

    // db.direct(): a pool for session work, where everything sqlx does
    // works: named statements through the sqlx pool itself.
    let direct = db.direct().await.expect("db.direct()");
    let named: String = sqlx::query_scalar(PROBE)
        .fetch_one(direct.as_postgres().unwrap())
        .await
        .expect("a named statement on db.direct()'s sqlx pool");
    assert_eq!(named, expected, "db.direct()");
    assert_eq!(
        through_p(&direct).await.unwrap(),
        expected,
        "db.direct() through p"
    );
    seen.push((PATHS[4], Outcome::AsDirect));

    reader_path(&db, expected).await;
    seen.push((PATHS[5], Outcome::AsDirect));

    migrations_path(&pool, vars, setup).await;
    seen.push((PATHS[6], Outcome::AsDirect));

    // health(): up, with a ping.
    let health = db.health(true).await;
    assert!(health.state.is_up(), "{health:?}");
    seen.push((PATHS[7], Outcome::AsDirect));

    db.close().await;
    seen
}

/// The sqlx pool itself, twice (the second use takes an idle connection,
/// where the pool checks who asks): as direct, or behind a pooler said in
/// the log, once, with the settings that do not hold and the way out.
async fn raw_path(
    pool: &Pool,
    logs: &common::capture::Captured,
    expected: &str,
    pooled: bool,
) -> Outcome {
    let raw = pool.as_postgres().unwrap();
    let mut raw_seen = Vec::new();
    for _ in 0..2 {
        raw_seen.push(
            sqlx::raw_sql(PROBE)
                .fetch_one(raw)
                .await
                .map(|row| sqlx::Row::get::<String, _>(&row, 0)),
        );
    }
    let warned = logs
        .text()
        .contains("was used directly behind a transaction-mode pooler");
    if pooled {
        assert!(
            warned,
            "the sqlx pool's use behind a pooler was not said: {}",
            logs.text()
        );
        let text = logs.text();
        assert!(text.contains("db.direct()"), "{text}");
        // It names the settings that do not hold there.
        assert!(
            text.contains("`search_path`, `statement_timeout` are set in each transaction"),
            "{text}"
        );
        assert_eq!(
            text.matches("was used directly").count(),
            1,
            "said once: {text}"
        );
        Outcome::Said
    } else {
        assert!(!warned, "{}", logs.text());
        for r in raw_seen {
            assert_eq!(r.unwrap(), expected, "the sqlx pool");
        }
        Outcome::AsDirect
    }
}

/// Migrations: the books in the URL's schema, and a second start (a new
/// handle) succeeds and leaves them as they are.
async fn migrations_path(pool: &Pool, vars: &[(&str, &str)], setup: Setup<'_>) {
    let books: i64 = on_pool!(pool, p => query_scalar(sql!("SELECT count(*) FROM _sqlx_migrations")).fetch_one(p).await).unwrap();
    assert_eq!(books, 1, "the migrations' books, in the URL's schema");
    let again = Seams::from_vars(vars.iter().copied()).unwrap();
    setup(&again.database());
    again.database().pool().await.expect("a second start");
}

/// `db.reader()`: the session, read-only in statements and transactions,
/// a write refused by the server.
async fn reader_path(db: &dbsettings::Database, expected: &str) {
    let reader = db.reader().await.expect("db.reader()");
    assert_eq!(through_p(&reader).await.unwrap(), expected, "the reader");
    let read_only: String = on_pool!(reader, p => query_scalar(sql!("SELECT current_setting('transaction_read_only')")).fetch_one(p).await).unwrap();
    assert_eq!(read_only, "on", "the reader's session");
    let write = on_pool!(reader, p => query(sql!("CREATE TABLE seams_written (x int)")).execute(p).await.map(drop));
    match write {
        Err(sqlx::Error::Database(e)) => assert_eq!(e.code().as_deref(), Some("25006"), "{e}"),
        other => panic!("a write through the reader: {other:?}"),
    }
    let in_tx: String = on_pool!(reader, p => async {
        let mut tx = p.begin().await?;
        let v: String = query_scalar(sql!("SELECT current_setting('transaction_read_only')")).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(v)
    }.await)
    .unwrap();
    assert_eq!(in_tx, "on", "the reader's p.begin()");
}

/// Runs `sql` on the machine's server, as the superuser.
async fn admin(sql_text: &str) {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(servers::POSTGRES_URL)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql_text.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap();
}

/// A fresh schema on the machine's server.
async fn fresh_schema(schema: &str) {
    admin(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn direct() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    fresh_schema("seams_direct").await;
    let url = format!(
        "{}?schema=seams_direct&statement_timeout={TIMEOUT}",
        servers::POSTGRES_URL
    );
    let vars = [("DATABASE_URL", url.as_str())];
    let seen = Box::pin(every_path(
        &vars,
        &format!("seams_direct {TIMEOUT}"),
        false,
        &plain,
    ))
    .await;
    column_is("direct", &seen);
}

/// A PgBouncer in transaction mode before the machine's server, `refusing`
/// the `options` startup parameter or ignoring it; the URL through it, and
/// the server's own as the direct URL.
async fn behind_pgbouncer(refusing: bool, schema: &str, column: &str) {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let bouncer = if refusing {
        PgBouncer::start_refusing_options(5432, "test", 4)
    } else {
        PgBouncer::start(5432, "test", 4)
    };
    let bouncer = match bouncer {
        Ok(b) => b,
        Err(why) => return common::skip("the PgBouncer seams", &why),
    };
    fresh_schema(schema).await;
    let query = format!("schema={schema}&statement_timeout={TIMEOUT}");
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/test?pgbouncer=true&{query}",
        bouncer.port
    );
    let direct = format!("{}?{query}", servers::POSTGRES_URL);
    let vars = [
        ("DATABASE_URL", url.as_str()),
        ("DATABASE_DIRECT_URL", direct.as_str()),
    ];
    let seen = Box::pin(every_path(
        &vars,
        &format!("{schema} {TIMEOUT}"),
        true,
        &plain,
    ))
    .await;
    drop(bouncer);
    column_is(column, &seen);
}

#[tokio::test(flavor = "current_thread")]
async fn pgbouncer_refusing_options() {
    Box::pin(behind_pgbouncer(
        true,
        "seams_refusing",
        "PgBouncer, `options` refused",
    ))
    .await;
}

#[tokio::test(flavor = "current_thread")]
async fn pgbouncer_ignoring_options() {
    Box::pin(behind_pgbouncer(
        false,
        "seams_ignoring",
        "PgBouncer, `options` ignored",
    ))
    .await;
}

// ---------------------------------------------------------------------------
// A password-checking cluster through a rotation

/// The password-checking cluster this binary's tests share (a role each).
fn scram() -> Option<&'static Cluster> {
    match Cluster::shared() {
        Ok(c) => Some(c),
        Err(why) => {
            common::skip("the password-checking cluster seams", &why);
            None
        }
    }
}

/// A role with a SCRAM password and a schema of its own on the shared
/// cluster, and a `DATABASE_URL_FILE` holding its URL (as `form` writes it).
struct Secret {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    cluster: &'static Cluster,
    role: &'static str,
    in_query: bool,
}

impl Secret {
    fn new(cluster: &'static Cluster, role: &'static str, pw: &str, in_query: bool) -> Self {
        cluster
            .sql(&format!(
                "CREATE ROLE {role} LOGIN PASSWORD '{pw}'; CREATE SCHEMA {role} AUTHORIZATION {role}"
            ))
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let secret = Self {
            path: dir.path().join("database_url"),
            _dir: dir,
            cluster,
            role,
            in_query,
        };
        std::fs::write(&secret.path, secret.url(pw)).unwrap();
        secret
    }

    /// Its URL with `pw`: user info, or libpq's `?user=&password=`.
    fn url(&self, pw: &str) -> String {
        let (role, port) = (self.role, self.cluster.port);
        let session = format!("schema={role}&statement_timeout={TIMEOUT}");
        if self.in_query {
            format!("postgresql://127.0.0.1:{port}/postgres?user={role}&password={pw}&{session}")
        } else {
            format!("postgresql://{role}:{pw}@127.0.0.1:{port}/postgres?{session}")
        }
    }

    /// The server's side of a rotation.
    fn alter(&self, pw: &str) {
        self.cluster
            .sql(&format!("ALTER ROLE {} PASSWORD '{pw}'", self.role))
            .unwrap();
    }

    /// Rewrites the file as secret stores do: a new file renamed over it.
    fn write(&self, pw: &str) {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, self.url(pw)).unwrap();
        std::fs::rename(&tmp, &self.path).unwrap();
    }

    /// Cuts every session of the role.
    fn cut(&self) {
        self.cluster
            .sql(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{}'",
                self.role
            ))
            .unwrap();
    }

    fn vars(&self) -> [(&'static str, String); 1] {
        [("DATABASE_URL_FILE", self.path.to_str().unwrap().to_owned())]
    }
}

/// Whether `e` is a refusal of the credentials.
fn is_auth(e: &sqlx::Error) -> bool {
    let text = e.to_string();
    text.contains("password authentication failed")
        || matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("28P01"))
}

/// Runs `attempt` until it answers `expected`, within `bound`; no failure
/// may be a refusal of the credentials, but on the sqlx pool itself
/// (`raw`), which connects without dbsettings: until the watch has seen the
/// file, its new connections use the old password. How long it took, and
/// how many attempts failed (a session cut while idle, on paths that hold
/// one).
async fn until_answered<F, Fut>(
    what: &str,
    expected: &str,
    (bound, raw): (Duration, bool),
    mut attempt: F,
) -> (Duration, usize)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<String, sqlx::Error>>,
{
    let started = Instant::now();
    let mut failed = 0;
    loop {
        match attempt().await {
            Ok(v) => {
                assert_eq!(v, expected, "{what}");
                return (started.elapsed(), failed);
            }
            Err(e) => {
                assert!(
                    raw || !is_auth(&e),
                    "{what}: a failure for the credentials: {e}"
                );
                failed += 1;
                assert!(
                    started.elapsed() < bound,
                    "{what}: no answer within {bound:?}: {e}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// The probe on the sqlx pool itself.
async fn through_sqlx(pool: &Pool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(PROBE)
        .fetch_one(pool.as_postgres().unwrap())
        .await
}

/// The probe on a connection from `p.acquire()`.
async fn through_acquire(pool: &Pool) -> Result<String, sqlx::Error> {
    on_pool!(pool, p => async {
        let mut conn = p.acquire().await?;
        query_scalar(sql!("SELECT current_schema() || ' ' || current_setting('statement_timeout')")).fetch_one(&mut *conn).await
    }.await)
}

/// The probe in a transaction from `p.begin()`.
async fn through_begin(pool: &Pool) -> Result<String, sqlx::Error> {
    on_pool!(pool, p => async {
        let mut tx = p.begin().await?;
        let v = query_scalar(sql!("SELECT current_schema() || ' ' || current_setting('statement_timeout')")).fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(v)
    }.await)
}

/// The rotation's bound: a rewritten file reaches every pool within it,
/// with no poll (ten minutes) and no call (a busy machine's margin on the
/// 3 s the README says: the times are printed).
const ROTATION_BOUND: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_rotated() {
    let Some(cluster) = scram() else { return };
    let secret = Secret::new(cluster, "seams_rotated", "Old-Seams-1", false);
    let vars = secret.vars();
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let expected = format!("seams_rotated {TIMEOUT}");
    let s = Seams::from_vars(vars.iter().copied()).unwrap();
    let db = s.database();
    let pool = db.pool().await.unwrap();
    let reader = db.reader().await.unwrap();
    // Each pool holds connections made with the old password.
    for p in [&pool, &reader] {
        assert_eq!(through_p(p).await.unwrap(), expected);
        assert_eq!(through_sqlx(p).await.unwrap(), expected);
    }

    // The rotation: the file first, then the server, then every session
    // cut. No call, a poll of ten minutes: the file is watched.
    let written = Instant::now();
    secret.write("New-Seams-1");
    secret.alter("New-Seams-1");
    secret.cut();
    let mut timings = Vec::new();
    // The sqlx pool itself first: nothing of dbsettings' runs on it.
    for (what, p) in [
        ("the sqlx pool", &pool),
        ("the reader's sqlx pool", &reader),
    ] {
        let (took, failed) =
            until_answered(what, &expected, (ROTATION_BOUND, true), || through_sqlx(p)).await;
        timings.push((what, written.elapsed(), took, failed));
    }
    assert_eq!(db.credentials_generation(), 1);
    let (took, failed) =
        until_answered("p", &expected, (ROTATION_BOUND, false), || through_p(&pool)).await;
    timings.push(("on_pool!'s p", written.elapsed(), took, failed));
    let (took, failed) = until_answered("begin", &expected, (ROTATION_BOUND, false), || {
        through_begin(&pool)
    })
    .await;
    timings.push(("p.begin()", written.elapsed(), took, failed));
    let (took, failed) = until_answered("acquire", &expected, (ROTATION_BOUND, false), || {
        through_acquire(&pool)
    })
    .await;
    timings.push(("p.acquire()", written.elapsed(), took, failed));
    let (took, failed) = until_answered("reader", &expected, (ROTATION_BOUND, false), || {
        through_p(&reader)
    })
    .await;
    timings.push(("db.reader()", written.elapsed(), took, failed));
    for (what, since, took, failed) in &timings {
        eprintln!(
            "rotation: {what} answered {took:?} after its first try ({since:?} after the write), {failed} failed tries"
        );
    }
    // on_pool!'s p and p.begin() met the cut sessions and retried them.
    assert!(
        timings
            .iter()
            .filter(|t| t.0 == "on_pool!'s p" || t.0 == "p.begin()")
            .all(|t| t.3 == 0),
        "{timings:?}"
    );
    db.close().await;
    // Every path on a fresh handle, after the rotation: the matrix's column.
    let seen = Box::pin(every_path(&vars, &expected, false, &plain)).await;
    column_is("SCRAM, rotated", &seen);
}

/// A provider that answers with the password in `current`, good for
/// `valid_for` (asked again before it runs out).
fn provider_of(
    current: &std::sync::Arc<std::sync::Mutex<String>>,
    valid_for: Duration,
) -> impl Fn(&dbsettings::Database) + Sync + use<> {
    let current = std::sync::Arc::clone(current);
    move |db: &dbsettings::Database| {
        let current = std::sync::Arc::clone(&current);
        db.set_credentials_provider(move || {
            let password = current.lock().unwrap().clone();
            async move {
                Ok(dbsettings::credentials::Credential::new(
                    password,
                    Some(valid_for),
                ))
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_provider_rotated() {
    let Some(cluster) = scram() else { return };
    let role = "seams_provided";
    cluster
        .sql(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'Old-Seams-5'; CREATE SCHEMA {role} AUTHORIZATION {role}"
        ))
        .unwrap();
    let url = format!(
        "postgresql://{role}@127.0.0.1:{}/postgres?schema={role}&statement_timeout={TIMEOUT}",
        cluster.port
    );
    let vars = [("DATABASE_URL", url.as_str())];
    let expected = format!("{role} {TIMEOUT}");
    let current = std::sync::Arc::new(std::sync::Mutex::new("Old-Seams-5".to_owned()));
    // An IAM token's life, shortened: asked again every 0.8 s.
    let setup = provider_of(&current, Duration::from_secs(1));
    let s = Seams::from_vars(vars).unwrap();
    let db = s.database();
    setup(&db);
    let pool = db.pool().await.unwrap();
    let reader = db.reader().await.unwrap();
    for p in [&pool, &reader] {
        assert_eq!(through_sqlx(p).await.unwrap(), expected);
    }
    // The rotation: the server's password, the provider's next answer,
    // every session cut.
    let rotated = Instant::now();
    cluster
        .sql(&format!("ALTER ROLE {role} PASSWORD 'New-Seams-5'"))
        .unwrap();
    *current.lock().unwrap() = "New-Seams-5".to_owned();
    cluster
        .sql(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
        ))
        .unwrap();
    // The sqlx pool itself first, where nothing of dbsettings runs: it
    // has the new password from the provider's next ask (0.8 s into its
    // answer's life), with no query through dbsettings.
    let (took, failed) = until_answered("the sqlx pool", &expected, (ROTATION_BOUND, true), || {
        through_sqlx(&pool)
    })
    .await;
    eprintln!(
        "provider rotation: the sqlx pool answered {:?} after the rotation ({took:?} after its first try, {failed} failed tries)",
        rotated.elapsed()
    );
    let (took, _) =
        until_answered("p", &expected, (ROTATION_BOUND, false), || through_p(&pool)).await;
    eprintln!("provider rotation: on_pool!'s p answered after {took:?}");
    until_answered("reader", &expected, (ROTATION_BOUND, false), || {
        through_p(&reader)
    })
    .await;
    db.close().await;
    let seen = Box::pin(every_path(&vars, &expected, false, &setup)).await;
    column_is("SCRAM, provider", &seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_the_query_rotate_like_user_info() {
    let Some(cluster) = scram() else { return };
    let secret = Secret::new(cluster, "seams_query_pw", "Old-Seams-2", true);
    let vars = secret.vars();
    let (logs, _guard) = capture_scoped();
    let s = Seams::from_vars(vars.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    let db = s.database();
    let pool = db.pool().await.unwrap();
    let expected = format!("seams_query_pw {TIMEOUT}");
    assert_eq!(through_p(&pool).await.unwrap(), expected);
    let written = Instant::now();
    secret.write("New-Seams-2");
    secret.alter("New-Seams-2");
    secret.cut();
    let (took, failed) = until_answered("the sqlx pool", &expected, (ROTATION_BOUND, true), || {
        through_sqlx(&pool)
    })
    .await;
    eprintln!(
        "?password= rotation: the sqlx pool answered {:?} after the write ({failed} failed tries)",
        written.elapsed()
    );
    assert!(took < ROTATION_BOUND);
    assert_eq!(through_p(&pool).await.unwrap(), expected);
    assert_eq!(db.credentials_generation(), 1);
    let text = logs.text();
    assert!(!text.contains("another server"), "{text}");
    for pw in ["Old-Seams-2", "New-Seams-2"] {
        assert!(!text.contains(pw), "a password in the log: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_in_flight_see_no_authentication_failure() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let Some(cluster) = scram() else { return };
    let secret = Secret::new(cluster, "seams_in_flight", "Old-Seams-3", false);
    let vars = secret.vars();
    let s = Seams::from_vars(vars.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    let db = s.database();
    let pool = db.pool().await.unwrap();
    let (stop, auth, other, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (pool, stop, auth, other, done) = (
            pool.clone(),
            Arc::clone(&stop),
            Arc::clone(&auth),
            Arc::clone(&other),
            Arc::clone(&done),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match through_p(&pool).await {
                    Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                    Err(e) if is_auth(&e) => auth.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        eprintln!("in flight: {e}");
                        other.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The secret turns, in the harshest order: the file (the watch hands
    // the pool the new password at once), every session cut, and only
    // 300 ms later the server's `ALTER ROLE`: for 300 ms every new
    // connection is refused, and no caller may see it.
    secret.write("New-Seams-3");
    tokio::time::sleep(Duration::from_millis(100)).await;
    secret.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    secret.alter("New-Seams-3");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let (auth, other, done) = (
        auth.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed),
        done.load(Ordering::Relaxed),
    );
    eprintln!(
        "16 callers through a rotation: {done} queries answered, {auth} authentication failures, {other} other failures"
    );
    assert!(done > 100, "{done}");
    assert_eq!(auth, 0, "callers saw authentication failures");
    assert_eq!(other, 0, "callers saw failures");
}

// ---------------------------------------------------------------------------
// TLS

#[tokio::test(flavor = "current_thread")]
async fn tls_verify_full() {
    let (mut cluster, tls): (Cluster, Tls) = match Cluster::init_tls("seams_cert_user") {
        Ok(c) => c,
        Err(why) => return common::skip("the TLS seams", &why),
    };
    cluster.start().unwrap();
    cluster
        .sql("CREATE ROLE seams_tls LOGIN; CREATE SCHEMA seams_tls AUTHORIZATION seams_tls")
        .unwrap();
    let url = format!(
        "postgresql://seams_tls@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}&schema=seams_tls&statement_timeout={TIMEOUT}",
        cluster.port,
        tls.ca.display()
    );
    let vars = [("DATABASE_URL", url.as_str())];
    let seen = Box::pin(every_path(
        &vars,
        &format!("seams_tls {TIMEOUT}"),
        false,
        &plain,
    ))
    .await;
    column_is("TLS, `verify-full`", &seen);
    // Every path above ran over TLS.
    let s = Seams::from_vars(vars).unwrap();
    let pool = s.database().pool().await.unwrap();
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(pool.as_postgres().unwrap())
        .await
        .unwrap();
    assert!(ssl);
}

// ---------------------------------------------------------------------------
// A watched secret file that misbehaves

#[tokio::test(flavor = "current_thread")]
async fn a_watched_secret_file_that_misbehaves_keeps_the_last_good_credentials() {
    let Some(cluster) = scram() else { return };
    let (logs, _guard) = capture_scoped();
    let secret = Secret::new(cluster, "seams_misbehaving", "Good-Seams-4", false);
    let vars = secret.vars();
    let s = Seams::from_vars(vars.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
    let db = s.database();
    let pool = db.pool().await.unwrap();
    let expected = format!("seams_misbehaving {TIMEOUT}");
    let settle = || tokio::time::sleep(Duration::from_millis(300));
    // New connections must still log in: every session is cut first.
    let still_works = |what: &'static str| {
        secret.cut();
        let pool = pool.clone();
        let expected = expected.clone();
        async move {
            until_answered(what, &expected, (ROTATION_BOUND, false), || {
                through_p(&pool)
            })
            .await;
        }
    };

    // Replaced by a directory, touched again and again.
    std::fs::remove_file(&secret.path).unwrap();
    std::fs::create_dir(&secret.path).unwrap();
    for i in 0..5 {
        std::fs::write(secret.path.join(format!("f{i}")), "x").unwrap();
        settle().await;
    }
    still_works("a directory in its place").await;
    // Gone.
    std::fs::remove_dir_all(&secret.path).unwrap();
    settle().await;
    still_works("the file gone").await;
    assert_eq!(db.credentials_generation(), 0);
    let text = logs.text();
    assert_eq!(
        text.matches("is not a regular file; keeping the current credentials")
            .count(),
        1,
        "said once: {text}"
    );
    assert_eq!(
        text.matches("cannot be read (entity not found); keeping the current credentials")
            .count(),
        1,
        "said once: {text}"
    );

    // A writer in a loop: a thousand rewrites a second for two seconds,
    // alternating two passwords, so that each re-read that lands is a new
    // generation. At most ten re-reads a second may land.
    let (path, a, b) = (
        secret.path.clone(),
        secret.url("Loop-A"),
        secret.url("Loop-B"),
    );
    let writer = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut n = 0_u32;
        while started.elapsed() < Duration::from_secs(2) {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, if n.is_multiple_of(2) { &a } else { &b }).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
            n += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        n
    });
    let before = db.credentials_generation();
    let written = writer.await.unwrap();
    settle().await;
    let rereads = db.credentials_generation() - before;
    eprintln!("a file rewritten {written} times in 2 s: {rereads} new generations");
    assert!(written > 500, "{written}");
    assert!((1..=25).contains(&rereads), "{rereads} re-reads in 2 s");

    // Kubernetes: the file is a link into a directory that a link swap
    // replaces. The good password again, through that.
    let root = secret.path.parent().unwrap();
    let data = root.join("ts-1");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("url"), secret.url("Good-Seams-4")).unwrap();
    std::os::unix::fs::symlink("ts-1", root.join("..data")).unwrap();
    std::fs::remove_file(&secret.path).unwrap();
    std::os::unix::fs::symlink("..data/url", &secret.path).unwrap();
    settle().await;
    still_works("a Kubernetes secret").await;
    secret.alter("Swapped-Seams-4");
    let next = root.join("ts-2");
    std::fs::create_dir(&next).unwrap();
    std::fs::write(next.join("url"), secret.url("Swapped-Seams-4")).unwrap();
    std::os::unix::fs::symlink("ts-2", root.join("..data_tmp")).unwrap();
    let swapped = Instant::now();
    std::fs::rename(root.join("..data_tmp"), root.join("..data")).unwrap();
    let generation = db.credentials_generation();
    while db.credentials_generation() == generation {
        assert!(swapped.elapsed() < ROTATION_BOUND, "the swap was not seen");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!(
        "a Kubernetes secret swap was seen after {:?}",
        swapped.elapsed()
    );
    still_works("after the swap").await;
    let text = logs.text();
    for pw in ["Good-Seams-4", "Loop-A", "Loop-B", "Swapped-Seams-4"] {
        assert!(!text.contains(pw), "a password in the log");
    }
}

// ---------------------------------------------------------------------------
// A setting the server refuses, behind a pooler

#[tokio::test(flavor = "current_thread")]
async fn a_setting_refused_behind_a_pooler_leaves_no_aborted_connection() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let bouncer = match PgBouncer::start_refusing_options(5432, "test", 2) {
        Ok(b) => b,
        Err(why) => return common::skip("the PgBouncer seams", &why),
    };
    admin("DROP ROLE IF EXISTS seams_later").await;
    // `SET LOCAL role` fails while the role does not exist.
    let url = format!(
        "postgresql://postgres@127.0.0.1:{}/test?pgbouncer=true&options=-c%20role%3Dseams_later",
        bouncer.port
    );
    let s = NoMigrations::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let db = s.database();
    let pool = db.pool().await.unwrap();
    let who = || async {
        let name: Result<String, sqlx::Error> =
            on_pool!(pool, p => query_scalar(sql!("SELECT current_user::text")).fetch_one(p).await);
        name
    };
    for _ in 0..6 {
        let e = who().await.expect_err("the role does not exist yet");
        assert!(e.to_string().contains("seams_later"), "{e}");
    }
    admin("CREATE ROLE seams_later").await;
    // No connection was left in the aborted transaction of a refused
    // setting: every query now runs as the role.
    for _ in 0..6 {
        assert_eq!(who().await.unwrap(), "seams_later");
    }
    db.close().await;
    drop(bouncer);
    admin("DROP ROLE seams_later").await;
}

// ---------------------------------------------------------------------------
// A hostile pass's findings, each a test that failed before its fix

/// `statement` on the machine's server, as the superuser.
async fn admin_scalar(statement: &str) -> i64 {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(servers::POSTGRES_URL)
        .await
        .unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(statement.to_owned()))
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

/// Ends every session of `app` on the machine's server.
async fn terminate(app: &str) -> i64 {
    admin_scalar(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = '{app}' AND pid <> pg_backend_pid()"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_procedure_that_committed_is_not_run_again_after_its_session_ends() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    admin(
        "DROP TABLE IF EXISTS seams_once; CREATE TABLE seams_once (v int); \
         CREATE OR REPLACE PROCEDURE seams_once_proc(x int) LANGUAGE plpgsql AS \
         $$ BEGIN INSERT INTO seams_once VALUES (x); COMMIT; PERFORM pg_sleep(1); END $$",
    )
    .await;
    let url = format!("{}?application_name=seams_once", servers::POSTGRES_URL);
    let s = NoMigrations::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let pool = s.database().pool().await.unwrap();
    for (v, script) in [(1, false), (2, true)] {
        let call = tokio::spawn({
            let pool = pool.clone();
            async move {
                if script {
                    on_pool!(pool, p => sqlx::raw_sql(
                        "DO $$ BEGIN INSERT INTO seams_once VALUES (2); COMMIT; PERFORM pg_sleep(1); END $$"
                    ).execute(p).await.map(drop))
                } else {
                    on_pool!(pool, p => query(sql!("CALL seams_once_proc($1)")).bind(v).execute(p).await.map(drop))
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(terminate("seams_once").await >= 1);
        let outcome = call.await.unwrap();
        let e = outcome.expect_err("the session ended under it");
        assert!(
            matches!(&e, sqlx::Error::Database(d) if d.code().as_deref() == Some("57P01")),
            "{e}"
        );
        let rows = admin_scalar(&format!("SELECT count(*) FROM seams_once WHERE v = {v}")).await;
        assert_eq!(
            rows, 1,
            "a procedure that committed ran again (script: {script})"
        );
    }
    admin("DROP PROCEDURE seams_once_proc; DROP TABLE seams_once").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_every_session_ended_the_run_again_gets_a_fresh_connection() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let url = format!("{}?application_name=seams_restart", servers::POSTGRES_URL);
    let s = NoMigrations::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let db = s.database();
    let pool = db.pool().await.unwrap();
    for round in 0..3 {
        // Eight idle connections, all ended at once, as a restart does.
        let warm: Vec<_> = (0..8)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    on_pool!(pool, p => query(sql!("SELECT pg_sleep(0.05)")).execute(p).await.map(drop))
                })
            })
            .collect();
        for w in warm {
            w.await.unwrap().unwrap();
        }
        assert!(terminate("seams_restart").await >= 4, "round {round}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            through_p(&pool).await.unwrap(),
            "public 0",
            "round {round}: p"
        );
        assert!(terminate("seams_restart").await >= 1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            through_begin(&pool).await.unwrap(),
            "public 0",
            "round {round}: p.begin()"
        );
    }
    db.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn behind_a_pooler_a_script_that_ends_the_transaction_is_refused() {
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    let bouncer = match PgBouncer::start(5432, "test", 2) {
        Ok(b) => b,
        Err(why) => return common::skip("the PgBouncer seams", &why),
    };
    fresh_schema("seams_scripts").await;
    let port = bouncer.port;
    let url = format!(
        "postgresql://postgres@127.0.0.1:{port}/test?pgbouncer=true&schema=seams_scripts&options=-c%20transaction_read_only%3Doff"
    );
    let s = NoMigrations::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let db = s.database();
    let pool = db.pool().await.unwrap();
    for script in [
        "BEGIN; CREATE TABLE seams_t1 (x int); COMMIT; CREATE TABLE seams_t2 (x int)",
        "ROLLBACK; CREATE TABLE seams_t3 (x int)",
        "END; CREATE TABLE seams_t4 (x int)",
    ] {
        let e = on_pool!(pool, p => sqlx::raw_sql(sqlx::AssertSqlSafe(script)).execute(p).await.map(drop))
            .expect_err("it would run part of the script without the schema");
        let text = e.to_string();
        assert!(
            text.contains("`search_path`") && text.contains("db.direct()"),
            "{text}"
        );
    }
    // Inside the caller's transaction too.
    let in_tx = on_pool!(pool, p => async {
        let mut tx = p.begin().await?;
        sqlx::raw_sql("COMMIT; CREATE TABLE seams_t5 (x int)").execute(&mut *tx).await.map(drop)
    }.await);
    assert!(in_tx.is_err(), "{in_tx:?}");
    // Nothing was created anywhere; a savepoint is fine.
    let tables =
        admin_scalar("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'seams_t_'").await;
    assert_eq!(tables, 0);
    on_pool!(pool, p => sqlx::raw_sql("SAVEPOINT a; CREATE TABLE seams_t6 (x int); ROLLBACK TO a; RELEASE a").execute(p).await.map(drop)).unwrap();

    // The URL's `transaction_read_only=off` cannot make the reader writable.
    let reader = db.reader().await.unwrap();
    let write = on_pool!(reader, p => query(sql!("CREATE TABLE seams_written (x int)")).execute(p).await.map(drop));
    match write {
        Err(sqlx::Error::Database(e)) => assert_eq!(e.code().as_deref(), Some("25006"), "{e}"),
        other => panic!("a write through the reader: {other:?}"),
    }
    db.close().await;
    drop(bouncer);
}

// ---------------------------------------------------------------------------
// A provider that turns often: the secrets kept stay few

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_turns_often_keeps_the_secret_list_short() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    if !servers::available("PostgreSQL", POSTGRES).await {
        return;
    }
    // The machine's server trusts 127.0.0.1: any password logs in, and the
    // list of secrets is what is under test.
    let s = NoMigrations::from_vars([("DATABASE_URL", servers::POSTGRES_URL)]).unwrap();
    let db = s.database();
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let token = |n: usize| format!("token-{n:04}-{}", "x".repeat(1500));
    db.set_credentials_provider({
        let asked = std::sync::Arc::clone(&asked);
        move || {
            let n = asked.fetch_add(1, Ordering::Relaxed);
            async move {
                Ok(dbsettings::credentials::Credential::new(
                    format!("token-{n:04}-{}", "x".repeat(1500)),
                    None,
                ))
            }
        }
    });
    db.pool().await.unwrap();
    // Thirty turns.
    for _ in 0..30 {
        let before = db.credentials_generation();
        db.recheck_credentials();
        let started = Instant::now();
        while db.credentials_generation() == before {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the provider was not asked"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let last = asked.load(Ordering::Relaxed) - 1;
    assert!(last >= 30, "{last}");
    // The newest answers are hidden; the first ones, whose connections
    // are long gone, are no longer kept.
    for n in [last, last - 1, last - 3] {
        assert!(!db.redact(&token(n)).contains("token-"), "answer {n} shown");
    }
    assert_eq!(
        db.redact(&token(0)),
        token(0),
        "the first answer is still kept"
    );
    db.close().await;
}
