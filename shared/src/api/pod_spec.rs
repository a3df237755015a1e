//! The parts of a pod spec that defaulting, validation and quantity handling all walk,
//! named once here so the container lists and volume sources cannot drift apart.

use serde_json::Value;

/// Every list of containers a pod spec can hold.
pub const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// The container lists a pod is created with; ephemeral containers only arrive
/// later through the `ephemeralcontainers` subresource, so create-time rules skip them.
pub const APP_CONTAINER_LISTS: [&str; 2] = ["containers", "initContainers"];

/// Volume source fields in Kubernetes' declaration order; a volume sets exactly one.
pub const VOLUME_SOURCES: [&str; 30] = [
    "emptyDir",
    "hostPath",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "cinder",
    "cephfs",
    "quobyte",
    "downwardAPI",
    "fc",
    "flexVolume",
    "configMap",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "storageos",
    "projected",
    "scaleIO",
    "csi",
    "ephemeral",
    "image",
];

/// The sources a volume sets (a JSON `null` counts as unset, as it does when
/// Kubernetes decodes into pointer fields), in declaration order.
pub fn volume_sources_set(volume: &Value) -> impl Iterator<Item = (&'static str, &Value)> {
    VOLUME_SOURCES
        .into_iter()
        .filter_map(|src| volume.get(src).filter(|v| !v.is_null()).map(|v| (src, v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn volume_sources_set_skips_null_and_unknown_fields() {
        let vol = json!({"name": "v", "configMap": {"name": "c"}, "secret": null, "emptyDir": {}});
        let set: Vec<&str> = volume_sources_set(&vol).map(|(s, _)| s).collect();
        assert_eq!(set, ["emptyDir", "configMap"]);
    }

    #[test]
    fn a_volume_without_sources_sets_none() {
        assert_eq!(volume_sources_set(&json!({"name": "v"})).count(), 0);
    }
}
