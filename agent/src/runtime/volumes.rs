//! A pod's volumes on this machine: emptyDir and projected files as host directories under the
//! agent's state dir, memory emptyDirs and claims as named Docker volumes, hostPath as is; and
//! each container's `volumeMounts` as Docker binds.

use super::engine::{Engine, EngineError};
use super::{labels, PodRef};
use base64::Engine as _;
use kubeplay_shared::node_protocol::ResolvedVolume;
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// Why a pod's volumes could not be set up (reported as `FailedMount`).
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("volume {0:?} is not resolved for this pod")]
    Unresolved(String),
    #[error("invalid path {0:?}: must be relative and stay inside the volume")]
    BadPath(String),
    #[error("file {0:?} is not valid base64")]
    BadData(String),
    #[error("subPath is not supported on volume {0:?} (a named Docker volume)")]
    SubPathOnNamedVolume(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Engine(#[from] EngineError),
}

/// Where a volume's data lives for Docker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory of this machine, bind-mounted.
    HostDir { path: PathBuf, read_only: bool },
    /// A named Docker volume.
    Named { name: String, read_only: bool },
}

/// The directory holding a pod's volumes on this machine.
pub fn pod_dir(state_dir: &Path, pod: &PodRef) -> PathBuf {
    state_dir.join("pods").join(&pod.uid)
}

/// A path below a volume root, refusing absolute paths and `..`.
fn inside(root: &Path, relative: &str) -> Result<PathBuf, VolumeError> {
    let rel = Path::new(relative);
    if relative.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(VolumeError::BadPath(relative.to_string()));
    }
    Ok(root.join(rel))
}

/// Creates every volume of the pod (idempotently: projected files are rewritten).
pub async fn prepare<E: Engine>(
    engine: &E,
    state_dir: &Path,
    pod: &PodRef,
    volumes: &BTreeMap<String, ResolvedVolume>,
) -> Result<BTreeMap<String, Source>, VolumeError> {
    let root = pod_dir(state_dir, pod).join("volumes");
    let mut out = BTreeMap::new();
    for (name, volume) in volumes {
        let source = match volume {
            ResolvedVolume::EmptyDir { memory: false } => {
                let dir = inside(&root, name)?;
                std::fs::create_dir_all(&dir)?;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))?;
                Source::HostDir {
                    path: dir,
                    read_only: false,
                }
            }
            ResolvedVolume::EmptyDir { memory: true } => {
                let volume_name = labels::memory_volume(pod, name);
                let mut l = BTreeMap::from([(labels::MANAGED.to_string(), "true".to_string())]);
                l.insert(labels::VOLUME_OWNER.to_string(), pod.uid.clone());
                engine.ensure_volume(&volume_name, &l, true).await?;
                Source::Named {
                    name: volume_name,
                    read_only: false,
                }
            }
            ResolvedVolume::Files { files } => {
                let dir = inside(&root, name)?;
                if dir.exists() {
                    std::fs::remove_dir_all(&dir)?;
                }
                std::fs::create_dir_all(&dir)?;
                for (path, content) in files {
                    let file = inside(&dir, path)?;
                    let data = base64::engine::general_purpose::STANDARD
                        .decode(&content.data)
                        .map_err(|_| VolumeError::BadData(path.clone()))?;
                    if let Some(parent) = file.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&file, data)?;
                    std::fs::set_permissions(
                        &file,
                        std::fs::Permissions::from_mode(content.mode & 0o7777),
                    )?;
                }
                Source::HostDir {
                    path: dir,
                    read_only: true,
                }
            }
            ResolvedVolume::HostPath { path } => Source::HostDir {
                path: PathBuf::from(path),
                read_only: false,
            },
            ResolvedVolume::Claim { volume, read_only } => {
                let volume_name = labels::claim_volume(volume);
                let mut l = BTreeMap::from([(labels::MANAGED.to_string(), "true".to_string())]);
                l.insert(labels::VOLUME_OWNER.to_string(), volume.clone());
                engine.ensure_volume(&volume_name, &l, false).await?;
                Source::Named {
                    name: volume_name,
                    read_only: *read_only,
                }
            }
        };
        out.insert(name.clone(), source);
    }
    Ok(out)
}

