//! A keep-alive HTTP/1.1 proxy in front of the emulator that counts the connections its clients open.
//!
//! The emulator's server closes every connection after one answer (its `Connection: close`), which
//! hides whether the SDK's clients reuse theirs. This proxy keeps its side of each connection open as
//! HTTP/1.1 allows, forwards every request on a connection of its own to the emulator, and hands the
//! answer back without the `Connection: close`. What it counts is then what the clients chose.

use super::Emulator;
use aws_config::SdkConfig;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How long the proxy holds a request (its bytes: head and body) before it forwards it.
pub type Delay = Arc<dyn Fn(&[u8]) -> std::time::Duration + Send + Sync>;

pub struct CountingProxy {
    endpoint: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    accept: JoinHandle<()>,
}

impl CountingProxy {
    /// Listens on 127.0.0.1 and forwards to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> CountingProxy {
        CountingProxy::delaying(upstream, Arc::new(|_: &[u8]| std::time::Duration::ZERO)).await
    }

    /// Listens on 127.0.0.1 and forwards to `upstream`, each request after `delay` says: a slow or
    /// a hung AWS, as far as the client can tell.
    pub async fn delaying(upstream: &str, delay: Delay) -> CountingProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("the proxy forwards plain HTTP, not {upstream}"))
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("proxy address"));
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (opened, forwarded) = (connections.clone(), requests.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                opened.fetch_add(1, Ordering::SeqCst);
                let (upstream, forwarded) = (upstream.clone(), forwarded.clone());
                let delay = delay.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(client, &upstream, &forwarded, &*delay).await {
                        eprintln!("proxy: connection ended with {e}");
                    }
                });
            }
        });
        CountingProxy {
            endpoint,
            connections,
            requests,
            accept,
        }
    }

    /// The emulator's management-account configuration, sent through this proxy.
    pub fn management_config(&self, emulator: &Emulator) -> SdkConfig {
        emulator
            .management_config()
            .into_builder()
            .endpoint_url(&self.endpoint)
            .build()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Connections the clients opened to the proxy so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Requests forwarded so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Serves one client connection until the client closes it: each request goes to the emulator on a
/// new connection, each answer comes back framed for keep-alive.
async fn serve(
    mut client: TcpStream,
    upstream: &str,
    forwarded: &AtomicUsize,
    delay: &(dyn Fn(&[u8]) -> std::time::Duration + Send + Sync),
) -> io::Result<()> {
    let mut pending = Vec::new();
    while let Some(request) = next_request(&mut client, &mut pending).await? {
        tokio::time::sleep(delay(&request)).await;
        forwarded.fetch_add(1, Ordering::SeqCst);
        let mut server = TcpStream::connect(upstream).await?;
        server.write_all(&request).await?;
        let mut answer = Vec::new();
        server.read_to_end(&mut answer).await?;
        client.write_all(&kept_alive(&answer)?).await?;
    }
    Ok(())
}

/// The next whole request (head and `Content-Length` body) from the client, or `None` once it closed.
pub async fn next_request(
    client: &mut TcpStream,
    pending: &mut Vec<u8>,
) -> io::Result<Option<Vec<u8>>> {
    loop {
        if let Some(head_end) = find(pending, b"\r\n\r\n") {
            let head = std::str::from_utf8(&pending[..head_end]).map_err(invalid)?;
            if header(head, "transfer-encoding").is_some() {
                return Err(invalid(
                    "a chunked request body (the SDK sends Content-Length)",
                ));
            }
            let length =
                header(head, "content-length").map_or(Ok(0), |v| v.parse().map_err(invalid))?;
            let total = head_end + 4 + length;
            if pending.len() >= total {
                return Ok(Some(pending.drain(..total).collect()));
            }
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return if pending.is_empty() {
                Ok(None)
            } else {
                Err(invalid("the client closed in the middle of a request"))
            };
        }
        pending.extend_from_slice(&chunk[..n]);
    }
}

/// The emulator's answer without its `Connection` header, and with a `Content-Length` when the
/// emulator framed it by closing the connection.
fn kept_alive(answer: &[u8]) -> io::Result<Vec<u8>> {
    let head_end = find(answer, b"\r\n\r\n").ok_or_else(|| invalid("an answer without a head"))?;
    let head = std::str::from_utf8(&answer[..head_end]).map_err(invalid)?;
    let body = &answer[head_end + 4..];
    let mut lines: Vec<String> = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .map(str::to_owned)
        .collect();
    if header(head, "content-length").is_none() && header(head, "transfer-encoding").is_none() {
        lines.push(format!("Content-Length: {}", body.len()));
    }
    let mut out = (lines.join("\r\n") + "\r\n\r\n").into_bytes();
    out.extend_from_slice(body);
    Ok(out)
}

pub fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(e: impl ToString) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e.to_string())
}
