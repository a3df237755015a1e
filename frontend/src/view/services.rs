//! Services and Ingresses as the map draws them: what each Service selects, which of its pods
//! are ready endpoints (and so get traffic), and how Ingress rules route to Services.

use super::printed::{cell, cells};
use kubeplay_shared::api::{meta, resources};
use kubeplay_shared::sim::traffic::rps_of;
use kubeplay_shared::{ApiServer, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// One Service lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ServiceView {
    pub namespace: String,
    pub name: String,
    /// kubectl's TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S) and SELECTOR columns.
    #[serde(rename = "type")]
    pub kind: String,
    pub cluster_ip: String,
    pub external_ip: String,
    pub ports: String,
    pub selector: String,
    /// `spec.externalName` for an ExternalName Service.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub external_name: String,
    /// Indices into [`super::ClusterView::pods`] of ready endpoints (they get traffic)...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ready: Vec<u32>,
    /// ...and of selected pods that are not ready (they get none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ready: Vec<u32>,
    /// Simulated load from `kubeplay.dev/traffic-rps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
}

/// One Ingress rule path: `host/path → service:port`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct IngressRoute {
    pub host: String,
    pub path: String,
    pub service: String,
    pub port: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct IngressView {
    pub namespace: String,
    pub name: String,
    pub class: String,
    pub address: String,
    pub routes: Vec<IngressRoute>,
}

/// Every Service, with endpoints resolved to pod indices through `pod_index`.
pub(crate) fn build_services(
    api: &ApiServer,
    pod_index: &HashMap<(&str, &str), u32>,
    now: Timestamp,
) -> Vec<ServiceView> {
    let Some(r) = resources::by_plural("", "v1", "services") else { return Vec::new() };
    let services: Vec<&Value> = api.list(r, None).map(|s| &**s).collect();
    let printed = cells(r, &services, now);
    services
        .iter()
        .zip(&printed)
        .map(|(svc, row)| {
            let (namespace, name) = (meta::namespace(svc), meta::name(svc));
            let (ready, not_ready) = endpoints(api, namespace, name, pod_index);
            ServiceView {
                namespace: namespace.to_string(),
                name: name.to_string(),
                kind: cell(row, 1).to_string(),
                cluster_ip: cell(row, 2).to_string(),
                external_ip: cell(row, 3).to_string(),
                ports: cell(row, 4).to_string(),
                selector: cell(row, 6).to_string(),
                external_name: svc.pointer("/spec/externalName").and_then(Value::as_str).unwrap_or("").to_string(),
                ready,
                not_ready,
                rps: rps_of(svc),
            }
        })
        .collect()
}

/// The pods in a Service's Endpoints, split into ready and not ready addresses.
fn endpoints(
    api: &ApiServer,
    namespace: &str,
    name: &str,
    pod_index: &HashMap<(&str, &str), u32>,
) -> (Vec<u32>, Vec<u32>) {
    let Some(r) = resources::by_plural("", "v1", "endpoints") else { return Default::default() };
    let Ok(ep) = api.get(r, namespace, name) else { return Default::default() };
    let subsets = ep.pointer("/subsets").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let pods_in = |field: &str| {
        let mut found: Vec<u32> = subsets
            .iter()
            .flat_map(|s| s[field].as_array().map(Vec::as_slice).unwrap_or_default())
            .filter(|a| a.pointer("/targetRef/kind").and_then(Value::as_str) == Some("Pod"))
            .filter_map(|a| {
                let pod_ns = a.pointer("/targetRef/namespace").and_then(Value::as_str).unwrap_or(namespace);
                let pod = a.pointer("/targetRef/name").and_then(Value::as_str)?;
                pod_index.get(&(pod_ns, pod)).copied()
            })
            .collect();
        // A pod appears once per port subset; the map draws one flow per pod.
        found.sort_unstable();
        found.dedup();
        found
    };
    (pods_in("addresses"), pods_in("notReadyAddresses"))
}

/// Every Ingress with its rules flattened to routes.
pub(crate) fn build_ingresses(api: &ApiServer) -> Vec<IngressView> {
    let Some(r) = resources::by_plural("networking.k8s.io", "v1", "ingresses") else { return Vec::new() };
    api.list(r, None)
        .map(|ing| {
            let mut routes = Vec::new();
            if let Some(backend) = ing.pointer("/spec/defaultBackend") {
                routes.push(route("*", "", backend));
            }
            for rule in ing.pointer("/spec/rules").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
                let host = rule["host"].as_str().unwrap_or("*");
                let paths = rule.pointer("/http/paths").and_then(Value::as_array);
                for p in paths.map(Vec::as_slice).unwrap_or_default() {
                    routes.push(route(host, p["path"].as_str().unwrap_or("/"), &p["backend"]));
                }
            }
            let address = ing
                .pointer("/status/loadBalancer/ingress/0")
                .and_then(|a| a["ip"].as_str().or_else(|| a["hostname"].as_str()))
                .unwrap_or("")
                .to_string();
            IngressView {
                namespace: meta::namespace(ing).to_string(),
                name: meta::name(ing).to_string(),
                class: ing.pointer("/spec/ingressClassName").and_then(Value::as_str).unwrap_or("").to_string(),
                address,
                routes,
            }
        })
        .collect()
}

fn route(host: &str, path: &str, backend: &Value) -> IngressRoute {
    let port = backend.pointer("/service/port");
    let port = port
        .and_then(|p| p["number"].as_u64().map(|n| n.to_string()).or_else(|| p["name"].as_str().map(str::to_string)))
        .unwrap_or_default();
    IngressRoute {
        host: host.to_string(),
        path: path.to_string(),
        service: backend.pointer("/service/name").and_then(Value::as_str).unwrap_or("").to_string(),
        port,
    }
}
