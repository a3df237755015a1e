//! The simulated kubelet: runs the pods bound to simulated nodes through
//! Kubernetes' pod lifecycle, keeps their nodes' heartbeats, and reports usage.
//!
//! One controller serves every simulated node. It follows the store through a
//! change feed and keeps a wake-up queue, so a pass touches only pods that
//! changed or have something due (a pull finishing, a probe, a back-off expiry).

pub mod backoff;
pub mod container;
pub mod output;
pub mod status;

#[cfg(test)]
mod tests;

use super::env;
use super::images::{self, Faults, SIMULATE_ANNOTATION};
use super::metrics::{self, ContainerUsage};
use super::nodes::{self, NodeAgent};
use super::traffic;
use super::volumes::DataKey;
use crate::api::{meta, resources};
use crate::apiserver::{ApiServer, DeleteOptions, WriteOptions};
use crate::controllers::events::{EventRecorder, EventType};
use crate::controllers::feed::{ChangeFeed, Changes};
use crate::controllers::{Controller, Reconciled};
use crate::store::EventType as Change;
use container::{Container, Context};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// `(namespace, name)` of a pod.
pub type PodKey = (String, String);

/// What the kubelet holds for one pod.
#[derive(Debug, Clone)]
pub struct PodRuntime {
    pub node: String,
    pub uid: String,
    pub ip: String,
    pub start: Timestamp,
    pub containers: Vec<Container>,
    pub volumes: Vec<env::Volume>,
    pub wake: Option<Timestamp>,
    /// Set once the pod's deletion has been started.
    pub stopping: bool,
    /// Requests per second it serves, from Services' traffic.
    pub rps: f64,
}

/// The kubelet of every simulated node.
#[derive(Default)]
pub struct SimKubelet {
    feed: ChangeFeed,
    nodes: BTreeMap<String, NodeAgent>,
    pods: BTreeMap<PodKey, PodRuntime>,
    /// Pods bound to a node name we do not run (yet).
    waiting_for_node: HashMap<String, BTreeSet<PodKey>>,
    queue: BTreeSet<(Timestamp, PodKey)>,
    dirty: BTreeSet<PodKey>,
    images: HashMap<String, HashSet<String>>,
    recorders: HashMap<String, EventRecorder>,
    /// Services with a traffic annotation: key → (selector, rps).
    traffic: BTreeMap<PodKey, (serde_json::Map<String, Value>, f64)>,
    next_scrape: Option<Timestamp>,
    /// Data in volumes, which outlives pods (PersistentVolumes) or goes with them (emptyDir).
    volumes: super::volumes::VolumeStore,
}

fn pods_resource() -> Option<&'static resources::Resource> {
    resources::by_plural("", "v1", "pods")
}

/// The IP of a pod whose containers a kubelet already started (its status
/// reports a pod IP and a started container), which a new kubelet adopts.
fn adoptable_ip(pod: &Value) -> Option<String> {
    let ip = pod.pointer("/status/podIP").and_then(Value::as_str).filter(|ip| !ip.is_empty())?;
    let started = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)?
        .iter()
        .any(|s| s.pointer("/state/running").is_some() || s.pointer("/state/terminated").is_some() || s.pointer("/lastState/terminated").is_some());
    started.then(|| ip.to_string())
}

fn after_secs(t: Timestamp, s: i64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs(s)).unwrap_or(t)
}

impl SimKubelet {
    /// The runtime state of a pod this kubelet runs (for exec, logs and the UI).
    pub fn pod(&self, namespace: &str, name: &str) -> Option<&PodRuntime> {
        self.pods.get(&(namespace.to_string(), name.to_string()))
    }

    fn observe_node(&mut self, node: &Value, now: Timestamp) {
        if !nodes::is_simulated(node) {
            return;
        }
        let name = meta::name(node).to_string();
        let failed = nodes::is_failed(node);
        let agent = self
            .nodes
            .entry(name.clone())
            .or_insert_with(|| NodeAgent::new(node, now));
        if agent.failed && !failed {
            // Recovered: heartbeat at once and look at every pod again.
            agent.next_lease = now;
            agent.next_status = now;
            let keys: Vec<PodKey> = self
                .pods
                .iter()
                .filter(|(_, p)| p.node == name)
                .map(|(k, _)| k.clone())
                .collect();
            self.dirty.extend(keys);
        }
        agent.failed = failed;
        if let Some(waiting) = self.waiting_for_node.remove(&name) {
            self.dirty.extend(waiting);
        }
    }

