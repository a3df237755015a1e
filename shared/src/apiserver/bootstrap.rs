//! The objects every Kubernetes cluster starts with: its system namespaces, the
//! `kubernetes` Service in `default` with the API server's endpoints, and the
//! playground's default IngressClass.

use super::{ApiServer, WriteOptions};
use crate::api::resources;
use jiff::Timestamp;
use serde_json::json;

pub const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

pub(super) fn install(api: &mut ApiServer, now: Timestamp) {
    let (Some(ns), Some(svc)) = (resources::by_plural("", "v1", "namespaces"), resources::by_plural("", "v1", "services")) else {
        return;
    };
    for name in SYSTEM_NAMESPACES {
        let obj = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        });
        // A fresh store cannot refuse these; a failure here would be a bug in defaults.
        let _ = api.create(ns, "", obj, now, WriteOptions::default());
    }
    let kubernetes = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {
            "clusterIP": "10.96.0.1",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None", "type": "ClusterIP",
        },
    });
    let _ = api.create(svc, "default", kubernetes, now, WriteOptions::default());
    // The API server's own address, as `kubectl get endpoints kubernetes` shows it.
    if let Some(ep) = resources::by_plural("", "v1", "endpoints") {
        let endpoints = json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": API_SERVER_IP}], "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}],
        });
        let _ = api.create(ep, "default", endpoints, now, WriteOptions::default());
    }
    if let Some(ic) = resources::by_plural("networking.k8s.io", "v1", "ingressclasses") {
        let _ = api.create(ic, "", crate::controllers::ingress::ingress_class(), now, WriteOptions::default());
    }
}

/// Where the playground says its API server listens (a kind control-plane node's address).
pub const API_SERVER_IP: &str = "172.18.0.2";
