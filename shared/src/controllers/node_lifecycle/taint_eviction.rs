//! Taint-based eviction: deletes pods from nodes with `NoExecute` taints they do
//! not tolerate, at once, or once their `tolerationSeconds` since the taint's `timeAdded` ran out.

use super::pods_by_node::{node_name, PodsByNode};
use crate::api::{meta, resources, Resource};
use crate::apiserver::{format_time, ApiServer, DeleteOptions, WriteOptions};
use crate::controllers::events::{EventRecorder, EventType as EventKind};
use crate::controllers::feed::{ChangeFeed, Changes};
use crate::controllers::{Controller, Reconciled};
use crate::store::{EventType, ObjectName};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A node's `NoExecute` taint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: String,
    pub time_added: Option<Timestamp>,
}

impl Taint {
    pub fn from_json(t: &Value) -> Self {
        let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Self {
            key: s("key"),
            value: s("value"),
            effect: s("effect"),
            time_added: t
                .get("timeAdded")
                .and_then(Value::as_str)
                .and_then(|v| v.parse().ok()),
        }
    }
}

/// The node's `NoExecute` taints.
pub fn no_execute_taints(node: &Value) -> Vec<Taint> {
    node.pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(Taint::from_json)
        .filter(|t| t.effect == "NoExecute")
        .collect()
}

/// Whether one pod toleration tolerates a taint (Kubernetes' `ToleratesTaint`).
pub fn tolerates(toleration: &Value, taint: &Taint) -> bool {
    let s = |k: &str| toleration.get(k).and_then(Value::as_str).unwrap_or("");
    let effect = s("effect");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = s("key");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match s("operator") {
        "Exists" => true,
        "" | "Equal" => s("value") == taint.value,
        _ => false,
    }
}

/// When a pod must leave a node with these taints: `Some(now-or-earlier)` for an
/// untolerated taint, the earliest `timeAdded + tolerationSeconds` otherwise,
/// `None` if it tolerates them all for ever.
pub fn eviction_time(pod: &Value, taints: &[Taint], now: Timestamp) -> Option<Timestamp> {
    let tolerations = pod
        .pointer("/spec/tolerations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut earliest: Option<Timestamp> = None;
    for taint in taints {
        let Some(used) = tolerations.iter().find(|t| tolerates(t, taint)) else {
            return Some(now);
        };
        let Some(secs) = used.get("tolerationSeconds").and_then(Value::as_i64) else {
            continue;
        };
        let since = taint.time_added.unwrap_or(now);
        let at = since
            .checked_add(SignedDuration::from_secs(secs.max(0)))
            .unwrap_or(since);
        earliest = Some(earliest.map_or(at, |e| e.min(at)));
    }
    earliest
}

fn resource(plural: &str) -> Option<&'static Resource> {
    resources::by_plural("", "v1", plural)
}

pub struct TaintEvictionController {
    feed: ChangeFeed,
    /// `NoExecute` taints of every tainted node.
    taints: HashMap<String, Vec<Taint>>,
    pods: PodsByNode,
    /// Pods whose fate must be worked out again.
    dirty: BTreeSet<ObjectName>,
    /// Pods with an eviction ahead, and the time order of those evictions.
    scheduled: BTreeMap<ObjectName, Timestamp>,
    queue: BTreeSet<(Timestamp, ObjectName)>,
    recorder: EventRecorder,
}

impl Default for TaintEvictionController {
    fn default() -> Self {
        Self {
            feed: ChangeFeed::default(),
            taints: HashMap::new(),
            pods: PodsByNode::default(),
            dirty: BTreeSet::new(),
            scheduled: BTreeMap::new(),
            queue: BTreeSet::new(),
            recorder: EventRecorder::new("taint-eviction-controller"),
        }
    }
}

impl TaintEvictionController {
    fn observe_node(&mut self, name: &str, node: Option<&Value>) {
        let taints = node.map(no_execute_taints).unwrap_or_default();
        let before = self.taints.get(name).cloned().unwrap_or_default();
        if taints == before {
            return;
        }
        if taints.is_empty() {
            self.taints.remove(name);
        } else {
            self.taints.insert(name.to_string(), taints);
        }
        self.dirty.extend(self.pods.on(name));
    }

