//! The pod garbage collector's orphan sweep: pods bound to a node that no
//! longer exists can never finish terminating (no kubelet will confirm), so
//! after a quarantine they are marked Failed and force-deleted, as Kubernetes' podgc does.

use super::pods_by_node::{node_name, PodsByNode};
use crate::api::{meta, resources, Resource};
use crate::apiserver::{format_time, ApiServer, DeleteOptions, WriteOptions};
use crate::controllers::feed::{ChangeFeed, Changes};
use crate::controllers::{Controller, Reconciled};
use crate::store::{EventType, ObjectName};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashSet};

/// How long a node must stay gone before its pods are collected (Kubernetes'
/// `quarantineTime`), so a pod bound just before its node registers survives.
pub const ORPHAN_QUARANTINE: SignedDuration = SignedDuration::from_secs(40);

fn resource(plural: &str) -> Option<&'static Resource> {
    resources::by_plural("", "v1", plural)
}

#[derive(Default)]
pub struct PodGarbageCollector {
    feed: ChangeFeed,
    nodes: HashSet<String>,
    pods: PodsByNode,
    /// (when to look, pod) for pods whose node was missing when last seen.
    suspects: BTreeSet<(Timestamp, ObjectName)>,
    suspected: HashSet<ObjectName>,
}

impl PodGarbageCollector {
    fn suspect(&mut self, pod: ObjectName, now: Timestamp) {
        if !self.suspected.insert(pod.clone()) {
            return;
        }
        let at = now.checked_add(ORPHAN_QUARANTINE).unwrap_or(now);
        self.suspects.insert((at, pod));
    }

    fn observe_pod(&mut self, key: &ObjectName, pod: &Value, now: Timestamp) {
        self.pods.observe(key, pod);
        let node = node_name(pod);
        if !node.is_empty() && !self.nodes.contains(node) {
            self.suspect(key.clone(), now);
        }
    }

    fn catch_up(&mut self, api: &ApiServer, now: Timestamp) {
        match self.feed.changes(api.store()) {
            Changes::Resync => {
                self.nodes.clear();
                self.pods.clear();
                let (Some(nodes), Some(pods)) = (resource("nodes"), resource("pods")) else {
                    return;
                };
                self.nodes
                    .extend(api.list(nodes, None).map(|n| meta::name(n).to_string()));
                for p in api.list(pods, None) {
                    self.observe_pod(&ObjectName::new(meta::namespace(p), meta::name(p)), p, now);
                }
            }
            Changes::Events(events) => {
                for e in events {
                    if !e.key.resource.group.is_empty() {
                        continue;
                    }
                    let deleted = e.kind == EventType::Deleted;
                    match e.key.resource.plural {
                        "nodes" if deleted => {
                            self.nodes.remove(&e.key.name.name);
                            for pod in self.pods.on(&e.key.name.name) {
                                self.suspect(pod, now);
                            }
                        }
                        "nodes" => {
                            self.nodes.insert(e.key.name.name.clone());
                        }
                        "pods" if deleted => {
                            self.pods.forget(&e.key.name);
                        }
                        "pods" => self.observe_pod(&e.key.name, &e.object, now),
                        _ => {}
                    }
                }
            }
        }
    }

    /// Force-deletes a pod whose node is still gone; true if it wrote.
    fn collect(&mut self, api: &mut ApiServer, key: &ObjectName, now: Timestamp) -> bool {
        let (Some(pods), Some(nodes)) = (resource("pods"), resource("nodes")) else {
            return false;
        };
        let Ok(pod) = api.get(pods, &key.namespace, &key.name) else {
            return false;
        };
        let node = node_name(pod).to_string();
        if node.is_empty() || api.get(nodes, "", &node).is_ok() {
            return false;
        }
        let mut pod = (**pod).clone();
        let phase = pod
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("");
        if phase != "Succeeded" && phase != "Failed" {
            let mut conditions = pod
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            conditions.retain(|c| c["type"] != "DisruptionTarget");
            conditions.push(json!({
                "type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                "message": "PodGC: node no longer exists", "lastTransitionTime": format_time(now),
            }));
            pod["status"]["conditions"] = json!(conditions);
            pod["status"]["phase"] = json!("Failed");
            let _ = api.update(
                pods,
                &key.namespace,
                &key.name,
                pod,
                Some("status"),
                now,
                WriteOptions::default(),
            );
        }
        let force = DeleteOptions {
            grace_period_seconds: Some(0),
            ..DeleteOptions::default()
        };
        api.delete(pods, &key.namespace, &key.name, &force, now)
            .is_ok()
    }
}

impl Controller for PodGarbageCollector {
    fn name(&self) -> &'static str {
        "pod-garbage-collector"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        self.catch_up(api, now);
        let mut wrote = false;
        while let Some((at, pod)) = self.suspects.first().cloned() {
            if at > now {
                break;
            }
            self.suspects.remove(&(at, pod.clone()));
            self.suspected.remove(&pod);
            wrote |= self.collect(api, &pod, now);
        }
        Reconciled {
            wrote,
            requeue_at: self.suspects.first().map(|(t, _)| *t),
        }
    }
}
