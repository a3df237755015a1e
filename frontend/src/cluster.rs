//! The page's handle on the in-tab control plane: sends API requests, ticks the controllers after
//! each one and remembers when they asked to run next.
//!
//! The clock stays outside (every call takes `now`) so this runs and is tested natively too.

use crate::kinds::ObjectKind;
use crate::table::{Table, ACCEPT_TABLE};
use kubeplay_shared::{ControlPlane, Request, Response, Timestamp};
use serde_json::Value;

/// Why a request yielded nothing to show, worded with the API's own message.
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
    #[error("GET {path}: {source}")]
    NotATable {
        path: String,
        source: crate::table::TableError,
    },
}

/// The worker nodes a new playground starts with: laptop-sized, as on kind.
fn default_nodes() -> Vec<kubeplay_shared::sim::nodes::NodeSpec> {
    (1..=3)
        .map(|i| kubeplay_shared::sim::nodes::NodeSpec {
            name: format!("node-{i}"),
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: 110,
        })
        .collect()
}

/// The control plane (API server plus controllers) that lives in this tab.
pub struct Cluster {
    core: ControlPlane,
    /// When the controllers last asked to be ticked again; `None` while they wait for nothing.
    wake: Option<Timestamp>,
}

impl Cluster {
    /// A fresh cluster with Kubernetes' initial objects stamped `now`, and
    /// three simulated worker nodes so what students apply has somewhere to run.
    pub fn new(seed: u64, now: Timestamp) -> Self {
        let mut core = ControlPlane::new(seed, now);
        for spec in default_nodes() {
            // A fresh cluster has no nodes yet, so adding these cannot clash.
            let _ = kubeplay_shared::sim::nodes::add_node(core.api_mut(), &spec, now);
        }
        let mut cluster = Self { core, wake: None };
        cluster.tick(now);
        cluster
    }

    /// Lets the controllers catch up to `now`; returns when they want to run again.
    pub fn tick(&mut self, now: Timestamp) -> Option<Timestamp> {
        self.wake = self.core.tick(now);
        self.wake
    }

    /// The time the last tick asked to be woken at.
    pub fn wake(&self) -> Option<Timestamp> {
        self.wake
    }

    /// Serves `req`, then ticks so controllers react to what it changed.
    pub fn request(&mut self, req: &Request, now: Timestamp) -> Response {
        let response = self.core.api_mut().handle(req, now);
        self.tick(now);
        response
    }

    /// Names of all namespaces, in the order the API lists them.
    pub fn namespaces(&mut self, now: Timestamp) -> Result<Vec<String>, ClusterError> {
        let path = "/api/v1/namespaces";
        let body = self.get(&Request::get(path), now)?;
        let items = body
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| ClusterError::NotAList { path: path.into() })?;
        Ok(items
            .iter()
            .filter_map(|ns| ns.pointer("/metadata/name").and_then(Value::as_str))
            .map(str::to_string)
            .collect())
    }

    /// The objects of `kind` in `namespace` as the server prints them for `kubectl get`.
    pub fn objects(
        &mut self,
        kind: ObjectKind,
        namespace: &str,
        now: Timestamp,
    ) -> Result<Table, ClusterError> {
        let path = kind.list_path(namespace);
        let body = self.get(
            &Request::get(&path).with_header("Accept", ACCEPT_TABLE),
            now,
        )?;
        Table::from_json(&body).map_err(|source| ClusterError::NotATable { path, source })
    }

    /// The body of a successful GET, or the API's refusal.
    fn get(&mut self, req: &Request, now: Timestamp) -> Result<Value, ClusterError> {
        let response = self.request(req, now);
        let body = response.json_body();
        let code = response.status();
        if code == 200 {
            return Ok(body);
        }
        let message = body.get("message").and_then(Value::as_str);
        Err(ClusterError::Rejected {
            path: req.path.clone(),
            code,
            message: message.unwrap_or("no message").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2025-06-01T12:00:00Z".parse().unwrap()
    }

    fn create_pod(cluster: &mut Cluster, at: Timestamp) {
        let body = serde_json::to_vec(&kubeplay_shared::workload::pod_manifest(0)).unwrap();
        let req = Request::post("/api/v1/namespaces/default/pods", body);
        assert_eq!(cluster.request(&req, at).status(), 201);
    }

    #[test]
    fn a_new_cluster_lists_kubernetes_initial_namespaces() {
        let names = Cluster::new(1, now()).namespaces(now()).unwrap();
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            assert!(names.iter().any(|n| n == ns), "{ns} missing from {names:?}");
        }
    }

    #[test]
    fn pods_are_listed_with_the_columns_kubectl_get_prints() {
        let mut cluster = Cluster::new(1, now());
        create_pod(&mut cluster, now());
        let table = cluster.objects(ObjectKind::Pod, "default", now()).unwrap();
        assert_eq!(
            table.columns,
            ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        );
        let names: Vec<_> = table.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["bench-0"]);
        assert_eq!(table.rows[0].cells[0], "bench-0");
    }

    #[test]
    fn ages_advance_with_the_clock_passed_in() {
        let mut cluster = Cluster::new(1, now());
        create_pod(&mut cluster, now());
        let later = "2025-06-01T12:01:30Z".parse().unwrap();
        let table = cluster.objects(ObjectKind::Pod, "default", later).unwrap();
        let age = table.columns.iter().position(|c| c == "AGE").unwrap();
        assert_eq!(table.rows[0].cells[age], "90s");
    }

    #[test]
    fn unknown_resource_surfaces_the_api_status_code() {
        let mut cluster = Cluster::new(1, now());
        let err = cluster
            .get(
                &Request::get("/api/v1/namespaces/default/nosuchthings"),
                now(),
            )
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
