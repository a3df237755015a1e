//! Port-forward's edge: one TCP connection to a pod's port per stream, and the errors worded as
//! the kubelet words them, so `kubectl port-forward` prints what it prints against a real node.
//!
//! The agent connects to the pod's IP on the engine's bridge (reachable from the host on Linux),
//! not to `localhost` inside the pod's network namespace as the kubelet does: entering a
//! namespace needs root. A server that listens on 127.0.0.1 only inside its pod is therefore
//! out of reach; one on 0.0.0.0 (nearly all) behaves as on Kubernetes.

use std::time::Duration;
use tokio::net::TcpStream;

/// How long a connection to the pod may take before the stream fails.
pub const CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// Connects to `ip:port` with [`CONNECT_LIMIT`]; the error is the kubelet's text, naming the
/// sandbox `sandbox` yields (awaited only on failure).
pub async fn connect(
    ip: &str,
    port: u16,
    sandbox: impl std::future::Future<Output = String>,
) -> Result<TcpStream, String> {
    let attempt = tokio::time::timeout(CONNECT_LIMIT, TcpStream::connect((ip, port))).await;
    let failure = match attempt {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            return Ok(stream);
        }
        Ok(Err(e)) => dial_error(&e),
        Err(_) => "i/o timeout".to_string(),
    };
    Err(forward_error(port, &sandbox.await, ip, &failure))
}

/// Go's wording of a failed dial, which kubectl users see verbatim.
pub fn dial_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connect: connection refused".to_string(),
        std::io::ErrorKind::TimedOut => "connect: connection timed out".to_string(),
        std::io::ErrorKind::HostUnreachable => "connect: no route to host".to_string(),
        _ => format!("connect: {}", strip_os_code(&e.to_string())),
    }
}

/// `Connection refused (os error 111)` → `connection refused`, as Go prints errno texts.
fn strip_os_code(text: &str) -> String {
    let text = text.split(" (os error").next().unwrap_or(text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The kubelet's message when the connection inside the pod fails.
pub fn forward_error(port: u16, sandbox: &str, ip: &str, dial: &str) -> String {
    format!(
        "error forwarding port {port} to pod {sandbox}, uid : failed to connect to {ip}:{port} inside namespace \"{sandbox}\", IPv4: dial tcp4 {ip}:{port}: {dial}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_reads_as_the_kubelet_reports_it() {
        let e = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(
            forward_error(8080, "5b3c", "172.17.0.4", &dial_error(&e)),
            "error forwarding port 8080 to pod 5b3c, uid : failed to connect to 172.17.0.4:8080 inside namespace \"5b3c\", IPv4: dial tcp4 172.17.0.4:8080: connect: connection refused"
        );
    }

    #[test]
    fn os_errors_lose_their_code_and_capital_as_in_go() {
        assert_eq!(
            strip_os_code("Network is unreachable (os error 101)"),
            "network is unreachable"
        );
    }

    #[tokio::test]
    async fn connecting_to_a_closed_port_fails_with_the_sandbox_named() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = connect("127.0.0.1", port, async { "sandbox-1".to_string() })
            .await
            .unwrap_err();
        assert!(
            err.starts_with(&format!(
                "error forwarding port {port} to pod sandbox-1, uid : "
            )),
            "{err}"
        );
        assert!(err.ends_with("connect: connection refused"), "{err}");
    }
}
