//! How the runtime marks what it creates: labels that let a restarted agent find, adopt or
//! remove every container and volume, and kubelet-style container names.

use super::PodRef;
use std::collections::BTreeMap;

pub const MANAGED: &str = "kubeplay.dev/managed";
/// The node that created it: several nodes (agents) may share one Docker engine.
pub const NODE: &str = "kubeplay.dev/node";
pub const POD_UID: &str = "kubeplay.dev/pod-uid";
pub const POD_NAMESPACE: &str = "kubeplay.dev/pod-namespace";
pub const POD_NAME: &str = "kubeplay.dev/pod-name";
pub const CONTAINER_NAME: &str = "kubeplay.dev/container-name";
pub const RESTART_COUNT: &str = "kubeplay.dev/restart-count";
/// Set on named volumes: the PersistentVolume (claims) or pod (memory emptyDirs) they serve.
pub const VOLUME_OWNER: &str = "kubeplay.dev/volume-owner";

/// The infra container's name in labels and names, as the kubelet calls it.
pub const INFRA: &str = "POD";

/// Labels of one container of `pod` (`container` is [`INFRA`] for the infra container).
pub fn container_labels(
    pod: &PodRef,
    container: &str,
    restart_count: u32,
) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED.to_string(), "true".to_string()),
        (POD_UID.to_string(), pod.uid.clone()),
        (POD_NAMESPACE.to_string(), pod.namespace.clone()),
        (POD_NAME.to_string(), pod.name.clone()),
        (CONTAINER_NAME.to_string(), container.to_string()),
        (RESTART_COUNT.to_string(), restart_count.to_string()),
    ])
}

/// `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`, the name dockershim gave containers.
pub fn container_name(pod: &PodRef, container: &str, attempt: u32) -> String {
    format!(
        "k8s_{container}_{}_{}_{}_{attempt}",
        pod.name, pod.namespace, pod.uid
    )
}

/// The pod and container a managed container belongs to, read back from its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub pod: PodRef,
    pub container: String,
    pub restart_count: u32,
}

pub fn owner(labels: &BTreeMap<String, String>) -> Option<Owner> {
    if labels.get(MANAGED).map(String::as_str) != Some("true") {
        return None;
    }
    Some(Owner {
        pod: PodRef {
            uid: labels.get(POD_UID)?.clone(),
            namespace: labels.get(POD_NAMESPACE)?.clone(),
            name: labels.get(POD_NAME)?.clone(),
        },
        container: labels.get(CONTAINER_NAME)?.clone(),
        restart_count: labels.get(RESTART_COUNT)?.parse().ok()?,
    })
}

/// The named Docker volume holding a PersistentVolume's data; it outlives every pod.
pub fn claim_volume(persistent_volume: &str) -> String {
    format!("kubeplay-pv-{persistent_volume}")
}

/// The named Docker volume (tmpfs) of a `medium: Memory` emptyDir, shared by the pod's containers.
pub fn memory_volume(pod: &PodRef, volume: &str) -> String {
    format!("kubeplay-mem-{}-{volume}", pod.uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> PodRef {
        PodRef {
            uid: "u-1".into(),
            namespace: "default".into(),
            name: "web".into(),
        }
    }

    #[test]
    fn labels_read_back_to_their_owner() {
        let labels = container_labels(&pod(), "nginx", 3);
        assert_eq!(
            owner(&labels),
            Some(Owner {
                pod: pod(),
                container: "nginx".into(),
                restart_count: 3
            })
        );
    }

    #[test]
    fn containers_without_the_managed_label_belong_to_nobody() {
        let mut labels = container_labels(&pod(), "nginx", 0);
        labels.remove(MANAGED);
        assert_eq!(owner(&labels), None);
    }

    #[test]
    fn names_follow_the_kubelet_pattern() {
        assert_eq!(
            container_name(&pod(), "nginx", 2),
            "k8s_nginx_web_default_u-1_2"
        );
        assert_eq!(
            container_name(&pod(), INFRA, 0),
            "k8s_POD_web_default_u-1_0"
        );
    }
}
