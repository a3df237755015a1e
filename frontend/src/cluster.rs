//! The page's handle on the in-tab control plane: builds API requests, reads list responses.
//!
//! The clock stays outside (every call takes `now`) so this runs and is tested natively too.

use crate::kinds::ObjectKind;
use crate::rows::ObjectRow;
use kubeplay_shared::{ControlPlane, Request, Timestamp};
use serde_json::Value;

/// Why a list request yielded no rows, worded with the API's own message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    #[error("GET {path}: {code} {message}")]
    Rejected {
        path: String,
        code: u16,
        message: String,
    },
    #[error("GET {path}: the response is not a list")]
    NotAList { path: String },
}

/// The control plane (API server plus controllers) that lives in this tab.
pub struct Cluster {
    core: ControlPlane,
}

impl Cluster {
    /// A fresh cluster with Kubernetes' initial objects stamped `now`.
    pub fn new(seed: u64, now: Timestamp) -> Self {
        Self {
            core: ControlPlane::new(seed, now),
        }
    }

    /// Names of all namespaces, in the order the API lists them.
    pub fn namespaces(&mut self, now: Timestamp) -> Result<Vec<String>, ClusterError> {
        let items = self.list("/api/v1/namespaces", now)?;
        Ok(items
            .iter()
            .filter_map(|ns| {
                ns.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect())
    }

    /// One row per object of `kind` in `namespace`.
    pub fn objects(
        &mut self,
        kind: ObjectKind,
        namespace: &str,
        now: Timestamp,
    ) -> Result<Vec<ObjectRow>, ClusterError> {
        let items = self.list(&kind.list_path(namespace), now)?;
        Ok(items
            .iter()
            .map(|obj| ObjectRow::from_object(kind, obj))
            .collect())
    }

    fn list(&mut self, path: &str, now: Timestamp) -> Result<Vec<Value>, ClusterError> {
        let response = self.core.handle(&Request::get(path), now);
        let body = response.json_body();
        let code = response.status();
        if code != 200 {
            let message = body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .to_string();
            return Err(ClusterError::Rejected {
                path: path.to_string(),
                code,
                message,
            });
        }
        match body.get("items") {
            Some(Value::Array(items)) => Ok(items.clone()),
            _ => Err(ClusterError::NotAList {
                path: path.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2025-06-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_new_cluster_lists_kubernetes_initial_namespaces() {
        let names = Cluster::new(1, now()).namespaces(now()).unwrap();
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            assert!(names.iter().any(|n| n == ns), "{ns} missing from {names:?}");
        }
    }

    #[test]
    fn created_pods_appear_as_pending_rows() {
        let mut cluster = Cluster::new(1, now());
        let body = serde_json::to_vec(&kubeplay_shared::workload::pod_manifest(0)).unwrap();
        let created = cluster.core.handle(
            &Request::post("/api/v1/namespaces/default/pods", body),
            now(),
        );
        assert_eq!(created.status(), 201);
        let rows = cluster.objects(ObjectKind::Pod, "default", now()).unwrap();
        assert_eq!(
            rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["bench-0"]
        );
        assert_eq!(rows[0].status, "Pending");
    }

    #[test]
    fn unknown_resource_surfaces_the_api_status_code() {
        let mut cluster = Cluster::new(1, now());
        let err = cluster
            .list("/api/v1/namespaces/default/nosuchthings", now())
            .unwrap_err();
        assert!(
            matches!(err, ClusterError::Rejected { code: 404, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("GET /api/v1/namespaces/default/nosuchthings: 404"),
            "{err}"
        );
    }
}
