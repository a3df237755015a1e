//! The environment a process sees in a container: the image's defaults, what the
//! pod spec sets (through `sim::env`), and what the kubelet injects itself.
//!
//! The kubelet adds Docker-link-style variables for the Services of the pod's
//! namespace that existed when the pod started, so a Service created later is not in `env`.

use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use crate::sim::env::container_env;
use serde_json::Value;

/// The default search path of the images in the catalog.
pub const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What the kubelet calls a Service in variable names: `my-api` → `MY_API`.
fn link_name(service: &str) -> String {
    service.to_ascii_uppercase().replace('-', "_")
}

/// The variables of one Service, as the kubelet's `FromServices` writes them.
pub fn service_variables(service: &Value) -> Vec<(String, String)> {
    let ip = service.pointer("/spec/clusterIP").and_then(Value::as_str).unwrap_or("");
    if ip.is_empty() || ip == "None" {
        return Vec::new();
    }
    let ports: &[Value] = service.pointer("/spec/ports").and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let Some(first) = ports.first() else {
        return Vec::new();
    };
    let name = link_name(meta::name(service));
    let port_of = |p: &Value| p.get("port").and_then(Value::as_i64).unwrap_or(0);
    let proto_of = |p: &Value| p.get("protocol").and_then(Value::as_str).unwrap_or("TCP").to_string();
    let mut out = vec![
        (format!("{name}_SERVICE_HOST"), ip.to_string()),
        (format!("{name}_SERVICE_PORT"), port_of(first).to_string()),
    ];
    for p in ports {
        if let Some(port_name) = p.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) {
            out.push((format!("{name}_SERVICE_PORT_{}", link_name(port_name)), port_of(p).to_string()));
        }
    }
    out.push((format!("{name}_PORT"), format!("{}://{ip}:{}", proto_of(first).to_ascii_lowercase(), port_of(first))));
    for p in ports {
        let (port, proto) = (port_of(p), proto_of(p));
        let prefix = format!("{name}_PORT_{port}_{proto}");
        out.push((prefix.clone(), format!("{}://{ip}:{port}", proto.to_ascii_lowercase())));
        out.push((format!("{prefix}_PROTO"), proto.to_ascii_lowercase()));
        out.push((format!("{prefix}_PORT"), port.to_string()));
        out.push((format!("{prefix}_ADDR"), ip.to_string()));
    }
    out
}

fn created_at(obj: &Value) -> Option<jiff::Timestamp> {
    obj.pointer("/metadata/creationTimestamp").and_then(Value::as_str)?.parse().ok()
}

/// Services whose variables a pod gets: its namespace's (with `enableServiceLinks`,
/// the default) and always `kubernetes` in `default`, if they existed when it started.
fn linked_services(api: &ApiServer, pod: &Value) -> Vec<Value> {
    let Some(r) = resources::by_plural("", "v1", "services") else {
        return Vec::new();
    };
    let started = pod
        .pointer("/status/startTime")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<jiff::Timestamp>().ok());
    let existed = |s: &Value| match (started, created_at(s)) {
        (Some(started), Some(created)) => created <= started,
        _ => true,
    };
    let ns = meta::namespace(pod);
    let links = pod.pointer("/spec/enableServiceLinks").and_then(Value::as_bool).unwrap_or(true);
    let mut out: Vec<Value> = Vec::new();
    if links {
        out.extend(api.list(r, Some(ns)).filter(|s| existed(s)).map(|s| (**s).clone()));
    }
    if !(links && ns == "default") {
        if let Ok(k) = api.get(r, "default", "kubernetes") {
            out.push((**k).clone());
        }
    }
    out
}

