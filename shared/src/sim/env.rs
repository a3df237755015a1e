//! A container's environment and mounted files, resolved from ConfigMaps and
//! Secrets the way the kubelet does at container start.
//!
//! A missing object or key stops the container with Kubernetes' own words
//! (`configmap "x" not found`) unless the reference is `optional`.

use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use crate::node_protocol::{FileContent, ResolvedVolume};
use base64::Engine;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a container cannot be configured (`CreateContainerConfigError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("configmap \"{0}\" not found")]
    ConfigMapNotFound(String),
    #[error("secret \"{0}\" not found")]
    SecretNotFound(String),
    #[error("couldn't find key {key} in ConfigMap {namespace}/{name}")]
    ConfigMapKeyNotFound {
        key: String,
        namespace: String,
        name: String,
    },
    #[error("couldn't find key {key} in Secret {namespace}/{name}")]
    SecretKeyNotFound {
        key: String,
        namespace: String,
        name: String,
    },
    #[error("persistentvolumeclaim \"{0}\" not found")]
    ClaimNotFound(String),
    #[error("PVC {namespace}/{name} is not bound")]
    ClaimNotBound { namespace: String, name: String },
}

/// Where a value comes from: a ConfigMap's `data` or a Secret's base64 `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    ConfigMap,
    Secret,
}

impl Source {
    fn plural(self) -> &'static str {
        match self {
            Self::ConfigMap => "configmaps",
            Self::Secret => "secrets",
        }
    }

    fn not_found(self, name: &str) -> ConfigError {
        match self {
            Self::ConfigMap => ConfigError::ConfigMapNotFound(name.into()),
            Self::Secret => ConfigError::SecretNotFound(name.into()),
        }
    }

    fn key_not_found(self, key: &str, namespace: &str, name: &str) -> ConfigError {
        let (key, namespace, name) = (key.into(), namespace.into(), name.into());
        match self {
            Self::ConfigMap => ConfigError::ConfigMapKeyNotFound {
                key,
                namespace,
                name,
            },
            Self::Secret => ConfigError::SecretKeyNotFound {
                key,
                namespace,
                name,
            },
        }
    }

    /// The object's entries as text, or `None` when it does not exist.
    fn read(
        self,
        api: &ApiServer,
        namespace: &str,
        name: &str,
    ) -> Option<BTreeMap<String, String>> {
        let bytes = self.read_bytes(api, namespace, name)?;
        Some(
            bytes
                .into_iter()
                .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                .collect(),
        )
    }

    /// The object's entries as bytes (a Secret may hold binary data, a ConfigMap `binaryData`).
    fn read_bytes(
        self,
        api: &ApiServer,
        namespace: &str,
        name: &str,
    ) -> Option<BTreeMap<String, Vec<u8>>> {
        let r = resources::by_plural("", "v1", self.plural())?;
        let obj = api.get(r, namespace, name).ok()?;
        let b64 = |v: &Value| {
            base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap_or_default())
                .unwrap_or_default()
        };
        let mut out = BTreeMap::new();
        if let Some(data) = obj.get("data").and_then(Value::as_object) {
            for (k, v) in data {
                let bytes = match self {
                    Self::ConfigMap => v.as_str().unwrap_or_default().as_bytes().to_vec(),
                    Self::Secret => b64(v),
                };
                out.insert(k.clone(), bytes);
            }
        }
        let (field, encoded) = match self {
            Self::ConfigMap => ("binaryData", true),
            Self::Secret => ("stringData", false),
        };
        if let Some(data) = obj.get(field).and_then(Value::as_object) {
            for (k, v) in data {
                let bytes = if encoded {
                    b64(v)
                } else {
                    v.as_str().unwrap_or_default().as_bytes().to_vec()
                };
                out.insert(k.clone(), bytes);
            }
        }
        Some(out)
    }
}

