//! The Deployment controller: rolls a Deployment's pod template out through
//! ReplicaSets (one per template, named by its pod-template-hash), keeping
//! the strategy's bounds, history and conditions as Kubernetes does.
//!
//! It follows ReplicaSets through an owner index, so a change wakes only the
//! Deployment that owns it; pods matter only as they disappear (Recreate waits).

mod hash;
mod recreate;
mod revision;
mod rolling;
mod scale;
mod status;
#[cfg(test)]
mod tests;
mod view;

use super::events::{EventRecorder, EventType as EventKind};
use super::feed::{ChangeFeed, OwnedChanges};
use super::replicaset::owner_index::{self, OwnerIndex};
use super::{Controller, Reconciled};
use crate::api::meta;
use crate::api::resources::{by_kind, Resource};
use crate::apiserver::{ApiServer, WriteOptions};
use crate::store::selector::LabelSelector;
use crate::store::{EventType, ObjectName, ResourceKey};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use view::{DeploymentView, SetView, Strategy, DESIRED_REPLICAS, MAX_REPLICAS};

#[derive(Debug)]
pub struct DeploymentController {
    feed: ChangeFeed,
    recorder: EventRecorder,
    /// Deployment uid → name.
    deployments: HashMap<String, ObjectName>,
    /// Each Deployment's selector, by name (also lists a namespace's Deployments).
    selectors: BTreeMap<ObjectName, LabelSelector>,
    sets: OwnerIndex,
    /// ReplicaSet uid → the uid of the Deployment controlling it.
    set_owner: HashMap<String, String>,
    pods: OwnerIndex,
    dirty: BTreeSet<ObjectName>,
    /// Deployments to look at again when their progress deadline passes.
    wakeups: BTreeMap<ObjectName, Timestamp>,
}

impl Default for DeploymentController {
    fn default() -> Self {
        Self {
            feed: ChangeFeed::default(),
            recorder: EventRecorder::new("deployment-controller"),
            deployments: HashMap::new(),
            selectors: BTreeMap::new(),
            sets: OwnerIndex::default(),
            set_owner: HashMap::new(),
            pods: OwnerIndex::default(),
            dirty: BTreeSet::new(),
            wakeups: BTreeMap::new(),
        }
    }
}

pub(crate) fn deployments() -> Option<&'static Resource> {
    by_kind("Deployment")
}

pub(crate) fn replica_sets() -> Option<&'static Resource> {
    by_kind("ReplicaSet")
}

/// One Deployment's sync: the API, the Deployment as last written, and what was done.
pub(crate) struct Sync<'a> {
    pub api: &'a mut ApiServer,
    pub recorder: &'a mut EventRecorder,
    pub pods: &'a OwnerIndex,
    pub now: Timestamp,
    pub d: DeploymentView,
    pub wrote: bool,
}

impl Sync<'_> {
    /// Writes `status` through the status subresource (if it changed).
    pub(crate) fn write_status(&mut self, status: Value) {
        if self.d.status() == &status {
            return;
        }
        let Some(res) = deployments() else { return };
        let mut obj = (*self.d.obj).clone();
        obj["status"] = status;
        if let Ok(stored) = self.api.update(
            res,
            &self.d.namespace,
            &self.d.name,
            obj,
            Some("status"),
            self.now,
            WriteOptions::default(),
        ) {
            self.wrote = true;
            self.d = DeploymentView::new(stored);
        }
    }

    /// Sets the Deployment's `deployment.kubernetes.io/revision`.
    pub(crate) fn set_revision(&mut self, revision: i64) {
        let revision = revision.to_string();
        if meta::annotation(&self.d.obj, view::REVISION) == Some(revision.as_str()) {
            return;
        }
        let Some(res) = deployments() else { return };
        let mut obj = (*self.d.obj).clone();
        obj["metadata"]["annotations"][view::REVISION] = json!(revision);
        if let Ok(stored) = self.api.update(
            res,
            &self.d.namespace,
            &self.d.name,
            obj,
            None,
            self.now,
            WriteOptions::default(),
        ) {
            self.wrote = true;
            self.d = DeploymentView::new(stored);
        }
    }

    /// Writes a changed ReplicaSet and refreshes its view.
    pub(crate) fn update_set(&mut self, set: &mut SetView, obj: Value) -> bool {
        let Some(res) = replica_sets() else {
            return false;
        };
        match self.api.update(
            res,
            &self.d.namespace,
            &set.name.clone(),
            obj,
            None,
            self.now,
            WriteOptions::default(),
        ) {
            Ok(stored) => {
                self.wrote = true;
                *set = SetView::new(stored);
                true
            }
            Err(_) => false,
        }
    }

    /// Scales a ReplicaSet when its size differs (Kubernetes' scaleReplicaSetAndRecordEvent).
    pub(crate) fn scale_if_needed(&mut self, set: &mut SetView, size: i64) -> bool {
        set.replicas != size && self.scale(set, size)
    }

    /// Sets a ReplicaSet's size and its desired/max-replicas annotations,
    /// recording `ScalingReplicaSet` when the size changed.
    pub(crate) fn scale(&mut self, set: &mut SetView, size: i64) -> bool {
        let desired = self.d.replicas.to_string();
        let max = (self.d.replicas + self.d.max_surge()).to_string();
        let resize = set.replicas != size;
        let annotate = meta::annotation(&set.obj, DESIRED_REPLICAS) != Some(desired.as_str())
            || meta::annotation(&set.obj, MAX_REPLICAS) != Some(max.as_str());
        if !resize && !annotate {
            return false;
        }
        let old = set.replicas;
        let mut obj = (*set.obj).clone();
        obj["spec"]["replicas"] = json!(size);
        obj["metadata"]["annotations"][DESIRED_REPLICAS] = json!(desired);
        obj["metadata"]["annotations"][MAX_REPLICAS] = json!(max);
        if !self.update_set(set, obj) {
            return false;
        }
        if resize {
            let direction = if size > old { "up" } else { "down" };
            let msg = format!(
                "Scaled {direction} replica set {} from {old} to {size}",
                set.name
            );
            let d = self.d.obj.clone();
            self.recorder.record(
                self.api,
                &d,
                EventKind::Normal,
                "ScalingReplicaSet",
                &msg,
                self.now,
            );
        }
        resize
    }
}

