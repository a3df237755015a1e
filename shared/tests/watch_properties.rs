//! Watch guarantees through the public request API: with random writes and
//! label-filtered watchers opened at random moments, every watcher sees each
//! change that concerns it exactly once, in order, typed as Kubernetes types
//! it (an object entering the selector is ADDED, leaving it is DELETED).

use kubeplay_shared::{ApiServer, Request, Response, Timestamp};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const PODS: &str = "/api/v1/namespaces/default/pods";

#[derive(Debug, Clone)]
enum Op {
    Create(u8, bool),
    Relabel(u8, bool),
    Delete(u8),
    OpenWatch,
    Poll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6, any::<bool>()).prop_map(|(n, web)| Op::Create(n, web)),
        3 => (0u8..6, any::<bool>()).prop_map(|(n, web)| Op::Relabel(n, web)),
        2 => (0u8..6).prop_map(Op::Delete),
        1 => Just(Op::OpenWatch),
        2 => Just(Op::Poll),
    ]
}

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn tier(web: bool) -> &'static str {
    if web {
        "web"
    } else {
        "db"
    }
}

struct Watcher {
    id: kubeplay_shared::apiserver::WatchId,
    seen: Vec<String>,
    expected: Vec<String>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn filtered_watchers_see_each_relevant_change_once_in_order(ops in prop::collection::vec(op(), 1..80)) {
        let mut api = ApiServer::new(3, t0());
        // Model: pod name -> whether it is labelled tier=web.
        let mut model: BTreeMap<String, bool> = BTreeMap::new();
        let mut watchers: Vec<Watcher> = Vec::new();
        for op in ops {
            // (name, was web, is web) for a successful write; None when refused.
            let change: Option<(String, Option<bool>, Option<bool>)> = match op {
                Op::Create(n, web) => {
                    let name = format!("p{n}");
                    let body = json!({"metadata": {"name": name, "labels": {"tier": tier(web)}},
                                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
                    let ok = api.handle(&Request::post(PODS, body.to_string()), t0()).status() == 201;
                    prop_assert_eq!(ok, !model.contains_key(&name));
                    ok.then(|| { model.insert(name.clone(), web); (name, None, Some(web)) })
                }
                Op::Relabel(n, web) => {
                    let name = format!("p{n}");
                    let patch = json!({"metadata": {"labels": {"tier": tier(web)}}}).to_string();
                    let r = api.handle(&Request::patch(&format!("{PODS}/{name}"), "application/merge-patch+json", patch), t0());
                    match model.get(&name).copied() {
                        Some(was) => {
                            prop_assert_eq!(r.status(), 200);
                            model.insert(name.clone(), web);
                            // A no-op write emits nothing.
                            (was != web).then_some((name, Some(was), Some(web)))
                        }
                        None => { prop_assert_eq!(r.status(), 404); None }
                    }
                }
                Op::Delete(n) => {
                    let name = format!("p{n}");
                    let r = api.handle(&Request::delete(&format!("{PODS}/{name}")), t0());
                    match model.remove(&name) {
                        Some(was) => { prop_assert_eq!(r.status(), 200); Some((name, Some(was), None)) }
                        None => { prop_assert_eq!(r.status(), 404); None }
                    }
                }
                Op::OpenWatch => {
                    let rv = api.store().revision();
                    let path = format!("{PODS}?watch=1&labelSelector=tier%3Dweb&resourceVersion={rv}");
                    match api.handle(&Request::get(&path), t0()) {
                        Response::Watch { id, .. } => watchers.push(Watcher { id, seen: Vec::new(), expected: Vec::new() }),
                        other => prop_assert!(false, "not a watch: {:?}", other),
                    }
                    None
                }
                Op::Poll => {
                    for w in &mut watchers {
                        w.seen.extend(api.poll_watch(w.id, t0()).iter().map(describe));
                    }
                    None
                }
            };
            if let Some((name, was, is)) = change {
                let expected = match (was == Some(true), is == Some(true)) {
                    (false, true) => Some(format!("ADDED {name}")),
                    (true, false) => Some(format!("DELETED {name}")),
                    (true, true) => Some(format!("MODIFIED {name}")),
                    (false, false) => None,
                };
                if let Some(e) = expected {
                    watchers.iter_mut().for_each(|w| w.expected.push(e.clone()));
                }
            }
        }
        for w in &mut watchers {
            w.seen.extend(api.poll_watch(w.id, t0()).iter().map(describe));
            prop_assert_eq!(&w.seen, &w.expected);
        }
    }
}

fn describe(event: &Value) -> String {
    format!("{} {}", event["type"].as_str().unwrap_or("?"), event["object"]["metadata"]["name"].as_str().unwrap_or("?"))
}
