//! The agent's figures for `cargo xtask bench`: how long a pod takes from SyncPods to Running
//! beside a plain `docker run` of the same image measured in the same run (and beside the same
//! two-container pod shape made by hand), the agent's memory idle and with 20 pods, the size
//! of its release binary, port-forward throughput beside a direct TCP transfer, and Service
//! proxy requests per second beside requests straight to the pod.

use super::binary::release_binary;
use super::docker::{connect, ensure_busybox_image, remove_pods};
use super::pods::{container, desired, pod, unique_uid};
use super::{AgentOptions, AgentProcess, Link};
use crate::locate::output_dir;
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use bollard::Docker;
use kubeplay_shared::node_protocol::service::{Backend, ServicePortRoute, ServiceRoute};
use kubeplay_shared::node_protocol::ToAgent;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Pods started through the agent, and plain containers started through Docker.
pub const SAMPLES: usize = 20;
const NODE: &str = "bench-node";
const LIMIT: Duration = Duration::from_secs(180);

/// `name value` pairs, in the order they are printed.
pub type Figures = Vec<(&'static str, f64)>;

/// Measures everything; an error means the machine could not (no Docker, a failed build).
pub async fn measure() -> Result<Figures, String> {
    let docker = connect().await.map_err(|e| e.to_string())?;
    let image = ensure_busybox_image(&docker)
        .await
        .map_err(|e| e.to_string())?;
    let binary = release_binary().map_err(|e| e.to_string())?;
    let mut figures = Figures::new();
    let bytes = std::fs::metadata(&binary)
        .map_err(|e| format!("{}: {e}", binary.display()))?
        .len();
    figures.push(("agent_binary_bytes", bytes as f64));

    let docker_runs = docker_run_ms(&docker, image).await?;
    let docker_pods = docker_pod_ms(&docker, image).await?;
    let mut options = AgentOptions::new(NODE);
    options.state_dir = output_dir().join("bench-agent-state");
    let agent = AgentProcess::start(&binary, &options).map_err(|e| e.to_string())?;
    let mut link = Link::connect(&agent.url, &agent.token)
        .await
        .map_err(|e| e.to_string())?;
    // Idle: registered, heartbeating, no pods.
    link.wait_for("a heartbeat", Duration::from_secs(30), |l| {
        (l.heartbeats > 0).then_some(())
    })
    .await
    .map_err(|e| e.to_string())?;
    figures.push(("agent_rss_idle_kib", agent.rss_kib().unwrap_or(0) as f64));

    // One pod first, so building the infra image is not counted as a pod start.
    let warm = unique_uid("bench-warm");
    link.sync(vec![desired(sleeper(&warm, "warm", image))])
        .await
        .map_err(|e| e.to_string())?;
    wait_running(&mut link, &warm).await?;
    link.sync(vec![]).await.map_err(|e| e.to_string())?;
    link.wait_for("the warm-up pod to go", LIMIT, |l| {
        l.removed.iter().any(|r| r.uid == warm).then_some(())
    })
    .await
    .map_err(|e| e.to_string())?;

    let mut pods = Vec::new();
    let mut uids = Vec::new();
    let mut starts = Vec::new();
    for i in 0..SAMPLES {
        let uid = unique_uid("bench");
        pods.push(desired(sleeper(&uid, &format!("bench-{i}"), image)));
        let started = Instant::now();
        link.sync(pods.clone()).await.map_err(|e| e.to_string())?;
        wait_running(&mut link, &uid).await?;
        starts.push(started.elapsed().as_secs_f64() * 1000.0);
        uids.push(uid);
    }
    figures.push(("agent_rss_20_pods_kib", agent.rss_kib().unwrap_or(0) as f64));
    figures.push(("pod_start_ms_p50", percentile(&starts, 0.50)));
    figures.push(("pod_start_ms_p99", percentile(&starts, 0.99)));
    figures.push(("docker_run_ms_p50", percentile(&docker_runs, 0.50)));
    figures.push(("docker_run_ms_p99", percentile(&docker_runs, 0.99)));
    figures.push(("docker_pod_ms_p50", percentile(&docker_pods, 0.50)));
    figures.push(("docker_pod_ms_p99", percentile(&docker_pods, 0.99)));

    link.sync(vec![]).await.map_err(|e| e.to_string())?;
    let _ = link
        .wait_for("the bench pods to go", LIMIT, |l| {
            uids.iter()
                .all(|u| l.removed.iter().any(|r| &r.uid == u))
                .then_some(())
        })
        .await;
    if let Some(more) = network_figures(&mut link, &docker).await? {
        figures.extend(more);
    }
    drop(agent);
    let refs: Vec<&str> = uids
        .iter()
        .map(String::as_str)
        .chain([warm.as_str()])
        .collect();
    remove_pods(&docker, &refs).await;
    Ok(figures)
}

/// Just the network figures (`bench --network-only`): a quick loop for work on the agent's
/// Service proxy and port-forward, without the pod-start and memory samples before them.
pub async fn measure_network() -> Result<Figures, String> {
    let docker = connect().await.map_err(|e| e.to_string())?;
    let binary = release_binary().map_err(|e| e.to_string())?;
    let mut options = AgentOptions::new(NODE);
    options.state_dir = output_dir().join("bench-agent-state");
    let agent = AgentProcess::start(&binary, &options).map_err(|e| e.to_string())?;
    let mut link = Link::connect(&agent.url, &agent.token)
        .await
        .map_err(|e| e.to_string())?;
    let figures = network_figures(&mut link, &docker)
        .await?
        .ok_or_else(|| "no network figures without myapp:1.0".to_string())?;
    drop(agent);
    Ok(figures)
}

/// Bytes each throughput run moves.
const TRANSFER_BYTES: u64 = 64 * 1024 * 1024;
/// A run takes some 40 ms, and on a shared 2-core VM single runs swing by ±10%: with 7 runs the
/// port-forward ÷ direct ratio wandered 0.62–0.88 from one bench to the next, with 41 (about
/// 5 s for all three paths) 0.78–0.86.
const TRANSFER_RUNS: usize = 41;

/// Requests in flight at once while measuring requests per second.
const RPS_CONCURRENCY: usize = 8;
const RPS_RUN: Duration = Duration::from_secs(2);
const RPS_RUNS: usize = 3;
/// The bench Service's node port (the agent listens on it on all interfaces).
const BENCH_NODE_PORT: u16 = 31_999;

/// `portforward_mb_s` beside `direct_tcp_mb_s`: the same `GET /bytes` from myapp, through a
/// port-forward stream over the node link and straight to the pod's IP from this machine,
/// alternating, median of [`TRANSFER_RUNS`] each. `relayed_tcp_mb_s` is the same transfer
/// through a bare TCP relay on this machine (a thread of its own copying between two sockets):
/// any path through a process in the middle makes the bytes cross the kernel twice, so that is
/// the ceiling a port-forward can approach, and port-forward ÷ relayed is the cost of the node
/// link itself. Then `service_rps` beside `direct_pod_rps`:
/// `GET /` with [`RPS_CONCURRENCY`] clients, through the agent's Service proxy (the node port
/// of a Service whose one endpoint is that pod) and straight to the pod, alternating, median
/// of [`RPS_RUNS`] each. `None` (with a notice) without myapp's image.
async fn network_figures(link: &mut Link, docker: &Docker) -> Result<Option<Figures>, String> {
    if docker.inspect_image("myapp:1.0").await.is_err() {
        eprintln!("bench: myapp:1.0 is missing (cargo xtask demo-image): no port-forward figures");
        return Ok(None);
    }
    let uid = unique_uid("bench-pf");
    let app = serde_json::json!({"name": "myapp", "image": "myapp:1.0", "imagePullPolicy": "IfNotPresent",
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 3000}, "periodSeconds": 1}});
    link.sync(vec![desired(pod(NODE, "bench-pf", &uid, vec![app]))])
        .await
        .map_err(|e| e.to_string())?;
    let status = link
        .wait_for_status(&uid, "myapp to be ready", LIMIT, |s| {
            s["conditions"].as_array().is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
        })
        .await
        .map_err(|e| e.to_string())?;
    let ip = status["podIP"].as_str().unwrap_or_default().to_string();
    let request = format!("GET /bytes?n={TRANSFER_BYTES} HTTP/1.1\r\n\r\n");
    let (mut direct, mut forwarded, mut relayed) = (Vec::new(), Vec::new(), Vec::new());
    let pod_port = format!("{ip}:3000");
    let relay = bare_relay(pod_port.clone())?;
    link.keep_output = false;
    for _ in 0..TRANSFER_RUNS {
        direct.push(tcp_transfer(&pod_port, &request).await?);
        forwarded.push(forwarded_transfer(link, &request).await?);
        relayed.push(tcp_transfer(&relay, &request).await?);
    }
    link.keep_output = true;

    link.send(&ToAgent::SyncServices {
        services: vec![bench_service(&ip)],
        ingresses: Vec::new(),
    })
    .await
    .map_err(|e| e.to_string())?;
    let pod_address = SocketAddr::from((
        ip.parse::<std::net::Ipv4Addr>()
            .map_err(|e| format!("pod IP {ip:?}: {e}"))?,
        3000,
    ));
    let service_address = SocketAddr::from(([127, 0, 0, 1], BENCH_NODE_PORT));
    let deadline = Instant::now() + Duration::from_secs(30);
    while one_request(service_address).await.is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "the agent's Service proxy did not answer on {service_address}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut direct_rps, mut service_rps) = (Vec::new(), Vec::new());
    for _ in 0..RPS_RUNS {
        direct_rps.push(requests_per_second(pod_address).await?);
        service_rps.push(requests_per_second(service_address).await?);
    }
    link.send(&ToAgent::SyncServices {
        services: Vec::new(),
        ingresses: Vec::new(),
    })
    .await
    .map_err(|e| e.to_string())?;
    link.sync(vec![]).await.map_err(|e| e.to_string())?;
    let _ = link
        .wait_for("the port-forward pod to go", LIMIT, |l| {
            l.removed.iter().any(|r| r.uid == uid).then_some(())
        })
        .await;
    remove_pods(docker, &[&uid]).await;
    let mb_s = |runs: Vec<f64>| crate::bench::median(runs).unwrap_or(f64::NAN);
    Ok(Some(vec![
        ("portforward_mb_s", mb_s(forwarded)),
        ("direct_tcp_mb_s", mb_s(direct)),
        ("relayed_tcp_mb_s", mb_s(relayed)),
        ("service_rps", mb_s(service_rps)),
        ("direct_pod_rps", mb_s(direct_rps)),
    ]))
}

