//! Port-forward on the real agent and the real Docker engine, driven through the node protocol
//! as a control plane (the page, or the kube API gateway for `kubectl port-forward`) drives it:
//! one stream per TCP connection, several at once, half-close in both directions, and the
//! kubelet's error when nothing listens.
//!
//! Each test runs its own agent as its own node, so the tests run side by side.

use kubeplay_e2e::agent::binary::agent_binary;
use kubeplay_e2e::agent::docker::{
    demo_images_or_skip, engine_or_skip, ensure_busybox_image, remove_pods,
};
use kubeplay_e2e::agent::pods::{container, desired, pod, unique_uid};
use kubeplay_e2e::agent::{AgentOptions, AgentProcess, Link};
use kubeplay_shared::node_protocol::{StreamId, StreamOpen, INITIAL_WINDOW};
use serde_json::{json, Value};
use std::time::Duration;

/// The first pod may wait for the infra image to be built.
const START_LIMIT: Duration = Duration::from_secs(180);
const STREAM_LIMIT: Duration = Duration::from_secs(60);

fn ready(status: &Value) -> bool {
    status["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

async fn connected(node: &str) -> (AgentProcess, Link) {
    let agent = AgentProcess::start(&agent_binary().unwrap(), &AgentOptions::new(node)).unwrap();
    let link = Link::connect(&agent.url, &agent.token).await.unwrap();
    (agent, link)
}

/// myapp on 3000 with its readiness probe, so Ready means it answers.
fn myapp(node: &str, name: &str, uid: &str) -> Value {
    let app = json!({"name": "myapp", "image": "myapp:1.0", "imagePullPolicy": "IfNotPresent",
        "ports": [{"containerPort": 3000}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 3000}, "periodSeconds": 1}});
    pod(node, name, uid, vec![app])
}

fn forward(pod: &str, port: u16) -> StreamOpen {
    StreamOpen::PortForward {
        namespace: "default".into(),
        pod: pod.into(),
        port,
    }
}

async fn wait_closed(link: &mut Link, id: StreamId) -> kubeplay_e2e::agent::link::StreamOutput {
    link.wait_for("the port-forward stream to close", STREAM_LIMIT, |l| {
        l.stream(id).closed.map(|_| l.stream(id))
    })
    .await
    .unwrap()
}

async fn remove_all(link: &mut Link, docker: &bollard::Docker, uids: &[&str]) {
    link.sync(vec![]).await.unwrap();
    let _ = link
        .wait_for("the pods to be removed", Duration::from_secs(60), |l| {
            uids.iter()
                .all(|u| l.removed.iter().any(|r| r.uid == *u))
                .then_some(())
        })
        .await;
    remove_pods(docker, uids).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_connections_reach_myapp_and_close_cleanly_from_either_side() {
    let test = "parallel_connections_reach_myapp_and_close_cleanly_from_either_side";
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    if !demo_images_or_skip(&docker, test, &["myapp:1.0"]).await {
        return;
    }
    let node = "e2e-pf-parallel";
    let (_agent, mut link) = connected(node).await;
    let uid = unique_uid("pf-parallel");
    link.sync(vec![desired(myapp(node, "my-api-pf", &uid))])
        .await
        .unwrap();
    link.wait_for_status(&uid, "myapp to be ready", START_LIMIT, ready)
        .await
        .unwrap();

    // Eight connections at once; half end their side after the request (as curl does with a
    // body-less request and `Connection: close` servers, the server closes first anyway), half
    // keep it open until the server's end arrives, then close.
    let mut ids = Vec::new();
    for i in 0..8 {
        let id = link.open(forward("my-api-pf", 3000)).await.unwrap();
        let request = format!("GET /?c={i} HTTP/1.1\r\nHost: localhost:8080\r\n\r\n");
        link.write_stream(id, request.as_bytes(), STREAM_LIMIT)
            .await
            .unwrap();
        if i % 2 == 0 {
            link.end_stream(id).await.unwrap();
        }
        ids.push(id);
    }
    for (i, id) in ids.iter().enumerate() {
        if i % 2 == 1 {
            link.wait_for("myapp to end its side", STREAM_LIMIT, |l| {
                l.stream(*id).ended.then_some(())
            })
            .await
            .unwrap();
            assert_eq!(
                link.stream(*id).closed,
                None,
                "the stream stays open while this side has not ended"
            );
            link.end_stream(*id).await.unwrap();
        }
        let out = wait_closed(&mut link, *id).await;
        let closed = out.closed.clone().unwrap();
        assert_eq!(closed.error, None, "connection {i}");
        assert!(out.ended, "the pod's end arrived before the close");
        let text = out.stdout_text();
        assert!(
            text.starts_with("HTTP/1.1 200 OK\r\n"),
            "connection {i}: {text}"
        );
        assert!(
            text.ends_with("Hello from myapp 1.0 on my-api-pf\n"),
            "connection {i}: {text}"
        );
    }

    // The control plane closes a connection in the middle of a large answer: the agent stops,
    // and the next connection works.
    let id = link.open(forward("my-api-pf", 3000)).await.unwrap();
    link.write_stream(
        id,
        b"GET /bytes?n=1073741824 HTTP/1.1\r\n\r\n",
        STREAM_LIMIT,
    )
    .await
    .unwrap();
    link.wait_for("the large answer to start", STREAM_LIMIT, |l| {
        (l.stream(id).stdout.len() > INITIAL_WINDOW as usize).then_some(())
    })
    .await
    .unwrap();
    link.close_stream(id).await.unwrap();
    let id = link.open(forward("my-api-pf", 3000)).await.unwrap();
    link.write_stream(id, b"GET /version HTTP/1.1\r\n\r\n", STREAM_LIMIT)
        .await
        .unwrap();
    link.end_stream(id).await.unwrap();
    let out = wait_closed(&mut link, id).await;
    assert_eq!(out.closed.clone().unwrap().error, None);
    assert!(
        out.stdout_text().ends_with("\r\n\r\n1.0\n"),
        "{}",
        out.stdout_text()
    );
    remove_all(&mut link, &docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bytes_beyond_the_window_flow_both_ways_and_half_close_reaches_the_pod() {
    let test = "bytes_beyond_the_window_flow_both_ways_and_half_close_reaches_the_pod";
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let node = "e2e-pf-echo";
    let (_agent, mut link) = connected(node).await;
    let uid = unique_uid("pf-echo");
    // `cat` echoes until its stdin ends: only a half-close from this side lets it finish, and
    // only then does the pod end its side.
    let echo = container("echo", image, &["sh", "-c", "exec nc -ll -p 7000 -e cat"]);
    link.sync(vec![desired(pod(node, "echo", &uid, vec![echo]))])
        .await
        .unwrap();
    link.wait_for_status(&uid, "the echo pod to run", START_LIMIT, |s| {
        s["phase"] == "Running"
    })
    .await
    .unwrap();

    let payload: Vec<u8> = (0..3 * INITIAL_WINDOW as usize + 12345)
        .map(|i| (i % 251) as u8)
        .collect();
    // The server may need a moment to listen after the container starts.
    let mut attempt = 0;
    let out = loop {
        attempt += 1;
        let id = link.open(forward("echo", 7000)).await.unwrap();
        let sent = link.write_stream(id, &payload, STREAM_LIMIT).await;
        if sent.is_ok() {
            link.end_stream(id).await.unwrap();
        }
        let out = wait_closed(&mut link, id).await;
        let refused = out
            .closed
            .as_ref()
            .and_then(|c| c.error.as_deref())
            .is_some_and(|e| e.contains("connection refused"));
        if refused && attempt < 50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        sent.unwrap();
        break out;
    };
    assert_eq!(out.closed.clone().unwrap().error, None);
    assert!(out.ended);
    assert_eq!(out.stdout.len(), payload.len());
    assert!(out.stdout == payload, "the echo differs from what was sent");
    remove_all(&mut link, &docker, &[&uid]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_nobody_listens_on_fails_with_the_kubelets_words() {
    let test = "a_port_nobody_listens_on_fails_with_the_kubelets_words";
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    let image = ensure_busybox_image(&docker).await.unwrap();
    let node = "e2e-pf-refused";
    let (_agent, mut link) = connected(node).await;
    let uid = unique_uid("pf-refused");
    let sleeper = container("app", image, &["sleep", "3600"]);
    link.sync(vec![desired(pod(node, "quiet", &uid, vec![sleeper]))])
        .await
        .unwrap();
    link.wait_for_status(&uid, "the pod to run", START_LIMIT, |s| {
        s["phase"] == "Running"
    })
    .await
    .unwrap();
    let id = link.open(forward("quiet", 8080)).await.unwrap();
    let out = wait_closed(&mut link, id).await;
    let error = out.closed.unwrap().error.unwrap_or_default();
    assert!(
        error.starts_with("error forwarding port 8080 to pod "),
        "{error}"
    );
    assert!(error.contains(", uid : "), "{error}");
    assert!(error.ends_with("connect: connection refused"), "{error}");

    let id = link.open(forward("not-here", 8080)).await.unwrap();
    let out = wait_closed(&mut link, id).await;
    assert_eq!(
        out.closed.unwrap().error.as_deref(),
        Some("pods \"not-here\" not found in namespace \"default\" on this node")
    );
    remove_all(&mut link, &docker, &[&uid]).await;
}

/// What the agent said of page forward `id`: its bound ports, or its failure.
fn forward_news(link: &Link, id: u32) -> Option<Result<Vec<u16>, String>> {
    use kubeplay_shared::node_protocol::FromAgent;
    link.forwards.iter().find_map(|m| match m {
        FromAgent::PortForwardListening(l) if l.id == id => {
            Some(Ok(l.bound.iter().map(|b| b.local).collect()))
        }
        FromAgent::PortForwardFailed(f) if f.id == id => Some(Err(f.message.clone())),
        _ => None,
    })
}

async fn page_forward(
    link: &mut Link,
    id: u32,
    uid: &str,
    address: &str,
    local: u16,
) -> Result<Vec<u16>, String> {
    use kubeplay_shared::node_protocol::forward::{PortForwardListen, PortPair};
    use kubeplay_shared::node_protocol::report::PodRef;
    use kubeplay_shared::node_protocol::ToAgent;
    let listen = PortForwardListen {
        id,
        pod: PodRef {
            namespace: "default".into(),
            name: "my-api-pf-page".into(),
            uid: uid.into(),
        },
        addresses: vec![address.into()],
        ports: vec![PortPair {
            local,
            remote: 3000,
        }],
    };
    link.send(&ToAgent::PortForwardListen(Box::new(listen)))
        .await
        .unwrap();
    link.wait_for("the agent's answer to a listen", STREAM_LIMIT, |l| {
        forward_news(l, id)
    })
    .await
    .unwrap()
}

/// `GET /` through 127.0.0.1:`port`: the whole answer.
async fn get_through(port: u16) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).await?;
    Ok(reply)
}

/// Waits until nothing listens on 127.0.0.1:`port` any more (the agent closed it).
async fn wait_refused(link: &mut Link, port: u16) {
    let start = std::time::Instant::now();
    loop {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return,
            _ if start.elapsed() > STREAM_LIMIT => {
                panic!("127.0.0.1:{port} still accepts connections")
            }
            // Keep reading the link so the agent is never blocked on it.
            _ => {
                let _ = link
                    .wait_for("nothing", Duration::from_millis(100), |_| None::<()>)
                    .await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pages_listener_forwards_to_the_pod_and_closes_on_stop_pod_removal_and_link_loss() {
    use kubeplay_shared::node_protocol::forward::PortForwardStop;
    use kubeplay_shared::node_protocol::ToAgent;
    let test = "a_pages_listener_forwards_to_the_pod_and_closes_on_stop_pod_removal_and_link_loss";
    let Some(docker) = engine_or_skip(test).await else {
        return;
    };
    if !demo_images_or_skip(&docker, test, &["myapp:1.0"]).await {
        return;
    }
    let node = "e2e-pf-page";
    let (agent, mut link) = connected(node).await;
    assert!(
        link.registration.features.iter().any(|f| f == "portForward"),
        "{:?}",
        link.registration.features
    );
    let uid = unique_uid("pf-page");
    let pod = desired(myapp(node, "my-api-pf-page", &uid));
    link.sync(vec![pod.clone()]).await.unwrap();
    link.wait_for_status(&uid, "myapp to be ready", START_LIMIT, ready)
        .await
        .unwrap();

    // Port 0 picks a free port; connections reach myapp and are announced.
    let ports = page_forward(&mut link, 1, &uid, "localhost", 0).await.unwrap();
    let port = ports[0];
    assert!(port != 0 && ports.iter().all(|p| *p == port), "{ports:?}");
    let answer = get_through(port).await.unwrap();
    assert!(answer.contains("from myapp 1.0 on my-api-pf-page"), "{answer}");
    link.wait_for("the connection's news", STREAM_LIMIT, |l| {
        l.forwards.iter().find(|m| matches!(m, kubeplay_shared::node_protocol::FromAgent::PortForwardConnection(c) if c.id == 1 && c.local == port && c.error.is_none()))
            .map(|_| ())
    })
    .await
    .unwrap();

    // The same port again: kubectl's words for a port in use.
    let taken = page_forward(&mut link, 3, &uid, "localhost", port).await.unwrap_err();
    assert!(taken.contains("bind: address already in use"), "{taken}");
    assert!(
        taken.ends_with(&format!("error: unable to listen on any of the requested ports: [{{{port} 3000}}]")),
        "{taken}"
    );
    // Other machines' access needs the operator's opt-in.
    let remote = page_forward(&mut link, 5, &uid, "0.0.0.0", 0).await.unwrap_err();
    assert!(remote.contains("--allow-port-forward-address 0.0.0.0"), "{remote}");

    // Ctrl+C in the page.
    link.send(&ToAgent::PortForwardStop(PortForwardStop { id: 1 }))
        .await
        .unwrap();
    wait_refused(&mut link, port).await;

    // The link goes away: its listeners close with it.
    let lost = page_forward(&mut link, 7, &uid, "127.0.0.1", 0).await.unwrap()[0];
    drop(link);
    wait_refused_plain(lost).await;

    // A new link; the pod leaves the node: kubectl's "lost connection to pod".
    let mut link = Link::connect(&agent.url, &agent.token).await.unwrap();
    link.sync(vec![pod]).await.unwrap();
    link.wait_for_status(&uid, "myapp to be ready again", START_LIMIT, ready)
        .await
        .unwrap();
    let port = page_forward(&mut link, 1, &uid, "localhost", 0).await.unwrap()[0];
    remove_all(&mut link, &docker, &[&uid]).await;
    assert_eq!(
        forward_news_failed(&link, 1).as_deref(),
        Some("error: lost connection to pod")
    );
    wait_refused(&mut link, port).await;
}

fn forward_news_failed(link: &Link, id: u32) -> Option<String> {
    use kubeplay_shared::node_protocol::FromAgent;
    link.forwards.iter().find_map(|m| match m {
        FromAgent::PortForwardFailed(f) if f.id == id => Some(f.message.clone()),
        _ => None,
    })
}

async fn wait_refused_plain(port: u16) {
    let start = std::time::Instant::now();
    loop {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return,
            _ if start.elapsed() > STREAM_LIMIT => {
                panic!("127.0.0.1:{port} still accepts connections after the link closed")
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