    fn observe_pod(&mut self, pod: &Value) {
        let node = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if node.is_empty() {
            return;
        }
        let key = (
            meta::namespace(pod).to_string(),
            meta::name(pod).to_string(),
        );
        if self.nodes.contains_key(node) {
            self.dirty.insert(key);
        } else {
            self.waiting_for_node
                .entry(node.to_string())
                .or_default()
                .insert(key);
        }
    }

    fn observe_service(&mut self, svc: &Value, deleted: bool) {
        let key = (
            meta::namespace(svc).to_string(),
            meta::name(svc).to_string(),
        );
        let selector = svc
            .pointer("/spec/selector")
            .and_then(Value::as_object)
            .cloned();
        match (deleted, traffic::rps_of(svc), selector) {
            (false, Some(rps), Some(sel)) if !sel.is_empty() => {
                self.traffic.insert(key, (sel, rps));
            }
            _ => {
                self.traffic.remove(&key);
            }
        }
    }

    /// Pods waiting on config in `namespace` try again when a ConfigMap or Secret changes there.
    fn config_changed(&mut self, namespace: &str) {
        let keys: Vec<PodKey> = self
            .pods
            .iter()
            .filter(|((ns, _), p)| ns == namespace && p.containers.iter().any(|c| !c.is_running()))
            .map(|(k, _)| k.clone())
            .collect();
        self.dirty.extend(keys);
    }

    fn resync(&mut self, api: &ApiServer, now: Timestamp) {
        for r in ["nodes", "pods", "services"] {
            let Some(res) = resources::by_plural("", "v1", r) else {
                continue;
            };
            let objects: Vec<Value> = api.list(res, None).map(|o| (**o).clone()).collect();
            for o in objects {
                match r {
                    "nodes" => self.observe_node(&o, now),
                    "pods" => self.observe_pod(&o),
                    _ => self.observe_service(&o, false),
                }
            }
        }
    }

    fn take_changes(&mut self, api: &ApiServer, now: Timestamp) {
        let changes: Vec<(Change, &'static str, Value)> = match self.feed.changes(api.store()) {
            Changes::Resync => {
                self.resync(api, now);
                return;
            }
            Changes::Events(events) => events
                .into_iter()
                .filter_map(|e| {
                    let kind = e.key.resource.resource()?.kind;
                    matches!(kind, "Node" | "Pod" | "Service" | "ConfigMap" | "Secret")
                        .then(|| (e.kind, kind, (*e.object).clone()))
                })
                .collect(),
        };
        for (change, kind, obj) in changes {
            let deleted = change == Change::Deleted;
            match kind {
                "Node" if deleted => {
                    self.nodes.remove(meta::name(&obj));
                }
                "Node" => self.observe_node(&obj, now),
                "Pod" => self.observe_pod(&obj),
                "Service" => self.observe_service(&obj, deleted),
                _ => self.config_changed(meta::namespace(&obj)),
            }
        }
    }

    fn record(
        &mut self,
        api: &mut ApiServer,
        node: &str,
        pod: &Value,
        h: &container::Happening,
        now: Timestamp,
    ) {
        let rec = self
            .recorders
            .entry(node.to_string())
            .or_insert_with(|| EventRecorder::for_host("kubelet", node));
        let kind = if h.warning {
            EventType::Warning
        } else {
            EventType::Normal
        };
        rec.record(api, pod, kind, h.reason, &h.message, now);
    }

