//! The registry of served resources: group, version, kind, plural and scope.
//!
//! Routing, discovery, `kubectl apply`'s kind lookup and the table printers all
//! start here, so a kind is added to Kubeplay by adding one row.

/// One served resource type, as discovery describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Resource {
    /// API group; `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Subresources served besides the main resource.
    pub subresources: &'static [&'static str],
}

impl Resource {
    /// `apiVersion` as it appears in objects: `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`: how Kubernetes names a resource in messages.
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Pod` or `Deployment.apps`: how Kubernetes names a kind in `Invalid` messages.
    pub fn group_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_string()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    /// The REST path of this resource's collection, in `namespace` when namespaced.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.plural),
            None => format!("{base}/{}", self.plural),
        }
    }

    /// The REST path of one object.
    pub fn object_path(&self, namespace: Option<&str>, name: &str) -> String {
        format!("{}/{name}", self.collection_path(namespace))
    }

    pub fn has_subresource(&self, name: &str) -> bool {
        self.subresources.contains(&name)
    }
}

macro_rules! resource {
    ($group:literal, $version:literal, $kind:literal, $plural:literal, $singular:literal, $namespaced:literal, [$($short:literal),*], [$($sub:literal),*]) => {
        Resource {
            group: $group,
            version: $version,
            kind: $kind,
            plural: $plural,
            singular: $singular,
            namespaced: $namespaced,
            short_names: &[$($short),*],
            subresources: &[$($sub),*],
        }
    };
}

/// Every resource Kubeplay serves.
pub static RESOURCES: &[Resource] = &[
    resource!("", "v1", "Namespace", "namespaces", "namespace", false, ["ns"], ["status", "finalize"]),
    resource!("", "v1", "Node", "nodes", "node", false, ["no"], ["status"]),
    resource!("", "v1", "Pod", "pods", "pod", true, ["po"], ["status", "log", "exec", "attach", "portforward", "binding", "eviction"]),
    resource!("", "v1", "Service", "services", "service", true, ["svc"], ["status"]),
    resource!("", "v1", "Endpoints", "endpoints", "endpoints", true, ["ep"], []),
    resource!("", "v1", "ConfigMap", "configmaps", "configmap", true, ["cm"], []),
    resource!("", "v1", "Secret", "secrets", "secret", true, [], []),
    resource!("", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", false, ["pv"], ["status"]),
    resource!("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", true, ["pvc"], ["status"]),
    resource!("", "v1", "Event", "events", "event", true, ["ev"], []),
    resource!("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", true, ["sa"], []),
    resource!("apps", "v1", "Deployment", "deployments", "deployment", true, ["deploy"], ["status", "scale"]),
    resource!("apps", "v1", "ReplicaSet", "replicasets", "replicaset", true, ["rs"], ["status", "scale"]),
    resource!("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", true, [], []),
    resource!("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", true, [], []),
    resource!("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", true, ["ing"], ["status"]),
    resource!("networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", false, [], []),
    resource!("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", false, ["sc"], []),
    resource!("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", true, ["hpa"], ["status"]),
    resource!("coordination.k8s.io", "v1", "Lease", "leases", "lease", true, [], []),
    resource!("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", "", true, [], []),
    resource!("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", "", false, [], []),
];

/// Finds a resource by the URL segments of a request: group, version, plural.
pub fn by_plural(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Finds a resource by an object's `apiVersion` and `kind`.
pub fn by_api_version_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    let (group, version) = split_api_version(api_version);
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.kind == kind)
}

/// Finds the preferred resource for a kind regardless of version (core `Event`
/// wins over `events.k8s.io`, as kubectl's default does).
pub fn by_kind(kind: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.kind == kind)
}

/// Splits `apps/v1` into `("apps", "v1")` and `v1` into `("", "v1")`.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_kinds_are_served() {
        for (av, kind) in [
            ("apps/v1", "Deployment"),
            ("v1", "Service"),
            ("networking.k8s.io/v1", "Ingress"),
            ("v1", "ConfigMap"),
            ("v1", "Secret"),
            ("v1", "PersistentVolumeClaim"),
            ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ] {
            assert!(by_api_version_kind(av, kind).is_some(), "{av} {kind}");
        }
    }

    #[test]
    fn plurals_are_unique_within_a_group_version() {
        for (i, a) in RESOURCES.iter().enumerate() {
            for b in &RESOURCES[i + 1..] {
                assert!(
                    !(a.group == b.group && a.version == b.version && a.plural == b.plural),
                    "{} twice",
                    a.plural
                );
            }
        }
    }

    #[test]
    fn paths_follow_the_rest_layout() {
        let d = by_kind("Deployment").unwrap();
        assert_eq!(d.object_path(Some("default"), "web"), "/apis/apps/v1/namespaces/default/deployments/web");
        let ns = by_kind("Namespace").unwrap();
        assert_eq!(ns.collection_path(Some("ignored")), "/api/v1/namespaces");
    }

    #[test]
    fn names_read_like_kubernetes() {
        let d = by_kind("Deployment").unwrap();
        assert_eq!(d.api_version(), "apps/v1");
        assert_eq!(d.group_resource(), "deployments.apps");
        assert_eq!(by_kind("Pod").unwrap().group_kind(), "Pod");
    }
}
