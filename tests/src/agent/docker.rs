//! The test's own view of the Docker engine: whether there is one (skip or fail, as for the
//! browser), a locally built busybox image (no registry is reachable), and the containers the
//! agent made for a pod, found by the labels it puts on them.

use super::{AgentHarnessError, Result};
use crate::policy::is_ci;
use bollard::query_parameters::{BuildImageOptionsBuilder, ListContainersOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;
use std::collections::HashMap;

/// The test image: Debian's static busybox in an image of its own, so `sh`, `env`, `sleep` and
/// `httpd` exist in every test container.
pub const BUSYBOX_IMAGE: &str = "kubeplay-e2e/busybox:2";
/// Where Debian's `busybox-static` package installs the binary.
const BUSYBOX_PATH: &str = "/bin/busybox";
/// The label the agent's runtime puts on a pod's containers, with the pod's uid.
pub const POD_UID_LABEL: &str = "kubeplay.dev/pod-uid";
pub const CONTAINER_NAME_LABEL: &str = "kubeplay.dev/container-name";

/// A connected engine, or `None` after a loud notice when this machine has none. Under
/// `CI=true` a missing engine fails the test.
pub async fn engine_or_skip(test: &str) -> Option<Docker> {
    match connect().await {
        Ok(docker) => Some(docker),
        Err(e) if is_ci() => panic!("{test}: CI=true requires the agent tests to run, but: {e}"),
        Err(e) => {
            eprintln!("\n######## SKIPPED agent test {test}: {e} ########\n");
            None
        }
    }
}

pub async fn connect() -> Result<Docker> {
    let docker =
        Docker::connect_with_defaults().map_err(|e| AgentHarnessError::Docker(e.to_string()))?;
    let docker = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        docker.negotiate_version(),
    )
    .await
    .map_err(|_| AgentHarnessError::Docker("the engine did not answer within 10 s".into()))?
    .map_err(|e| AgentHarnessError::Docker(format!("no Docker engine answers: {e}")))?;
    docker
        .ping()
        .await
        .map_err(|e| AgentHarnessError::Docker(format!("no Docker engine answers: {e}")))?;
    Ok(docker)
}

/// Whether the seed page's demo images (`cargo xtask demo-image`) are on the engine; without
/// them a test skips loudly, and under `CI=true` (where `cargo xtask test` builds them) fails.
pub async fn demo_images_or_skip(docker: &Docker, test: &str, images: &[&str]) -> bool {
    for image in images {
        if docker.inspect_image(image).await.is_err() {
            let why = format!(
                "image {image} is missing: build the demo images with `cargo xtask demo-image`"
            );
            if is_ci() {
                panic!("{test}: CI=true requires the agent tests to run, but {why}");
            }
            eprintln!("\n######## SKIPPED agent test {test}: {why} ########\n");
            return false;
        }
    }
    true
}

/// Builds [`BUSYBOX_IMAGE`] unless the engine has it.
pub async fn ensure_busybox_image(docker: &Docker) -> Result<&'static str> {
    if docker.inspect_image(BUSYBOX_IMAGE).await.is_ok() {
        return Ok(BUSYBOX_IMAGE);
    }
    let busybox = std::fs::read(BUSYBOX_PATH).map_err(|e| {
        AgentHarnessError::Docker(format!(
            "the test image needs a static busybox at {BUSYBOX_PATH} ({e}); install it with `apt-get install -y busybox-static`"
        ))
    })?;
    let context = busybox_context(&busybox)
        .map_err(|e| AgentHarnessError::Docker(format!("build context: {e}")))?;
    let options = BuildImageOptionsBuilder::default()
        .t(BUSYBOX_IMAGE)
        .rm(true)
        .build();
    let mut build = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(step) = build.next().await {
        let info =
            step.map_err(|e| AgentHarnessError::Docker(format!("building {BUSYBOX_IMAGE}: {e}")))?;
        if let Some(error) = info.error_detail.and_then(|d| d.message) {
            return Err(AgentHarnessError::Docker(format!(
                "building {BUSYBOX_IMAGE}: {error}"
            )));
        }
    }
    Ok(BUSYBOX_IMAGE)
}

/// `FROM scratch` with busybox and a link for each applet the tests use.
fn busybox_context(busybox: &[u8]) -> std::io::Result<Vec<u8>> {
    let dockerfile = "FROM scratch\nCOPY rootfs/ /\nCMD [\"/bin/sh\"]\n";
    let mut tar = tar::Builder::new(Vec::new());
    let file = |path: &str, mode: u32, data: &[u8], tar: &mut tar::Builder<Vec<u8>>| {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        tar.append_data(&mut header, path, data)
    };
    file("Dockerfile", 0o644, dockerfile.as_bytes(), &mut tar)?;
    file("rootfs/bin/busybox", 0o755, busybox, &mut tar)?;
    for applet in [
        "sh", "env", "sleep", "cat", "echo", "wget", "httpd", "nc", "ls", "true", "false",
        "hostname", "ps", "kill", "stty",
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        tar.append_link(&mut header, format!("rootfs/bin/{applet}"), "busybox")?;
    }
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o1777);
    header.set_cksum();
    tar.append_data(&mut header, "rootfs/tmp/", std::io::empty())?;
    tar.into_inner()
}

/// One container the agent made for a pod.
#[derive(Debug, Clone)]
pub struct PodContainer {
    pub id: String,
    /// The pod's container name, `POD` for the infra container.
    pub container: String,
    pub running: bool,
    pub labels: HashMap<String, String>,
}

/// Every container (running or not) labelled with pod `uid`.
pub async fn pod_containers(docker: &Docker, uid: &str) -> Result<Vec<PodContainer>> {
    let filters = HashMap::from([("label".to_string(), vec![format!("{POD_UID_LABEL}={uid}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| AgentHarnessError::Docker(e.to_string()))?;
    Ok(list
        .into_iter()
        .map(|c| {
            let labels = c.labels.unwrap_or_default();
            PodContainer {
                id: c.id.unwrap_or_default(),
                container: labels
                    .get(CONTAINER_NAME_LABEL)
                    .cloned()
                    .unwrap_or_default(),
                running: c.state.map(|s| s.to_string()) == Some("running".to_string()),
                labels,
            }
        })
        .collect())
}

/// Removes the containers of pods `uids` (a test's own leftovers, whatever happened).
pub async fn remove_pods(docker: &Docker, uids: &[&str]) {
    for uid in uids {
        for c in pod_containers(docker, uid).await.unwrap_or_default() {
            let options = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                .force(true)
                .v(true)
                .build();
            let _ = docker.remove_container(&c.id, Some(options)).await;
        }
    }
}