    /// Brings one pod up to date at `now`; returns whether it wrote.
    fn sync_pod(&mut self, api: &mut ApiServer, key: &PodKey, now: Timestamp) -> bool {
        let Some(res) = pods_resource() else {
            return false;
        };
        let Ok(pod) = api.get(res, &key.0, &key.1).map(|p| (**p).clone()) else {
            self.forget_pod(api, key, now);
            return true;
        };
        let node = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(agent) = self.nodes.get_mut(&node) else {
            return false;
        };
        if agent.failed {
            return false;
        }
        let uid = meta::uid(&pod).to_string();
        if let Some(old) = self.pods.get(key).filter(|p| p.uid != uid) {
            self.volumes.drop_pod(&old.uid);
            self.pods.remove(key);
        }
        let phase_now = pod
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !self.pods.contains_key(key)
            && matches!(phase_now, "Succeeded" | "Failed")
            && !meta::is_terminating(&pod)
        {
            return false;
        }
        let mut wrote = false;
        // A pod whose containers already ran here (a restored cluster): re-adopt them.
        let mut adopting = false;
        if !self.pods.contains_key(key) {
            let in_use: HashSet<String> = self
                .pods
                .values()
                .filter(|p| p.node == node)
                .map(|p| p.ip.clone())
                .collect();
            let adopted_ip = adoptable_ip(&pod).filter(|ip| !in_use.contains(ip));
            adopting = adopted_ip.is_some();
            let start = pod
                .pointer("/status/startTime")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Timestamp>().ok())
                .filter(|_| adopting)
                .unwrap_or(now);
            let ip = match adopted_ip {
                Some(ip) => ip,
                None => agent.allocate_ip(|ip| in_use.contains(ip)),
            };
            let containers = pod
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map(|cs| cs.iter().map(Container::new).collect())
                .unwrap_or_default();
            self.pods.insert(
                key.clone(),
                PodRuntime {
                    node: node.clone(),
                    uid: uid.clone(),
                    ip,
                    start,
                    containers,
                    volumes: Vec::new(),
                    wake: None,
                    stopping: false,
                    rps: 0.0,
                },
            );
        }
        let host_ip = self
            .nodes
            .get(&node)
            .map(NodeAgent::internal_ip)
            .unwrap_or_default();
        let pod_ref = format!("{}_{}({uid})", key.1, key.0);
        let restart_policy = pod
            .pointer("/spec/restartPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Always")
            .to_string();
        let faults = Faults::of_pod(&pod);
        let simulate = meta::annotation(&pod, SIMULATE_ANNOTATION) == Some("true");
        let mounted = env::pod_volumes(api, &pod);
        let envs: Vec<Result<Vec<(String, String)>, String>> = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| env::container_env(api, &pod, c).map_err(|e| e.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let Some(mut rt) = self.pods.remove(key) else {
            return wrote;
        };
        let mut happenings = Vec::new();
        let mut wake: Option<Timestamp> = None;
        let terminating = meta::is_terminating(&pod);
        match mounted {
            Err(e) if !terminating => {
                happenings.push(container::Happening {
                    warning: true,
                    reason: "FailedMount",
                    message: e.to_string(),
                });
                wake = Some(after_secs(now, 10));
            }
            Err(_) => {}
            Ok(v) => {
                rt.volumes = v;
                let node_images = self.images.entry(node.clone()).or_default();
                for (i, c) in rt.containers.iter_mut().enumerate() {
                    let ctx = Context {
                        pod_ref: &pod_ref,
                        pod_ip: &rt.ip,
                        restart_policy: &restart_policy,
                        faults,
                        simulate,
                        image_present: node_images.contains(c.image_name()),
                        env: envs.get(i).cloned().unwrap_or(Ok(Vec::new())),
                    };
                    if adopting {
                        let status = pod
                            .pointer("/status/containerStatuses")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .find(|st| st.get("name").and_then(Value::as_str) == Some(c.name.as_str()));
                        if let Some(status) = status {
                            *c = Container::adopt(&c.spec, status, &ctx, now);
                        }
                    }
                    if terminating && !rt.stopping {
                        let grace = pod
                            .pointer("/metadata/deletionGracePeriodSeconds")
                            .and_then(Value::as_i64)
                            .unwrap_or(30);
                        happenings.extend(c.stop(&ctx, now, grace));
                    }
                    let (h, w) = c.step(&ctx, now);
                    happenings.extend(h);
                    if let Some(img) = c.just_pulled.take() {
                        node_images.insert(img);
                    }
                    if let State::ConfigError { .. } = c.state {
                        wake = Some(wake.map_or(after_secs(now, 10), |x: Timestamp| {
                            x.min(after_secs(now, 10))
                        }));
                    }
                    wake = match (wake, w) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                if terminating {
                    rt.stopping = true;
                }
                let view = output::PodView { pod: &pod, uid: &uid, volumes: &rt.volumes };
                for c in &mut rt.containers {
                    output::print(api, &mut self.volumes, &view, c);
                }
            }
        }
        for h in &happenings {
            self.record(api, &node, &pod, h, now);
        }
        wrote |= !happenings.is_empty();
        let phase = status::phase(&rt.containers, &restart_policy);
        let old_status = pod.get("status").cloned().unwrap_or(Value::Null);
        let new_status = status::pod_status(
            &old_status,
            &pod_ref,
            &rt.containers,
            phase,
            &rt.ip,
            &host_ip,
            rt.start,
            now,
        );
        if terminating && rt.containers.iter().all(Container::stopped) {
            let mut final_pod = pod.clone();
            final_pod["status"] = new_status;
            let _ = api.update(
                res,
                &key.0,
                &key.1,
                final_pod,
                Some("status"),
                now,
                WriteOptions::default(),
            );
            let opts = DeleteOptions {
                grace_period_seconds: Some(0),
                precondition_uid: Some(uid),
                ..DeleteOptions::default()
            };
            let _ = api.delete(res, &key.0, &key.1, &opts, now);
            metrics::delete_pod(api, &key.0, &key.1, now);
            return true;
        }
        if old_status != new_status {
            let mut updated = pod.clone();
            updated["status"] = new_status;
            wrote |= api
                .update(
                    res,
                    &key.0,
                    &key.1,
                    updated,
                    Some("status"),
                    now,
                    WriteOptions::default(),
                )
                .is_ok();
        }
        if let Some(old) = rt.wake.take() {
            self.queue.remove(&(old, key.clone()));
        }
        if let Some(w) = wake {
            let w = if w <= now { after_secs(now, 1) } else { w };
            rt.wake = Some(w);
            self.queue.insert((w, key.clone()));
        }
        self.pods.insert(key.clone(), rt);
        wrote
    }

    fn forget_pod(&mut self, api: &mut ApiServer, key: &PodKey, now: Timestamp) {
        if let Some(rt) = self.pods.remove(key) {
            if let Some(w) = rt.wake {
                self.queue.remove(&(w, key.clone()));
            }
            metrics::delete_pod(api, &key.0, &key.1, now);
            self.volumes.drop_pod(&rt.uid);
        }
    }

    /// Spreads Services' traffic over their ready pods, then writes PodMetrics and NodeMetrics.
    fn scrape(&mut self, api: &mut ApiServer, now: Timestamp) -> bool {
        for rt in self.pods.values_mut() {
            rt.rps = 0.0;
        }
        for ((ns, _), (selector, rps)) in &self.traffic {
            let sel = crate::store::selector::LabelSelector::from_set(selector);
            let Some(res) = pods_resource() else { continue };
            let ready: Vec<PodKey> = self
                .pods
                .iter()
                .filter(|((pns, _), rt)| {
                    pns == ns
                        && !rt.containers.is_empty()
                        && rt.containers.iter().all(Container::ready)
                })
                .filter(|(k, _)| {
                    api.get(res, &k.0, &k.1)
                        .is_ok_and(|p| sel.matches(meta::labels(p)))
                })
                .map(|(k, _)| k.clone())
                .collect();
            let each = traffic::share(*rps, ready.len());
            for k in ready {
                if let Some(rt) = self.pods.get_mut(&k) {
                    rt.rps += each;
                }
            }
        }
        let mut wrote = false;
        let mut per_node: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let keys: Vec<PodKey> = self.pods.keys().cloned().collect();
        for key in keys {
            let Some(rt) = self.pods.get(&key) else {
                continue;
            };
            if self.nodes.get(&rt.node).is_none_or(|n| n.failed) {
                continue;
            }
            let faults = pods_resource()
                .and_then(|r| api.get(r, &key.0, &key.1).ok())
                .map(|p| Faults::of_pod(p))
                .unwrap_or_default();
            let running: Vec<&Container> =
                rt.containers.iter().filter(|c| c.is_running()).collect();
            if running.is_empty() {
                continue;
            }
            let share = rt.rps / running.len() as f64;
            let requests = (share * metrics::SCRAPE_SECONDS as f64).round() as u64;
            for c in &running {
                output::traffic(api, &rt.uid, c, c.restart_count, now, requests);
            }
            let usage: Vec<ContainerUsage> = running
                .iter()
                .map(|c| {
                    let image = images::lookup(c.image_name(), true);
                    let limit = c
                        .spec
                        .pointer("/resources/limits/cpu")
                        .and_then(Value::as_str)
                        .and_then(|q| crate::api::quantity::Quantity::parse(q).ok())
                        .and_then(|q| i64::try_from(q.millis()).ok());
                    ContainerUsage {
                        name: c.name.clone(),
                        cpu_millicores: image
                            .map_or(0, |i| traffic::cpu_millicores(i, share, limit)),
                        memory_bytes: c.memory_bytes(faults, now),
                    }
                })
                .collect();
            let total = per_node.entry(rt.node.clone()).or_default();
            for u in &usage {
                total.0 += u.cpu_millicores;
                total.1 += u.memory_bytes;
            }
            wrote |= metrics::write_pod(api, &key.0, &key.1, &usage, now);
        }
        for (name, agent) in &self.nodes {
            if agent.failed {
                continue;
            }
            let (cpu, mem) = per_node.get(name).copied().unwrap_or_default();
            wrote |= metrics::write_node(api, name, cpu, mem, now);
        }
        wrote
    }
}

use container::State;

impl Controller for SimKubelet {
    fn name(&self) -> &'static str {
        "kubelet"
    }

