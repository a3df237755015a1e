//! Agents on separate machines of one LAN. Each agent runs in a network namespace of its own,
//! with its own address and a Docker network of its own for its pods
//! (`kubeplay_e2e::agent::lan`), so a machine reaches another machine's pods only as real
//! machines do: through that machine's agent. Under one control plane (this process, hosting
//! it as a browser tab does):
//! - each Node's InternalIP is its machine's address, and no machine reaches another's pod IPs;
//! - a client pod on the first machine reaches `my-api-service` by each DNS form, answered by
//!   the replicas on both machines;
//! - the node port answers on both machines' addresses, from both replicas;
//! - the first machine's ingress controller routes `api.myapp.com` to the replicas of both;
//! - a port-forward listening on the first machine's address serves parallel connections;
//! - when the second machine's replica turns unready, the first machine's pods stop getting it;
//! - the second machine's relay serves the cluster's relay key only, not a stranger on the LAN;
//! - when the second machine's agent is killed mid-traffic, new connections to the first
//!   machine's node port keep succeeding, and its replica leaves the Services.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::cluster::Cluster;
use kubeplay_e2e::agent::docker::{
    demo_images_or_skip, engine_or_skip, pod_containers, remove_pods,
};
use kubeplay_e2e::agent::lan::{machine_connects, Lan, Machine};
use kubeplay_e2e::agent::traffic::{
    answered_by, answering, answering_at, client, exec, gets_across, http_get, http_get_host,
    pinned, pod_uids,
};
use kubeplay_e2e::agent::{AgentOptions, AgentProcess};
use kubeplay_shared::node_protocol::RelayKey;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const START_LIMIT: Duration = Duration::from_secs(180);
/// The first machine's ingress port (its namespace is new, so any port is free).
const INGRESS_PORT: u16 = 18_480;

fn internal_ip(node: &Value) -> Option<&str> {
    node["status"]["addresses"]
        .as_array()?
        .iter()
        .find(|a| a["type"] == "InternalIP")?["address"]
        .as_str()
}

