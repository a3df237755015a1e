//! The ingress controller for class `kubeplay`, when the agent is given `--ingress-port`: reads
//! each connection's first request head, routes it by Host and path with the core's Ingress
//! rules, and splices the connection to a ready endpoint of the chosen Service port.
//!
//! One routing decision per connection: later requests on a kept-alive connection go to the
//! same endpoint (curl and browsers open a connection per host, so rules by host still hold;
//! rules by path on one kept-alive connection follow its first request).

use super::proxy::dial;
use super::table::{IngressRoute, ServiceTable};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A longer request head is refused.
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request head.
const HEAD_LIMIT: Duration = Duration::from_secs(30);

/// Serves the ingress on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, table: watch::Receiver<Arc<ServiceTable>>) {
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                let table = table.borrow().clone();
                tokio::spawn(handle(client, table, Arc::clone(&next)));
            }
            Err(e) => {
                tracing::debug!("ingress accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn handle(mut client: TcpStream, table: Arc<ServiceTable>, next: Arc<AtomicUsize>) {
    let _ = client.set_nodelay(true);
    let Ok(Ok(head)) = tokio::time::timeout(HEAD_LIMIT, read_head(&mut client)).await else {
        return;
    };
    let Some((host, path)) = request_target(&head) else {
        let _ = client.write_all(&answer(400, "400 Bad Request")).await;
        return;
    };
    let targets = match table.ingress_route(&host, &path) {
        IngressRoute::NotFound => {
            let _ = client.write_all(&answer(404, "404 page not found")).await;
            return;
        }
        IngressRoute::Unavailable => {
            let _ = client
                .write_all(&answer(503, "503 Service Unavailable"))
                .await;
            return;
        }
        IngressRoute::Targets(targets) => targets,
    };
    let start = next.fetch_add(1, Ordering::Relaxed) % targets.len();
    for target in targets[start..].iter().chain(&targets[..start]) {
        if let Ok(mut upstream) = dial(target).await {
            if upstream.write_all(&head).await.is_ok() {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            }
            return;
        }
    }
    let _ = client
        .write_all(&answer(503, "503 Service Unavailable"))
        .await;
}

/// Reads until the end of the request head (what follows it in the same read is kept).
async fn read_head(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
}

/// The Host header and the request path of a request head.
pub fn request_target(head: &[u8]) -> Option<(String, String)> {
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let text = std::str::from_utf8(&head[..end]).ok()?;
    let mut lines = text.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_string();
    let host = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.trim().to_string())
        .unwrap_or_default();
    Some((host, path))
}

/// A short plain-text answer of the ingress itself.
fn answer(status: u16, text: &str) -> Vec<u8> {
    let reason = match status {
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Service Unavailable",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}\n",
        text.len() + 1
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_header_and_path_come_from_the_head() {
        let head =
            b"GET /users?id=1 HTTP/1.1\r\nUser-Agent: curl\r\nhost: api.myapp.com\r\n\r\nbody";
        assert_eq!(
            request_target(head),
            Some(("api.myapp.com".into(), "/users?id=1".into()))
        );
        assert_eq!(
            request_target(b"GET / HTTP/1.0\r\n\r\n"),
            Some((String::new(), "/".into()))
        );
        assert_eq!(
            request_target(b"GET / HTTP/1.1\r\n"),
            None,
            "an unfinished head"
        );
    }

    #[test]
    fn the_ingress_answers_as_a_default_backend_does() {
        let text = String::from_utf8(answer(404, "404 page not found")).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\n404 page not found\n"));
        assert!(text.contains("Content-Length: 19\r\n"));
    }
}
