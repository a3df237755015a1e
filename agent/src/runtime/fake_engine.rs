//! An in-memory engine for driving pod workers in tests without a Docker daemon: containers
//! run until a test makes them exit, and every call is recorded.

use super::engine::{ContainerInfo, ContainerSpec, Engine, EngineError};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct FakeContainer {
    pub spec: ContainerSpec,
    pub info: ContainerInfo,
}

#[derive(Default)]
pub struct State {
    pub images: BTreeSet<String>,
    pub containers: BTreeMap<String, FakeContainer>,
    pub calls: Vec<String>,
    /// Exit code of exec probes (0 when unset).
    pub exec_exit: i64,
    pub next_id: u32,
}

#[derive(Default)]
pub struct FakeEngine {
    pub state: Mutex<State>,
}

impl FakeEngine {
    pub fn with_images(images: &[&str]) -> Self {
        let e = Self::default();
        e.lock().images = images.iter().map(|s| s.to_string()).collect();
        e
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Makes the running instance of container `name` exit with `code` at `at`.
    pub fn exit(&self, name: &str, code: i64, at: Timestamp) {
        let mut s = self.lock();
        for c in s.containers.values_mut() {
            if c.info.running
                && c.info
                    .labels
                    .get(super::labels::CONTAINER_NAME)
                    .map(String::as_str)
                    == Some(name)
            {
                c.info.running = false;
                c.info.exit_code = code;
                c.info.finished_at = Some(at);
            }
        }
    }

    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }
}

impl Engine for FakeEngine {
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError> {
        Ok(self
            .lock()
            .images
            .contains(image)
            .then(|| format!("sha256:{image}")))
    }

    async fn pull_image(&self, image: &str) -> Result<(), EngineError> {
        self.lock().calls.push(format!("pull {image}"));
        Err(EngineError(format!("pull access denied for {image}")))
    }

    async fn infra_image(&self) -> Result<String, EngineError> {
        Ok("kubeplay/pause:test".into())
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let mut s = self.lock();
        s.next_id += 1;
        let id = format!("c{}", s.next_id);
        s.calls.push(format!("create {}", spec.name));
        let info = ContainerInfo {
            id: id.clone(),
            name: spec.name.clone(),
            labels: spec.labels.clone(),
            ip: Some("10.0.0.7".into()),
            image_id: format!("sha256:{}", spec.image),
            ..Default::default()
        };
        s.containers.insert(
            id.clone(),
            FakeContainer {
                spec: spec.clone(),
                info,
            },
        );
        Ok(id)
    }

    async fn start(&self, id: &str) -> Result<(), EngineError> {
        let mut s = self.lock();
        s.calls.push(format!("start {id}"));
        let c = s
            .containers
            .get_mut(id)
            .ok_or_else(|| EngineError("no such container".into()))?;
        c.info.running = true;
        Ok(())
    }

    async fn stop(&self, id: &str, grace: Duration) -> Result<(), EngineError> {
        let mut s = self.lock();
        s.calls.push(format!("stop {id} {}s", grace.as_secs()));
        if let Some(c) = s.containers.get_mut(id) {
            if c.info.running {
                c.info.running = false;
                c.info.exit_code = 137;
            }
        }
        Ok(())
    }

    async fn remove(&self, id: &str) -> Result<(), EngineError> {
        let mut s = self.lock();
        let found = s.containers.remove(id).is_some()
            || s.containers
                .iter()
                .find(|(_, c)| c.info.name == id)
                .map(|(k, _)| k.clone())
                .and_then(|k| s.containers.remove(&k))
                .is_some();
        if found {
            s.calls.push(format!("remove {id}"));
        }
        Ok(())
    }

    async fn inspect(&self, id: &str) -> Result<Option<ContainerInfo>, EngineError> {
        Ok(self.lock().containers.get(id).map(|c| c.info.clone()))
    }

    async fn list_managed(&self) -> Result<Vec<ContainerInfo>, EngineError> {
        Ok(self
            .lock()
            .containers
            .values()
            .map(|c| c.info.clone())
            .collect())
    }

    async fn ensure_volume(
        &self,
        name: &str,
        _: &BTreeMap<String, String>,
        _: bool,
    ) -> Result<(), EngineError> {
        self.lock().calls.push(format!("volume {name}"));
        Ok(())
    }

    async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        self.lock().calls.push(format!("remove volume {name}"));
        Ok(())
    }

    async fn exec_probe(
        &self,
        _: &str,
        command: &[String],
        _: Duration,
    ) -> Result<(i64, String), EngineError> {
        let code = self.lock().exec_exit;
        Ok((
            code,
            if code == 0 {
                String::new()
            } else {
                format!("{}: failed", command.join(" "))
            },
        ))
    }
}
