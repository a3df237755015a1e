//! The garbage collector: deletes objects whose owners are gone, and carries
//! out the `orphan` and `foregroundDeletion` policies an owner was deleted with.
//!
//! It keeps an owner → dependents index fed by the store's changes, so each
//! pass touches only the objects a change concerned.

use super::feed::{ChangeFeed, Changes};
use super::{Controller, Reconciled};
use crate::api::{meta, RESOURCES};
use crate::apiserver::{ApiServer, DeleteOptions, Propagation, WriteOptions};
use crate::store::{EventType, Key};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

const ORPHAN: &str = "orphan";
const FOREGROUND: &str = "foregroundDeletion";

#[derive(Default)]
pub struct GarbageCollector {
    feed: ChangeFeed,
    /// Every live object by uid.
    uids: HashMap<String, Key>,
    /// Owner uid → the objects that name it in `ownerReferences`.
    dependents: HashMap<String, BTreeSet<Key>>,
    /// Object → the owner uids it names (to keep `dependents` exact on change).
    owners: HashMap<Key, Vec<String>>,
    dirty_dependents: BTreeSet<Key>,
    dirty_owners: BTreeSet<Key>,
}

fn owner_uids(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn has_finalizer(obj: &Value, name: &str) -> bool {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|x| x.as_str() == Some(name)))
}

impl GarbageCollector {
    fn observe(&mut self, key: &Key, obj: &Value) {
        self.forget(key);
        let uid = meta::uid(obj).to_string();
        let owners = owner_uids(obj);
        for o in &owners {
            self.dependents.entry(o.clone()).or_default().insert(key.clone());
        }
        if !owners.is_empty() {
            self.dirty_dependents.insert(key.clone());
            self.owners.insert(key.clone(), owners);
        }
        if meta::is_terminating(obj) && (has_finalizer(obj, ORPHAN) || has_finalizer(obj, FOREGROUND)) {
            self.dirty_owners.insert(key.clone());
        }
        if !uid.is_empty() {
            self.uids.insert(uid, key.clone());
        }
    }

    fn forget(&mut self, key: &Key) {
        if let Some(owners) = self.owners.remove(key) {
            for o in owners {
                if let Some(set) = self.dependents.get_mut(&o) {
                    set.remove(key);
                    if set.is_empty() {
                        self.dependents.remove(&o);
                    }
                }
                // A foreground owner may be waiting for exactly this dependent.
                if let Some(owner_key) = self.uids.get(&o) {
                    self.dirty_owners.insert(owner_key.clone());
                }
            }
        }
    }

    fn observe_deleted(&mut self, key: &Key, obj: &Value) {
        self.forget(key);
        let uid = meta::uid(obj);
        self.uids.remove(uid);
        if let Some(deps) = self.dependents.get(uid) {
            self.dirty_dependents.extend(deps.iter().cloned());
        }
    }

    fn resync(&mut self, api: &ApiServer) {
        *self = Self { feed: std::mem::take(&mut self.feed), ..Self::default() };
        for r in RESOURCES {
            let objects: Vec<(Key, Value)> = api
                .store()
                .list(r.into(), None)
                .map(|(name, obj)| (Key { resource: r.into(), name: name.clone() }, (**obj).clone()))
                .collect();
            for (k, obj) in objects {
                self.observe(&k, &obj);
            }
        }
    }

    /// Deletes a dependent all of whose owners are gone.
    fn collect_dependent(&mut self, api: &mut ApiServer, key: &Key, now: Timestamp) -> bool {
        let Some(obj) = api.store().get(key) else { return false };
        if meta::is_terminating(obj) {
            return false;
        }
        let owners = owner_uids(obj);
        if owners.is_empty() || owners.iter().any(|o| self.uids.contains_key(o)) {
            return false;
        }
        let Some(resource) = key.resource.resource() else { return false };
        let opts = DeleteOptions { propagation: Some(Propagation::Background), ..DeleteOptions::default() };
        api.delete(resource, &key.name.namespace, &key.name.name, &opts, now).is_ok()
    }

