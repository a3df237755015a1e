//! What simulated processes leave on disk: a PersistentVolume's data outlives
//! pods and nodes, an emptyDir's data goes with its pod, so persistence is observable.
//!
//! Claims resolve to the volume they are bound to, as the kubelet mounts them.

use super::env::Volume;
use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Where a mounted volume's data lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataKey {
    /// A PersistentVolume, by name (or a claim not bound yet, by namespace/name).
    Persistent(String),
    /// An emptyDir of one pod.
    Pod { uid: String, volume: String },
}

/// The files a simulated process wrote into a volume, by path within it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Data {
    pub files: BTreeMap<String, String>,
}

/// Every volume's data in the simulated cluster.
#[derive(Debug, Default)]
pub struct VolumeStore {
    data: HashMap<DataKey, Data>,
}

impl VolumeStore {
    /// The data of `key`, empty if nothing was ever written there.
    pub fn data(&self, key: &DataKey) -> Option<&Data> {
        self.data.get(key)
    }

    pub fn data_mut(&mut self, key: &DataKey) -> &mut Data {
        self.data.entry(key.clone()).or_default()
    }

    /// Every volume's data, for snapshots.
    pub fn entries(&self) -> impl Iterator<Item = (&DataKey, &Data)> {
        self.data.iter()
    }

    /// Forgets a pod's emptyDir volumes (the pod is gone).
    pub fn drop_pod(&mut self, uid: &str) {
        self.data
            .retain(|k, _| !matches!(k, DataKey::Pod { uid: u, .. } if u == uid));
    }
}

/// Where the volume mounted at (or above) `path` in `container` keeps its data;
/// `None` when the path is on the container's own, throw-away filesystem.
pub fn mounted_at(
    api: &ApiServer,
    pod: &Value,
    volumes: &[Volume],
    container: &Value,
    path: &str,
) -> Option<DataKey> {
    let mount = container
        .get("volumeMounts")
        .and_then(Value::as_array)?
        .iter()
        .filter(|m| {
            let at = m
                .get("mountPath")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim_end_matches('/');
            path == at || path.starts_with(&format!("{at}/"))
        })
        .max_by_key(|m| {
            m.get("mountPath")
                .and_then(Value::as_str)
                .map_or(0, str::len)
        })?;
    let name = mount.get("name").and_then(Value::as_str)?;
    match volumes.iter().find(|v| volume_name(v) == name)? {
        Volume::EmptyDir { .. } => Some(DataKey::Pod {
            uid: meta::uid(pod).to_string(),
            volume: name.to_string(),
        }),
        Volume::Claim { claim, .. } => {
            let ns = meta::namespace(pod);
            let bound = resources::by_plural("", "v1", "persistentvolumeclaims")
                .and_then(|r| api.get(r, ns, claim).ok())
                .and_then(|c| {
                    c.pointer("/spec/volumeName")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .filter(|v| !v.is_empty());
            Some(DataKey::Persistent(
                bound.unwrap_or_else(|| format!("{ns}/{claim}")),
            ))
        }
        Volume::Files { .. } | Volume::Other { .. } => None,
    }
}

fn volume_name(v: &Volume) -> &str {
    match v {
        Volume::Files { name, .. }
        | Volume::EmptyDir { name }
        | Volume::Claim { name, .. }
        | Volume::Other { name } => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use serde_json::json;

    #[test]
    fn the_deepest_mount_holds_a_path_and_empty_dirs_belong_to_their_pod() {
        let api = ApiServer::new(1, Timestamp::UNIX_EPOCH);
        let pod = json!({"metadata": {"uid": "u1", "namespace": "default"}});
        let container = json!({"volumeMounts": [
            {"name": "root", "mountPath": "/var"},
            {"name": "scratch", "mountPath": "/var/lib/postgresql/"}]});
        let volumes = vec![
            Volume::Other {
                name: "root".into(),
            },
            Volume::EmptyDir {
                name: "scratch".into(),
            },
        ];
        let key = mounted_at(&api, &pod, &volumes, &container, "/var/lib/postgresql/data");
        assert_eq!(
            key,
            Some(DataKey::Pod {
                uid: "u1".into(),
                volume: "scratch".into()
            })
        );
        assert_eq!(mounted_at(&api, &pod, &volumes, &container, "/data"), None);

        let mut store = VolumeStore::default();
        let key = key.unwrap();
        store
            .data_mut(&key)
            .files
            .insert("PG_VERSION".into(), "16".into());
        store
            .data_mut(&DataKey::Persistent("pv-1".into()))
            .files
            .insert("f".into(), "x".into());
        store.drop_pod("u1");
        assert!(store.data(&key).is_none());
        assert!(store.data(&DataKey::Persistent("pv-1".into())).is_some());
    }
}
