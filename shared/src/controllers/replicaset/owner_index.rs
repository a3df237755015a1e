//! Who controls what: an index from controller uid to the objects whose
//! `ownerReferences` name it as controller, plus the orphans of each namespace.
//!
//! ReplicaSets index their pods with it and Deployments their ReplicaSets, so
//! a reconcile touches an owner's own children and the few orphans, never the
//! whole namespace.

use crate::store::ObjectName;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// The uid of an object's managing controller (`controller: true`), if any.
pub(crate) fn controller_uid(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("uid").and_then(Value::as_str))
}

/// The `ownerReferences` entry a controller puts on what it manages, so the
/// garbage collector cascades and foreground deletion waits for it.
pub(crate) fn controller_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": owner.get("apiVersion").cloned().unwrap_or(Value::Null),
        "kind": owner.get("kind").cloned().unwrap_or(Value::Null),
        "name": crate::api::meta::name(owner),
        "uid": crate::api::meta::uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// `obj` with `owner`'s controller reference appended (adoption).
pub(crate) fn with_controller_ref(obj: &Value, owner: &Value) -> Value {
    let mut obj = obj.clone();
    let mut refs = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    refs.push(controller_ref(owner));
    obj["metadata"]["ownerReferences"] = Value::Array(refs);
    obj
}

/// `obj` without any owner reference to `owner_uid` (release).
pub(crate) fn without_owner(obj: &Value, owner_uid: &str) -> Value {
    let mut obj = obj.clone();
    let refs: Vec<Value> = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter(|x| x.get("uid").and_then(Value::as_str) != Some(owner_uid))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if refs.is_empty() {
            m.remove("ownerReferences");
        } else {
            m.insert("ownerReferences".into(), Value::Array(refs));
        }
    }
    obj
}

#[derive(Debug, Default)]
pub(crate) struct OwnerIndex {
    /// Each indexed object's controller uid (`None`: an orphan).
    controller_of: HashMap<ObjectName, Option<String>>,
    children: HashMap<String, BTreeSet<ObjectName>>,
    orphans: HashMap<String, BTreeSet<String>>,
}

impl OwnerIndex {
    /// Indexes the current state of `name`; returns its previous controller uid.
    pub(crate) fn observe(&mut self, name: &ObjectName, obj: &Value) -> Option<String> {
        let previous = self.forget(name);
        let controller = controller_uid(obj).map(str::to_string);
        match &controller {
            Some(uid) => {
                self.children
                    .entry(uid.clone())
                    .or_default()
                    .insert(name.clone());
            }
            None => {
                self.orphans
                    .entry(name.namespace.clone())
                    .or_default()
                    .insert(name.name.clone());
            }
        }
        self.controller_of.insert(name.clone(), controller);
        previous
    }

    /// Drops `name`; returns the controller uid it had.
    pub(crate) fn forget(&mut self, name: &ObjectName) -> Option<String> {
        match self.controller_of.remove(name)? {
            Some(uid) => {
                if let Some(set) = self.children.get_mut(&uid) {
                    set.remove(name);
                    if set.is_empty() {
                        self.children.remove(&uid);
                    }
                }
                Some(uid)
            }
            None => {
                if let Some(set) = self.orphans.get_mut(&name.namespace) {
                    set.remove(&name.name);
                }
                None
            }
        }
    }

    pub(crate) fn children(&self, uid: &str) -> Vec<ObjectName> {
        self.children
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn orphans(&self, namespace: &str) -> Vec<String> {
        self.orphans
            .get(namespace)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relabelled_ownership_moves_between_orphans_and_children() {
        let mut idx = OwnerIndex::default();
        let pod = ObjectName::new("default", "web-1");
        idx.observe(&pod, &json!({"metadata": {"name": "web-1"}}));
        assert_eq!(idx.orphans("default"), vec!["web-1".to_string()]);
        let owned = json!({"metadata": {"ownerReferences": [{"uid": "rs-1", "controller": true}]}});
        assert_eq!(idx.observe(&pod, &owned), None);
        assert!(idx.orphans("default").is_empty());
        assert_eq!(idx.children("rs-1"), vec![pod.clone()]);
        assert_eq!(idx.forget(&pod), Some("rs-1".to_string()));
        assert!(idx.children("rs-1").is_empty());
    }

    #[test]
    fn release_drops_only_that_owner() {
        let pod = json!({"metadata": {"ownerReferences": [{"uid": "a"}, {"uid": "b", "controller": true}]}});
        let released = without_owner(&pod, "b");
        assert_eq!(
            released["metadata"]["ownerReferences"],
            json!([{"uid": "a"}])
        );
        assert!(without_owner(&released, "a")["metadata"]
            .get("ownerReferences")
            .is_none());
    }
}