    /// Carries out a terminating owner's orphan or foreground policy.
    fn settle_owner(&mut self, api: &mut ApiServer, key: &Key, now: Timestamp) -> bool {
        let Some(owner) = api.store().get(key).cloned() else { return false };
        if !meta::is_terminating(&owner) {
            return false;
        }
        let Some(resource) = key.resource.resource() else { return false };
        let uid = meta::uid(&owner).to_string();
        let deps: Vec<Key> = self.dependents.get(&uid).map(|s| s.iter().cloned().collect()).unwrap_or_default();
        let mut wrote = false;
        if has_finalizer(&owner, ORPHAN) {
            for dep in &deps {
                wrote |= release_dependent(api, dep, &uid, now);
            }
            return remove_finalizer(api, resource, key, ORPHAN, now) || wrote;
        }
        if has_finalizer(&owner, FOREGROUND) {
            let mut waiting = false;
            for dep in &deps {
                let Some(obj) = api.store().get(dep) else { continue };
                waiting = true;
                if meta::is_terminating(obj) {
                    continue;
                }
                if let Some(r) = dep.resource.resource() {
                    let opts = DeleteOptions { propagation: Some(Propagation::Foreground), ..DeleteOptions::default() };
                    wrote |= api.delete(r, &dep.name.namespace, &dep.name.name, &opts, now).is_ok();
                }
            }
            if !waiting {
                return remove_finalizer(api, resource, key, FOREGROUND, now) || wrote;
            }
        }
        wrote
    }
}

/// Drops the owner reference to `owner_uid` from a dependent (orphaning it).
fn release_dependent(api: &mut ApiServer, dep: &Key, owner_uid: &str, now: Timestamp) -> bool {
    let Some(obj) = api.store().get(dep) else { return false };
    let Some(resource) = dep.resource.resource() else { return false };
    let mut obj = (**obj).clone();
    if let Some(refs) = obj.pointer_mut("/metadata/ownerReferences").and_then(Value::as_array_mut) {
        refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(owner_uid));
        if refs.is_empty() {
            if let Some(m) = obj["metadata"].as_object_mut() {
                m.remove("ownerReferences");
            }
        }
    }
    api.update(resource, &dep.name.namespace, &dep.name.name, obj, None, now, WriteOptions::default()).is_ok()
}

fn remove_finalizer(api: &mut ApiServer, resource: &'static crate::api::Resource, key: &Key, finalizer: &str, now: Timestamp) -> bool {
    let Some(obj) = api.store().get(key) else { return false };
    let mut obj = (**obj).clone();
    let remaining: Vec<Value> = obj
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter(|x| x.as_str() != Some(finalizer)).cloned().collect())
        .unwrap_or_default();
    obj["metadata"]["finalizers"] = json!(remaining);
    api.update(resource, &key.name.namespace, &key.name.name, obj, None, now, WriteOptions::default()).is_ok()
}

impl Controller for GarbageCollector {
    fn name(&self) -> &'static str {
        "garbage-collector"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        let mut changes: Vec<(EventType, Key, Value)> = Vec::new();
        let resync = match self.feed.changes(api.store()) {
            Changes::Resync => true,
            Changes::Events(events) => {
                changes = events.into_iter().map(|e| (e.kind, e.key.clone(), (*e.object).clone())).collect();
                false
            }
        };
        if resync {
            self.resync(api);
        }
        for (kind, key, obj) in changes {
            match kind {
                EventType::Deleted => self.observe_deleted(&key, &obj),
                EventType::Added | EventType::Modified => self.observe(&key, &obj),
            }
        }
        let mut wrote = false;
        for key in std::mem::take(&mut self.dirty_owners) {
            wrote |= self.settle_owner(api, &key, now);
        }
        for key in std::mem::take(&mut self.dirty_dependents) {
            wrote |= self.collect_dependent(api, &key, now);
        }
        Reconciled { wrote, requeue_at: None }
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::{Request, Response};
    use crate::control_plane::ControlPlane;
    use jiff::Timestamp;
    use serde_json::{json, Value};

