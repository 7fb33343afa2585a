//! One connection through the relay: to the server, TLS checked as libpq
//! checks it, then bytes both ways; or the driver told why not.

use core::fmt;
use core::time::Duration;
use std::io;
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::rustls;

use super::verify::client_config;
use super::{CODE, OPEN_BOUND, ROUTINE, Roots, Trust};

/// Why the relay could not open the connection.
struct Failure {
    routine: &'static str,
    message: String,
}

impl Failure {
    fn tls(message: impl fmt::Display) -> Self {
        Self {
            routine: "tls",
            message: format!("TLS: {message}"),
        }
    }
}

enum Upstream {
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    Plain(TcpStream),
}

pub(super) async fn serve(mut client: UnixStream, trust: Arc<Trust>) {
    let opened = tokio::time::timeout(OPEN_BOUND, open(&trust)).await;
    let _ = match opened {
        Ok(Ok(Upstream::Tls(mut tls))) => match first_exchange(&mut client, &mut tls).await {
            Ok(true) => {
                pipe(client, *tls).await;
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(failure) => answer(client, failure).await,
        },
        Ok(Ok(Upstream::Plain(tcp))) => {
            pipe(client, tcp).await;
            Ok(())
        }
        Ok(Err(failure)) => refuse(client, failure).await,
        Err(_) => {
            let failure = Failure {
                routine: "timeout",
                message: "the server did not answer".to_owned(),
            };
            refuse(client, failure).await
        }
    };
}

/// Bytes both ways until either side ends, then both are closed: the
/// PostgreSQL protocol has no half-closed session, and a server that
/// vanished without a reset must not keep the relay's half (its task, its
/// socket) for ever once the driver has given up on it.
async fn pipe<S>(client: UnixStream, server: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite,
{
    let (mut from_client, mut to_client) = tokio::io::split(client);
    let (mut from_server, mut to_server) = tokio::io::split(server);
    let up = core::pin::pin!(tokio::io::copy(&mut from_client, &mut to_server));
    let down = core::pin::pin!(tokio::io::copy(&mut from_server, &mut to_client));
    let _ = futures_util::future::select(up, down).await;
}

async fn open(trust: &Trust) -> Result<Upstream, Failure> {
    if let Roots::Missing(mode) = trust.roots {
        return Err(Failure::tls(format!(
            "`sslmode={mode}` checks the server's certificate, and no root certificate says which CA may sign it (no `sslrootcert`, no `PGSSLROOTCERT`, no ~/.postgresql/root.crt): add `sslrootcert=/path/to/ca.pem` (the CA that signed the server's certificate), or `sslrootcert=system` to trust the system's CAs with `verify-full`, as libpq asks"
        )));
    }
    let mut tcp = TcpStream::connect((trust.addr.as_str(), trust.port))
        .await
        .map_err(|e| {
            let routine = match e.kind() {
                io::ErrorKind::ConnectionRefused => "refused",
                // tokio's lookup says so in its message only.
                _ if e.to_string().contains("lookup") => "dns",
                _ => "io",
            };
            Failure {
                routine,
                message: format!("cannot connect to the server: {e}"),
            }
        })?;
    let _ = tcp.set_nodelay(true);
    let io_failure = |e: io::Error| Failure {
        routine: "io",
        message: format!("the server closed the connection before TLS: {e}"),
    };
    // PostgreSQL's SSLRequest: length 8, code 80877103.
    tcp.write_all(&[0, 0, 0, 8, 4, 210, 22, 47])
        .await
        .map_err(io_failure)?;
    match tcp.read_u8().await.map_err(io_failure)? {
        b'S' => {}
        b'N' if !trust.required => return Ok(Upstream::Plain(tcp)),
        b'N' => return Err(Failure::tls("the server does not support TLS")),
        _ => {
            return Err(Failure::tls(
                "the server answered TLS's request with something else",
            ));
        }
    }
    let config = client_config(trust).map_err(Failure::tls)?;
    let name = rustls::pki_types::ServerName::try_from(trust.name.clone())
        .map_err(|_| Failure::tls("the host is not a name a certificate can hold"))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| Failure::tls(untrusted(&e, trust)))?;
    Ok(Upstream::Tls(Box::new(tls)))
}

/// What a failed handshake says, with what libpq's rule is when the
/// certificate was refused.
fn untrusted(e: &io::Error, trust: &Trust) -> String {
    let whose = match trust.roots {
        Roots::System => "the system's CAs",
        _ => "the CAs of the root certificate file",
    };
    let refused = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)));
    if refused {
        format!("the server's certificate is not trusted ({e}); only {whose} are, as in libpq")
    } else {
        format!("the handshake failed ({e})")
    }
}

