//! The `pods/binding` subresource: how the scheduler assigns a pod to a node.
//! It is the one write that may set `spec.nodeName`, and only once.

use super::{format_time, store_error, ApiError, ApiServer, Reason};
use crate::api::{meta, resources};
use crate::store::Key;
use jiff::Timestamp;
use serde_json::{json, Value};
use std::sync::Arc;

impl ApiServer {
    /// Binds pod `namespace/name` to `node`, marking it `PodScheduled`.
    pub fn bind(&mut self, namespace: &str, name: &str, node: &str, now: Timestamp) -> Result<Arc<Value>, ApiError> {
        let pods = resources::by_plural("", "v1", "pods").ok_or_else(|| ApiError::internal("pods are not served"))?;
        let key = Key::new(pods, namespace, name);
        let pod = self.store.get(&key).cloned().ok_or_else(|| ApiError::not_found("", "pods", name))?;
        if node.is_empty() {
            return Err(ApiError::invalid("", "Binding", name, vec![crate::api::validation::FieldError::required("target.name", "")]));
        }
        let bound = pod.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("");
        if !bound.is_empty() {
            return Err(ApiError::conflict("", "pods", name, &format!("pod {name} is already assigned to node {bound:?}")));
        }
        if meta::is_terminating(&pod) {
            return Err(ApiError::new(Reason::Conflict, format!("pod {name} is being deleted, cannot be assigned to a host")));
        }
        let mut obj = (*pod).clone();
        obj["spec"]["nodeName"] = json!(node);
        let scheduled = json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": format_time(now)});
        let conditions = obj["status"]["conditions"].as_array().cloned().unwrap_or_default();
        let mut conditions: Vec<Value> = conditions.into_iter().filter(|c| c["type"] != "PodScheduled").collect();
        conditions.push(scheduled);
        obj["status"]["conditions"] = json!(conditions);
        let rv = crate::store::stored_revision(&pod);
        self.store.update(&key, obj, Some(rv)).map_err(|e| store_error(pods, name, e))
    }
}

#[cfg(test)]
mod tests {
    use crate::apiserver::{ApiServer, Request};
    use jiff::Timestamp;
    use serde_json::json;

    #[test]
    fn a_pod_is_bound_once() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut api = ApiServer::new(1, t0);
        let pod = json!({"metadata": {"name": "web"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        api.handle(&Request::post("/api/v1/namespaces/default/pods", pod.to_string()), t0);
        let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"}, "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}});
        let r = api.handle(&Request::post("/api/v1/namespaces/default/pods/web/binding", binding.to_string()), t0);
        assert_eq!(r.status(), 201);
        let p = api.handle(&Request::get("/api/v1/namespaces/default/pods/web"), t0).json_body();
        assert_eq!(p["spec"]["nodeName"], "node-1");
        assert_eq!(p["status"]["conditions"][0]["type"], "PodScheduled");
        let again = api.handle(&Request::post("/api/v1/namespaces/default/pods/web/binding", binding.to_string()), t0);
        assert_eq!(again.status(), 409);
    }
}