    fn t0() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    const CMS: &str = "/api/v1/namespaces/default/configmaps";

    fn cluster_with_owner_and_dependent() -> (ControlPlane, String) {
        let mut cp = ControlPlane::new(7, t0());
        let owner = cp.api_mut().handle(&Request::post(CMS, json!({"metadata": {"name": "owner"}}).to_string()), t0()).json_body();
        let uid = owner["metadata"]["uid"].as_str().unwrap().to_string();
        let dependent = json!({"metadata": {"name": "dependent", "ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid, "controller": true, "blockOwnerDeletion": true}
        ]}});
        assert_eq!(cp.api_mut().handle(&Request::post(CMS, dependent.to_string()), t0()).status(), 201);
        cp.tick(t0());
        (cp, uid)
    }

    fn exists(cp: &mut ControlPlane, name: &str) -> Option<Value> {
        match cp.api_mut().handle(&Request::get(&format!("{CMS}/{name}")), t0()) {
            r @ Response::Body { status: 200, .. } => Some(r.json_body()),
            _ => None,
        }
    }

    fn delete(cp: &mut ControlPlane, name: &str, policy: &str) {
        let body = json!({"propagationPolicy": policy}).to_string();
        let r = cp.api_mut().handle(&Request::delete(&format!("{CMS}/{name}")).with_body(body, "application/json"), t0());
        assert!(r.status() < 300, "{r:?}");
    }

    #[test]
    fn background_deletion_takes_dependents_after_the_owner() {
        let (mut cp, _) = cluster_with_owner_and_dependent();
        delete(&mut cp, "owner", "Background");
        assert!(exists(&mut cp, "owner").is_none());
        assert!(exists(&mut cp, "dependent").is_some(), "the collector acts on its own pass");
        cp.tick(t0());
        assert!(exists(&mut cp, "dependent").is_none());
    }

    #[test]
    fn orphan_deletion_keeps_dependents_without_the_reference() {
        let (mut cp, _) = cluster_with_owner_and_dependent();
        delete(&mut cp, "owner", "Orphan");
        cp.tick(t0());
        assert!(exists(&mut cp, "owner").is_none());
        let dep = exists(&mut cp, "dependent").expect("orphaned, not deleted");
        assert!(dep["metadata"].get("ownerReferences").is_none());
    }

    #[test]
    fn foreground_deletion_keeps_the_owner_until_dependents_are_gone() {
        let (mut cp, _) = cluster_with_owner_and_dependent();
        delete(&mut cp, "owner", "Foreground");
        let owner = exists(&mut cp, "owner").expect("owner waits");
        assert_eq!(owner["metadata"]["finalizers"], json!(["foregroundDeletion"]));
        cp.tick(t0());
        assert!(exists(&mut cp, "dependent").is_none());
        assert!(exists(&mut cp, "owner").is_none());
    }

    #[test]
    fn objects_whose_owner_never_existed_are_collected() {
        let mut cp = ControlPlane::new(7, t0());
        let ghost = json!({"metadata": {"name": "ghost", "ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "nobody", "uid": "00000000-0000-4000-8000-000000000000"}
        ]}});
        cp.api_mut().handle(&Request::post(CMS, ghost.to_string()), t0());
        cp.tick(t0());
        assert!(exists(&mut cp, "ghost").is_none());
    }

    #[test]
    fn live_owners_keep_their_dependents() {
        let (mut cp, _) = cluster_with_owner_and_dependent();
        cp.tick(t0());
        assert!(exists(&mut cp, "dependent").is_some());
    }
}
