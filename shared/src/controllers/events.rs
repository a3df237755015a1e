//! Recording Events, as every Kubernetes component does: the same thing
//! happening again to the same object bumps one Event's `count` and
//! `lastTimestamp` instead of piling up new Events, so `kubectl describe`
//! shows `x4 over 2m` rather than four lines.

use crate::api::{meta, resources};
use crate::apiserver::{format_time, ApiServer, WriteOptions};
use jiff::Timestamp;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `Normal` or `Warning`, the two Event types Kubernetes has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }
}

/// Writes Events for one component (`default-scheduler`, `kubelet`, `deployment-controller`, …).
#[derive(Debug)]
pub struct EventRecorder {
    component: &'static str,
    /// The node, for kubelet events (`source.host`).
    host: Option<String>,
    /// (object uid, type, reason, message) → the Event's namespace and name, for aggregation.
    seen: HashMap<(String, EventType, String, String), (String, String)>,
    /// Keeps names unique when several Events share a timestamp.
    sequence: u64,
}

impl EventRecorder {
    pub fn new(component: &'static str) -> Self {
        Self { component, host: None, seen: HashMap::new(), sequence: 0 }
    }

    pub fn for_host(component: &'static str, host: impl Into<String>) -> Self {
        Self { component, host: Some(host.into()), seen: HashMap::new(), sequence: 0 }
    }

    /// `<object>.<hex nanoseconds>`, the naming client-go's recorder uses.
    fn event_name(&mut self, object: &str, now: Timestamp) -> String {
        self.sequence += 1;
        let nanos = u128::try_from(now.as_nanosecond()).unwrap_or(0) + u128::from(self.sequence);
        format!("{object}.{nanos:x}")
    }

    /// Records that `reason` happened to `object` (any stored object) at `now`.
    /// Failures to record are dropped: an Event is never worth failing the action it describes.
    pub fn record(&mut self, api: &mut ApiServer, object: &Value, kind: EventType, reason: &str, message: &str, now: Timestamp) {
        let uid = meta::uid(object).to_string();
        let key = (uid.clone(), kind, reason.to_string(), message.to_string());
        let Some(events) = resources::by_plural("", "v1", "events") else { return };
        if let Some((ns, name)) = self.seen.get(&key) {
            if let Ok(existing) = api.get(events, ns, name) {
                let mut e = (**existing).clone();
                let count = e["count"].as_i64().unwrap_or(1) + 1;
                e["count"] = json!(count);
                e["lastTimestamp"] = json!(format_time(now));
                let (ns, name) = (ns.clone(), name.clone());
                if api.update(events, &ns, &name, e, None, now, WriteOptions::default()).is_ok() {
                    return;
                }
            }
        }
        // Events of cluster-scoped objects (nodes) live in `default`, as in Kubernetes.
        let namespace = match meta::namespace(object) {
            "" => "default".to_string(),
            ns => ns.to_string(),
        };
        let mut source = json!({"component": self.component});
        if let Some(h) = &self.host {
            source["host"] = json!(h);
        }
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": self.event_name(meta::name(object), now), "namespace": namespace},
            "involvedObject": involved(object),
            "reason": reason,
            "message": message,
            "type": kind.as_str(),
            "count": 1,
            "firstTimestamp": format_time(now),
            "lastTimestamp": format_time(now),
            "source": source,
            "reportingComponent": self.component,
            "reportingInstance": self.host.as_deref().unwrap_or(""),
        });
        // Another recorder may have taken the same name in the same instant:
        // try the next one, as the sequence makes them unique per recorder.
        let mut event = event;
        for _ in 0..4 {
            match api.create(events, &namespace, event.clone(), now, WriteOptions::default()) {
                Ok(created) => {
                    self.seen.insert(key, (namespace, meta::name(&created).to_string()));
                    return;
                }
                Err(e) if e.reason == crate::apiserver::Reason::AlreadyExists => {
                    event["metadata"]["name"] = json!(self.event_name(meta::name(object), now));
                }
                Err(_) => return,
            }
        }
    }
}

/// The `involvedObject` reference `kubectl describe` uses to find an object's Events.
fn involved(object: &Value) -> Value {
    let mut r = json!({
        "kind": meta::kind(object),
        "name": meta::name(object),
        "uid": meta::uid(object),
        "apiVersion": meta::api_version(object),
        "resourceVersion": meta::resource_version(object),
    });
    let ns = meta::namespace(object);
    if !ns.is_empty() {
        r["namespace"] = json!(ns);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::Request;

    #[test]
    fn two_recorders_at_the_same_instant_both_get_their_event() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut api = ApiServer::new(1, t0);
        let pod = json!({"metadata": {"name": "web"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        let pod = api.handle(&Request::post("/api/v1/namespaces/default/pods", pod.to_string()), t0).json_body();
        EventRecorder::new("a").record(&mut api, &pod, EventType::Normal, "A", "from a", t0);
        EventRecorder::new("b").record(&mut api, &pod, EventType::Normal, "B", "from b", t0);
        let list = api.handle(&Request::get("/api/v1/namespaces/default/events"), t0).json_body();
        assert_eq!(list["items"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn repeats_are_counted_on_one_event() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let t1: Timestamp = "2026-01-01T00:01:00Z".parse().unwrap();
        let mut api = ApiServer::new(1, t0);
        let pod = json!({"metadata": {"name": "web"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        let pod = api.handle(&Request::post("/api/v1/namespaces/default/pods", pod.to_string()), t0).json_body();
        let mut rec = EventRecorder::for_host("kubelet", "node-1");
        rec.record(&mut api, &pod, EventType::Warning, "BackOff", "Back-off restarting failed container c", t0);
        rec.record(&mut api, &pod, EventType::Warning, "BackOff", "Back-off restarting failed container c", t1);
        rec.record(&mut api, &pod, EventType::Normal, "Pulled", "Container image \"nginx\" already present on machine", t1);
        let list = api
            .handle(&Request::get("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb"), t1)
            .json_body();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        let backoff = items.iter().find(|e| e["reason"] == "BackOff").unwrap();
        assert_eq!(backoff["count"], 2);
        assert_eq!(backoff["firstTimestamp"], "2026-01-01T00:00:00Z");
        assert_eq!(backoff["lastTimestamp"], "2026-01-01T00:01:00Z");
        assert_eq!(backoff["source"], json!({"component": "kubelet", "host": "node-1"}));
        assert_eq!(backoff["involvedObject"]["kind"], "Pod");
        assert!(backoff["metadata"]["name"].as_str().unwrap().starts_with("web.18"));
    }
}