/// A NodePort Service whose only endpoint is the bench pod on this node.
fn bench_service(pod_ip: &str) -> ServiceRoute {
    ServiceRoute {
        namespace: "default".into(),
        name: "bench".into(),
        service_type: "NodePort".into(),
        cluster_ip: None,
        external_ips: Vec::new(),
        ports: vec![ServicePortRoute {
            name: String::new(),
            protocol: "TCP".into(),
            port: 80,
            node_port: Some(BENCH_NODE_PORT),
            endpoints: vec![Backend {
                ip: pod_ip.to_string(),
                port: 3000,
                node_name: NODE.to_string(),
                relay: None,
            }],
        }],
    }
}

/// One `GET /` to `address`, read to the end; an error unless it answered 200.
async fn one_request(address: SocketAddr) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("{address}: {e}"))?;
    socket
        .write_all(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    socket
        .read_to_end(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    if answer.starts_with(b"HTTP/1.1 200 ") {
        Ok(())
    } else {
        Err(format!(
            "{address} answered {:?}",
            String::from_utf8_lossy(&answer)
        ))
    }
}

/// Completed requests per second to `address` over [`RPS_RUN`], [`RPS_CONCURRENCY`] at a time.
async fn requests_per_second(address: SocketAddr) -> Result<f64, String> {
    let started = Instant::now();
    let end = started + RPS_RUN;
    let clients = (0..RPS_CONCURRENCY).map(|_| {
        tokio::spawn(async move {
            let mut done = 0usize;
            while Instant::now() < end {
                one_request(address).await?;
                done += 1;
            }
            Ok::<usize, String>(done)
        })
    });
    let mut total = 0;
    for client in futures_util::future::join_all(clients).await {
        total += client.map_err(|e| e.to_string())??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// MB/s of one transfer read from `address` (the pod itself, or a relay to it).
async fn tcp_transfer(address: &str, request: &str) -> Result<f64, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let started = Instant::now();
    let mut socket = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|e| format!("connecting to {address}: {e}"))?;
    socket
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        match socket.read(&mut buf).await.map_err(|e| e.to_string())? {
            0 => break,
            n => total += n as u64,
        }
    }
    finish_transfer(total, started)
}

