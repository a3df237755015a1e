//! The objects every Kubernetes cluster starts with: its system namespaces and
//! the `kubernetes` Service in `default`.

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
}
