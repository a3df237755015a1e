//! The real engine: Docker through bollard, with the API version negotiated so older engines
//! (such as Debian's 20.10, API 1.41) work too.

use super::engine::{ContainerInfo, ContainerSpec, Engine, EngineError};
use super::labels;
use super::tarball::{self, Entry};
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding, VolumeCreateRequest};
use bollard::query_parameters as q;
use bollard::Docker;
use futures_util::StreamExt;
use jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// The local Docker engine, as seen by one node: everything it creates carries the node's
/// label and it lists only its own, so several nodes can share one engine.
#[derive(Clone)]
pub struct DockerEngine {
    docker: Docker,
    node: String,
}

/// The engine's own words, as the Docker CLI prints them.
fn err(e: bollard::errors::Error) -> EngineError {
    match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => {
            EngineError(format!("Error response from daemon: {message}"))
        }
        other => EngineError(other.to_string()),
    }
}

fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Docker's time strings; its zero time ("0001-01-01…") means never.
fn timestamp(s: Option<&String>) -> Option<Timestamp> {
    let t: Timestamp = s?.parse().ok()?;
    (t.as_second() > 0).then_some(t)
}

impl DockerEngine {
    /// Connects to the engine of `DOCKER_HOST` or the local socket on behalf of `node`.
    pub async fn connect(node: &str) -> Result<Self, EngineError> {
        let docker = Docker::connect_with_local_defaults().map_err(err)?;
        let docker = docker.negotiate_version().await.map_err(err)?;
        docker.ping().await.map_err(err)?;
        Ok(Self {
            docker,
            node: node.to_string(),
        })
    }

    /// Fails, saying how to fix it, unless `name` is a network of this engine that containers
    /// can join (a bridge, not `host` or `none`, which would leave pods without IPs of their own).
    pub async fn check_network(&self, name: &str) -> Result<(), EngineError> {
        let found = self
            .docker
            .inspect_network(name, None::<q::InspectNetworkOptions>)
            .await;
        match found {
            Ok(network) if network.driver.as_deref() == Some("bridge") => Ok(()),
            Ok(network) => Err(EngineError(format!(
                "--pod-network {name}: pods need a bridge network, and {name} uses the {:?} driver",
                network.driver.unwrap_or_default()
            ))),
            Err(e) if is_not_found(&e) => Err(EngineError(format!(
                "--pod-network {name}: Docker has no such network (create it with `docker network create {name}`)"
            ))),
            Err(e) => Err(err(e)),
        }
    }

    /// The label filter selecting what this node manages.
    fn mine(&self) -> HashMap<String, Vec<String>> {
        let wanted = vec![
            format!("{}=true", labels::MANAGED),
            format!("{}={}", labels::NODE, self.node),
        ];
        HashMap::from([("label".to_string(), wanted)])
    }

    fn labelled(&self, labels: &BTreeMap<String, String>) -> HashMap<String, String> {
        let mut out: HashMap<String, String> = labels.clone().into_iter().collect();
        out.insert(labels::NODE.to_string(), self.node.clone());
        out
    }

    /// Whether any container of any node still uses `image`.
    pub async fn image_in_use(&self, image: &str) -> Result<bool, EngineError> {
        let filters = HashMap::from([("ancestor".to_string(), vec![image.to_string()])]);
        let options = q::ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        Ok(!self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(err)?
            .is_empty())
    }

    pub fn client(&self) -> &Docker {
        &self.docker
    }

    /// Builds `tag` from an in-memory build context (a Dockerfile plus files) unless an image
    /// with that tag already exists.
    pub async fn build_image(&self, tag: &str, context: &[Entry]) -> Result<(), EngineError> {
        if self.image_id(tag).await?.is_some() {
            return Ok(());
        }
        let tar = tarball::tarball(context).map_err(|e| EngineError(e.to_string()))?;
        let options = q::BuildImageOptions {
            t: Some(tag.to_string()),
            rm: true,
            forcerm: true,
            ..Default::default()
        };
        let mut progress =
            self.docker
                .build_image(options, None, Some(bollard::body_full(tar.into())));
        while let Some(step) = progress.next().await {
            let step = step.map_err(err)?;
            if let Some(detail) = step.error_detail {
                return Err(EngineError(
                    detail
                        .message
                        .unwrap_or_else(|| "image build failed".into()),
                ));
            }
        }
        Ok(())
    }