/// The bare relay's buffer each way, as large as this bench's own reads.
const RELAY_BUFFER: usize = 256 * 1024;

/// A TCP relay to `target` on loopback, served by a thread of its own (as the agent is a
/// process of its own) until the bench exits; its address.
fn bare_relay(target: String) -> Result<String, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let address = listener
        .local_addr()
        .map_err(|e| e.to_string())?
        .to_string();
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                tokio::spawn(async move {
                    if let Ok(mut pod) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional_with_sizes(
                            &mut client,
                            &mut pod,
                            RELAY_BUFFER,
                            RELAY_BUFFER,
                        )
                        .await;
                    }
                });
            }
        })
    });
    Ok(address)
}

/// MB/s of one transfer through a port-forward stream over the node link.
async fn forwarded_transfer(link: &mut Link, request: &str) -> Result<f64, String> {
    let started = Instant::now();
    let open = kubeplay_shared::node_protocol::StreamOpen::PortForward {
        namespace: "default".into(),
        pod: "bench-pf".into(),
        port: 3000,
    };
    let id = link.open(open).await.map_err(|e| e.to_string())?;
    link.write_stream(id, request.as_bytes(), LIMIT)
        .await
        .map_err(|e| e.to_string())?;
    link.end_stream(id).await.map_err(|e| e.to_string())?;
    let (received, closed) = link
        .wait_for("the port-forward transfer", LIMIT, |l| {
            let out = l.stream_ref(id)?;
            out.closed.clone().map(|c| (out.received, c))
        })
        .await
        .map_err(|e| e.to_string())?;
    if let Some(error) = closed.error {
        return Err(format!("port-forward failed: {error}"));
    }
    finish_transfer(received, started)
}

