//! The object kinds the page lists and where the API serves them.
//!
//! Paths follow Kubernetes' REST layout: core kinds under `/api/v1`, apps kinds under `/apis/apps/v1`.

/// A kind shown as a tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Pod,
    Deployment,
    ReplicaSet,
    Service,
    ConfigMap,
    Node,
}

impl ObjectKind {
    /// In the order the tabs show them: what students look at most comes first.
    pub const ALL: [ObjectKind; 6] = [
        Self::Pod,
        Self::Deployment,
        Self::ReplicaSet,
        Self::Service,
        Self::ConfigMap,
        Self::Node,
    ];

    /// The resource name, as in `kubectl get pods`.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Pod => "pods",
            Self::Deployment => "deployments",
            Self::ReplicaSet => "replicasets",
            Self::Service => "services",
            Self::ConfigMap => "configmaps",
            Self::Node => "nodes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pod => "Pods",
            Self::Deployment => "Deployments",
            Self::ReplicaSet => "ReplicaSets",
            Self::Service => "Services",
            Self::ConfigMap => "ConfigMaps",
            Self::Node => "Nodes",
        }
    }

    fn api_prefix(self) -> &'static str {
        match self {
            Self::Pod | Self::Service | Self::ConfigMap | Self::Node => "/api/v1",
            Self::Deployment | Self::ReplicaSet => "/apis/apps/v1",
        }
    }

    /// Nodes belong to the cluster, not to a namespace.
    pub fn namespaced(self) -> bool {
        self != Self::Node
    }

    /// The list endpoint for this kind in `namespace` (ignored for cluster-scoped kinds).
    pub fn list_path(self, namespace: &str) -> String {
        if !self.namespaced() {
            return format!("{}/{}", self.api_prefix(), self.plural());
        }
        format!(
            "{}/namespaces/{namespace}/{}",
            self.api_prefix(),
            self.plural()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_kinds_list_under_api_v1() {
        assert_eq!(
            ObjectKind::Pod.list_path("default"),
            "/api/v1/namespaces/default/pods"
        );
        assert_eq!(
            ObjectKind::ConfigMap.list_path("kube-system"),
            "/api/v1/namespaces/kube-system/configmaps"
        );
    }

    #[test]
    fn nodes_list_without_a_namespace() {
        assert_eq!(ObjectKind::Node.list_path("default"), "/api/v1/nodes");
    }

    #[test]
    fn apps_kinds_list_under_apis_apps_v1() {
        assert_eq!(
            ObjectKind::Deployment.list_path("web"),
            "/apis/apps/v1/namespaces/web/deployments"
        );
        assert_eq!(
            ObjectKind::ReplicaSet.list_path("web"),
            "/apis/apps/v1/namespaces/web/replicasets"
        );
    }
}
