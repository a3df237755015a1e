//! `kubectl port-forward` with the real kubectl v1.35 against
//! `kubeplay-agent run --embedded-control-plane --no-local-node`: the pod runs on a simulated
//! node, so every forwarded connection fails, and kubectl must print the kubelet-style reason
//! the agent writes on the SPDY error stream. Run once over kubectl's default transport
//! (SPDY tunnelled in a WebSocket) and once over its fallback (a plain SPDY/3.1 upgrade).
//!
//! Forwards to real containers are in `kubectl_real_node.rs` and `gateway_port_forward.rs`.

use kubeplay_e2e::kubectl::port_forward::{free_port, get, Forward};
use kubeplay_e2e::kubectl::{tools_or_skip, Cluster};
use std::time::Duration;

const CONVERGE: Duration = Duration::from_secs(120);

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