fn total_replicas(sets: &[SetView]) -> i64 {
    sets.iter().map(|s| s.replicas).sum()
}

/// Indices of every set but the new one.
fn old_indices(sets: &[SetView], new: Option<usize>) -> Vec<usize> {
    (0..sets.len()).filter(|i| Some(*i) != new).collect()
}

/// Whether every replica runs the new template and is available (and the spec was seen).
fn is_complete(d: &DeploymentView, status: &Value) -> bool {
    let n = |f: &str| status.get(f).and_then(Value::as_i64).unwrap_or(0);
    n("updatedReplicas") == d.replicas
        && n("replicas") == d.replicas
        && n("availableReplicas") == d.replicas
        && n("observedGeneration") >= d.generation
}

/// The dispatch of Kubernetes' syncDeployment.
fn sync_deployment(s: &mut Sync, sets: &mut Vec<SetView>) {
    if s.d.terminating {
        let new = revision::find_new(&s.d, sets);
        let st = status::calculate(&s.d, sets, new, s.now);
        s.write_status(st);
        return;
    }
    status::check_paused(s);
    if s.d.paused || scale::is_scaling_event(s, sets) {
        scale::sync(s, sets);
        return;
    }
    match s.d.strategy {
        Strategy::Recreate => recreate::rollout(s, sets),
        Strategy::RollingUpdate { .. } => rolling::rollout(s, sets),
    }
}

impl DeploymentController {
    fn dirty_owner_of_set(&mut self, set_uid: &str) {
        if let Some(d) = self
            .set_owner
            .get(set_uid)
            .and_then(|d| self.deployments.get(d))
        {
            self.dirty.insert(d.clone());
        }
    }

    fn dirty_selecting(&mut self, namespace: &str, obj: &Value) {
        let start = ObjectName::new(namespace, "");
        let matching: Vec<ObjectName> = self
            .selectors
            .range(start..)
            .take_while(|(k, _)| k.namespace == namespace)
            .filter(|(_, s)| s.matches(meta::labels(obj)))
            .map(|(k, _)| k.clone())
            .collect();
        self.dirty.extend(matching);
    }

    fn observe_deployment(&mut self, name: &ObjectName, obj: Option<&Value>) {
        match obj {
            Some(o) => {
                self.deployments
                    .insert(meta::uid(o).to_string(), name.clone());
                let view = DeploymentView::new(Arc::new(o.clone()));
                self.selectors.insert(name.clone(), view.selector);
                self.dirty.insert(name.clone());
            }
            None => {
                self.deployments.retain(|_, n| n != name);
                self.selectors.remove(name);
                self.wakeups.remove(name);
                self.dirty.remove(name);
            }
        }
    }

    fn observe_set(&mut self, name: &ObjectName, obj: &Value, deleted: bool) {
        let uid = meta::uid(obj).to_string();
        let previous = if deleted {
            self.sets.forget(name)
        } else {
            self.sets.observe(name, obj)
        };
        if let Some(p) = previous.and_then(|p| self.deployments.get(&p)) {
            self.dirty.insert(p.clone());
        }
        match owner_index::controller_uid(obj).filter(|_| !deleted) {
            Some(owner) => {
                self.set_owner.insert(uid.clone(), owner.to_string());
                self.dirty_owner_of_set(&uid);
            }
            None => {
                self.set_owner.remove(&uid);
                if !deleted {
                    self.dirty_selecting(&name.namespace, obj);
                }
            }
        }
    }

