//! kube-scheduler: binds each pending pod to the best node, or explains in a
//! `FailedScheduling` Event why none fits and retries when the cluster changes.
//!
//! It follows the store through a change feed into its own cache of nodes and
//! their pods' requests, so one placement costs a pass over the nodes.

pub mod cache;
pub mod filter;
pub mod framework;
pub mod message;
pub mod node_selector;
pub mod pod_info;
pub mod queue;
pub mod score;
pub mod taints;
#[cfg(test)]
mod tests;

use crate::api::{meta, resources};
use crate::apiserver::{format_time, ApiServer, WriteOptions};
use crate::controllers::events::{EventRecorder, EventType};
use crate::controllers::feed::{ChangeFeed, Changes};
use crate::controllers::{Controller, Reconciled};
use crate::store::EventType as Change;
use cache::{Cache, NodeChange};
use framework::Framework;
use jiff::Timestamp;
use pod_info::{PodInfo, PodKey};
use queue::SchedulingQueue;
use serde_json::{json, Value};
use std::sync::Arc;

/// The scheduler name pods get by default, and the component its Events come from.
pub const DEFAULT_SCHEDULER: &str = "default-scheduler";

pub struct Scheduler {
    feed: ChangeFeed,
    cache: Cache,
    queue: SchedulingQueue,
    framework: Framework,
    recorder: EventRecorder,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler {
            feed: ChangeFeed::default(),
            cache: Cache::default(),
            queue: SchedulingQueue::default(),
            framework: Framework::default(),
            recorder: EventRecorder::new(DEFAULT_SCHEDULER),
        }
    }
}

