//! The harness of dbsettings' tests and benchmarks: throwaway servers that a
//! test starts and always tears down (on drop, also when it fails).
//!
//! - [`PgBouncer`]: Debian's PgBouncer in transaction mode in front of a
//!   PostgreSQL, with a small server pool so that clients share server
//!   connections, as managed poolers do.
//! - [`Cluster`]: a PostgreSQL 15 cluster of its own (`initdb`, `pg_ctl`) on
//!   a spare port under a temp dir, as the `postgres` OS user when run as
//!   root, whose `pg_hba.conf` asks TCP clients for a SCRAM password (the
//!   machine's server trusts 127.0.0.1, so a password test against it
//!   proves nothing).
//!
//! Each `start` returns `Err` with the reason when the machine cannot run
//! it (the binary is missing, ...), for the test to skip loudly.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Where Debian installs PostgreSQL 15's server binaries.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A loopback port nobody listens on (bound, then released).
#[must_use]
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(0, |a| a.port())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args`, as the `postgres` OS user when this process is root
/// (`initdb`, `pg_ctl` and `pgbouncer` refuse to run as root).
fn as_server_user(program: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    }
}

/// A temp dir the server user can write.
fn server_dir(prefix: &str) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| format!("no temp dir: {e}"))?;
    if is_root() {
        let ok = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("cannot hand a temp dir to the postgres user".to_owned());
        }
    }
    Ok(dir)
}

fn run(command: &mut Command, what: &str) -> Result<Output, String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what} cannot run: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Waits until something listens on `port`, up to `limit`.
fn wait_for_port(port: u16, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// PgBouncer in transaction mode on a spare port. Stopped on drop.
pub struct PgBouncer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
}

impl PgBouncer {
    /// Starts PgBouncer in front of the PostgreSQL at 127.0.0.1:`upstream`,
    /// serving its database `database` to user `postgres` (trust), with
    /// `pool_size` server connections for all clients.
    pub fn start(upstream: u16, database: &str, pool_size: u32) -> Result<Self, String> {
        Self::start_in("transaction", upstream, database, pool_size)
    }

    /// [`start`](Self::start) in another pool mode: `session` (each client
    /// keeps its server connection: named statements work, the fair
    /// reference for what the pooler's hop costs) or `transaction`.
    pub fn start_in(
        mode: &str,
        upstream: u16,
        database: &str,
        pool_size: u32,
    ) -> Result<Self, String> {
        let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or("PgBouncer is not installed (apt-get install pgbouncer)")?;
        let dir = server_dir("dbsettings-pgbouncer-")?;
        let port = free_port();
        let d = dir.path().display();
        let ini = format!(
            "[databases]\n{database} = host=127.0.0.1 port={upstream} dbname={database}\n\
             [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = trust\n\
             auth_file = {d}/userlist.txt\npool_mode = {mode}\n\
             default_pool_size = {pool_size}\nmax_client_conn = 200\nunix_socket_dir =\n\
             logfile = {d}/pgbouncer.log\npidfile = {d}/pgbouncer.pid\n\
             ignore_startup_parameters = extra_float_digits,options\n"
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), ini).map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("userlist.txt"), "\"postgres\" \"\"\n")
            .map_err(|e| e.to_string())?;
        if is_root() {
            let _ = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status();
        }
        run(
            as_server_user(binary)
                .arg("-d")
                .arg(dir.path().join("pgbouncer.ini")),
            "pgbouncer",
        )?;
        let bouncer = Self { port, dir };
        if wait_for_port(port, Duration::from_secs(10)) {
            Ok(bouncer)
        } else {
            Err(format!("PgBouncer did not listen on {port}"))
        }
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("pgbouncer.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
            // It removes its pid file when it is gone.
            let started = Instant::now();
            while self.dir.path().join("pgbouncer.pid").exists()
                && started.elapsed() < Duration::from_secs(5)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// A PostgreSQL cluster of its own on a spare port. Stopped (immediately)
/// and removed on drop.
pub struct Cluster {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    running: bool,
}

impl Cluster {
    /// Creates the cluster, without starting it: `pg_hba.conf` trusts the
    /// Unix socket (for administration) and asks TCP clients for a SCRAM
    /// password.
    pub fn init() -> Result<Self, String> {
        let initdb = format!("{PG_BIN}/initdb");
        if !Path::new(&initdb).exists() {
            return Err(format!("{initdb} is not installed"));
        }
        let dir = server_dir("dbsettings-cluster-")?;
        let data = dir.path().join("data");
        run(
            as_server_user(&initdb)
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
                .arg(&data),
            "initdb",
        )?;
        let hba = "local all all trust\n\
                   host all postgres 127.0.0.1/32 trust\n\
                   host replication postgres 127.0.0.1/32 trust\n\
                   host all all 127.0.0.1/32 scram-sha-256\n";
        std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| e.to_string())?;
        let port = free_port();
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             password_encryption = 'scram-sha-256'\nfsync = off\nmax_connections = 40\n",
            dir.path().display()
        );
        let mut existing =
            std::fs::read_to_string(data.join("postgresql.conf")).map_err(|e| e.to_string())?;
        existing.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), existing).map_err(|e| e.to_string())?;
        Ok(Self {
            port,
            dir,
            running: false,
        })
    }

    /// [`init`](Self::init), then [`start`](Self::start).
    pub fn start_new() -> Result<Self, String> {
        let mut c = Self::init()?;
        c.start()?;
        Ok(c)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&mut self) -> Result<(), String> {
        run(
            as_server_user(&format!("{PG_BIN}/pg_ctl"))
                .args(["-w", "-t", "30", "-l"])
                .arg(self.dir.path().join("server.log"))
                .arg("-D")
                .arg(self.data())
                .arg("start"),
            "pg_ctl start",
        )?;
        self.running = true;
        Ok(())
    }

    /// A streaming-replication standby of `primary` (`pg_basebackup -R -X
    /// stream`), on a spare port, started.
    pub fn standby_of(primary: &Self) -> Result<Self, String> {
        let dir = server_dir("dbsettings-standby-")?;
        let data = dir.path().join("data");
        run(
            as_server_user(&format!("{PG_BIN}/pg_basebackup"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-R",
                    "-X",
                    "stream",
                    "-p",
                ])
                .arg(primary.port.to_string())
                .arg("-D")
                .arg(&data),
            "pg_basebackup",
        )?;
        // The copied configuration names the primary's port and socket
        // directory: later lines win.
        let port = free_port();
        let mut conf =
            std::fs::read_to_string(data.join("postgresql.conf")).map_err(|e| e.to_string())?;
        let extra = format!(
            "port = {port}\nunix_socket_directories = '{}'\nhot_standby = on\n",
            dir.path().display()
        );
        conf += &extra;
        std::fs::write(data.join("postgresql.conf"), conf).map_err(|e| e.to_string())?;
        let mut standby = Self {
            port,
            dir,
            running: false,
        };
        standby.start()?;
        Ok(standby)
    }

    /// One cluster for every test of the binary that can share it (each with
    /// roles and databases of its own, none stopping it): started by the
    /// first caller, stopped and removed after the test process exits.
    pub fn shared() -> Result<&'static Self, String> {
        static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                let cluster = Self::start_new()?;
                cluster.stop_after_exit()?;
                Ok(cluster)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Statics are never dropped: a watcher stops the server and removes
    /// its directory once this process is gone (also after a failed test
    /// or Ctrl-C, which it ignores).
    fn stop_after_exit(&self) -> Result<(), String> {
        let runuser = if is_root() {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let script = format!(
            "trap '' INT HUP TERM; while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {runuser}{PG_BIN}/pg_ctl -m immediate -D '{data}' stop; rm -rf '{dir}'",
            pid = std::process::id(),
            data = self.data().display(),
            dir = self.dir.path().display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|e| format!("cannot start the cluster's watcher: {e}"))
    }

    /// Stops the server at once, as a crash would (`pg_ctl -m immediate`).
    pub fn stop_now(&mut self) -> Result<(), String> {
        run(
            as_server_user(&format!("{PG_BIN}/pg_ctl"))
                .args(["-m", "immediate", "-D"])
                .arg(self.data())
                .arg("stop"),
            "pg_ctl stop",
        )?;
        self.running = false;
        Ok(())
    }

    /// Promotes a standby to primary and waits until it accepts writes.
    pub fn promote(&self) -> Result<(), String> {
        run(
            as_server_user(&format!("{PG_BIN}/pg_ctl"))
                .args(["-w", "-D"])
                .arg(self.data())
                .arg("promote"),
            "pg_ctl promote",
        )
        .map(drop)
    }

    /// Runs SQL as the superuser, over the cluster's Unix socket.
    pub fn sql(&self, statement: &str) -> Result<String, String> {
        let out = run(
            Command::new("psql")
                .args([
                    "-X", "-q", "-t", "-A", "-U", "postgres", "-d", "postgres", "-h",
                ])
                .arg(self.dir.path())
                .args(["-p", &self.port.to_string(), "-c", statement]),
            "psql",
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// A primary and its streaming standby for every test of the binary that
/// only reads from them (none stopping or promoting either), as
/// [`Cluster::shared`]: started once, stopped after the process exits.
pub fn shared_pair() -> Result<&'static (Cluster, Cluster), String> {
    static SHARED: OnceLock<Result<(Cluster, Cluster), String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let primary = Cluster::start_new()?;
            primary.stop_after_exit()?;
            let standby = Cluster::standby_of(&primary)?;
            standby.stop_after_exit()?;
            Ok((primary, standby))
        })
        .as_ref()
        .map_err(Clone::clone)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            let _ = as_server_user(&format!("{PG_BIN}/pg_ctl"))
                .args(["-m", "immediate", "-D"])
                .arg(self.data())
                .arg("stop")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}