    pub async fn remove_image(&self, image: &str) -> Result<(), EngineError> {
        match self
            .docker
            .remove_image(
                image,
                Some(q::RemoveImageOptions {
                    force: true,
                    ..Default::default()
                }),
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    /// Every named volume this node created.
    pub async fn list_managed_volumes(&self) -> Result<Vec<String>, EngineError> {
        let list = self
            .docker
            .list_volumes(Some(q::ListVolumesOptions {
                filters: Some(self.mine()),
            }))
            .await
            .map_err(err)?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }
}

impl Engine for DockerEngine {
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(i.id),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    async fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        let options = q::CreateImageOptions {
            from_image: Some(image.to_string()),
            ..Default::default()
        };
        let mut progress = self.docker.create_image(Some(options), None, None);
        while let Some(step) = progress.next().await {
            let step = step.map_err(err)?;
            if let Some(detail) = step.error_detail {
                return Err(EngineError(
                    detail.message.unwrap_or_else(|| "pull failed".into()),
                ));
            }
        }
        Ok(())
    }

    async fn infra_image(&self) -> Result<String, EngineError> {
        let arch = std::env::consts::ARCH;
        let context = super::pause_image::build_context(arch)
            .ok_or_else(|| EngineError(format!("no infra image for the {arch} architecture")))?;
        self.build_image(super::pause_image::INFRA_IMAGE, &context)
            .await?;
        Ok(super::pause_image::INFRA_IMAGE.to_string())
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let host_config = HostConfig {
            network_mode: spec.network_mode.clone(),
            ipc_mode: spec.ipc_mode.clone(),
            binds: (!spec.binds.is_empty()).then(|| spec.binds.clone()),
            port_bindings: (!spec.port_bindings.is_empty()).then(|| {
                let mut map: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
                for (port, host) in &spec.port_bindings {
                    let binding = PortBinding {
                        host_ip: None,
                        host_port: Some(host.to_string()),
                    };
                    map.entry(port.clone())
                        .or_insert_with(|| Some(Vec::new()))
                        .get_or_insert_with(Vec::new)
                        .push(binding);
                }
                map
            }),
            dns: (!spec.dns.is_empty()).then(|| spec.dns.clone()),
            dns_search: (!spec.dns_search.is_empty()).then(|| spec.dns_search.clone()),
            dns_options: (!spec.dns_options.is_empty()).then(|| spec.dns_options.clone()),
            memory: spec.memory_limit,
            nano_cpus: spec.nano_cpus,
            cpu_shares: spec.cpu_shares,
            ..Default::default()
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            entrypoint: spec.entrypoint.clone(),
            cmd: spec.cmd.clone(),
            env: Some(spec.env.clone()),
            working_dir: spec.working_dir.clone(),
            hostname: spec.hostname.clone(),
            labels: Some(self.labelled(&spec.labels)),
            exposed_ports: (!spec.exposed_ports.is_empty()).then(|| spec.exposed_ports.clone()),
            tty: Some(spec.tty),
            open_stdin: Some(spec.stdin_open),
            attach_stdin: Some(false),
            host_config: Some(host_config),
            ..Default::default()
        };
        let options = q::CreateContainerOptions {
            name: Some(spec.name.clone()),
            ..Default::default()
        };
        Ok(self
            .docker
            .create_container(Some(options), body)
            .await
            .map_err(err)?
            .id)
    }

    async fn start(&self, id: &str) -> Result<(), EngineError> {
        self.docker
            .start_container(id, None::<q::StartContainerOptions>)
            .await
            .map_err(err)
    }

    async fn stop(&self, id: &str, grace: Duration) -> Result<(), EngineError> {
        let t = i32::try_from(grace.as_secs()).unwrap_or(i32::MAX);
        match self
            .docker
            .stop_container(
                id,
                Some(q::StopContainerOptions {
                    t: Some(t),
                    signal: None,
                }),
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    async fn remove(&self, id: &str) -> Result<(), EngineError> {
        let options = q::RemoveContainerOptions {
            force: true,
            v: false,
            link: false,
        };
        match self.docker.remove_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    async fn inspect(&self, id: &str) -> Result<Option<ContainerInfo>, EngineError> {
        let c = match self
            .docker
            .inspect_container(id, None::<q::InspectContainerOptions>)
            .await
        {
            Ok(c) => c,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        let state = c.state.unwrap_or_default();
        let ip = c
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|nets| {
                nets.into_values()
                    .filter_map(|n| n.ip_address)
                    .find(|ip| !ip.is_empty())
            });
        Ok(Some(ContainerInfo {
            id: c.id.unwrap_or_default(),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            labels: c
                .config
                .and_then(|c| c.labels)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            running: state.running == Some(true),
            exit_code: state.exit_code.unwrap_or(0),
            oom_killed: state.oom_killed == Some(true),
            error: state.error.unwrap_or_default(),
            started_at: timestamp(state.started_at.as_ref()),
            finished_at: timestamp(state.finished_at.as_ref()),
            ip,
            image_id: c.image.unwrap_or_default(),
        }))
    }

    async fn list_managed(&self) -> Result<Vec<ContainerInfo>, EngineError> {
        let options = q::ListContainersOptions {
            all: true,
            filters: Some(self.mine()),
            ..Default::default()
        };
        let list = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(err)?;
        let mut out = Vec::new();
        for summary in list {
            if let Some(info) = self
                .inspect(summary.id.as_deref().unwrap_or_default())
                .await?
            {
                out.push(info);
            }
        }
        Ok(out)
    }

    async fn ensure_volume(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
        tmpfs: bool,
    ) -> Result<(), EngineError> {
        match self.docker.inspect_volume(name).await {
            Ok(_) => return Ok(()),
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(err(e)),
        }
        let driver_opts = tmpfs.then(|| {
            HashMap::from([
                ("type".to_string(), "tmpfs".to_string()),
                ("device".to_string(), "tmpfs".to_string()),
            ])
        });
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            driver: Some("local".into()),
            driver_opts,
            labels: Some(self.labelled(labels)),
            ..Default::default()
        };
        self.docker.create_volume(request).await.map_err(err)?;
        Ok(())
    }

    async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        match self
            .docker
            .remove_volume(name, Some(q::RemoveVolumeOptions { force: true }))
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    async fn exec_probe(
        &self,
        id: &str,
        command: &[String],
        timeout: Duration,
    ) -> Result<(i64, String), EngineError> {
        let config = bollard::exec::CreateExecOptions {
            cmd: Some(command.to_vec()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let exec = self.docker.create_exec(id, config).await.map_err(err)?;
        let started = self.docker.start_exec(&exec.id, None).await.map_err(err)?;
        let mut text = Vec::new();
        if let bollard::exec::StartExecResults::Attached { mut output, .. } = started {
            let collect = async {
                while let Some(Ok(chunk)) = output.next().await {
                    text.extend_from_slice(&chunk.into_bytes());
                }
            };
            if tokio::time::timeout(timeout, collect).await.is_err() {
                return Err(EngineError(format!(
                    "command timed out after {}s",
                    timeout.as_secs()
                )));
            }
        }
        let inspect = self.docker.inspect_exec(&exec.id).await.map_err(err)?;
        Ok((
            inspect.exit_code.unwrap_or(-1),
            String::from_utf8_lossy(&text).into_owned(),
        ))
    }
}
