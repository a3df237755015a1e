//! Optimistic concurrency through the public request API: clients doing
//! read-modify-write with the resourceVersion they read never lose an update;
//! a stale write gets 409 Conflict and changes nothing.

use kubeplay_shared::{ApiServer, Request, Timestamp};
use proptest::prelude::*;
use serde_json::{json, Value};

const CM: &str = "/api/v1/namespaces/default/configmaps/counter";

fn t0() -> Timestamp {
    "2026-01-01T00:00:00Z".parse().unwrap()
}

fn count(obj: &Value) -> u64 {
    obj["data"]["n"].as_str().and_then(|n| n.parse().ok()).unwrap_or(0)
}

proptest! {
    #[test]
    fn read_modify_write_clients_lose_no_update(schedule in prop::collection::vec(0usize..4, 1..80)) {
        let mut api = ApiServer::new(9, t0());
        let created = api.handle(&Request::post("/api/v1/namespaces/default/configmaps",
            json!({"metadata": {"name": "counter"}, "data": {"n": "0"}}).to_string()), t0());
        prop_assert_eq!(created.status(), 201);
        let mut held: [Option<Value>; 4] = Default::default();
        let mut accepted = 0u64;
        for client in schedule {
            match held[client].take() {
                None => held[client] = Some(api.handle(&Request::get(CM), t0()).json_body()),
                Some(mut obj) => {
                    let before = api.store().revision();
                    obj["data"]["n"] = json!((count(&obj) + 1).to_string());
                    let r = api.handle(&Request::put(CM, obj.to_string()), t0());
                    match r.status() {
                        200 => accepted += 1,
                        409 => {
                            let body = r.json_body();
                            prop_assert_eq!(body["reason"].as_str(), Some("Conflict"));
                            prop_assert_eq!(api.store().revision(), before, "a refused write changes nothing");
                        }
                        other => prop_assert!(false, "unexpected status {}", other),
                    }
                }
            }
        }
        let fin = api.handle(&Request::get(CM), t0()).json_body();
        prop_assert_eq!(count(&fin), accepted);
    }
}
