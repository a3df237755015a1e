//! A controller's view of the store's history: like an informer, it hands out
//! each change once, and asks for a full resync when it fell too far behind.

use crate::store::{Event, ResourceKey, Store};

/// What happened since the last read.
pub enum Changes<'a> {
    Events(Vec<&'a Event>),
    /// History was compacted past our cursor: rebuild from a full list.
    Resync,
}

/// What happened since the last read, owned so the controller can write to
/// the API while it works through it (events hold `Arc`s: copying is cheap).
pub enum OwnedChanges {
    Events(Vec<Event>),
    Resync,
}

/// A cursor into the store's event log.
#[derive(Debug, Default)]
pub struct ChangeFeed {
    cursor: u64,
    started: bool,
}

impl ChangeFeed {
    /// The changes to the given resources only, owned.
    pub fn changes_to(&mut self, store: &Store, resources: &[ResourceKey]) -> OwnedChanges {
        match self.changes(store) {
            Changes::Resync => OwnedChanges::Resync,
            Changes::Events(events) => OwnedChanges::Events(
                events.into_iter().filter(|e| resources.contains(&e.key.resource)).cloned().collect(),
            ),
        }
    }

    pub fn changes<'a>(&mut self, store: &'a Store) -> Changes<'a> {
        if !self.started {
            self.started = true;
            self.cursor = store.revision();
            return Changes::Resync;
        }
        match store.events_since(self.cursor) {
            Ok(events) => {
                let events: Vec<&Event> = events.collect();
                self.cursor = store.revision();
                Changes::Events(events)
            }
            Err(_) => {
                self.cursor = store.revision();
                Changes::Resync
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Key, ObjectName};
    use serde_json::json;

    const PODS: ResourceKey = ResourceKey { group: "", plural: "pods" };
    const CMS: ResourceKey = ResourceKey { group: "", plural: "configmaps" };

    #[test]
    fn owned_changes_keep_only_the_asked_resources_after_the_first_resync() {
        let mut store = Store::new();
        let mut feed = ChangeFeed::default();
        assert!(matches!(feed.changes_to(&store, &[PODS]), OwnedChanges::Resync));
        let obj = |n: &str| json!({"metadata": {"name": n}});
        store.create(Key { resource: PODS, name: ObjectName::new("default", "p") }, obj("p")).unwrap();
        store.create(Key { resource: CMS, name: ObjectName::new("default", "c") }, obj("c")).unwrap();
        let OwnedChanges::Events(events) = feed.changes_to(&store, &[PODS]) else { panic!("not events") };
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].key.name.name, "p");
        let OwnedChanges::Events(events) = feed.changes_to(&store, &[PODS, CMS]) else { panic!("not events") };
        assert!(events.is_empty(), "each change is handed out once");
    }
}