    fn catch_up(&mut self, api: &ApiServer) {
        match self.feed.changes(api.store()) {
            Changes::Resync => {
                self.taints.clear();
                self.pods.clear();
                let (Some(nodes), Some(pods)) = (resource("nodes"), resource("pods")) else {
                    return;
                };
                for p in api.list(pods, None) {
                    let key = ObjectName::new(meta::namespace(p), meta::name(p));
                    self.pods.observe(&key, p);
                    self.dirty.insert(key);
                }
                for n in api.list(nodes, None) {
                    self.observe_node(meta::name(n), Some(n));
                }
            }
            Changes::Events(events) => {
                for e in events {
                    if !e.key.resource.group.is_empty() {
                        continue;
                    }
                    let deleted = e.kind == EventType::Deleted;
                    match e.key.resource.plural {
                        "nodes" => {
                            self.observe_node(&e.key.name.name, (!deleted).then_some(&*e.object))
                        }
                        "pods" if deleted => {
                            self.pods.forget(&e.key.name);
                            self.unschedule(&e.key.name);
                        }
                        "pods" => {
                            self.pods.observe(&e.key.name, &e.object);
                            // Only a pod on a tainted node, or one that just left it, has anything to decide.
                            if self.taints.contains_key(node_name(&e.object))
                                || self.scheduled.contains_key(&e.key.name)
                            {
                                self.dirty.insert(e.key.name.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn unschedule(&mut self, pod: &ObjectName) -> bool {
        match self.scheduled.remove(pod) {
            Some(at) => {
                self.queue.remove(&(at, pod.clone()));
                true
            }
            None => false,
        }
    }

    fn schedule(&mut self, pod: &ObjectName, at: Timestamp) {
        self.unschedule(pod);
        self.scheduled.insert(pod.clone(), at);
        self.queue.insert((at, pod.clone()));
    }

    /// Decides one pod's fate; true if it wrote.
    fn sync_pod(&mut self, api: &mut ApiServer, key: &ObjectName, now: Timestamp) -> bool {
        let Some(pods) = resource("pods") else {
            return false;
        };
        let pod = match api.get(pods, &key.namespace, &key.name) {
            Ok(p) if !meta::is_terminating(p) => (**p).clone(),
            _ => {
                self.unschedule(key);
                return false;
            }
        };
        let taints = self
            .taints
            .get(node_name(&pod))
            .cloned()
            .unwrap_or_default();
        match eviction_time(&pod, &taints, now) {
            None => {
                if self.unschedule(key) {
                    let message =
                        format!("Cancelling deletion of Pod {}/{}", key.namespace, key.name);
                    self.recorder.record(
                        api,
                        &pod,
                        EventKind::Normal,
                        "TaintManagerEviction",
                        &message,
                        now,
                    );
                    return true;
                }
                false
            }
            Some(at) if at > now => {
                self.schedule(key, at);
                false
            }
            Some(_) => {
                self.unschedule(key);
                self.evict(api, pods, pod, now)
            }
        }
    }

    fn evict(
        &mut self,
        api: &mut ApiServer,
        pods: &'static Resource,
        mut pod: Value,
        now: Timestamp,
    ) -> bool {
        let (ns, name) = (
            meta::namespace(&pod).to_string(),
            meta::name(&pod).to_string(),
        );
        let message = format!("Marking for deletion Pod {ns}/{name}");
        self.recorder.record(
            api,
            &pod,
            EventKind::Normal,
            "TaintManagerEviction",
            &message,
            now,
        );
        // Say why the pod goes, as Kubernetes does with a DisruptionTarget condition.
        let mut conditions = pod
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !conditions.iter().any(|c| c["type"] == "DisruptionTarget") {
            conditions.push(json!({
                "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint", "lastTransitionTime": format_time(now),
            }));
            pod["status"]["conditions"] = json!(conditions);
            let _ = api.update(
                pods,
                &ns,
                &name,
                pod,
                Some("status"),
                now,
                WriteOptions::default(),
            );
        }
        api.delete(pods, &ns, &name, &DeleteOptions::default(), now)
            .is_ok()
    }
}

impl Controller for TaintEvictionController {
    fn name(&self) -> &'static str {
        "taint-eviction-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        self.catch_up(api);
        while let Some((at, pod)) = self.queue.first().cloned() {
            if at > now {
                break;
            }
            self.unschedule(&pod);
            self.dirty.insert(pod);
        }
        let mut wrote = false;
        for key in std::mem::take(&mut self.dirty) {
            wrote |= self.sync_pod(api, &key, now);
        }
        Reconciled {
            wrote,
            requeue_at: self.queue.first().map(|(t, _)| *t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn unreachable_since(at: &str) -> Vec<Taint> {
        vec![Taint::from_json(
            &json!({"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": at}),
        )]
    }

    #[test]
    fn tolerations_match_by_key_value_and_effect() {
        let taint =
            Taint::from_json(&json!({"key": "dedicated", "value": "gpu", "effect": "NoExecute"}));
        assert!(tolerates(&json!({"operator": "Exists"}), &taint));
        assert!(tolerates(
            &json!({"key": "dedicated", "operator": "Equal", "value": "gpu"}),
            &taint
        ));
        assert!(tolerates(
            &json!({"key": "dedicated", "value": "gpu", "effect": "NoExecute"}),
            &taint
        ));
        assert!(!tolerates(
            &json!({"key": "dedicated", "value": "cpu"}),
            &taint
        ));
        assert!(!tolerates(
            &json!({"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}),
            &taint
        ));
        assert!(!tolerates(
            &json!({"key": "other", "operator": "Exists"}),
            &taint
        ));
    }

    #[test]
    fn eviction_counts_toleration_seconds_from_the_taint() {
        let now = t("2026-01-01T00:01:00Z");
        let taints = unreachable_since("2026-01-01T00:00:00Z");
        let defaulted = json!({"spec": {"tolerations": [
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]}});
        assert_eq!(
            eviction_time(&defaulted, &taints, now),
            Some(t("2026-01-01T00:05:00Z"))
        );
        assert_eq!(
            eviction_time(&json!({"spec": {}}), &taints, now),
            Some(now),
            "untolerated: now"
        );
        let forever = json!({"spec": {"tolerations": [{"operator": "Exists"}]}});
        assert_eq!(eviction_time(&forever, &taints, now), None);
        assert_eq!(
            eviction_time(&defaulted, &[], now),
            None,
            "no taints, no eviction"
        );
    }
}
