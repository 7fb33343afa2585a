//! Failover under a real HA manager (issue 27, part 4): a `pg_auto_failover`
//! formation (a monitor, two data nodes), the URL it prints (several
//! hosts, `target_session_attrs=read-write`), writers through `on_pool!`,
//! and beside them libpq (`psql`, a new connection every 50 ms) through
//! the same URL. Three `pg_autoctl perform failover`s, then three deaths
//! of the whole primary node (its keeper and its postgres, SIGKILL): every
//! acknowledged write is on the new primary afterwards, and dbsettings'
//! first write on the new primary comes within 1 s of libpq's.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbsettings::{DatabaseSettings, DatabaseUrl, on_pool, query_scalar, sql, sqlx};
use dbsettings_tests::AutoFailover;

#[derive(DatabaseSettings, Debug)]
struct Settings {
    #[settings(env = "DATABASE_URL", connect_timeout = "1s", acquire_timeout = "3s")]
    database_url: DatabaseUrl,
}

/// Successful writes: when, and on which server port.
type Log = Arc<Mutex<Vec<(Instant, i32)>>>;

/// When the first write in `log` after `since` landed on `port`.
fn first_on(log: &Log, since: Instant, port: u16) -> Option<Duration> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|(at, p)| *at >= since && i32::from(port) == *p)
        .map(|(at, _)| at.duration_since(since))
        .min()
}

