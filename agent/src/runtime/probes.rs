//! Running a probe for real: HTTP GET and TCP connect to the pod's IP, exec in the container,
//! with the kubelet's failure messages. Timing and thresholds are `kubeplay_shared::sim::probes`.

use super::engine::Engine;
use kubeplay_shared::sim::probes::{Action, Probe, ProbeKind};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The probe's `timeoutSeconds` (default 1).
pub fn timeout(container: &Value, kind: ProbeKind) -> Duration {
    let field = match kind {
        ProbeKind::Liveness => "livenessProbe",
        ProbeKind::Readiness => "readinessProbe",
        ProbeKind::Startup => "startupProbe",
    };
    let secs = container
        .get(field)
        .and_then(|p| p.get("timeoutSeconds"))
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1);
    Duration::from_secs(secs)
}

/// Runs `probe` once: `Ok` when healthy, else the kubelet's failure message.
pub async fn run<E: Engine>(
    engine: &E,
    probe: &Probe,
    container: &Value,
    container_id: &str,
    pod_ip: &str,
) -> Result<(), String> {
    let limit = timeout(container, probe.kind);
    match &probe.action {
        Action::Http { port, path, scheme } => {
            let port = port.resolve(container);
            let url = format!("{scheme}://{pod_ip}:{port}{path}");
            match tokio::time::timeout(limit, http_get(pod_ip, port, path)).await {
                Err(_) => Err(format!(
                    "Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
                )),
                Ok(Err(e)) => Err(format!("Get \"{url}\": dial tcp {pod_ip}:{port}: {e}")),
                Ok(Ok(code)) if (200..400).contains(&code) => Ok(()),
                Ok(Ok(code)) => Err(format!("HTTP probe failed with statuscode: {code}")),
            }
        }
        Action::Tcp { port } | Action::Grpc { port } => {
            let port = port.resolve(container);
            match tokio::time::timeout(limit, TcpStream::connect((pod_ip, port))).await {
                Err(_) => Err(format!("dial tcp {pod_ip}:{port}: i/o timeout")),
                Ok(Err(e)) => Err(format!("dial tcp {pod_ip}:{port}: {}", connect_error(&e))),
                Ok(Ok(_)) => Ok(()),
            }
        }
        Action::Exec { command } => match engine.exec_probe(container_id, command, limit).await {
            Ok((0, _)) => Ok(()),
            Ok((code, output)) if output.trim().is_empty() => Err(format!(
                "command \"{}\" exited with {code}",
                command.join(" ")
            )),
            Ok((_, output)) => Err(output.trim_end().to_string()),
            Err(e) => Err(e.to_string()),
        },
    }
}

fn connect_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connect: connection refused".into(),
        _ => format!("connect: {e}"),
    }
}

/// A bare HTTP/1.1 GET, returning the status code (what `kube-probe` checks).
async fn http_get(ip: &str, port: u16, path: &str) -> Result<u16, String> {
    let mut stream = TcpStream::connect((ip, port))
        .await
        .map_err(|e| connect_error(&e))?;
    let (major, minor) = kubeplay_shared::apiserver::KUBERNETES_VERSION;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {ip}:{port}\r\nUser-Agent: kube-probe/{major}.{minor}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    status_code(&head).ok_or_else(|| "malformed HTTP response".to_string())
}

fn status_code(head: &[u8]) -> Option<u16> {
    let line = std::str::from_utf8(head).ok()?.lines().next()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_shared::sim::probes::Port;
    use serde_json::json;

    #[test]
    fn status_codes_are_read_from_the_status_line() {
        assert_eq!(status_code(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(status_code(b"HTTP/1.0 500 Oops\r\nX: y"), Some(500));
        assert_eq!(status_code(b"SSH-2.0\r\n"), None);
    }

    #[test]
    fn named_ports_resolve_through_the_container_ports() {
        let c = json!({"ports": [{"name": "http", "containerPort": 8080}]});
        assert_eq!(Port::Named("http".into()).resolve(&c), 8080);
        assert_eq!(Port::Number(81).resolve(&c), 81);
    }

    #[test]
    fn timeouts_default_to_one_second() {
        let c = json!({"livenessProbe": {"exec": {"command": ["true"]}}, "readinessProbe": {"timeoutSeconds": 5}});
        assert_eq!(timeout(&c, ProbeKind::Liveness), Duration::from_secs(1));
        assert_eq!(timeout(&c, ProbeKind::Readiness), Duration::from_secs(5));
    }
}
