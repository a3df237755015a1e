//! The pods a node should run, resolved for its agent: env values from ConfigMaps and Secrets,
//! volume contents and bound claims, so the agent never reads the API.

use crate::api::resources;
use crate::apiserver::ApiServer;
use crate::node_protocol::{DesiredPod, EnvVar};
use crate::sim::env::{self, ConfigError, MountError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// Why a pod cannot be handed to its agent yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unresolvable {
    /// `CreateContainerConfigError` of one container.
    #[error("{cause}")]
    Config { container: String, cause: ConfigError },
    /// `FailedMount`: the pod stays `ContainerCreating`.
    #[error("{0}")]
    Mount(MountError),
}

/// The pods bound to `node`, in store order (by namespace and name).
pub fn bound_pods(api: &ApiServer, node: &str) -> Vec<Value> {
    let Some(pods) = resources::by_plural("", "v1", "pods") else { return Vec::new() };
    api.list(pods, None)
        .filter(|p| p.pointer("/spec/nodeName").and_then(Value::as_str) == Some(node))
        .map(|p| (**p).clone())
        .collect()
}

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    ["/spec/initContainers", "/spec/containers"]
        .into_iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten()
}

/// The pod object as the agent gets it: without `status` (the agent's to report) or the
/// bookkeeping that changes on every write, so an unchanged pod fingerprints the same.
pub fn for_agent(pod: &Value) -> Value {
    let mut pod = pod.clone();
    if let Some(o) = pod.as_object_mut() {
        o.remove("status");
    }
    if let Some(m) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("managedFields");
    }
    pod
}

/// Resolves one pod for its agent.
pub fn desired_pod(api: &ApiServer, pod: &Value) -> Result<DesiredPod, Unresolvable> {
    let volumes = env::resolve_volumes(api, pod).map_err(Unresolvable::Mount)?;
    let mut envs = BTreeMap::new();
    for c in containers(pod) {
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let vars = env::container_env(api, pod, c)
            .map_err(|cause| Unresolvable::Config { container: name.to_string(), cause })?;
        envs.insert(
            name.to_string(),
            vars.into_iter().map(|(name, value)| EnvVar { name, value }).collect(),
        );
    }
    Ok(DesiredPod { pod: for_agent(pod), env: envs, volumes })
}

/// A cheap digest of a desired set: `SyncPods` goes out only when it changes.
pub fn fingerprint(pods: &[DesiredPod]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    for p in pods {
        p.pod.to_string().hash(&mut h);
        for (c, vars) in &p.env {
            c.hash(&mut h);
            for v in vars {
                (&v.name, &v.value).hash(&mut h);
            }
        }
        serde_json::to_string(&p.volumes).unwrap_or_default().hash(&mut h);
    }
    h.finish()
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
        let cm = json!({"metadata": {"name": "cfg"}, "data": {"MODE": "prod"}});
        api.handle(&Request::post("/api/v1/namespaces/default/configmaps", cm.to_string()), t);
        (api, t)
    }

    fn pod() -> Value {
        json!({"metadata": {"name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "7"},
            "spec": {"nodeName": "pi",
                "initContainers": [{"name": "init", "image": "busybox", "env": [{"name": "A", "value": "1"}]}],
                "containers": [{"name": "web", "image": "nginx", "envFrom": [{"configMapRef": {"name": "cfg"}}]}],
                "volumes": [{"name": "tmp", "emptyDir": {}}]},
            "status": {"phase": "Running"}})
    }

    #[test]
    fn every_container_gets_its_resolved_env_and_status_is_left_out() {
        let (api, _) = api();
        let d = desired_pod(&api, &pod()).unwrap();
        assert_eq!(d.env["init"], vec![EnvVar { name: "A".into(), value: "1".into() }]);
        assert_eq!(d.env["web"], vec![EnvVar { name: "MODE".into(), value: "prod".into() }]);
        assert!(d.pod.get("status").is_none());
        assert!(d.pod["metadata"].get("resourceVersion").is_none());
        assert_eq!(d.pod["metadata"]["uid"], "u1");
    }

    #[test]
    fn a_missing_config_map_names_the_container() {
        let (api, _) = api();
        let mut p = pod();
        p["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"] = json!("nope");
        assert_eq!(
            desired_pod(&api, &p),
            Err(Unresolvable::Config { container: "web".into(), cause: ConfigError::ConfigMapNotFound("nope".into()) })
        );
    }

    #[test]
    fn the_fingerprint_ignores_status_but_sees_spec_and_config() {
        let (api, _) = api();
        let a = desired_pod(&api, &pod()).unwrap();
        let mut p = pod();
        p["status"]["phase"] = json!("Pending");
        p["metadata"]["resourceVersion"] = json!("8");
        assert_eq!(fingerprint(std::slice::from_ref(&a)), fingerprint(&[desired_pod(&api, &p).unwrap()]));
        p["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:10Z");
        assert_ne!(fingerprint(std::slice::from_ref(&a)), fingerprint(&[desired_pod(&api, &p).unwrap()]));
        let mut b = a.clone();
        b.env.insert("web".into(), vec![]);
        assert_ne!(fingerprint(&[a]), fingerprint(&[b]));
    }
}
