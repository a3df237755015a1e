//! The agent's figures for `cargo xtask bench`: how long a pod takes from SyncPods to Running
//! beside a plain `docker run` of the same image measured in the same run (and beside the same
//! two-container pod shape made by hand), the agent's memory idle and with 20 pods, and the
//! size of its release binary.

use super::binary::release_binary;
use super::docker::{connect, ensure_busybox_image, remove_pods};
use super::pods::{container, desired, pod, unique_uid};
use super::{AgentOptions, AgentProcess, Link};
use crate::locate::output_dir;
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use bollard::Docker;
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
    drop(agent);
    let refs: Vec<&str> = uids
        .iter()
        .map(String::as_str)
        .chain([warm.as_str()])
        .collect();
    remove_pods(&docker, &refs).await;
    Ok(figures)
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