fn pod_ip(cluster: &Cluster, pod: &str) -> String {
    cluster.get("pods", "default", pod).unwrap()["status"]["podIP"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The body of `GET /` on a pod through the relay at `relay`, asked for with `line`; `None`
/// when the relay closes the connection unanswered.
async fn get_through_relay(relay: &str, line: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let attempt = async {
        let mut socket = tokio::net::TcpStream::connect(relay).await.ok()?;
        socket.write_all(line.as_bytes()).await.ok()?;
        let answer = socket.read_u8().await.ok()?;
        assert_eq!(answer, 0, "the relay's one byte when it reached the pod");
        socket
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut text = String::new();
        socket.read_to_string(&mut text).await.ok()?;
        text.split("\r\n\r\n").nth(1).map(str::to_string)
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .unwrap_or_else(|_| panic!("the relay at {relay} neither answered nor closed"))
}

/// Each machine reaches its own pod and not the other's.
fn assert_pods_stay_on_their_machine(machines: [(&Machine, &str); 2]) {
    for (i, (machine, own)) in machines.iter().enumerate() {
        let (_, other) = machines[1 - i];
        assert!(
            machine_connects(machine, &format!("{own}:3000")),
            "{} reaches its own pod {own}",
            machine.namespace
        );
        assert!(
            !machine_connects(machine, &format!("{other}:3000")),
            "{} must not reach the other machine's pod {other}",
            machine.namespace
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_on_separate_machines_serve_services_node_ports_ingress_and_port_forward() {
    let test = "agents_on_separate_machines_serve_services_node_ports_ingress_and_port_forward";
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    if !demo_images_or_skip(&docker, test, &["myapp:1.0"]).await {
        return;
    }
    let Some(lan) = Lan::build_or_skip(test, "ln", 1, 2) else {
        return;
    };
    let (machine_a, machine_b) = (&lan.machines[0], &lan.machines[1]);
    let (node_a, node_b) = ("e2e-lan-a", "e2e-lan-b");
    let binary = agent_binary().unwrap();
    let mut options_a = AgentOptions::on_machine(node_a, machine_a);
    options_a.extra_args.extend([
        "--ingress-port".to_string(),
        INGRESS_PORT.to_string(),
        "--allow-port-forward-address".to_string(),
        machine_a.address.to_string(),
    ]);
    let agent_a = AgentProcess::start_fresh(&binary, &options_a).unwrap();
    let mut agent_b =
        AgentProcess::start_fresh(&binary, &AgentOptions::on_machine(node_b, machine_b)).unwrap();
    assert!(
        agent_a
            .url
            .starts_with(&format!("ws://{}:", machine_a.address)),
        "the agent listens on its machine's address: {}",
        agent_a.url
    );
    let mut cluster = Cluster::connect(&agent_a.url, &agent_a.token)
        .await
        .unwrap();
    cluster.join(&agent_b.url, &agent_b.token).await.unwrap();

    cluster
        .create("pods", pinned("api-a", "my-api", node_a))
        .unwrap();
    cluster
        .create("pods", pinned("api-b", "my-api", node_b))
        .unwrap();
    cluster
        .create("pods", client("client", Some(node_a)))
        .unwrap();
    cluster
        .create("services", json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "my-api-service", "namespace": "default"},
            "spec": {"type": "NodePort", "selector": {"app": "my-api"}, "ports": [{"port": 80, "targetPort": 3000}]},
        }))
        .unwrap();
    cluster
        .create("ingresses", json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "my-api", "namespace": "default"},
            "spec": {"ingressClassName": "kubeplay", "rules": [{"host": "api.myapp.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "my-api-service", "port": {"number": 80}}}}]}}]},
        }))
        .unwrap();
    let relay_b = cluster
        .wait_for(
            "both replicas ready in the first agent's Services, and the client running",
            START_LIMIT,
            |c| {
                let client_running = c
                    .get("pods", "default", "client")
                    .is_some_and(|p| p["status"]["phase"] == "Running");
                let endpoints = c.endpoints_sent("my-api-service")?;
                let relay = endpoints
                    .iter()
                    .find(|b| b.node_name == node_b)?
                    .relay
                    .clone()?;
                (client_running && endpoints.len() == 2).then_some(relay)
            },
        )
        .await
        .unwrap();
    let both: BTreeSet<String> = ["api-a".to_string(), "api-b".to_string()].into();

    // Two machines: each Node has its machine's address, the second machine's pods are
    // reached through its relay there, and neither machine reaches the other's pods.
    for (node, machine) in [(node_a, machine_a), (node_b, machine_b)] {
        let found = cluster.get("nodes", "", node).unwrap();
        assert_eq!(
            internal_ip(&found),
            Some(machine.address.to_string().as_str()),
            "{found}"
        );
    }
    assert!(
        relay_b.starts_with(&format!("{}:", machine_b.address)),
        "{relay_b}"
    );
    let (ip_a, ip_b) = (pod_ip(&cluster, "api-a"), pod_ip(&cluster, "api-b"));
    assert_pods_stay_on_their_machine([(machine_a, &ip_a), (machine_b, &ip_b)]);
    // busybox's own `wget -T` crashes in these images; its `timeout` applet bounds the wait.
    for (ip, pod, same_machine) in [(&ip_a, "api-a", true), (&ip_b, "api-b", false)] {
        let url = format!("http://{ip}:3000/");
        let wget = ["timeout", "3", "wget", "-q", "-O", "-", &url];
        let got = exec(&mut cluster, "client", "client", &wget).await;
        let answered = got
            .as_ref()
            .is_ok_and(|body| body.contains(&format!("on {pod}")));
        assert_eq!(
            answered, same_machine,
            "a pod reaches another pod by IP only on its own machine ({pod}): {got:?}"
        );
    }

    // The second machine's relay, seen from elsewhere on the LAN: nothing without the
    // cluster's relay key, the pod with it.
    let to_b = format!("{ip_b}:3000");
    assert_eq!(
        get_through_relay(&relay_b, &format!("{to_b}\n")).await,
        None,
        "a request without a key is closed unanswered"
    );
    let stranger = RelayKey::from_bytes([0x42; 32]);
    assert_eq!(
        get_through_relay(&relay_b, &format!("{} {to_b}\n", stranger.to_hex())).await,
        None,
        "a key the agent's control plane did not give is refused"
    );
    let key = cluster.relay_key.to_hex();
    let answer = get_through_relay(&relay_b, &format!("{key} {to_b}\n")).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("Hello from myapp 1.0 on api-b")),
        "the cluster's key reaches the pod: {answer:?}"
    );

    // Services by name, answered on both machines.
    for url in [
        "http://my-api-service/",
        "http://my-api-service.default/",
        "http://my-api-service.default.svc.cluster.local/",
    ] {
        assert_eq!(
            answering(&mut cluster, "client", url, 6).await,
            both,
            "{url}: both replicas answer"
        );
    }

    // The node port on each machine's address.
    let node_port = cluster
        .get("services", "default", "my-api-service")
        .unwrap()["spec"]["ports"][0]["nodePort"]
        .as_u64()
        .unwrap();
    for machine in [machine_a, machine_b] {
        let address = format!("{}:{node_port}", machine.address);
        assert_eq!(
            answering_at(&address, 6).await,
            both,
            "the node port on {address} reaches both replicas"
        );
    }

    // Ingress on the first machine, by host.
    let ingress = format!("{}:{INGRESS_PORT}", machine_a.address);
    let mut seen = BTreeSet::new();
    for _ in 0..6 {
        let (status, body) = http_get_host(&ingress, "api.myapp.com", "/").await;
        assert_eq!(status, 200, "{body}");
        seen.insert(answered_by(&body));
    }
    assert_eq!(seen, both, "the ingress on {ingress} reaches both replicas");
    assert_eq!(
        http_get_host(&ingress, "other.example", "/").await.0,
        404,
        "no rule for that host"
    );

    // A port-forward listening on the first machine's address, four connections at once.
    let bound = cluster
        .port_forward("api-a", vec![machine_a.address.to_string()], 3000)
        .await
        .unwrap();
    let forwarded = format!("{}:{}", machine_a.address, bound[0].local);
    let bodies = futures_util::future::join_all((0..4).map(|_| http_get(&forwarded))).await;
    assert!(
        bodies
            .iter()
            .all(|b| b.starts_with("Hello from myapp 1.0 on api-a")),
        "{bodies:?}"
    );

    // The second machine's replica turns unready: once its Endpoints say so, the first
    // machine's pods stop getting it; ready again, it is back.
    let uid_b = cluster.get("pods", "default", "api-b").unwrap()["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let app_b = pod_containers(&docker, &uid_b)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.container == "app" && c.running)
        .expect("api-b's app container");
    for (step, endpoints, answering_pods) in [
        ("touch", 1, vec!["api-a"]),
        ("rm", 2, vec!["api-a", "api-b"]),
    ] {
        let marked = std::process::Command::new("docker")
            .args(["exec", &app_b.id, step, "/tmp/unready"])
            .status()
            .unwrap();
        assert!(marked.success(), "docker exec {step}");
        cluster
            .wait_for(
                "the first agent's Services to follow api-b's readiness",
                START_LIMIT,
                |c| (c.endpoints_sent("my-api-service")?.len() == endpoints).then_some(()),
            )
            .await
            .unwrap();
        let expected: BTreeSet<String> = answering_pods.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            answering(&mut cluster, "client", "http://my-api-service/", 6).await,
            expected,
            "after `{step} /tmp/unready` in api-b"
        );
    }

    // The second machine's agent dies while the first machine's node port is in use.
    let address = format!("{}:{node_port}", machine_a.address);
    let after = gets_across(&address, || agent_b.kill()).await;
    assert!(after.len() > 10, "traffic went on after the kill");
    assert!(
        after.iter().all(|b| b
            .as_deref()
            .is_some_and(|b| b.starts_with("Hello from myapp 1.0 on api-a"))),
        "every connection opened after the kill succeeds, on the surviving replica: {after:?}"
    );
    cluster
        .wait_for(
            "the killed agent's replica to leave the Services",
            Duration::from_secs(180),
            |c| {
                let endpoints = c.endpoints_sent("my-api-service")?;
                (endpoints.len() == 1 && endpoints[0].node_name == node_a).then_some(())
            },
        )
        .await
        .unwrap();
    assert_eq!(
        answering(&mut cluster, "client", "http://my-api-service/", 4).await,
        ["api-a".to_string()].into(),
        "only the surviving replica answers"
    );

    let uids = pod_uids(&cluster);
    let refs: Vec<&str> = uids.iter().map(String::as_str).collect();
    drop(agent_a);
    drop(agent_b);
    remove_pods(&docker, &refs).await;
}