/// Four writers through `on_pool!`, every 20 ms, until `stop`: their
/// handles, the writes that succeeded (when, on which port), the
/// acknowledged `(task, n)`, and how many a demoted primary refused.
#[allow(clippy::type_complexity, reason = "a test's bookkeeping")]
fn writers(
    pool: &dbsettings::Pool,
    stop: &Arc<AtomicBool>,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    Log,
    Arc<Mutex<BTreeSet<(i32, i32)>>>,
    Arc<Mutex<usize>>,
) {
    let ours: Log = Arc::default();
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let read_only_refusals = Arc::new(Mutex::new(0_usize));
    let mut writers = Vec::new();
    for task in 0..4_i32 {
        let (pool, stop, ours, acknowledged, refusals) = (
            pool.clone(),
            Arc::clone(stop),
            Arc::clone(&ours),
            Arc::clone(&acknowledged),
            Arc::clone(&read_only_refusals),
        );
        writers.push(tokio::spawn(async move {
            let mut n = 0_i32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let wrote: Result<i32, sqlx::Error> = on_pool!(pool, p => query_scalar(sql!("INSERT INTO af_writes VALUES ($1, $2) RETURNING inet_server_port()")).bind(task).bind(n).fetch_one(p).await);
                match wrote {
                    Ok(port) => {
                        ours.lock().unwrap().push((Instant::now(), port));
                        acknowledged.lock().unwrap().insert((task, n));
                    }
                    Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("25006") => {
                        *refusals.lock().unwrap() += 1;
                    }
                    Err(_) => {}
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    (writers, ours, acknowledged, read_only_refusals)
}

/// libpq beside them: `psql` through the same URL, a new connection each
/// 50 ms, until `stop`; the writes that succeeded.
fn libpq(uri: &str, stop: &Arc<AtomicBool>) -> (std::thread::JoinHandle<()>, Log) {
    let theirs: Log = Arc::default();
    let libpq = std::thread::spawn({
        let (stop, theirs, uri) = (Arc::clone(stop), Arc::clone(&theirs), uri.to_owned());
        move || {
            while !stop.load(Ordering::Relaxed) {
                let out = std::process::Command::new("psql")
                    .args(["-X", "-q", "-t", "-A", &uri, "-c", "SELECT inet_server_port() WHERE pg_is_in_recovery() = false AND txid_current() > 0"])
                    .output();
                if let Ok(out) = out
                    && out.status.success()
                    && let Ok(port) = String::from_utf8_lossy(&out.stdout).trim().parse::<i32>()
                {
                    theirs.lock().unwrap().push((Instant::now(), port));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    });
    (libpq, theirs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_under_pg_auto_failover_loses_nothing_and_keeps_up_with_libpq() {
    let formation = match AutoFailover::start() {
        Ok(f) => f,
        Err(why) => return common::skip("the pg_auto_failover test", &why),
    };
    let uri = format!("{}&user=postgres", formation.uri().unwrap());
    let s = Settings::from_vars([("DATABASE_URL", uri.as_str())]).unwrap();
    let db = s.database();
    let pool = db.pool().await.expect("the formation's URL");
    on_pool!(pool, p => dbsettings::query(sql!("CREATE TABLE af_writes (task int, n int, PRIMARY KEY (task, n))")).execute(p).await.map(drop)).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let (writers, ours, acknowledged, read_only_refusals) = writers(&pool, &stop);
    let (libpq, theirs) = libpq(&uri, &stop);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut report = Vec::new();
    for (kind, round) in [
        ("perform failover", 0),
        ("perform failover", 1),
        ("perform failover", 2),
        ("primary node killed", 0),
        ("primary node killed", 1),
        ("primary node killed", 2),
    ] {
        let before = formation.state();
        let old =
            AutoFailover::primary_in(&before).unwrap_or_else(|| panic!("no primary:\n{before}"));
        eprintln!("{kind} {round}: the primary is node{}", old + 1);
        let started = Instant::now();
        if kind == "perform failover" {
            formation.perform_failover().unwrap();
        } else {
            formation.kill_node(old).unwrap();
        }
        let settled = formation
            .wait_for(Duration::from_mins(1), |state| {
                AutoFailover::primary_in(state) == Some(1 - old)
            })
            .unwrap_or_else(|e| panic!("{kind} {round}: {e}"));
        let new_port = formation.ports[1 - old];
        // Writes on the new primary, from both.
        let deadline = Instant::now() + Duration::from_secs(15);
        let (mut a, mut b) = (None, None);
        while (a.is_none() || b.is_none()) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            a = first_on(&ours, started, new_port);
            b = first_on(&theirs, started, new_port);
        }
        let (ours_at, libpq_at) = (
            a.unwrap_or_else(|| {
                panic!("{kind} {round}: no write of dbsettings' on the new primary\n{settled}")
            }),
            b.unwrap_or_else(|| {
                panic!("{kind} {round}: no write of libpq's on the new primary\n{settled}")
            }),
        );
        eprintln!(
            "{kind} (run {}): first write on the new primary: dbsettings {ours_at:?}, libpq {libpq_at:?} after the start",
            round + 1
        );
        report.push((kind, ours_at, libpq_at));
        assert!(
            ours_at < libpq_at + Duration::from_secs(1),
            "{kind} {round}: dbsettings {ours_at:?}, libpq {libpq_at:?}"
        );
        if kind == "primary node killed" {
            // The dead node comes back, as a secondary.
            formation.restart_node(old).unwrap();
            formation
                .wait_for(Duration::from_mins(1), AutoFailover::settled)
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    libpq.join().unwrap();

    // Every acknowledged write is on the primary.
    let rows: Vec<(i32, i32)> = on_pool!(pool, p => dbsettings::query_as(sql!("SELECT task, n FROM af_writes")).fetch_all(p).await).unwrap();
    let on_primary: BTreeSet<(i32, i32)> = rows.into_iter().collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    let lost: Vec<_> = acknowledged.difference(&on_primary).collect();
    eprintln!(
        "{} writes acknowledged, {} lost; {} refused as read-only by a demoted primary",
        acknowledged.len(),
        lost.len(),
        read_only_refusals.lock().unwrap()
    );
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert!(acknowledged.len() > 200);
    db.close().await;
}

/// A primary demoted in place (read-only, still answering pings), as a
/// manager leaves the old primary: the first write it refuses (`25006`)
/// closes that connection and wakes the failover task, which moves the
/// pool to the host that takes writes: a handful of refusals, not a
/// stream of them until the next check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demoted_primary_is_left_at_its_first_read_only_refusal() {
    let (a, b) = match (
        dbsettings_tests::Cluster::start_new(),
        dbsettings_tests::Cluster::start_new(),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(why), _) | (_, Err(why)) => return common::skip("the demoted-primary test", &why),
    };
    for c in [&a, &b] {
        c.sql("CREATE TABLE demoted (n int)").unwrap();
    }
    let url = format!(
        "postgresql://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
        a.port, b.port
    );
    let settings = Settings::from_vars([("DATABASE_URL", url.as_str())]).unwrap();
    let db = settings.database();
    let pool = db.pool().await.unwrap();
    let write = |n: i32| {
        let pool = pool.clone();
        async move {
            on_pool!(pool, p => query_scalar::<_, i32>(sql!("INSERT INTO demoted VALUES ($1) RETURNING inet_server_port()")).bind(n).fetch_one(p).await)
        }
    };
    assert_eq!(write(0).await.unwrap(), i32::from(a.port));
    a.sql("ALTER SYSTEM SET default_transaction_read_only = on")
        .unwrap();
    a.sql("SELECT pg_reload_conf()").unwrap();
    let demoted = Instant::now();
    let mut refusals = 0;
    let mut n = 1;
    let moved = loop {
        match write(n).await {
            Ok(port) if port == i32::from(b.port) => break demoted.elapsed(),
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("25006") => refusals += 1,
            Err(e) => panic!("{e}"),
        }
        assert!(
            demoted.elapsed() < Duration::from_secs(5),
            "the pool stayed on the demoted primary"
        );
        n += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    eprintln!(
        "a primary demoted in place: writes moved after {moved:?}, {refusals} refused as read-only"
    );
    assert!(
        refusals <= 3,
        "{refusals} writes refused before the pool moved"
    );
    db.close().await;
}