fn finish_transfer(received: u64, started: Instant) -> Result<f64, String> {
    if received < TRANSFER_BYTES {
        return Err(format!(
            "the transfer ended after {received} of {TRANSFER_BYTES} bytes"
        ));
    }
    Ok(received as f64 / 1e6 / started.elapsed().as_secs_f64())
}

fn sleeper(uid: &str, name: &str, image: &str) -> serde_json::Value {
    pod(
        NODE,
        name,
        uid,
        vec![container("app", image, &["sleep", "3600"])],
    )
}

async fn wait_running(link: &mut Link, uid: &str) -> Result<(), String> {
    link.wait_for_status(uid, "the pod to run", LIMIT, |s| s["phase"] == "Running")
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Create + start of a plain container until Docker reports it running, [`SAMPLES`] times.
async fn docker_run_ms(docker: &Docker, image: &str) -> Result<Vec<f64>, String> {
    timed_runs(docker, |i| {
        let name = format!("kubeplay-bench-docker-run-{}-{i}", std::process::id());
        async move {
            Ok(vec![
                run_container(docker, &name, sleeper_config(image, None)).await?,
            ])
        }
    })
    .await
}

/// The same pod shape by hand: a container holding the network namespace and one joined to
/// it, so the agent's own cost shows apart from Docker's.
async fn docker_pod_ms(docker: &Docker, image: &str) -> Result<Vec<f64>, String> {
    timed_runs(docker, |i| {
        let base = format!("kubeplay-bench-docker-pod-{}-{i}", std::process::id());
        async move {
            let infra = run_container(
                docker,
                &format!("{base}-infra"),
                sleeper_config(image, None),
            )
            .await?;
            let network = format!("container:{infra}");
            let app = run_container(
                docker,
                &format!("{base}-app"),
                sleeper_config(image, Some(network)),
            )
            .await?;
            Ok(vec![infra, app])
        }
    })
    .await
}

/// Milliseconds of each of [`SAMPLES`] runs of `start` (after one unmeasured warm-up run),
/// then removes every container the runs made.
async fn timed_runs<'a, F, Fut>(docker: &Docker, start: F) -> Result<Vec<f64>, String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<String>, String>> + 'a,
{
    let mut times = Vec::new();
    let mut ids = Vec::new();
    let mut outcome = Ok(());
    for i in 0..=SAMPLES {
        let started = Instant::now();
        match start(i).await {
            Ok(made) => ids.extend(made),
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
        if i > 0 {
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    for id in ids {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        let _ = docker.remove_container(&id, Some(options)).await;
    }
    outcome.map(|()| times)
}

fn sleeper_config(
    image: &str,
    network_mode: Option<String>,
) -> bollard::models::ContainerCreateBody {
    bollard::models::ContainerCreateBody {
        image: Some(image.to_string()),
        cmd: Some(vec!["sleep".into(), "3600".into()]),
        host_config: Some(bollard::models::HostConfig {
            network_mode,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Creates and starts a container and waits until Docker reports it running; its id.
async fn run_container(
    docker: &Docker,
    name: &str,
    config: bollard::models::ContainerCreateBody,
) -> Result<String, String> {
    let options = CreateContainerOptionsBuilder::default().name(name).build();
    let id = docker
        .create_container(Some(options), config)
        .await
        .map_err(|e| e.to_string())?
        .id;
    docker
        .start_container(&id, None)
        .await
        .map_err(|e| e.to_string())?;
    loop {
        let inspect = docker
            .inspect_container(&id, None)
            .await
            .map_err(|e| e.to_string())?;
        if inspect.state.and_then(|s| s.running) == Some(true) {
            return Ok(id);
        }
    }
}

/// Nearest-rank percentile.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 10.0);
        assert_eq!(percentile(&values, 0.99), 20.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
