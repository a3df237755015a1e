//! The ReplicaSet controller: keeps `spec.replicas` active pods matching each
//! ReplicaSet's selector, adopting orphans and releasing pods relabelled away.
//!
//! Pods are indexed by their controller, so a pod's change wakes only its
//! owner (or, for an orphan, the sets in its namespace whose selector takes it).

pub(crate) mod owner_index;
use super::pod_state;
mod ranking;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

use super::events::{EventRecorder, EventType as EventKind};
use super::feed::{ChangeFeed, OwnedChanges};
use super::{Controller, Reconciled};
use super::status_write::write_status;
use crate::api::meta;
use crate::api::resources::{by_kind, Resource};
use crate::apiserver::{ApiServer, DeleteOptions, WriteOptions};
use crate::store::selector::LabelSelector;
use crate::store::{EventType, ObjectName, ResourceKey};
use jiff::{SignedDuration, Timestamp};
use owner_index::OwnerIndex;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// At most this many pods are created or deleted in one sync, as Kubernetes' burstReplicas.
const BURST_REPLICAS: usize = 500;

#[derive(Debug)]
pub struct ReplicaSetController {
    feed: ChangeFeed,
    recorder: EventRecorder,
    /// ReplicaSet uid → its name, to route pod changes to their owner.
    sets: HashMap<String, ObjectName>,
    /// Each ReplicaSet's parsed selector, by name; also lists a namespace's sets.
    selectors: BTreeMap<ObjectName, LabelSelector>,
    pods: OwnerIndex,
    dirty: BTreeSet<ObjectName>,
    /// Sets waiting for a pod to pass `minReadySeconds`.
    wakeups: BTreeMap<ObjectName, Timestamp>,
}

impl Default for ReplicaSetController {
    fn default() -> Self {
        Self {
            feed: ChangeFeed::default(),
            recorder: EventRecorder::new("replicaset-controller"),
            sets: HashMap::new(),
            selectors: BTreeMap::new(),
            pods: OwnerIndex::default(),
            dirty: BTreeSet::new(),
            wakeups: BTreeMap::new(),
        }
    }
}

fn replica_sets() -> Option<&'static Resource> {
    by_kind("ReplicaSet")
}

fn pods() -> Option<&'static Resource> {
    by_kind("Pod")
}

fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// Whether a pod carries every label of the template (`fullyLabeledReplicas`).
fn fully_labeled(pod: &Value, template_labels: Option<&Map<String, Value>>) -> bool {
    let labels = meta::labels(pod);
    template_labels
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

impl ReplicaSetController {
    fn observe_set(&mut self, name: &ObjectName, obj: &Value) {
        self.sets.insert(meta::uid(obj).to_string(), name.clone());
        let selector = obj
            .pointer("/spec/selector")
            .and_then(|s| LabelSelector::from_label_selector_json(s).ok())
            .unwrap_or_else(LabelSelector::nothing);
        self.selectors.insert(name.clone(), selector);
        self.dirty.insert(name.clone());
    }

    fn forget_set(&mut self, name: &ObjectName, obj: &Value) {
        self.sets.remove(meta::uid(obj));
        self.selectors.remove(name);
        self.wakeups.remove(name);
        self.dirty.remove(name);
    }

    /// Marks the sets a pod change concerns: its old and new controller, or,
    /// for an orphan, every set in the namespace that selects it.
    fn observe_pod(&mut self, name: &ObjectName, obj: Option<&Value>) {
        let previous = match obj {
            Some(o) => self.pods.observe(name, o),
            None => self.pods.forget(name),
        };
        let current = obj
            .and_then(owner_index::controller_uid)
            .map(str::to_string);
        for uid in previous.iter().chain(current.iter()) {
            if let Some(set) = self.sets.get(uid) {
                self.dirty.insert(set.clone());
            }
        }
        if let Some(o) = obj.filter(|_| current.is_none()) {
            let start = ObjectName::new(name.namespace.clone(), "");
            let matching: Vec<ObjectName> = self
                .selectors
                .range(start..)
                .take_while(|(k, _)| k.namespace == name.namespace)
                .filter(|(_, s)| s.matches(meta::labels(o)))
                .map(|(k, _)| k.clone())
                .collect();
            self.dirty.extend(matching);
        }
    }

    fn resync(&mut self, api: &ApiServer) {
        self.sets.clear();
        self.selectors.clear();
        self.pods.clear();
        self.wakeups.clear();
        let (Some(rs), Some(po)) = (replica_sets(), pods()) else {
            return;
        };
        let sets: Vec<Arc<Value>> = api.list(rs, None).cloned().collect();
        for s in sets {
            self.observe_set(&ObjectName::new(meta::namespace(&s), meta::name(&s)), &s);
        }
        let all: Vec<Arc<Value>> = api.list(po, None).cloned().collect();
        for p in all {
            self.pods
                .observe(&ObjectName::new(meta::namespace(&p), meta::name(&p)), &p);
        }
    }

    fn catch_up(&mut self, api: &ApiServer) {
        const WATCHED: [ResourceKey; 2] = [
            ResourceKey { group: "", plural: "pods" },
            ResourceKey { group: "apps", plural: "replicasets" },
        ];
        let OwnedChanges::Events(events) = self.feed.changes_to(api.store(), &WATCHED) else {
            self.resync(api);
            return;
        };
        for e in events {
            match (e.key.resource.plural, e.kind) {
                ("pods", EventType::Deleted) => self.observe_pod(&e.key.name, None),
                ("pods", _) => self.observe_pod(&e.key.name, Some(&e.object)),
                (_, EventType::Deleted) => self.forget_set(&e.key.name, &e.object),
                _ => self.observe_set(&e.key.name, &e.object),
            }
        }
    }

    /// One ReplicaSet's sync: claim pods, create or delete to reach the
    /// desired count, then report the status.
    fn sync(
        &mut self,
        api: &mut ApiServer,
        name: &ObjectName,
        now: Timestamp,
    ) -> (bool, Option<Timestamp>) {
        let (Some(rs_res), Some(pod_res)) = (replica_sets(), pods()) else {
            return (false, None);
        };
        let Ok(rs) = api.get(rs_res, &name.namespace, &name.name).cloned() else {
            return (false, None);
        };
        let selector = self
            .selectors
            .get(name)
            .cloned()
            .unwrap_or_else(LabelSelector::nothing);
        let uid = meta::uid(&rs).to_string();
        let deleting = meta::is_terminating(&rs);
        let mut wrote = false;

        let mut active: Vec<Arc<Value>> = Vec::new();
        for child in self.pods.children(&uid) {
            let Ok(pod) = api.get(pod_res, &child.namespace, &child.name).cloned() else {
                continue;
            };
            if !pod_state::is_active(&pod) {
                continue;
            }
            if selector.matches(meta::labels(&pod)) {
                active.push(pod);
            } else {
                // Relabelled away: no longer ours.
                let released = owner_index::without_owner(&pod, &uid);
                wrote |= api
                    .update(
                        pod_res,
                        &child.namespace,
                        &child.name,
                        released,
                        None,
                        now,
                        WriteOptions::default(),
                    )
                    .is_ok();
            }
        }
        if !deleting {
            for orphan in self.pods.orphans(&name.namespace) {
                let Ok(pod) = api.get(pod_res, &name.namespace, &orphan).cloned() else {
                    continue;
                };
                if !pod_state::is_active(&pod) || !selector.matches(meta::labels(&pod)) {
                    continue;
                }
                let adopted = owner_index::with_controller_ref(&pod, &rs);
                if let Ok(p) = api.update(
                    pod_res,
                    &name.namespace,
                    &orphan,
                    adopted,
                    None,
                    now,
                    WriteOptions::default(),
                ) {
                    wrote = true;
                    active.push(p);
                }
            }
            wrote |= self.manage_replicas(api, &rs, &mut active, now);
        }
        let (w, wake) = self.update_status(api, &rs, &active, now);
        (wrote || w, wake)
    }

    /// Creates or deletes pods until the active count is `spec.replicas`.
    fn manage_replicas(
        &mut self,
        api: &mut ApiServer,
        rs: &Value,
        active: &mut Vec<Arc<Value>>,
        now: Timestamp,
    ) -> bool {
        let Some(pod_res) = pods() else { return false };
        let want = usize::try_from(int(rs, "/spec/replicas")).unwrap_or(0);
        let ns = meta::namespace(rs).to_string();
        let mut wrote = false;
        if active.len() < want {
            let missing = (want - active.len()).min(BURST_REPLICAS);
            let pod = pod_from_template(rs);
            // Slow start: batches of 1, 2, 4, … so a failing template fails once, not `missing` times.
            let mut batch = 1;
            let mut created = 0;
            'batches: while created < missing {
                for _ in 0..batch.min(missing - created) {
                    match api.create(pod_res, &ns, pod.clone(), now, WriteOptions::default()) {
                        Ok(p) => {
                            wrote = true;
                            created += 1;
                            let msg = format!("Created pod: {}", meta::name(&p));
                            self.recorder.record(
                                api,
                                rs,
                                EventKind::Normal,
                                "SuccessfulCreate",
                                &msg,
                                now,
                            );
                            active.push(p);
                        }
                        Err(e) => {
                            let msg = format!("Error creating: {}", e.message);
                            self.recorder.record(
                                api,
                                rs,
                                EventKind::Warning,
                                "FailedCreate",
                                &msg,
                                now,
                            );
                            break 'batches;
                        }
                    }
                }
                batch *= 2;
            }
        } else if active.len() > want {
            let excess = (active.len() - want).min(BURST_REPLICAS);
            let refs: Vec<&Value> = active.iter().map(|p| p.as_ref()).collect();
            let doomed: Vec<String> = ranking::pods_to_delete(&refs, excess, now)
                .iter()
                .map(|p| meta::name(p).to_string())
                .collect();
            for pod_name in &doomed {
                if api
                    .delete(pod_res, &ns, pod_name, &DeleteOptions::default(), now)
                    .is_ok()
                {
                    wrote = true;
                    self.recorder.record(
                        api,
                        rs,
                        EventKind::Normal,
                        "SuccessfulDelete",
                        &format!("Deleted pod: {pod_name}"),
                        now,
                    );
                }
            }
            active.retain(|p| !doomed.iter().any(|d| d == meta::name(p)));
        }
        wrote
    }

    /// Writes replicas / fullyLabeledReplicas / readyReplicas / availableReplicas;
    /// returns when a Ready pod will turn available.
    fn update_status(
        &mut self,
        api: &mut ApiServer,
        rs: &Value,
        active: &[Arc<Value>],
        now: Timestamp,
    ) -> (bool, Option<Timestamp>) {
        let Some(rs_res) = replica_sets() else {
            return (false, None);
        };
        let min_ready = int(rs, "/spec/minReadySeconds");
        let template_labels = rs
            .pointer("/spec/template/metadata/labels")
            .and_then(Value::as_object);
        let mut fully = 0;
        let mut ready = 0;
        let mut available = 0;
        let mut wake: Option<Timestamp> = None;
        for p in active {
            fully += i64::from(fully_labeled(p, template_labels));
            ready += i64::from(pod_state::is_ready(p));
            if pod_state::is_available(p, min_ready, now) {
                available += 1;
            } else if let Some(t) = pod_state::available_after(p, min_ready) {
                let at = t.checked_add(SignedDuration::from_millis(1)).unwrap_or(t);
                wake = Some(wake.map_or(at, |w| w.min(at)));
            }
        }
        let mut status = json!({"replicas": active.len()});
        for (field, n) in [
            ("fullyLabeledReplicas", fully),
            ("readyReplicas", ready),
            ("availableReplicas", available),
        ] {
            if n > 0 {
                status[field] = json!(n);
            }
        }
        let generation = int(rs, "/metadata/generation");
        if generation > 0 {
            status["observedGeneration"] = json!(generation);
        }
        if let Some(c) = rs.pointer("/status/conditions") {
            status["conditions"] = c.clone();
        }
        let name = ObjectName::new(meta::namespace(rs), meta::name(rs));
        match wake {
            Some(w) => self.wakeups.insert(name.clone(), w),
            None => self.wakeups.remove(&name),
        };
        if rs.get("status") == Some(&status) {
            return (false, wake);
        }
        let Ok(current) = api.get(rs_res, &name.namespace, &name.name).cloned() else {
            return (false, wake);
        };
        let mut updated = (*current).clone();
        updated["status"] = status;
        let ok = write_status(api, rs_res, &name, updated, now);
        (ok, wake)
    }
}

/// A new pod for `rs`: the template's metadata and spec, named `<rs>-<suffix>`.
fn pod_from_template(rs: &Value) -> Value {
    let template = rs.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    let mut metadata = json!({
        "generateName": format!("{}-", meta::name(rs)),
        "namespace": meta::namespace(rs),
        "ownerReferences": [owner_index::controller_ref(rs)],
    });
    for field in ["labels", "annotations", "finalizers"] {
        if let Some(v) = template.pointer(&format!("/metadata/{field}")) {
            metadata[field] = v.clone();
        }
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec").cloned().unwrap_or(json!({}))})
}

impl Controller for ReplicaSetController {
    fn name(&self) -> &'static str {
        "replicaset-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        self.catch_up(api);
        let due: Vec<ObjectName> = self
            .wakeups
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(k, _)| k.clone())
            .collect();
        self.dirty.extend(due);
        let mut wrote = false;
        for name in std::mem::take(&mut self.dirty) {
            let (w, _) = self.sync(api, &name, now);
            wrote |= w;
        }
        Reconciled {
            wrote,
            requeue_at: self.wakeups.values().min().copied(),
        }
    }
}
