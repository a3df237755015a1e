//! The etcd-like store: objects by resource, namespace and name, with a global
//! resourceVersion, optimistic concurrency and an ordered event log for watches.
//!
//! The store is deliberately dumb: it never interprets objects beyond their
//! key and `resourceVersion`. Defaulting, validation and lifecycle rules live
//! in the request layer, so the store's guarantees (ordering, no lost update)
//! are easy to state and to test.

mod event_log;
mod key;
pub mod selector;

pub use event_log::{Event, EventType, HistoryGone};
pub use key::{Key, ObjectName, ResourceKey};

use event_log::EventLog;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("object already exists")]
    AlreadyExists,
    #[error("object not found")]
    NotFound,
    /// The caller's `resourceVersion` (or uid) precondition no longer holds.
    #[error("the object has been modified; please apply your changes to the latest version and try again")]
    Conflict,
}

/// How many events the watch history keeps before older watch positions get `410 Gone`.
pub const DEFAULT_HISTORY: usize = 200_000;

/// All stored objects and their recent history.
#[derive(Debug)]
pub struct Store {
    objects: HashMap<ResourceKey, BTreeMap<ObjectName, Arc<Value>>>,
    revision: u64,
    log: EventLog,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub fn new() -> Self {
        Self::with_history(DEFAULT_HISTORY)
    }

    /// A store whose watch history keeps `history` events.
    pub fn with_history(history: usize) -> Self {
        Self { objects: HashMap::new(), revision: 0, log: EventLog::new(history) }
    }

    /// A store holding `objects` exactly as saved (resourceVersions included)
    /// and continuing after `revision`. It has no history: a watch from before
    /// the restore gets `410 Gone` and relists, as after an etcd compaction.
    pub fn restored(objects: impl IntoIterator<Item = (Key, Value)>, revision: u64, history: usize) -> Self {
        let mut map: HashMap<ResourceKey, BTreeMap<ObjectName, Arc<Value>>> = HashMap::new();
        for (key, obj) in objects {
            map.entry(key.resource).or_default().insert(key.name, Arc::new(obj));
        }
        Self { objects: map, revision, log: EventLog::starting_after(history, revision) }
    }

    /// Every stored object with its key, resources in no particular order.
    pub fn all(&self) -> impl Iterator<Item = (ResourceKey, &ObjectName, &Arc<Value>)> {
        self.objects.iter().flat_map(|(r, m)| m.iter().map(move |(n, v)| (*r, n, v)))
    }

    /// The resourceVersion of the latest write.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn get(&self, key: &Key) -> Option<&Arc<Value>> {
        self.objects.get(&key.resource)?.get(&key.name)
    }

    /// Objects of one resource in key order (namespace, then name), as etcd
    /// lists them; `namespace: None` lists every namespace.
    pub fn list<'a>(
        &'a self,
        resource: ResourceKey,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a ObjectName, &'a Arc<Value>)> + 'a {
        let map = self.objects.get(&resource);
        let iter: Box<dyn Iterator<Item = (&ObjectName, &Arc<Value>)>> = match (map, namespace) {
            (None, _) => Box::new(std::iter::empty()),
            (Some(m), None) => Box::new(m.iter()),
            (Some(m), Some(ns)) => Box::new(
                m.range(ObjectName::namespace_start(ns)..)
                    .take_while(move |(k, _)| k.namespace == ns),
            ),
        };
        iter
    }

    /// Number of objects of a resource (all namespaces).
    pub fn count(&self, resource: ResourceKey) -> usize {
        self.objects.get(&resource).map_or(0, BTreeMap::len)
    }

    /// Stores a new object, stamping its `metadata.resourceVersion`.
    pub fn create(&mut self, key: Key, mut obj: Value) -> Result<Arc<Value>, StoreError> {
        let objects = self.objects.entry(key.resource).or_default();
        if objects.contains_key(&key.name) {
            return Err(StoreError::AlreadyExists);
        }
        self.revision += 1;
        set_resource_version(&mut obj, self.revision);
        let obj = Arc::new(obj);
        objects.insert(key.name.clone(), obj.clone());
        self.log.push(Event { kind: EventType::Added, key, revision: self.revision, object: obj.clone(), previous: None });
        Ok(obj)
    }

    /// Replaces an object. With `expected` set, refuses unless the stored
    /// resourceVersion still equals it (optimistic concurrency).
    pub fn update(&mut self, key: &Key, mut obj: Value, expected: Option<u64>) -> Result<Arc<Value>, StoreError> {
        let slot = self
            .objects
            .get_mut(&key.resource)
            .and_then(|m| m.get_mut(&key.name))
            .ok_or(StoreError::NotFound)?;
        if expected.is_some_and(|rv| rv != stored_revision(slot)) {
            return Err(StoreError::Conflict);
        }
        self.revision += 1;
        set_resource_version(&mut obj, self.revision);
        let obj = Arc::new(obj);
        let previous = std::mem::replace(slot, obj.clone());
        self.log.push(Event {
            kind: EventType::Modified,
            key: key.clone(),
            revision: self.revision,
            object: obj.clone(),
            previous: Some(previous),
        });
        Ok(obj)
    }

    /// Removes an object. The DELETED event carries its last state stamped
    /// with the deletion's resourceVersion, as Kubernetes' watch does.
    pub fn delete(&mut self, key: &Key, expected: Option<u64>) -> Result<Arc<Value>, StoreError> {
        let objects = self.objects.get_mut(&key.resource).ok_or(StoreError::NotFound)?;
        let current = objects.get(&key.name).ok_or(StoreError::NotFound)?;
        if expected.is_some_and(|rv| rv != stored_revision(current)) {
            return Err(StoreError::Conflict);
        }
        let previous = objects.remove(&key.name).ok_or(StoreError::NotFound)?;
        self.revision += 1;
        let mut last = (*previous).clone();
        set_resource_version(&mut last, self.revision);
        let last = Arc::new(last);
        self.log.push(Event {
            kind: EventType::Deleted,
            key: key.clone(),
            revision: self.revision,
            object: last.clone(),
            previous: Some(previous),
        });
        Ok(last)
    }

    /// Events with a resourceVersion greater than `after`, oldest first, or
    /// [`HistoryGone`] when some of them were already compacted away.
    pub fn events_since(&self, after: u64) -> Result<impl Iterator<Item = &Event>, HistoryGone> {
        self.log.since(after)
    }

    /// The oldest resourceVersion a watch may still start from.
    pub fn oldest_watchable(&self) -> u64 {
        self.log.compacted_through()
    }
}

/// The numeric resourceVersion of a stored object.
pub fn stored_revision(obj: &Value) -> u64 {
    crate::api::meta::resource_version(obj).parse().unwrap_or(0)
}

fn set_resource_version(obj: &mut Value, rv: u64) {
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

#[cfg(test)]
mod tests;
