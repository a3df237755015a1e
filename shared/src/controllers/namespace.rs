//! The namespace controller: empties a namespace being deleted, then lets it go
//! by removing its `kubernetes` finalizer.

use super::{Controller, Reconciled};
use crate::api::{meta, resources, RESOURCES};
use crate::apiserver::{ApiServer, DeleteOptions, Propagation, WriteOptions};
use jiff::Timestamp;
use serde_json::{json, Value};

#[derive(Default)]
pub struct NamespaceController {}

fn waits_for_us(ns: &Value) -> bool {
    meta::is_terminating(ns)
        && ns
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| f.iter().any(|x| x.as_str() == Some("kubernetes")))
}

impl Controller for NamespaceController {
    fn name(&self) -> &'static str {
        "namespace-controller"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        let Some(namespaces) = resources::by_plural("", "v1", "namespaces") else {
            return Reconciled::default();
        };
        let terminating: Vec<Value> = api.list(namespaces, None).filter(|n| waits_for_us(n)).map(|n| (**n).clone()).collect();
        let mut wrote = false;
        for ns in terminating {
            let name = meta::name(&ns).to_string();
            let mut remaining = 0;
            for r in RESOURCES.iter().filter(|r| r.namespaced) {
                let content: Vec<(String, bool)> = api
                    .list(r, Some(&name))
                    .map(|o| (meta::name(o).to_string(), meta::is_terminating(o)))
                    .collect();
                remaining += content.len();
                let opts = DeleteOptions { propagation: Some(Propagation::Background), ..DeleteOptions::default() };
                for (obj_name, terminating) in content {
                    if !terminating {
                        wrote |= api.delete(r, &name, &obj_name, &opts, now).is_ok();
                    }
                }
            }
            if remaining == 0 {
                let mut done = ns.clone();
                done["spec"]["finalizers"] = json!([]);
                wrote |= api.update(namespaces, "", &name, done, None, now, WriteOptions::default()).is_ok();
            }
        }
        Reconciled { wrote, requeue_at: None }
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::Request;
    use crate::control_plane::ControlPlane;
    use jiff::Timestamp;
    use serde_json::json;

    #[test]
    fn deleting_a_namespace_removes_everything_inside_then_the_namespace() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut cp = ControlPlane::new(1, t0);
        let api = cp.api_mut();
        api.handle(&Request::post("/api/v1/namespaces", json!({"metadata": {"name": "dev"}}).to_string()), t0);
        api.handle(&Request::post("/api/v1/namespaces/dev/configmaps", json!({"metadata": {"name": "cfg"}}).to_string()), t0);
        let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        api.handle(&Request::post("/api/v1/namespaces/dev/pods", pod.to_string()), t0);
        assert_eq!(api.handle(&Request::delete("/api/v1/namespaces/dev"), t0).status(), 202);
        assert_eq!(cp.api_mut().handle(&Request::get("/api/v1/namespaces/dev/configmaps/cfg"), t0).status(), 200);
        cp.tick(t0);
        let api = cp.api_mut();
        assert_eq!(api.handle(&Request::get("/api/v1/namespaces/dev/configmaps/cfg"), t0).status(), 404);
        assert_eq!(api.handle(&Request::get("/api/v1/namespaces/dev/pods/p"), t0).status(), 404);
        assert_eq!(api.handle(&Request::get("/api/v1/namespaces/dev"), t0).status(), 404);
        // Other namespaces are untouched.
        assert_eq!(api.handle(&Request::get("/api/v1/namespaces/default/services/kubernetes"), t0).status(), 200);
    }
}