fn optional(r: &Value) -> bool {
    r.get("optional").and_then(Value::as_bool).unwrap_or(false)
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The value of a `fieldRef` (the downward API).
fn field_ref(pod: &Value, path: &str) -> String {
    let pointer = match path {
        "metadata.name" => "/metadata/name",
        "metadata.namespace" => "/metadata/namespace",
        "metadata.uid" => "/metadata/uid",
        "spec.nodeName" => "/spec/nodeName",
        "spec.serviceAccountName" => "/spec/serviceAccountName",
        "status.podIP" => "/status/podIP",
        "status.hostIP" => "/status/hostIP",
        _ => return String::new(),
    };
    pod.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The environment of container `container` in `pod`, in the order the kubelet builds it
/// (`envFrom` first, then `env`, later entries winning).
pub fn container_env(
    api: &ApiServer,
    pod: &Value,
    container: &Value,
) -> Result<Vec<(String, String)>, ConfigError> {
    let ns = meta::namespace(pod);
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |env: &mut Vec<(String, String)>, k: String, v: String| match env
        .iter_mut()
        .find(|(n, _)| *n == k)
    {
        Some(slot) => slot.1 = v,
        None => env.push((k, v)),
    };
    for from in container
        .get("envFrom")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let prefix = str_of(from, "prefix");
        for (field, source) in [
            ("configMapRef", Source::ConfigMap),
            ("secretRef", Source::Secret),
        ] {
            let Some(r) = from.get(field) else { continue };
            let name = str_of(r, "name");
            match source.read(api, ns, name) {
                Some(entries) => {
                    for (k, v) in entries {
                        set(&mut env, format!("{prefix}{k}"), v);
                    }
                }
                None if optional(r) => {}
                None => return Err(source.not_found(name)),
            }
        }
    }
    for e in container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_of(e, "name").to_string();
        let Some(from) = e.get("valueFrom") else {
            set(&mut env, name, str_of(e, "value").to_string());
            continue;
        };
        if let Some(f) = from.get("fieldRef") {
            set(&mut env, name, field_ref(pod, str_of(f, "fieldPath")));
            continue;
        }
        for (field, source) in [
            ("configMapKeyRef", Source::ConfigMap),
            ("secretKeyRef", Source::Secret),
        ] {
            let Some(r) = from.get(field) else { continue };
            let (obj, key) = (str_of(r, "name"), str_of(r, "key"));
            match source.read(api, ns, obj) {
                Some(entries) => match entries.get(key) {
                    Some(v) => set(&mut env, name.clone(), v.clone()),
                    None if optional(r) => {}
                    None => return Err(source.key_not_found(key, ns, obj)),
                },
                None if optional(r) => {}
                None => return Err(source.not_found(obj)),
            }
        }
    }
    Ok(env)
}

/// A pod volume as the kubelet set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Volume {
    /// Files projected from a ConfigMap or Secret, by file name.
    Files {
        name: String,
        files: BTreeMap<String, String>,
    },
    EmptyDir {
        name: String,
    },
    /// A claim's volume (postgres keeps its data here across restarts).
    Claim {
        name: String,
        claim: String,
    },
    Other {
        name: String,
    },
}

/// Why a volume cannot be mounted (`FailedMount`; the pod stays `ContainerCreating`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MountVolume.SetUp failed for volume \"{volume}\" : {cause}")]
pub struct MountError {
    pub volume: String,
    pub cause: ConfigError,
}

/// Sets up the pod's volumes.
pub fn pod_volumes(api: &ApiServer, pod: &Value) -> Result<Vec<Volume>, MountError> {
    let ns = meta::namespace(pod);
    let mut out = Vec::new();
    for v in pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_of(v, "name").to_string();
        let projected = [
            ("configMap", Source::ConfigMap, "name"),
            ("secret", Source::Secret, "secretName"),
        ]
        .into_iter()
        .find_map(|(field, source, name_field)| {
            v.get(field).map(|r| (r, source, str_of(r, name_field)))
        });
        if let Some((r, source, obj)) = projected {
            let files = match source.read(api, ns, obj) {
                Some(entries) => entries,
                None if optional(r) => BTreeMap::new(),
                None => {
                    return Err(MountError {
                        volume: name,
                        cause: source.not_found(obj),
                    })
                }
            };
            let files = match r.get("items").and_then(Value::as_array) {
                Some(items) => items
                    .iter()
                    .filter_map(|i| {
                        files
                            .get(str_of(i, "key"))
                            .map(|c| (str_of(i, "path").to_string(), c.clone()))
                    })
                    .collect(),
                None => files,
            };
            out.push(Volume::Files { name, files });
        } else if v.get("emptyDir").is_some() {
            out.push(Volume::EmptyDir { name });
        } else if let Some(c) = v.get("persistentVolumeClaim") {
            out.push(Volume::Claim {
                name,
                claim: str_of(c, "claimName").to_string(),
            });
        } else {
            out.push(Volume::Other { name });
        }
    }
    Ok(out)
}

