//! The store's guarantees: ordering, conflicts, history and watch delivery.

use super::*;
use proptest::prelude::*;
use serde_json::json;

const PODS: ResourceKey = ResourceKey { group: "", plural: "pods" };

fn pod(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}})
}

fn key(ns: &str, name: &str) -> Key {
    Key { resource: PODS, name: ObjectName::new(ns, name) }
}

#[test]
fn every_write_gets_a_larger_resource_version() {
    let mut s = Store::new();
    let a = s.create(key("default", "a"), pod("default", "a")).unwrap();
    let b = s.update(&key("default", "a"), pod("default", "a"), None).unwrap();
    assert_eq!(a["metadata"]["resourceVersion"], "1");
    assert_eq!(b["metadata"]["resourceVersion"], "2");
    let d = s.delete(&key("default", "a"), None).unwrap();
    assert_eq!(d["metadata"]["resourceVersion"], "3");
    assert_eq!(s.revision(), 3);
}

#[test]
fn create_refuses_an_existing_name() {
    let mut s = Store::new();
    s.create(key("default", "a"), pod("default", "a")).unwrap();
    assert_eq!(s.create(key("default", "a"), pod("default", "a")), Err(StoreError::AlreadyExists));
    // Same name in another namespace is another object.
    assert!(s.create(key("other", "a"), pod("other", "a")).is_ok());
}

#[test]
fn stale_resource_version_is_a_conflict_and_changes_nothing() {
    let mut s = Store::new();
    s.create(key("default", "a"), pod("default", "a")).unwrap();
    s.update(&key("default", "a"), json!({"metadata": {"name": "a", "labels": {"v": "2"}}}), Some(1)).unwrap();
    let stale = s.update(&key("default", "a"), json!({"metadata": {"name": "a", "labels": {"v": "3"}}}), Some(1));
    assert_eq!(stale, Err(StoreError::Conflict));
    assert_eq!(s.get(&key("default", "a")).unwrap()["metadata"]["labels"]["v"], "2");
    assert_eq!(s.delete(&key("default", "a"), Some(1)), Err(StoreError::Conflict));
    assert_eq!(s.revision(), 2);
}

#[test]
fn list_by_namespace_is_in_name_order() {
    let mut s = Store::new();
    for (ns, n) in [("b", "z"), ("a", "y"), ("b", "x"), ("ab", "w")] {
        s.create(key(ns, n), pod(ns, n)).unwrap();
    }
    let names: Vec<_> = s.list(PODS, Some("b")).map(|(k, _)| k.name.as_str()).collect();
    assert_eq!(names, ["x", "z"]);
    let all: Vec<_> = s.list(PODS, None).map(|(k, _)| format!("{}/{}", k.namespace, k.name)).collect();
    assert_eq!(all, ["a/y", "ab/w", "b/x", "b/z"]);
}

#[test]
fn history_older_than_the_log_is_gone() {
    let mut s = Store::with_history(3);
    for i in 0..5 {
        s.create(key("default", &format!("p{i}")), pod("default", &format!("p{i}"))).unwrap();
    }
    // Events 3, 4, 5 remain; a watch from 2 still sees all it needs.
    assert_eq!(s.events_since(2).unwrap().map(|e| e.revision).collect::<Vec<_>>(), [3, 4, 5]);
    assert_eq!(s.events_since(1).err(), Some(HistoryGone { requested: 1, oldest: 3 }));
}

#[derive(Debug, Clone)]
enum Op {
    Create(u8),
    Update(u8),
    Delete(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..8).prop_map(Op::Create),
        (0u8..8).prop_map(Op::Update),
        (0u8..8).prop_map(Op::Delete),
    ]
}

proptest! {
    /// Watchers that start at arbitrary points and read in arbitrary chunks
    /// each see every later change exactly once, in order.
    #[test]
    fn watchers_see_every_change_once_in_order(
        ops in prop::collection::vec(op(), 1..120),
        starts in prop::collection::vec(0usize..120, 1..5),
        chunk in 1usize..10,
    ) {
        struct Watcher { start_op: usize, start_rev: Option<u64>, cursor: u64, seen: Vec<u64> }
        let mut s = Store::new();
        let mut applied = Vec::new();
        let mut watchers: Vec<Watcher> = starts
            .iter()
            .map(|&st| Watcher { start_op: st, start_rev: None, cursor: 0, seen: Vec::new() })
            .collect();
        let drain = |s: &Store, w: &mut Watcher| {
            if w.start_rev.is_none() { return; }
            let got: Vec<u64> = s.events_since(w.cursor).unwrap().map(|e| e.revision).collect();
            if let Some(&last) = got.last() { w.cursor = last; }
            w.seen.extend(got);
        };
        for (i, op) in ops.iter().enumerate() {
            for w in watchers.iter_mut().filter(|w| w.start_op == i) {
                w.start_rev = Some(s.revision());
                w.cursor = s.revision();
            }
            let r = match op {
                Op::Create(n) => s.create(key("default", &format!("p{n}")), pod("default", &format!("p{n}"))),
                Op::Update(n) => s.update(&key("default", &format!("p{n}")), pod("default", &format!("p{n}")), None),
                Op::Delete(n) => s.delete(&key("default", &format!("p{n}")), None),
            };
            if let Ok(obj) = r { applied.push(stored_revision(&obj)); }
            if i % chunk == 0 {
                for w in watchers.iter_mut() { drain(&s, w); }
            }
        }
        for w in watchers.iter_mut() { drain(&s, w); }
        for w in &watchers {
            let Some(start) = w.start_rev else { continue };
            let expected: Vec<u64> = applied.iter().copied().filter(|&rv| rv > start).collect();
            prop_assert_eq!(&w.seen, &expected);
        }
    }

    /// Concurrent writers that read, then write with the version they read:
    /// exactly one of two racing writers wins, and no accepted write is lost.
    #[test]
    fn optimistic_concurrency_loses_no_update(order in prop::collection::vec(0usize..3, 1..60)) {
        let mut s = Store::new();
        s.create(key("default", "counter"), json!({"metadata": {"name": "counter"}, "n": 0})).unwrap();
        let mut reads: [Option<(u64, i64)>; 3] = [None; 3];
        let mut accepted = 0;
        for w in order {
            match reads[w].take() {
                None => {
                    let cur = s.get(&key("default", "counter")).unwrap();
                    reads[w] = Some((stored_revision(cur), cur["n"].as_i64().unwrap()));
                }
                Some((rv, n)) => {
                    let next = json!({"metadata": {"name": "counter"}, "n": n + 1});
                    if s.update(&key("default", "counter"), next, Some(rv)).is_ok() { accepted += 1; }
                }
            }
        }
        prop_assert_eq!(s.get(&key("default", "counter")).unwrap()["n"].as_i64().unwrap(), accepted);
    }
}