/// The driver's first message (its startup, or a cancel request), whole.
async fn first_message(client: &mut UnixStream) -> io::Result<Vec<u8>> {
    let len = client.read_u32().await?;
    let mut message = len.to_be_bytes().to_vec();
    let mut rest = vec![0; (len as usize).saturating_sub(4).min(64 * 1024)];
    client.read_exact(&mut rest).await?;
    message.extend(rest);
    Ok(message)
}

/// Passes the driver's first message on and the server's first answer
/// back: with TLS 1.3 the server refuses a client certificate only then,
/// as an alert the driver would see as a closed connection. `false` when
/// either side closed (a cancel request has no answer).
async fn first_exchange(
    client: &mut UnixStream,
    tls: &mut tokio_rustls::client::TlsStream<TcpStream>,
) -> Result<bool, Failure> {
    let Ok(Ok(first)) = tokio::time::timeout(OPEN_BOUND, first_message(client)).await else {
        return Ok(false);
    };
    let refused = |e: io::Error| Failure::tls(format!("the server ended the session: {e}"));
    tls.write_all(&first).await.map_err(refused)?;
    tls.flush().await.map_err(refused)?;
    let mut answer = vec![0; 8192];
    let n = match tokio::time::timeout(OPEN_BOUND, tls.read(&mut answer)).await {
        Ok(read) => read.map_err(refused)?,
        Err(_) => return Ok(false),
    };
    if n == 0 {
        return Ok(false);
    }
    client
        .write_all(&answer[..n])
        .await
        .map(|()| true)
        .map_err(|_| Failure {
            routine: "io",
            message: String::new(),
        })
}

/// Reads the driver's startup message (bounded), then answers it with an
/// `ErrorResponse` saying why, and closes.
async fn refuse(mut client: UnixStream, failure: Failure) -> io::Result<()> {
    let _ = tokio::time::timeout(Duration::from_secs(5), first_message(&mut client)).await;
    answer(client, failure).await
}

/// Answers the driver's startup message with an `ErrorResponse` saying
/// why, and closes.
async fn answer(mut client: UnixStream, failure: Failure) -> io::Result<()> {
    let mut body = Vec::new();
    for (field, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', CODE),
        (b'M', failure.message.as_str()),
    ] {
        body.push(field);
        body.extend(value.bytes().filter(|&b| b != 0));
        body.push(0);
    }
    body.push(b'R');
    body.extend(ROUTINE.bytes().chain(failure.routine.bytes()));
    body.push(0);
    body.push(0);
    let mut message = vec![b'E'];
    let len = u32::try_from(body.len() + 4).unwrap_or(u32::MAX);
    message.extend(len.to_be_bytes());
    message.extend(body);
    client.write_all(&message).await?;
    client.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The driver gives up on a server that went silent (no reset): the
    /// relay's half ends too, its task and socket with it.
    #[tokio::test]
    async fn a_silent_server_is_let_go_when_the_driver_closes() {
        let (relay_side, driver) = UnixStream::pair().unwrap();
        let (server, _silent) = tokio::io::duplex(64);
        let piped = tokio::spawn(pipe(relay_side, server));
        drop(driver);
        tokio::time::timeout(Duration::from_secs(2), piped)
            .await
            .expect("the relay kept a silent server's connection")
            .unwrap();
    }

    /// And the other way: the server closes, the driver sees its end.
    #[tokio::test]
    async fn a_closed_server_closes_the_drivers_end() {
        let (relay_side, mut driver) = UnixStream::pair().unwrap();
        let (server, far) = tokio::io::duplex(64);
        let piped = tokio::spawn(pipe(relay_side, server));
        drop(far);
        let mut buf = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(2), driver.read(&mut buf))
            .await
            .expect("the driver's end stayed open")
            .unwrap();
        assert_eq!(n, 0);
        tokio::time::timeout(Duration::from_secs(2), piped)
            .await
            .expect("the relay kept the driver's connection")
            .unwrap();
    }
}