    /// Pods matter to a Deployment only when they go (Recreate waits for old ones).
    fn observe_pod(&mut self, name: &ObjectName, obj: &Value, deleted: bool) {
        let finished = matches!(
            obj.pointer("/status/phase").and_then(Value::as_str),
            Some("Succeeded" | "Failed")
        );
        if deleted {
            self.pods.forget(name);
        } else {
            self.pods.observe(name, obj);
        }
        if deleted || finished {
            if let Some(set) = owner_index::controller_uid(obj) {
                let set = set.to_string();
                self.dirty_owner_of_set(&set);
            }
        }
    }

    fn resync(&mut self, api: &ApiServer) {
        self.deployments.clear();
        self.selectors.clear();
        self.sets.clear();
        self.set_owner.clear();
        self.pods.clear();
        self.wakeups.clear();
        let (Some(dr), Some(rr), Some(pr)) = (deployments(), replica_sets(), by_kind("Pod")) else {
            return;
        };
        let all: Vec<Arc<Value>> = api.list(dr, None).cloned().collect();
        for d in all {
            self.observe_deployment(
                &ObjectName::new(meta::namespace(&d), meta::name(&d)),
                Some(&d),
            );
        }
        let all: Vec<Arc<Value>> = api.list(rr, None).cloned().collect();
        for rs in all {
            self.observe_set(
                &ObjectName::new(meta::namespace(&rs), meta::name(&rs)),
                &rs,
                false,
            );
        }
        let all: Vec<Arc<Value>> = api.list(pr, None).cloned().collect();
        for p in all {
            self.pods
                .observe(&ObjectName::new(meta::namespace(&p), meta::name(&p)), &p);
        }
    }

    fn catch_up(&mut self, api: &ApiServer) {
        const WATCHED: [ResourceKey; 3] = [
            ResourceKey { group: "", plural: "pods" },
            ResourceKey { group: "apps", plural: "replicasets" },
            ResourceKey { group: "apps", plural: "deployments" },
        ];
        let OwnedChanges::Events(events) = self.feed.changes_to(api.store(), &WATCHED) else {
            self.resync(api);
            return;
        };
        for e in events {
            let deleted = e.kind == EventType::Deleted;
            match e.key.resource.plural {
                "deployments" => self.observe_deployment(&e.key.name, (!deleted).then_some(&*e.object)),
                "replicasets" => self.observe_set(&e.key.name, &e.object, deleted),
                _ => self.observe_pod(&e.key.name, &e.object, deleted),
            }
        }
    }

    /// The Deployment's ReplicaSets, oldest first; adopts matching orphans.
    fn claim_sets(&self, api: &mut ApiServer, d: &DeploymentView, now: Timestamp) -> Vec<SetView> {
        let Some(rr) = replica_sets() else {
            return Vec::new();
        };
        let mut sets: Vec<SetView> = self
            .sets
            .children(&d.uid)
            .iter()
            .filter_map(|n| api.get(rr, &n.namespace, &n.name).ok().cloned())
            .map(SetView::new)
            .collect();
        if !d.terminating {
            for orphan in self.sets.orphans(&d.namespace) {
                let Ok(rs) = api.get(rr, &d.namespace, &orphan).cloned() else {
                    continue;
                };
                if meta::is_terminating(&rs) || !d.selector.matches(meta::labels(&rs)) {
                    continue;
                }
                let adopted = owner_index::with_controller_ref(&rs, &d.obj);
                if let Ok(stored) = api.update(
                    rr,
                    &d.namespace,
                    &orphan,
                    adopted,
                    None,
                    now,
                    WriteOptions::default(),
                ) {
                    sets.push(SetView::new(stored));
                }
            }
        }
        sets.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.name.cmp(&b.name)));
        sets
    }

    fn sync(&mut self, api: &mut ApiServer, name: &ObjectName, now: Timestamp) -> bool {
        let Some(dr) = deployments() else {
            return false;
        };
        let Ok(obj) = api.get(dr, &name.namespace, &name.name).cloned() else {
            return false;
        };
        let d = DeploymentView::new(obj);
        let mut sets = self.claim_sets(api, &d, now);
        let mut s = Sync {
            api,
            recorder: &mut self.recorder,
            pods: &self.pods,
            now,
            d,
            wrote: false,
        };
        sync_deployment(&mut s, &mut sets);
        let wrote = s.wrote;
        match status::deadline_wakeup(&s.d) {
            Some(t) => self.wakeups.insert(name.clone(), t),
            None => self.wakeups.remove(name),
        };
        wrote
    }
}

impl Controller for DeploymentController {
    fn name(&self) -> &'static str {
        "deployment-controller"
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
            wrote |= self.sync(api, &name, now);
        }
        Reconciled {
            wrote,
            requeue_at: self.wakeups.values().filter(|t| **t > now).min().copied(),
        }
    }
}
