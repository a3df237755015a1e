//! `kubectl port-forward` with the real kubectl v1.35 against
//! `kubeplay-agent run --embedded-control-plane --no-local-node`: the pod runs on a simulated
//! node, so every forwarded connection fails, and kubectl must print the kubelet-style reason
//! the agent writes on the SPDY error stream. Run once over kubectl's default transport
//! (SPDY tunnelled in a WebSocket) and once over its fallback (a plain SPDY/3.1 upgrade).
//!
//! The forward to a real container is in `gateway_port_forward.rs` (the embedded control plane
//! cannot use this machine as a node yet).

use kubeplay_e2e::kubectl::{tools_or_skip, Cluster};
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CONVERGE: Duration = Duration::from_secs(120);
const LINE_LIMIT: Duration = Duration::from_secs(60);

/// A running `kubectl port-forward` with its stdout and stderr lines on one channel.
struct Forward {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Forward {
    fn start(cluster: &Cluster, args: &[&str], websockets: bool) -> Forward {
        let mut command = cluster.command(&cluster.tools.kubectl);
        command
            .args(args)
            .env(
                "KUBECTL_PORT_FORWARD_WEBSOCKETS",
                if websockets { "true" } else { "false" },
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("kubectl starts");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for pipe in [
            Box::new(out) as Box<dyn std::io::Read + Send>,
            Box::new(err),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
        }
        Forward {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    #[track_caller]
    fn wait_for(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        loop {
            match self.lines.recv_timeout(LINE_LIMIT) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "kubectl never printed {what}; it printed:\n{:#?}",
                    self.seen
                ),
            }
        }
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A GET through the forward; what came back before the connection closed.
fn get(port: u16) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).expect("kubectl listens");
    conn.set_read_timeout(Some(LINE_LIMIT)).unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let _ = conn.read_to_end(&mut got);
    String::from_utf8_lossy(&got).into_owned()
}

fn simulated_pod_reports_no_network(name: &str, websockets: bool) {
    let Some(tools) = tools_or_skip(name) else {
        return;
    };
    let cluster = Cluster::start(tools, name, 1).expect("the agent starts");
    let run = cluster.kubectl(&["run", "web", "--image=nginx", "--port=8080"]);
    assert!(run.ok(), "{run}");
    cluster
        .kubectl_until(
            &["get", "pod", "web", "-o", "jsonpath={.status.phase}"],
            CONVERGE,
            |o| o.stdout == "Running",
        )
        .unwrap_or_else(|last| panic!("web never ran: {last}"));

    let port = free_port();
    let mapping = format!("{port}:8080");
    let mut forward = Forward::start(&cluster, &["port-forward", "pod/web", &mapping], websockets);
    forward.wait_for("that it forwards", |l| {
        l == format!("Forwarding from 127.0.0.1:{port} -> 8080")
    });
    let answer = get(port);
    assert_eq!(answer, "", "nothing answers on a simulated node");
    let line = forward.wait_for("the error stream's message", |l| {
        l.contains("an error occurred forwarding")
    });
    assert!(
        line.contains(&format!(
            "an error occurred forwarding {port} -> 8080: error forwarding port 8080 to pod web, uid "
        )) && line.contains("runs on the simulated node node-1, which has no network"),
        "{line}"
    );
    // As against a kubelet, kubectl (1.31+) then gives up the whole forward.
    forward.wait_for("that it lost the pod", |l| {
        l == "error: lost connection to pod"
    });
    let status = forward.child.wait().unwrap();
    assert!(!status.success());
    let log = cluster.log_text();
    assert!(!log.contains("panicked"), "{log}");
}

/// kubectl's WebSocket dialer refuses a server URL with userinfo ("malformed ws or wss URL",
/// and it does not fall back to SPDY then), and the agent's plain-HTTP kubeconfig carries the
/// token that way; this runs once the kubeconfig points at HTTPS with a bearer token.
#[test]
fn port_forward_to_a_simulated_pod_prints_why_over_websocket() {
    simulated_pod_reports_no_network("pf-sim-ws", true);
}

#[test]
fn port_forward_to_a_simulated_pod_prints_why_over_spdy() {
    simulated_pod_reports_no_network("pf-sim-spdy", false);
}

#[test]
fn port_forward_to_a_missing_pod_is_not_found() {
    let name = "port_forward_to_a_missing_pod_is_not_found";
    let Some(tools) = tools_or_skip(name) else {
        return;
    };
    let cluster = Cluster::start(tools, "pf-missing", 1).expect("the agent starts");
    let out = cluster.kubectl(&["port-forward", "pod/nope", "18080:8080"]);
    assert!(!out.ok());
    assert_eq!(
        out.stderr.trim_end(),
        "Error from server (NotFound): pods \"nope\" not found",
        "{out}"
    );
}