/// The Docker binds of one container from its `volumeMounts`.
pub fn binds(
    container: &Value,
    sources: &BTreeMap<String, Source>,
) -> Result<Vec<String>, VolumeError> {
    let mut out = Vec::new();
    for mount in container
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = mount
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let target = mount
            .get("mountPath")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let sub_path = mount
            .get("subPath")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let mount_ro = mount
            .get("readOnly")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let source = sources
            .get(name)
            .ok_or_else(|| VolumeError::Unresolved(name.to_string()))?;
        let (from, read_only) = match (source, sub_path) {
            (Source::HostDir { path, read_only }, None) => (path.display().to_string(), *read_only),
            (Source::HostDir { path, read_only }, Some(sub)) => {
                let sub = inside(path, sub)?;
                if !sub.exists() && !*read_only {
                    std::fs::create_dir_all(&sub)?;
                }
                (sub.display().to_string(), *read_only)
            }
            (Source::Named { name, read_only }, None) => (name.clone(), *read_only),
            (Source::Named { .. }, Some(_)) => {
                return Err(VolumeError::SubPathOnNamedVolume(name.to_string()))
            }
        };
        let suffix = if read_only || mount_ro { ":ro" } else { "" };
        out.push(format!("{from}:{target}{suffix}"));
    }
    Ok(out)
}

/// Removes the pod's host directories and memory volumes (claims stay).
pub async fn cleanup<E: Engine>(
    engine: &E,
    state_dir: &Path,
    pod: &PodRef,
    volumes: &BTreeMap<String, ResolvedVolume>,
) -> Result<(), VolumeError> {
    for (name, volume) in volumes {
        if let ResolvedVolume::EmptyDir { memory: true } = volume {
            engine
                .remove_volume(&labels::memory_volume(pod, name))
                .await?;
        }
    }
    let dir = pod_dir(state_dir, pod);
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mounts_become_binds_with_read_only_and_sub_paths() {
        let dir = std::env::temp_dir().join(format!("kubeplay-binds-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("cfg")).unwrap();
        let sources = BTreeMap::from([
            (
                "cfg".to_string(),
                Source::HostDir {
                    path: dir.join("cfg"),
                    read_only: true,
                },
            ),
            (
                "data".to_string(),
                Source::Named {
                    name: "kubeplay-pv-pv1".into(),
                    read_only: false,
                },
            ),
        ]);
        let c = json!({"volumeMounts": [
            {"name": "cfg", "mountPath": "/etc/app"},
            {"name": "cfg", "mountPath": "/etc/one.conf", "subPath": "one.conf"},
            {"name": "data", "mountPath": "/data", "readOnly": true},
        ]});
        let b = binds(&c, &sources).unwrap();
        let cfg = dir.join("cfg").display().to_string();
        assert_eq!(
            b,
            [
                format!("{cfg}:/etc/app:ro"),
                format!("{cfg}/one.conf:/etc/one.conf:ro"),
                "kubeplay-pv-pv1:/data:ro".to_string()
            ]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn paths_escaping_the_volume_are_refused() {
        let root = Path::new("/v");
        assert!(matches!(
            inside(root, "../etc/passwd"),
            Err(VolumeError::BadPath(_))
        ));
        assert!(matches!(
            inside(root, "/etc/passwd"),
            Err(VolumeError::BadPath(_))
        ));
        assert_eq!(inside(root, "a/b").unwrap(), PathBuf::from("/v/a/b"));
    }

    #[test]
    fn a_mount_of_an_unknown_volume_is_an_error() {
        let c = json!({"volumeMounts": [{"name": "nope", "mountPath": "/x"}]});
        assert!(
            matches!(binds(&c, &BTreeMap::new()), Err(VolumeError::Unresolved(n)) if n == "nope")
        );
    }
}
