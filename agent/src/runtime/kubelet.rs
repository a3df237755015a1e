//! The pod workers of this node: `sync` starts a worker per desired pod, hands updates to the
//! running ones and tells the rest to terminate; adoption seeds workers with what a previous
//! agent left running. Each worker steps its pod once per tick and reports what changed.

use super::engine::{ContainerInfo, Engine};
use super::pod_worker::{grace_period, pod_ref_of, PodWorker};
use super::{labels, PodRef, Report, RuntimeConfig, RuntimeError};
use jiff::Timestamp;
use kubeplay_shared::node_protocol::DesiredPod;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How often a pod worker looks at its pod when nothing else wakes it.
pub const TICK: Duration = Duration::from_secs(1);

enum Command {
    Update(DesiredPod),
    Terminate(Duration),
}

/// The Docker ids of a container's current and previous instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instances {
    pub current: Option<String>,
    pub previous: Option<String>,
    pub running: bool,
}

/// What the runtime's callers can see of one pod without asking its worker.
#[derive(Debug, Clone, PartialEq)]
pub struct PodView {
    pub pod: PodRef,
    pub status: Value,
    pub containers: BTreeMap<String, Instances>,
}

pub type Views = Arc<Mutex<BTreeMap<String, PodView>>>;

struct Handle {
    tx: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
    grace: Duration,
}

#[derive(Default)]
struct Workers {
    running: HashMap<String, Handle>,
    /// Containers found by `adopt`, by pod uid, waiting for the first sync to claim them.
    adopted: Option<HashMap<String, Vec<ContainerInfo>>>,
}

pub struct Kubelet<E: Engine> {
    engine: Arc<E>,
    config: RuntimeConfig,
    reports: mpsc::UnboundedSender<Report>,
    workers: tokio::sync::Mutex<Workers>,
    views: Views,
}

/// A name Docker accepts in container names and that stays one path component.
fn is_safe_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<E: Engine> Kubelet<E> {
    pub fn new(
        engine: Arc<E>,
        config: RuntimeConfig,
        reports: mpsc::UnboundedSender<Report>,
    ) -> Self {
        Self {
            engine,
            config,
            reports,
            workers: Default::default(),
            views: Default::default(),
        }
    }

    pub fn engine(&self) -> &Arc<E> {
        &self.engine
    }

    pub fn views(&self) -> Vec<PodView> {
        lock(&self.views).values().cloned().collect()
    }

    pub fn view(&self, uid: &str) -> Option<PodView> {
        lock(&self.views).get(uid).cloned()
    }

    /// Finds the containers a previous agent created, grouped by pod, for the next `sync`.
    pub async fn adopt(&self) -> Result<Vec<PodRef>, RuntimeError> {
        let mut workers = self.workers.lock().await;
        self.adopt_locked(&mut workers).await
    }

    async fn adopt_locked(&self, workers: &mut Workers) -> Result<Vec<PodRef>, RuntimeError> {
        let found = self
            .engine
            .list_managed()
            .await
            .map_err(|e| RuntimeError::Docker(e.0))?;
        let mut by_pod: HashMap<String, Vec<ContainerInfo>> = HashMap::new();
        let mut pods = BTreeMap::new();
        for info in found {
            let Some(owner) = labels::owner(&info.labels) else {
                continue;
            };
            if workers.running.contains_key(&owner.pod.uid) {
                continue;
            }
            pods.insert(owner.pod.uid.clone(), owner.pod.clone());
            by_pod.entry(owner.pod.uid).or_default().push(info);
        }
        workers.adopted = Some(by_pod);
        Ok(pods.into_values().collect())
    }

    /// Runs exactly `desired` on this node (see `PodRuntime::sync`).
    pub async fn sync(&self, desired: Vec<DesiredPod>) -> Result<(), RuntimeError> {
        let mut workers = self.workers.lock().await;
        if workers.adopted.is_none() {
            self.adopt_locked(&mut workers).await?;
        }
        // Bad input changes nothing: every pod is checked before any is touched.
        let mut wanted = HashSet::new();
        for d in &desired {
            let pod = pod_ref_of(&d.pod);
            // They become container names and a directory of this machine: nothing else may pass.
            if ![&pod.uid, &pod.name, &pod.namespace]
                .iter()
                .all(|s| is_safe_name(s))
            {
                return Err(RuntimeError::InvalidPod(format!(
                    "metadata.uid, metadata.name and metadata.namespace must be non-empty names of letters, digits, '-', '_' and '.' (got {pod:?})"
                )));
            }
            if !wanted.insert(pod.uid.clone()) {
                return Err(RuntimeError::InvalidPod(format!(
                    "pod uid {} is listed twice",
                    pod.uid
                )));
            }
        }
        workers.running.retain(|_, h| !h.task.is_finished());
        for d in desired {
            let pod = pod_ref_of(&d.pod);
            if let Some(h) = workers.running.get_mut(&pod.uid) {
                h.grace = grace_period(&d.pod);
                let _ = h.tx.send(Command::Update(d));
                continue;
            }
            let found = workers.adopted.as_mut().and_then(|a| a.remove(&pod.uid));
            let handle = self.spawn(d, found);
            workers.running.insert(pod.uid, handle);
        }
        for (uid, h) in &workers.running {
            if !wanted.contains(uid) {
                let _ = h.tx.send(Command::Terminate(h.grace));
            }
        }
        // Adopted containers of pods nobody wants any more are orphans.
        let orphans: Vec<ContainerInfo> = workers
            .adopted
            .as_mut()
            .map(|a| a.drain().flat_map(|(_, list)| list).collect())
            .unwrap_or_default();
        for info in orphans {
            let _ = self.engine.remove(&info.id).await;
            if let Some(owner) = labels::owner(&info.labels).filter(|o| is_safe_name(&o.pod.uid)) {
                let _ = std::fs::remove_dir_all(super::volumes::pod_dir(
                    &self.config.state_dir,
                    &owner.pod,
                ));
            }
        }
        Ok(())
    }

    fn spawn(&self, desired: DesiredPod, found: Option<Vec<ContainerInfo>>) -> Handle {
        let now = Timestamp::now();
        let grace = grace_period(&desired.pod);
        let deleting = desired.pod.pointer("/metadata/deletionTimestamp").is_some();
        let (engine, dir, ip) = (
            self.engine.clone(),
            self.config.state_dir.clone(),
            self.config.host_ip.clone(),
        );
        let worker = match found {
            Some(found) => PodWorker::adopt(engine, dir, ip, desired, found, now),
            None => PodWorker::new(engine, dir, ip, desired, now),
        }
        .with_network(self.config.network.clone());
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(
            worker,
            rx,
            self.reports.clone(),
            self.views.clone(),
            deleting.then_some(grace),
        ));
        Handle { tx, task, grace }
    }

    /// Stops every worker without touching its containers (the agent is going away).
    pub async fn detach(&self) {
        let mut workers = self.workers.lock().await;
        for (_, h) in workers.running.drain() {
            h.task.abort();
            let _ = h.task.await;
        }
        workers.adopted = None;
        lock(&self.views).clear();
    }
}