fn is_terminal(pod: &Value) -> bool {
    matches!(
        pod.pointer("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

fn node_name(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A pod that occupies its node's resources.
fn counts_on_node(pod: &Value) -> bool {
    !node_name(pod).is_empty() && !meta::is_terminating(pod) && !is_terminal(pod)
}

/// A pod this scheduler should place.
fn wants_scheduling(pod: &Value) -> bool {
    let scheduler = pod
        .pointer("/spec/schedulerName")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_SCHEDULER);
    node_name(pod).is_empty()
        && scheduler == DEFAULT_SCHEDULER
        && !meta::is_terminating(pod)
        && !is_terminal(pod)
}

fn key_of(pod: &Value) -> PodKey {
    (
        meta::namespace(pod).to_string(),
        meta::name(pod).to_string(),
    )
}

fn priority(pod: &Value) -> i64 {
    pod.pointer("/spec/priority")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// Whether an update to a pending pod could change where it fits (not just its status).
fn spec_changed(pod: &Value, previous: Option<&Arc<Value>>) -> bool {
    previous
        .is_none_or(|p| p.get("spec") != pod.get("spec") || meta::labels(p) != meta::labels(pod))
}

impl Scheduler {
    fn resync(&mut self, api: &ApiServer, now: Timestamp) {
        self.cache.clear();
        self.queue.clear();
        if let Some(nodes) = resources::by_plural("", "v1", "nodes") {
            for node in api.list(nodes, None) {
                self.cache.upsert_node(node);
            }
        }
        if let Some(pods) = resources::by_plural("", "v1", "pods") {
            for pod in api.list(pods, None) {
                self.observe_pod(Change::Added, pod, None, now);
            }
        }
    }

    fn observe_pod(
        &mut self,
        change: Change,
        pod: &Value,
        previous: Option<&Arc<Value>>,
        now: Timestamp,
    ) {
        let key = key_of(pod);
        if change == Change::Deleted {
            self.queue.remove(&key);
            if self.cache.remove_pod(&key) {
                self.queue.move_all_unschedulable(now);
            }
            return;
        }
        if counts_on_node(pod) {
            self.queue.remove(&key);
            let node = node_name(pod);
            if !self.cache.holds(&key, node, meta::labels(pod)) {
                self.cache.add_pod(Arc::new(PodInfo::from_value(pod)), node);
                // A new neighbour may be what a pod with affinity waits for.
                self.queue.move_waiting_for_pods(now);
            }
            return;
        }
        if self.cache.remove_pod(&key) {
            self.queue.move_all_unschedulable(now);
        }
        if wants_scheduling(pod) {
            if self.queue.contains(&key) {
                if spec_changed(pod, previous) {
                    self.queue.pod_updated(&key, now);
                }
            } else {
                self.queue.add(key, priority(pod));
            }
        } else {
            self.queue.remove(&key);
        }
    }

    /// Brings cache and queue up to date with the store.
    fn catch_up(&mut self, api: &ApiServer, now: Timestamp) {
        let events = match self.feed.changes(api.store()) {
            Changes::Resync => {
                self.resync(api, now);
                return;
            }
            Changes::Events(events) => events,
        };
        for e in events {
            match (e.key.resource.group, e.key.resource.plural) {
                ("", "pods") => self.observe_pod(e.kind, &e.object, e.previous.as_ref(), now),
                ("", "nodes") => {
                    if e.kind == Change::Deleted {
                        self.cache.remove_node(&e.key.name.name);
                    } else if self.cache.upsert_node(&e.object) == NodeChange::MayHelp {
                        self.queue.move_all_unschedulable(now);
                    }
                }
                ("", "persistentvolumeclaims" | "persistentvolumes")
                | ("storage.k8s.io", "storageclasses") => {
                    self.queue.move_all_unschedulable(now);
                }
                _ => {}
            }
        }
    }

    /// One scheduling attempt; returns whether it wrote to the API.
    fn schedule_one(&mut self, api: &mut ApiServer, key: PodKey, now: Timestamp) -> bool {
        let Some(pods) = resources::by_plural("", "v1", "pods") else {
            return false;
        };
        let Ok(pod) = api.get(pods, &key.0, &key.1).cloned() else {
            self.queue.remove(&key);
            return false;
        };
        if !wants_scheduling(&pod) {
            self.queue.remove(&key);
            return false;
        }
        let info = PodInfo::from_value(&pod);
        match self.framework.schedule(&info, &self.cache, api) {
            Ok(node) => match api.bind(&key.0, &key.1, &node, now) {
                Ok(bound) => {
                    self.queue.remove(&key);
                    self.cache.add_pod(Arc::new(info), &node);
                    self.queue.move_waiting_for_pods(now);
                    let message = format!("Successfully assigned {}/{} to {node}", key.0, key.1);
                    self.recorder.record(
                        api,
                        &bound,
                        EventType::Normal,
                        "Scheduled",
                        &message,
                        now,
                    );
                    true
                }
                Err(_) => {
                    // Someone else bound or changed it meanwhile; the feed will tell.
                    self.queue.failed(key, false, now);
                    false
                }
            },
            Err(fit) => {
                let waits_for_pods = !info.affinity.required_affinity.is_empty();
                self.queue.failed(key.clone(), waits_for_pods, now);
                let message = fit.to_string();
                mark_unschedulable(api, &pod, &message, now);
                // The Event refers to the pod as it is now (after the status write).
                let current = api.get(pods, &key.0, &key.1).cloned().unwrap_or(pod);
                self.recorder.record(
                    api,
                    &current,
                    EventType::Warning,
                    "FailedScheduling",
                    &message,
                    now,
                );
                true
            }
        }
    }
}

/// Sets `PodScheduled=False` with reason `Unschedulable`, unless it already says so.
fn mark_unschedulable(api: &mut ApiServer, pod: &Value, message: &str, now: Timestamp) -> bool {
    let Some(pods) = resources::by_plural("", "v1", "pods") else {
        return false;
    };
    let conditions = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let existing = conditions.iter().find(|c| c["type"] == "PodScheduled");
    if existing.is_some_and(|c| {
        c["status"] == "False" && c["reason"] == "Unschedulable" && c["message"] == message
    }) {
        return false;
    }
    let transition = match existing {
        Some(c) if c["status"] == "False" => c["lastTransitionTime"].clone(),
        _ => json!(format_time(now)),
    };
    let condition = json!({
        "type": "PodScheduled",
        "status": "False",
        "lastProbeTime": null,
        "lastTransitionTime": transition,
        "reason": "Unschedulable",
        "message": message,
    });
    let mut updated = pod.clone();
    let mut conditions: Vec<Value> = conditions
        .into_iter()
        .filter(|c| c["type"] != "PodScheduled")
        .collect();
    conditions.push(condition);
    updated["status"]["conditions"] = json!(conditions);
    api.update(
        pods,
        meta::namespace(pod),
        meta::name(pod),
        updated,
        Some("status"),
        now,
        WriteOptions::default(),
    )
    .is_ok()
}

impl Controller for Scheduler {
    fn name(&self) -> &'static str {
        DEFAULT_SCHEDULER
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        self.catch_up(api, now);
        let mut wrote = false;
        while let Some(key) = self.queue.pop(now) {
            wrote |= self.schedule_one(api, key, now);
        }
        Reconciled {
            wrote,
            requeue_at: self.queue.next_wake(),
        }
    }
}