/// A container's environment as `env` prints it in an exec: image defaults, the
/// spec's variables (which win), then the Service variables the spec does not set.
pub fn exec_environment(api: &ApiServer, pod: &Value, container: &Value, home: &str) -> Vec<(String, String)> {
    let hostname = pod
        .pointer("/spec/hostname")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| meta::name(pod));
    let mut env: Vec<(String, String)> = vec![("PATH".into(), PATH.into()), ("HOSTNAME".into(), hostname.into())];
    // A container whose config no longer resolves still started with it; show what resolves.
    let spec_env = container_env(api, pod, container).unwrap_or_default();
    let set = |env: &mut Vec<(String, String)>, k: String, v: String, overwrite: bool| {
        match env.iter_mut().find(|(n, _)| *n == k) {
            Some(slot) if overwrite => slot.1 = v,
            Some(_) => {}
            None => env.push((k, v)),
        }
    };
    for (k, v) in spec_env {
        set(&mut env, k, v, true);
    }
    for svc in linked_services(api, pod) {
        for (k, v) in service_variables(&svc) {
            set(&mut env, k, v, false);
        }
    }
    set(&mut env, "HOME".into(), home.into(), false);
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::WriteOptions;
    use jiff::Timestamp;
    use serde_json::json;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_service_gets_docker_link_variables() {
        let svc = json!({"metadata": {"name": "my-api-service"}, "spec": {"clusterIP": "10.96.3.4",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}});
        let vars = service_variables(&svc);
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("MY_API_SERVICE_SERVICE_HOST"), Some("10.96.3.4"));
        assert_eq!(get("MY_API_SERVICE_SERVICE_PORT"), Some("80"));
        assert_eq!(get("MY_API_SERVICE_SERVICE_PORT_HTTP"), Some("80"));
        assert_eq!(get("MY_API_SERVICE_PORT"), Some("tcp://10.96.3.4:80"));
        assert_eq!(get("MY_API_SERVICE_PORT_80_TCP_ADDR"), Some("10.96.3.4"));
        assert_eq!(get("MY_API_SERVICE_PORT_80_TCP_PROTO"), Some("tcp"));
        let headless = json!({"metadata": {"name": "db"}, "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}});
        assert!(service_variables(&headless).is_empty());
    }

    #[test]
    fn only_services_older_than_the_pod_are_linked_and_the_spec_wins() {
        let t0 = at("2026-01-01T00:00:00Z");
        let mut api = ApiServer::new(1, t0);
        let svcs = resources::by_plural("", "v1", "services").unwrap();
        let early = json!({"metadata": {"name": "early"}, "spec": {"ports": [{"port": 80}]}});
        api.create(svcs, "default", early, t0, WriteOptions::default()).unwrap();
        let late = json!({"metadata": {"name": "late"}, "spec": {"ports": [{"port": 80}]}});
        api.create(svcs, "default", late, at("2026-01-01T00:05:00Z"), WriteOptions::default()).unwrap();
        let pod = json!({"metadata": {"name": "web-1", "namespace": "default"}, "status": {"startTime": "2026-01-01T00:01:00Z"}});
        let container = json!({"name": "app", "env": [{"name": "EARLY_SERVICE_PORT", "value": "mine"}]});
        let env = exec_environment(&api, &pod, &container, "/root");
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("HOSTNAME"), Some("web-1"));
        assert_eq!(get("KUBERNETES_SERVICE_HOST"), Some("10.96.0.1"));
        assert_eq!(get("KUBERNETES_SERVICE_PORT_HTTPS"), Some("443"));
        assert_eq!(get("EARLY_SERVICE_PORT"), Some("mine"));
        assert!(get("EARLY_SERVICE_HOST").is_some());
        assert_eq!(get("LATE_SERVICE_HOST"), None);
        assert_eq!(get("HOME"), Some("/root"));
    }

    #[test]
    fn pods_elsewhere_still_get_the_kubernetes_service_and_links_can_be_turned_off() {
        let t0 = at("2026-01-01T00:00:00Z");
        let api = ApiServer::new(1, t0);
        let pod = json!({"metadata": {"name": "p", "namespace": "default"}, "spec": {"enableServiceLinks": false}});
        let env = exec_environment(&api, &pod, &json!({"name": "c"}), "/root");
        assert!(env.iter().any(|(k, _)| k == "KUBERNETES_PORT"));
    }
}