    /// The data simulated processes wrote into volumes: nothing in the store says it.
    fn save(&self) -> Option<Value> {
        let volumes: Vec<Value> = self
            .volumes
            .entries()
            .map(|(key, data)| {
                let key = match key {
                    DataKey::Persistent(name) => serde_json::json!({"persistent": name}),
                    DataKey::Pod { uid, volume } => serde_json::json!({"podUID": uid, "volume": volume}),
                };
                serde_json::json!({"key": key, "files": data.files})
            })
            .collect();
        // Images pulled onto each node stay there, as on a node's disk.
        let images: BTreeMap<&String, BTreeSet<&String>> =
            self.images.iter().map(|(node, imgs)| (node, imgs.iter().collect())).collect();
        Some(serde_json::json!({ "volumes": volumes, "images": images }))
    }

    fn restore(&mut self, state: &Value) {
        for (node, imgs) in state.get("images").and_then(Value::as_object).into_iter().flatten() {
            let known = self.images.entry(node.clone()).or_default();
            known.extend(imgs.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
        }
        for v in state.get("volumes").and_then(Value::as_array).into_iter().flatten() {
            let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
            let key = match (text("/key/persistent"), text("/key/podUID"), text("/key/volume")) {
                (Some(name), _, _) => DataKey::Persistent(name),
                (None, Some(uid), Some(volume)) => DataKey::Pod { uid, volume },
                _ => continue,
            };
            let data = self.volumes.data_mut(&key);
            for (path, content) in v.get("files").and_then(Value::as_object).into_iter().flatten() {
                data.files.insert(path.clone(), content.as_str().unwrap_or_default().to_string());
            }
        }
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        self.take_changes(api, now);
        let mut wrote = false;
        for agent in self.nodes.values_mut() {
            wrote |= agent.tick(api, now);
        }
        while let Some((t, key)) = self.queue.first().cloned() {
            if t > now {
                break;
            }
            self.queue.remove(&(t, key.clone()));
            if let Some(rt) = self.pods.get_mut(&key) {
                rt.wake = None;
            }
            self.dirty.insert(key);
        }
        for key in std::mem::take(&mut self.dirty) {
            wrote |= self.sync_pod(api, &key, now);
        }
        if self.next_scrape.is_none_or(|t| t <= now) && !self.nodes.is_empty() {
            wrote |= self.scrape(api, now);
            self.next_scrape = Some(after_secs(now, metrics::SCRAPE_SECONDS));
        }
        // Our own writes come back through the feed: absorb them now so a quiet cluster stays quiet.
        self.take_changes(api, now);
        let more_work = !self.dirty.is_empty();
        let wake = self
            .queue
            .first()
            .map(|(t, _)| *t)
            .into_iter()
            .chain(self.nodes.values().filter_map(NodeAgent::wake))
            .chain(self.next_scrape.filter(|_| !self.nodes.is_empty()))
            .min();
        Reconciled {
            wrote: wrote || more_work,
            requeue_at: wake,
        }
    }
}