impl<E: Engine> Drop for Kubelet<E> {
    fn drop(&mut self) {
        for h in self.workers.get_mut().running.values() {
            h.task.abort();
        }
    }
}

fn publish<E: Engine>(
    w: &mut PodWorker<E>,
    reports: &mpsc::UnboundedSender<Report>,
    views: &Views,
    status: Option<Value>,
) {
    {
        let mut views = lock(views);
        let view = views.entry(w.pod.uid.clone()).or_insert_with(|| PodView {
            pod: w.pod.clone(),
            status: Value::Null,
            containers: BTreeMap::new(),
        });
        if let Some(s) = status {
            view.status = s;
        }
        view.containers = w
            .init
            .iter()
            .chain(w.containers.iter())
            .map(|c| {
                let i = Instances {
                    current: c.current.clone(),
                    previous: c.previous.clone(),
                    running: c.is_running(),
                };
                (c.name.clone(), i)
            })
            .collect();
    }
    for r in w.out.drain(..) {
        let _ = reports.send(r);
    }
}

/// A pod worker's loop: step, report, wait for a tick or a command; terminate when told.
async fn run<E: Engine>(
    mut w: PodWorker<E>,
    mut rx: mpsc::UnboundedReceiver<Command>,
    reports: mpsc::UnboundedSender<Report>,
    views: Views,
    mut terminating: Option<Duration>,
) {
    loop {
        let now = Timestamp::now();
        if let Some(grace) = terminating {
            w.terminate(grace, now).await;
            publish(&mut w, &reports, &views, None);
            lock(&views).remove(&w.pod.uid);
            return;
        }
        w.step(now).await;
        let status = w.report_status(now);
        publish(&mut w, &reports, &views, status);
        tokio::select! {
            command = rx.recv() => match command {
                Some(Command::Update(d)) => {
                    if d.pod.pointer("/metadata/deletionTimestamp").is_some() {
                        terminating = Some(grace_period(&d.pod));
                    }
                    w.update(d);
                }
                Some(Command::Terminate(grace)) => terminating = Some(grace),
                // The runtime is gone (agent shutting down): leave the pod running for adoption.
                None => return,
            },
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::fake_engine::FakeEngine;
    use serde_json::json;

    fn kubelet() -> (Kubelet<FakeEngine>, mpsc::UnboundedReceiver<Report>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let config = RuntimeConfig {
            node_name: "n".into(),
            host_ip: "10.1.1.1".into(),
            state_dir: std::env::temp_dir(),
            network: Default::default(),
        };
        (
            Kubelet::new(Arc::new(FakeEngine::with_images(&["app:1"])), config, tx),
            rx,
        )
    }

    fn desired(uid: &str) -> DesiredPod {
        DesiredPod {
            pod: json!({"metadata": {"name": format!("p-{uid}"), "namespace": "default", "uid": uid},
                "spec": {"containers": [{"name": "app", "image": "app:1"}]}}),
            env: BTreeMap::new(),
            volumes: BTreeMap::new(),
        }
    }

    #[tokio::test]
    async fn a_sync_with_a_bad_pod_starts_nothing() {
        let (k, _rx) = kubelet();
        let mut bad = desired("");
        bad.pod["metadata"]["uid"] = json!(null);
        let err = k.sync(vec![desired("a"), bad]).await.unwrap_err();
        assert!(matches!(err, RuntimeError::InvalidPod(_)), "{err}");
        assert!(k.engine().calls().is_empty(), "nothing was created");
        let err = k.sync(vec![desired("../../etc")]).await.unwrap_err();
        assert!(
            matches!(err, RuntimeError::InvalidPod(_)),
            "a uid is one path component"
        );
        let err = k.sync(vec![desired("a"), desired("a")]).await.unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
    }

    #[tokio::test]
    async fn a_pod_dropped_from_the_desired_list_is_stopped_and_reported_removed() {
        let (k, mut rx) = kubelet();
        k.sync(vec![desired("a")]).await.unwrap();
        loop {
            if let Some(Report::Status { status, .. }) = rx.recv().await {
                if status["phase"] == "Running" {
                    break;
                }
            }
        }
        k.sync(Vec::new()).await.unwrap();
        while !matches!(rx.recv().await, Some(Report::Removed { .. })) {}
        assert!(k.engine().lock().containers.is_empty());
        assert!(k.views().is_empty());
    }
}