/// `defaultMode` when a volume sets none: 0644.
const DEFAULT_FILE_MODE: u32 = 0o644;

/// The pod's volumes with their contents, binary-safe and with file modes, for a node that
/// sets them up itself (an agent); a claim is resolved to its bound PersistentVolume.
pub fn resolve_volumes(
    api: &ApiServer,
    pod: &Value,
) -> Result<BTreeMap<String, ResolvedVolume>, MountError> {
    let ns = meta::namespace(pod);
    let mut out = BTreeMap::new();
    for v in pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_of(v, "name").to_string();
        let fail = |cause| MountError { volume: name.clone(), cause };
        let projected = [
            ("configMap", Source::ConfigMap, "name"),
            ("secret", Source::Secret, "secretName"),
        ]
        .into_iter()
        .find_map(|(field, source, name_field)| {
            v.get(field).map(|r| (r, source, str_of(r, name_field)))
        });
        let resolved = if let Some((r, source, obj)) = projected {
            let entries = match source.read_bytes(api, ns, obj) {
                Some(entries) => entries,
                None if optional(r) => BTreeMap::new(),
                None => return Err(fail(source.not_found(obj))),
            };
            let mode = |m: Option<&Value>, default: u32| {
                m.and_then(Value::as_u64)
                    .and_then(|m| u32::try_from(m).ok())
                    .unwrap_or(default)
            };
            let default_mode = mode(r.get("defaultMode"), DEFAULT_FILE_MODE);
            let file = |data: &[u8], mode: u32| FileContent {
                data: base64::engine::general_purpose::STANDARD.encode(data),
                mode,
            };
            let files = match r.get("items").and_then(Value::as_array) {
                Some(items) => items
                    .iter()
                    .filter_map(|i| {
                        let data = entries.get(str_of(i, "key"))?;
                        let m = mode(i.get("mode"), default_mode);
                        Some((str_of(i, "path").to_string(), file(data, m)))
                    })
                    .collect(),
                None => entries
                    .iter()
                    .map(|(k, data)| (k.clone(), file(data, default_mode)))
                    .collect(),
            };
            ResolvedVolume::Files { files }
        } else if let Some(e) = v.get("emptyDir") {
            ResolvedVolume::EmptyDir { memory: str_of(e, "medium") == "Memory" }
        } else if let Some(h) = v.get("hostPath") {
            ResolvedVolume::HostPath { path: str_of(h, "path").to_string() }
        } else if let Some(c) = v.get("persistentVolumeClaim") {
            let claim = str_of(c, "claimName");
            let pvc = resources::by_plural("", "v1", "persistentvolumeclaims")
                .and_then(|r| api.get(r, ns, claim).ok())
                .ok_or_else(|| fail(ConfigError::ClaimNotFound(claim.to_string())))?;
            let volume = pvc
                .pointer("/spec/volumeName")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    fail(ConfigError::ClaimNotBound { namespace: ns.to_string(), name: claim.to_string() })
                })?;
            ResolvedVolume::Claim {
                volume: volume.to_string(),
                read_only: c.get("readOnly").and_then(Value::as_bool).unwrap_or(false),
            }
        } else {
            // Kinds an agent cannot provide yet (downwardAPI, projected) start out empty.
            ResolvedVolume::EmptyDir { memory: false }
        };
        out.insert(name, resolved);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::Request;
    use jiff::Timestamp;
    use serde_json::json;

    fn api() -> (ApiServer, Timestamp) {
        let t: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut api = ApiServer::new(1, t);
        let cm = json!({"metadata": {"name": "cfg"}, "data": {"MODE": "prod", "LEVEL": "info"}});
        api.handle(
            &Request::post("/api/v1/namespaces/default/configmaps", cm.to_string()),
            t,
        );
        let s = json!({"metadata": {"name": "db"}, "data": {"password": "czNjcjN0"}});
        api.handle(
            &Request::post("/api/v1/namespaces/default/secrets", s.to_string()),
            t,
        );
        (api, t)
    }

    fn pod() -> Value {
        json!({"metadata": {"name": "web", "namespace": "default"}, "status": {"podIP": "10.244.1.2"}})
    }

    #[test]
    fn env_from_and_key_refs_resolve_with_env_winning() {
        let (api, _) = api();
        let c = json!({"envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "APP_"}],
            "env": [{"name": "APP_MODE", "value": "dev"},
                    {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                    {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]});
        let env = container_env(&api, &pod(), &c).unwrap();
        assert_eq!(
            env,
            vec![
                ("APP_LEVEL".into(), "info".into()),
                ("APP_MODE".into(), "dev".into()),
                ("PASS".into(), "s3cr3t".into()),
                ("IP".into(), "10.244.1.2".into())
            ]
        );
    }

    #[test]
    fn missing_objects_and_keys_are_worded_like_the_kubelet() {
        let (api, _) = api();
        let c = json!({"envFrom": [{"configMapRef": {"name": "x"}}]});
        assert_eq!(
            container_env(&api, &pod(), &c).unwrap_err().to_string(),
            "configmap \"x\" not found"
        );
        let c = json!({"env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "nope"}}}]});
        assert_eq!(
            container_env(&api, &pod(), &c).unwrap_err().to_string(),
            "couldn't find key nope in ConfigMap default/cfg"
        );
        let c = json!({"env": [{"name": "K", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k", "optional": true}}}]});
        assert_eq!(container_env(&api, &pod(), &c).unwrap(), vec![]);
    }

    #[test]
    fn config_volumes_project_their_files() {
        let (api, _) = api();
        let mut p = pod();
        p["spec"] = json!({"volumes": [{"name": "conf", "configMap": {"name": "cfg", "items": [{"key": "MODE", "path": "mode.txt"}]}},
                                       {"name": "tmp", "emptyDir": {}}]});
        let vols = pod_volumes(&api, &p).unwrap();
        assert_eq!(
            vols[0],
            Volume::Files {
                name: "conf".into(),
                files: [("mode.txt".to_string(), "prod".to_string())].into()
            }
        );
        p["spec"]["volumes"][0]["configMap"]["name"] = json!("missing");
        assert_eq!(
            pod_volumes(&api, &p).unwrap_err().to_string(),
            "MountVolume.SetUp failed for volume \"conf\" : configmap \"missing\" not found"
        );
    }

    #[test]
    fn resolved_volumes_carry_bytes_modes_and_bound_claims() {
        let (mut api, t) = api();
        let pvc = json!({"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}}}});
        api.handle(&Request::post("/api/v1/namespaces/default/persistentvolumeclaims", pvc.to_string()), t);
        let mut p = pod();
        p["spec"] = json!({"volumes": [
            {"name": "pw", "secret": {"secretName": "db", "defaultMode": 0o400}},
            {"name": "conf", "configMap": {"name": "cfg", "items": [{"key": "MODE", "path": "m", "mode": 0o600}]}},
            {"name": "shm", "emptyDir": {"medium": "Memory"}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]});
        let err = resolve_volumes(&api, &p).unwrap_err();
        assert_eq!(err.to_string(), "MountVolume.SetUp failed for volume \"data\" : PVC default/data is not bound");
        p["spec"]["volumes"][3]["persistentVolumeClaim"]["claimName"] = json!("gone");
        assert_eq!(resolve_volumes(&api, &p).unwrap_err().cause, ConfigError::ClaimNotFound("gone".into()));
        p["spec"]["volumes"].as_array_mut().unwrap().pop();
        let vols = resolve_volumes(&api, &p).unwrap();
        let file = |data: &str, mode| FileContent { data: data.into(), mode };
        assert_eq!(vols["pw"], ResolvedVolume::Files { files: [("password".to_string(), file("czNjcjN0", 0o400))].into() });
        assert_eq!(vols["conf"], ResolvedVolume::Files { files: [("m".to_string(), file("cHJvZA==", 0o600))].into() });
        assert_eq!(vols["shm"], ResolvedVolume::EmptyDir { memory: true });
    }
}
