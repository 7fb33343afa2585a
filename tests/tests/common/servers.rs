//! The real servers the tests talk to, and small loopback helpers.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

pub const POSTGRES: &str = "127.0.0.1:5432";
pub const MARIADB: &str = "127.0.0.1:3306";
pub const POSTGRES_URL: &str = "postgresql://postgres@127.0.0.1:5432/test";
pub const MARIADB_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// Whether a server answers at `addr`; when not, the test is skipped loudly
/// (or fails, under `DBSETTINGS_TEST_STRICT`).
pub async fn available(name: &str, addr: &str) -> bool {
    let ok = matches!(
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await,
        Ok(Ok(_))
    );
    if !ok {
        super::skip(
            &format!("{name} tests"),
            &format!("nothing answers at {addr}"),
        );
    }
    ok
}

/// A loopback port nobody listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A listener that accepts connections and never answers. Dropping the
/// handle stops it.
pub async fn silent_listener() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (addr, task)
}

/// A TCP proxy from `listen` to `upstream`, serving until aborted.
pub async fn proxy(
    listen: &str,
    upstream: &'static str,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind(listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (addr, task)
}
