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
//! - [`Tls`]: a CA, server and client certificates made with the `openssl`
//!   CLI; [`Cluster::init_tls`] a cluster that serves them (`ssl = on`,
//!   `hostssl` lines only), [`MariaDb`] a MariaDB of its own that does
//!   (the machine's MariaDB on 3306 is shared and has no certificates).
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

/// The variables libpq's tools read for where and how to connect.
const LIBPQ_VARS: [&str; 16] = [
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGDATABASE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "PGOPTIONS",
    "PGAPPNAME",
    "PGTARGETSESSIONATTRS",
];

fn run(command: &mut Command, what: &str) -> Result<Output, String> {
    // A test may run in a poisoned environment (tests/hostile.rs): the
    // harness's psql and pg_basebackup go where they are told, not where
    // `PGHOSTADDR` says.
    for var in LIBPQ_VARS {
        command.env_remove(var);
    }
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
        Self::start_with(
            mode,
            upstream,
            database,
            pool_size,
            "extra_float_digits,options",
        )
    }

    /// [`start`](Self::start) with PgBouncer's usual
    /// `ignore_startup_parameters = extra_float_digits`, under which it
    /// refuses a client that sends the `options` startup parameter
    /// (`unsupported startup parameter: options`); [`start`](Self::start)
    /// ignores it instead.
    pub fn start_refusing_options(
        upstream: u16,
        database: &str,
        pool_size: u32,
    ) -> Result<Self, String> {
        Self::start_with(
            "transaction",
            upstream,
            database,
            pool_size,
            "extra_float_digits",
        )
    }

    fn start_with(
        mode: &str,
        upstream: u16,
        database: &str,
        pool_size: u32,
        ignored: &str,
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
             ignore_startup_parameters = {ignored}\n"
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

    /// The cluster's data directory (`pg_hba.conf`, `postgresql.conf`).
    #[must_use]
    pub fn data(&self) -> PathBuf {
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
                    // An immediate checkpoint on the primary, not a spread
                    // one: a second less per standby.
                    "-c",
                    "fast",
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

/// A PostgreSQL cluster behind a network path that can go silent: the
/// server runs in a network namespace of its own (`ip netns`), reached
/// over a veth pair on a private /30, and [`cut`](Self::cut) drops every
/// packet in and out inside the namespace (nftables), as a dead link or a
/// frozen host does: no reset, no reply. Administration goes over the
/// cluster's Unix socket, which no cut reaches. Needs root, `ip` and
/// `nft`; everything is removed on drop.
pub struct SilentServer {
    /// The cluster (trusts the host side of the pair).
    pub cluster: Cluster,
    /// The server's address inside the namespace.
    pub addr: String,
    ns: String,
}

impl SilentServer {
    /// Makes the namespace and the pair, and starts a cluster listening on
    /// the namespace's side.
    pub fn start() -> Result<Self, String> {
        if !is_root() {
            return Err("a network namespace needs root".to_owned());
        }
        for tool in ["/usr/sbin/ip", "/usr/sbin/nft"] {
            if !Path::new(tool).exists() {
                return Err(format!(
                    "{tool} is not installed (apt-get install iproute2 nftables)"
                ));
            }
        }
        // A subnet of its own: 10.213.k.0/30, k from a free port.
        let k = free_port() % 250 + 1;
        let ns = format!("dbsettings-silent-{k}-{}", std::process::id());
        let (host_if, ns_if) = (format!("dbsh{k}"), format!("dbsn{k}"));
        let (host_addr, addr) = (format!("10.213.{k}.1"), format!("10.213.{k}.2"));
        let ip = |args: &[&str]| run(Command::new("ip").args(args), "ip");
        ip(&["netns", "add", &ns])?;
        let made = (|| {
            ip(&[
                "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
            ])?;
            ip(&["link", "set", &ns_if, "netns", &ns])?;
            ip(&["addr", "add", &format!("{host_addr}/30"), "dev", &host_if])?;
            ip(&["link", "set", &host_if, "up"])?;
            ip(&[
                "netns",
                "exec",
                &ns,
                "ip",
                "addr",
                "add",
                &format!("{addr}/30"),
                "dev",
                &ns_if,
            ])?;
            ip(&["netns", "exec", &ns, "ip", "link", "set", &ns_if, "up"])?;
            ip(&["netns", "exec", &ns, "ip", "link", "set", "lo", "up"])?;
            Ok::<(), String>(())
        })();
        if let Err(e) = made {
            let _ = ip(&["netns", "del", &ns]);
            return Err(e);
        }
        let server = Self::serve(ns.clone(), &addr, &host_addr);
        if server.is_err() {
            let _ = ip(&["netns", "del", &ns]);
        }
        server
    }

    fn serve(ns: String, addr: &str, host_addr: &str) -> Result<Self, String> {
        let mut cluster = Cluster::init()?;
        let data = cluster.data();
        let mut hba =
            std::fs::read_to_string(data.join("pg_hba.conf")).map_err(|e| e.to_string())?;
        hba += "host all all ";
        hba += host_addr;
        hba += "/32 trust\n";
        std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| e.to_string())?;
        let mut conf =
            std::fs::read_to_string(data.join("postgresql.conf")).map_err(|e| e.to_string())?;
        conf += "listen_addresses = '";
        conf += addr;
        conf += "'\n";
        std::fs::write(data.join("postgresql.conf"), conf).map_err(|e| e.to_string())?;
        run(
            Command::new("ip")
                .args(["netns", "exec", &ns, "runuser", "-u", "postgres", "--"])
                .arg(format!("{PG_BIN}/pg_ctl"))
                .args(["-w", "-t", "30", "-l"])
                .arg(cluster.dir.path().join("server.log"))
                .arg("-D")
                .arg(&data)
                .arg("start"),
            "pg_ctl start in the namespace",
        )?;
        cluster.running = true;
        Ok(Self {
            cluster,
            addr: addr.to_owned(),
            ns,
        })
    }

    /// The server's URL as user `postgres` on database `postgres`.
    #[must_use]
    pub fn url(&self) -> String {
        format!(
            "postgresql://postgres@{}:{}/postgres",
            self.addr, self.cluster.port
        )
    }

    /// Every packet in and out of the namespace dropped: the server goes
    /// silent, with no reset.
    pub fn cut(&self) -> Result<(), String> {
        let rules = "table inet silent {\n\
             chain input { type filter hook input priority 0; policy drop; }\n\
             chain output { type filter hook output priority 0; policy drop; }\n}\n";
        let file = self.cluster.dir.path().join("silent.nft");
        std::fs::write(&file, rules).map_err(|e| e.to_string())?;
        run(
            Command::new("ip")
                .args(["netns", "exec", &self.ns, "nft", "-f"])
                .arg(&file),
            "nft",
        )
        .map(drop)
    }

    /// The path back.
    pub fn restore(&self) -> Result<(), String> {
        run(
            Command::new("ip").args([
                "netns", "exec", &self.ns, "nft", "delete", "table", "inet", "silent",
            ]),
            "nft",
        )
        .map(drop)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        let _ = self.restore();
        let _ = self.cluster.stop_now();
        // Deleting the namespace deletes the pair.
        let _ = run(Command::new("ip").args(["netns", "del", &self.ns]), "ip");
    }
}

/// A `pg_auto_failover` formation (Debian's `postgresql-15-auto-failover`):
/// a monitor and two data nodes on loopback ports under a temp dir, each
/// `pg_autoctl run` in a session of its own (so a node's keeper and its
/// postgres can be killed together, as a host that dies), the monitor's
/// health checks and demote timeout shortened so that a dead primary is
/// replaced in seconds rather than about 50 s. Everything is stopped and
/// removed on drop.
pub struct AutoFailover {
    dir: tempfile::TempDir,
    /// The data nodes' ports, `node1` and `node2`.
    pub ports: [u16; 2],
    monitor_port: u16,
}

impl AutoFailover {
    const NODES: [&'static str; 2] = ["node1", "node2"];

    /// Creates and starts the formation; returns when it has a primary and
    /// a secondary.
    pub fn start() -> Result<Self, String> {
        if !Path::new("/usr/bin/pg_autoctl").exists() {
            return Err(
                "pg_autoctl is not installed (apt-get install postgresql-15-auto-failover)"
                    .to_owned(),
            );
        }
        if !is_root() {
            return Err("the formation runs as the postgres user, which needs root".to_owned());
        }
        let dir = server_dir("dbsettings-autofailover-")?;
        let formation = Self {
            dir,
            ports: [free_port(), free_port()],
            monitor_port: free_port(),
        };
        formation.create()?;
        Ok(formation)
    }

    fn create(&self) -> Result<(), String> {
        let pg_ctl = format!("{PG_BIN}/pg_ctl");
        let create = |what: &str, name: &str, port: u16| -> Vec<String> {
            vec![
                "create".into(),
                what.into(),
                "--pgdata".into(),
                self.data(name).display().to_string(),
                "--pgport".into(),
                port.to_string(),
                "--hostname".into(),
                "127.0.0.1".into(),
                "--auth".into(),
                "trust".into(),
                "--no-ssl".into(),
                "--pgctl".into(),
                pg_ctl.clone(),
            ]
        };
        run(
            &mut self.autoctl(&create("monitor", "monitor", self.monitor_port)),
            "pg_autoctl create monitor",
        )?;
        self.run_keeper("monitor")?;
        // Faster than the defaults (a 5 s health check, 20 s to call a
        // node unhealthy, 30 s to demote): seconds, on loopback.
        for setting in [
            "health_check_period = 1000",
            "health_check_timeout = 1000",
            "health_check_max_retries = 1",
            "health_check_retry_delay = 500",
            "node_considered_unhealthy_timeout = 2000",
            "primary_demote_timeout = 3000",
        ] {
            self.monitor_sql(&format!("ALTER SYSTEM SET pgautofailover.{setting}"))?;
        }
        self.monitor_sql("SELECT pg_reload_conf()")?;
        let monitor = format!(
            "postgres://autoctl_node@127.0.0.1:{}/pg_auto_failover?sslmode=disable",
            self.monitor_port
        );
        for (i, node) in Self::NODES.iter().enumerate() {
            let mut args = create("postgres", node, self.ports[i]);
            args.extend([
                "--monitor".into(),
                monitor.clone(),
                "--name".into(),
                (*node).into(),
            ]);
            run(&mut self.autoctl(&args), "pg_autoctl create postgres")?;
            self.run_keeper(node)?;
        }
        self.wait_for(Duration::from_mins(1), Self::settled)
            .map(drop)
    }

    fn data(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `pg_autoctl args` as the postgres user, its state under the dir.
    fn autoctl<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut c = as_server_user("env");
        let d = self.dir.path().display();
        c.arg(format!("XDG_CONFIG_HOME={d}/config"))
            .arg(format!("XDG_DATA_HOME={d}/share"))
            .arg(format!("XDG_RUNTIME_DIR={d}/run"))
            .arg("pg_autoctl")
            .args(args);
        c
    }

    /// Starts `pg_autoctl run` for `node` in a session of its own.
    fn run_keeper(&self, node: &str) -> Result<(), String> {
        let d = self.dir.path().display();
        let log = std::fs::File::create(self.dir.path().join(format!("{node}.log")))
            .map_err(|e| e.to_string())?;
        as_server_user("setsid")
            .arg("env")
            .arg(format!("XDG_CONFIG_HOME={d}/config"))
            .arg(format!("XDG_DATA_HOME={d}/share"))
            .arg(format!("XDG_RUNTIME_DIR={d}/run"))
            .args(["pg_autoctl", "run", "--pgdata"])
            .arg(self.data(node))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map(drop)
            .map_err(|e| format!("pg_autoctl run cannot start: {e}"))?;
        let port = if node == "monitor" {
            self.monitor_port
        } else {
            self.ports[Self::NODES.iter().position(|n| *n == node).unwrap_or(0)]
        };
        if wait_for_port(port, Duration::from_secs(30)) {
            Ok(())
        } else {
            Err(format!("{node} did not listen on {port}"))
        }
    }

    fn monitor_sql(&self, sql: &str) -> Result<String, String> {
        let out = run(
            Command::new("psql")
                .args([
                    "-X",
                    "-q",
                    "-t",
                    "-A",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                ])
                .arg("pg_auto_failover")
                .args(["-p", &self.monitor_port.to_string(), "-c", sql]),
            "psql on the monitor",
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// `pg_autoctl show state`.
    #[must_use]
    pub fn state(&self) -> String {
        run(
            self.autoctl(&["show", "state", "--pgdata"])
                .arg(self.data("monitor")),
            "pg_autoctl show state",
        )
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
    }

    /// Waits until the state satisfies `done`, up to `limit`.
    pub fn wait_for(&self, limit: Duration, done: impl Fn(&str) -> bool) -> Result<String, String> {
        let started = Instant::now();
        loop {
            let state = self.state();
            if done(&state) {
                return Ok(state);
            }
            if started.elapsed() > limit {
                return Err(format!(
                    "the formation did not settle within {limit:?}:\n{state}"
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Each node's name, reported state and assigned state, as `state`
    /// (`pg_autoctl show state`) lists them.
    fn roles(state: &str) -> Vec<(String, String, String)> {
        state
            .lines()
            .filter_map(|l| {
                let cols: Vec<&str> = l.split('|').map(str::trim).collect();
                (cols.len() == 7 && cols[0].starts_with("node"))
                    .then(|| (cols[0].to_owned(), cols[5].to_owned(), cols[6].to_owned()))
            })
            .collect()
    }

    /// Whether `state` has a primary and a secondary, each where the
    /// monitor wants it.
    #[must_use]
    pub fn settled(state: &str) -> bool {
        let roles = Self::roles(state);
        ["primary", "secondary"].iter().all(|r| {
            roles
                .iter()
                .any(|(_, reported, assigned)| reported == r && assigned == r)
        })
    }

    /// The index of the node that `state` says is primary (reported and
    /// assigned; `wait_primary` is a primary whose secondary is away, which
    /// takes writes too).
    #[must_use]
    pub fn primary_in(state: &str) -> Option<usize> {
        let writable = |s: &str| s == "primary" || s == "wait_primary";
        Self::roles(state)
            .iter()
            .find_map(|(name, reported, assigned)| {
                (writable(reported) && reported == assigned)
                    .then(|| Self::NODES.iter().position(|n| n == name))
                    .flatten()
            })
    }

    /// The index of the node that is primary, as the monitor says.
    #[must_use]
    pub fn primary(&self) -> Option<usize> {
        Self::primary_in(&self.state())
    }

    /// The formation's URL, as `pg_autoctl show uri` prints it (several
    /// hosts, `target_session_attrs=read-write`).
    pub fn uri(&self) -> Result<String, String> {
        let out = run(
            self.autoctl(&["show", "uri", "--formation", "default", "--pgdata"])
                .arg(self.data("monitor")),
            "pg_autoctl show uri",
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// `pg_autoctl perform failover` (waits for it to finish).
    pub fn perform_failover(&self) -> Result<(), String> {
        run(
            self.autoctl(&["perform", "failover", "--pgdata"])
                .arg(self.data("monitor")),
            "pg_autoctl perform failover",
        )
        .map(drop)
    }

    /// Starts data node `i`'s keeper again (after [`kill_node`]): it
    /// rejoins as a secondary.
    ///
    /// [`kill_node`]: Self::kill_node
    pub fn restart_node(&self, i: usize) -> Result<(), String> {
        // The killed postmaster's files stay behind; the keeper starts it.
        self.run_keeper(Self::NODES[i])
    }

    /// Kills data node `i` as a host that dies: its keeper and its
    /// postgres, the whole session, with SIGKILL.
    pub fn kill_node(&self, i: usize) -> Result<(), String> {
        let pid = keeper_pid(&self.data(Self::NODES[i]))
            .ok_or_else(|| format!("no keeper for {}", Self::NODES[i]))?;
        run(
            Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]),
            "kill",
        )
        .map(drop)
    }
}

/// The pid of `pg_autoctl run --pgdata <data>` (its session's leader).
fn keeper_pid(data: &Path) -> Option<u32> {
    let want = format!("pg_autoctl\0run\0--pgdata\0{}\0", data.display());
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
        (cmdline == want.as_bytes()).then_some(pid)
    })
}

impl Drop for AutoFailover {
    fn drop(&mut self) {
        for node in ["node1", "node2", "monitor"] {
            let data = self.data(node);
            if let Some(pid) = keeper_pid(&data) {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .status();
            }
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(format!("{PG_BIN}/pg_ctl"))
                .args(["-m", "immediate", "-D"])
                .arg(&data)
                .arg("stop")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
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

/// Certificates for TLS tests, made with the `openssl` CLI in a directory of
/// their own: a CA, a server certificate it signed for `localhost` and
/// `127.0.0.1`, client certificates for one user, and a second CA that the
/// server does not trust. EC P-256 keys (quick to make), unencrypted, 0600.
pub struct Tls {
    /// The CA that signed the server's and the client's certificates.
    pub ca: PathBuf,
    /// A CA the server does not trust; it signed `client_cert_other_ca`.
    pub other_ca: PathBuf,
    /// The server's certificate (subject alternative names `localhost` and
    /// `127.0.0.1`, nothing else) and its key, owned by the server's user.
    pub server_cert: PathBuf,
    /// See `server_cert`.
    pub server_key: PathBuf,
    /// The user the client certificates name (their CN).
    pub client_user: String,
    /// An X.509 version 3 client certificate (`extendedKeyUsage =
    /// clientAuth`) signed by `ca`.
    pub client_cert: PathBuf,
    /// The key of every client certificate here.
    pub client_key: PathBuf,
    /// The same key's certificate as `openssl x509 -req` makes it without
    /// extensions: X.509 version 1, which libpq (`psql`) and OpenSSL servers
    /// accept and rustls does not. `None` when this `openssl` makes a
    /// version 3 certificate anyway.
    pub client_cert_v1: Option<PathBuf>,
    /// A version 3 client certificate for `client_key`, signed by `other_ca`.
    pub client_cert_other_ca: PathBuf,
    /// A key that belongs to no certificate here.
    pub stray_key: PathBuf,
}

/// The `openssl` configuration of [`Tls`]: one section per kind of
/// certificate, so nothing depends on the machine's `openssl.cnf`.
const OPENSSL_CNF: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = dbsettings test
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
";

/// The `openssl` CLI, run in the directory of a [`Tls`].
struct Openssl<'a>(&'a Path);

impl Openssl<'_> {
    /// EC P-256 keys: quick to make, and rustls and OpenSSL take them.
    const NEW_KEY: [&'static str; 5] = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];

    fn run(&self, args: &[&str]) -> Result<Output, String> {
        run(
            Command::new("openssl").current_dir(self.0).args(args),
            &format!("openssl {}", args[0]),
        )
    }

    /// A self-signed CA: `<name>.pem` and `<name>.key`.
    fn ca(&self, name: &str, cn: &str) -> Result<(), String> {
        let (key, pem, subj) = (
            format!("{name}.key"),
            format!("{name}.pem"),
            format!("/CN={cn}"),
        );
        let mut args = vec![
            "req",
            "-x509",
            "-config",
            "openssl.cnf",
            "-extensions",
            "ca",
        ];
        args.extend(Self::NEW_KEY);
        args.extend(["-keyout", &key, "-out", &pem, "-days", "2", "-subj", &subj]);
        self.run(&args).map(drop)
    }

    /// A key and a certificate request: `<name>.key` and `<name>.csr`.
    fn request(&self, name: &str, cn: &str) -> Result<(), String> {
        let (key, csr, subj) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("/CN={cn}"),
        );
        let mut args = vec!["req", "-new", "-config", "openssl.cnf"];
        args.extend(Self::NEW_KEY);
        args.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        self.run(&args).map(drop)
    }

    /// Signs `csr` with the CA `ca` into `out`, with the extensions of a
    /// section of `openssl.cnf`, or none (then `x509 -req` makes version 1).
    fn sign(
        &self,
        csr: &str,
        ca: &str,
        serial: &str,
        extensions: Option<&str>,
        out: &str,
    ) -> Result<(), String> {
        let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-set_serial",
            serial,
            "-days",
            "2",
            "-out",
            out,
        ];
        if let Some(section) = extensions {
            args.extend(["-extfile", "openssl.cnf", "-extensions", section]);
        }
        self.run(&args).map(drop)
    }
}

impl Tls {
    /// Makes the files in `dir` (created), the server's key owned by
    /// `server_user` (when given: this process is root) and readable by it
    /// alone, as PostgreSQL and MariaDB require.
    pub fn make(dir: &Path, client_user: &str, server_user: Option<&str>) -> Result<Self, String> {
        use std::os::unix::fs::PermissionsExt as _;
        if Command::new("openssl")
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            return Err("the openssl CLI is not installed (apt-get install openssl)".to_owned());
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("openssl.cnf"), OPENSSL_CNF).map_err(|e| e.to_string())?;
        let openssl = Openssl(dir);
        openssl.ca("ca", "dbsettings test CA")?;
        openssl.ca("other_ca", "dbsettings other CA")?;
        openssl.request("server", "localhost")?;
        openssl.sign("server.csr", "ca", "1", Some("server"), "server.crt")?;
        openssl.request("client", client_user)?;
        openssl.sign("client.csr", "ca", "2", Some("client"), "client.crt")?;
        openssl.sign("client.csr", "ca", "3", None, "client_v1.crt")?;
        openssl.sign(
            "client.csr",
            "other_ca",
            "4",
            Some("client"),
            "client_other_ca.crt",
        )?;
        openssl.run(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "stray.key",
        ])?;
        let v1 = openssl.run(&["x509", "-in", "client_v1.crt", "-noout", "-text"])?;
        let is_v1 = String::from_utf8_lossy(&v1.stdout).contains("Version: 1 (0x0)");
        for key in [
            "ca.key",
            "other_ca.key",
            "server.key",
            "client.key",
            "stray.key",
        ] {
            std::fs::set_permissions(dir.join(key), std::fs::Permissions::from_mode(0o600))
                .map_err(|e| e.to_string())?;
        }
        if let Some(user) = server_user {
            run(
                Command::new("chown")
                    .arg(format!("{user}:{user}"))
                    .arg(dir.join("server.key")),
                "chown",
            )?;
        }
        Ok(Self {
            ca: dir.join("ca.pem"),
            other_ca: dir.join("other_ca.pem"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_user: client_user.to_owned(),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
            client_cert_v1: is_v1.then(|| dir.join("client_v1.crt")),
            client_cert_other_ca: dir.join("client_other_ca.crt"),
            stray_key: dir.join("stray.key"),
        })
    }
}

impl Cluster {
    /// [`init`](Self::init) with TLS: `ssl = on` with a [`Tls`] made for
    /// `client_user` in the cluster's dir, listening on 127.0.0.1 and
    /// 127.0.0.2 (an address the certificate does not name), and a
    /// `pg_hba.conf` with `hostssl` lines only: `client_user` needs a client
    /// certificate (`trust clientcert=verify-full`: signed by the CA, CN =
    /// user), every other user is trusted over TLS, and TCP without TLS is
    /// refused.
    pub fn init_tls(client_user: &str) -> Result<(Self, Tls), String> {
        use std::fmt::Write as _;
        let cluster = Self::init()?;
        let tls = Tls::make(
            &cluster.dir.path().join("tls"),
            client_user,
            is_root().then_some("postgres"),
        )?;
        let data = cluster.data();
        let hba = format!(
            "local all all trust\n\
             hostssl all {client_user} 127.0.0.0/8 trust clientcert=verify-full\n\
             hostssl all all 127.0.0.0/8 trust\n"
        );
        std::fs::write(data.join("pg_hba.conf"), hba).map_err(|e| e.to_string())?;
        let mut conf =
            std::fs::read_to_string(data.join("postgresql.conf")).map_err(|e| e.to_string())?;
        // Later lines win.
        let _ = write!(
            conf,
            "listen_addresses = '127.0.0.1,127.0.0.2'\nssl = on\nssl_cert_file = '{}'\n\
             ssl_key_file = '{}'\nssl_ca_file = '{}'\n",
            tls.server_cert.display(),
            tls.server_key.display(),
            tls.ca.display()
        );
        std::fs::write(data.join("postgresql.conf"), conf).map_err(|e| e.to_string())?;
        Ok((cluster, tls))
    }
}

/// A MariaDB server of its own (`mariadb-install-db`, `mariadbd`) on a spare
/// port of 127.0.0.1 under a temp dir, as the `mysql` OS user when run as
/// root, with TLS on: the certificates of a [`Tls`]. `root` logs in over the
/// Unix socket only (see [`sql`](Self::sql)). Stopped and removed on drop.
pub struct MariaDb {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The certificates it serves and trusts.
    pub tls: Tls,
    server: std::process::Child,
    dir: tempfile::TempDir,
}

impl MariaDb {
    /// Creates and starts the server, with certificates for `client_user`,
    /// and waits until it accepts connections.
    pub fn start_tls(client_user: &str) -> Result<Self, String> {
        let mariadbd = ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or("the MariaDB server is not installed (apt-get install mariadb-server)")?;
        let install = ["/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or("mariadb-install-db is not installed")?;
        let dir = tempfile::Builder::new()
            .prefix("dbsettings-mariadb-")
            .tempdir()
            .map_err(|e| format!("no temp dir: {e}"))?;
        let root = is_root();
        let tls = Tls::make(
            &dir.path().join("tls"),
            client_user,
            root.then_some("mysql"),
        )?;
        if root {
            run(
                Command::new("chown").arg("mysql:mysql").arg(dir.path()),
                "chown",
            )?;
        }
        let d = dir.path();
        let user = root.then_some("--user=mysql");
        run(
            Command::new(install)
                .arg("--no-defaults")
                .args(user)
                .arg(format!("--datadir={}", d.join("data").display()))
                .args(["--auth-root-authentication-method=socket", "--skip-test-db"]),
            "mariadb-install-db",
        )?;
        let port = free_port();
        let server = Command::new(mariadbd)
            .arg("--no-defaults")
            .args(user)
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", d.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", d.join("mysqld.pid").display()))
            .arg(format!("--log-error={}", d.join("error.log").display()))
            .args([
                "--skip-log-bin",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=16M",
            ])
            .arg(format!("--ssl-cert={}", tls.server_cert.display()))
            .arg(format!("--ssl-key={}", tls.server_key.display()))
            .arg(format!("--ssl-ca={}", tls.ca.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("mariadbd cannot run: {e}"))?;
        let server = Self {
            port,
            tls,
            server,
            dir,
        };
        if wait_for_port(port, Duration::from_secs(30)) {
            Ok(server)
        } else {
            let log =
                std::fs::read_to_string(server.dir.path().join("error.log")).unwrap_or_default();
            Err(format!("mariadbd did not listen on {port}: {log}"))
        }
    }

    /// Runs SQL as `root`, over the server's Unix socket.
    pub fn sql(&self, statement: &str) -> Result<String, String> {
        let out = run(
            Command::new("mariadb")
                .arg("--no-defaults")
                .arg(format!(
                    "--socket={}",
                    self.dir.path().join("mysqld.sock").display()
                ))
                .args(["-u", "root", "-N", "-B", "-e", statement]),
            "mariadb",
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        // A clean shutdown (SIGTERM), then SIGKILL if it takes too long.
        let _ = Command::new("kill")
            .arg(self.server.id().to_string())
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if matches!(self.server.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_formations_state_is_read() {
        let state = " Name |  Node |       Host:Port |       TLI: LSN |   Connection |      Reported State |      Assigned State\n------+-------+-----------------+----------------+--------------+---------------------+--------------------\nnode1 |     1 | 127.0.0.1:37415 |   2: 0/31F0350 |    read-only |           secondary |           secondary\nnode2 |     2 | 127.0.0.1:45783 |   2: 0/31ED1C8 |   read-write |             primary |             primary\n";
        assert_eq!(super::AutoFailover::primary_in(state), Some(1));
        assert!(super::AutoFailover::settled(state));
    }
}
