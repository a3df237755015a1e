//! The API server's checks of an exec or attach against its pod, before any node is dialled:
//! the container must be one of the pod's (defaulted as kubectl and the API server default it),
//! the pod not finished and bound to a node. Whether the container runs is the node's to say.
//! Pure, so the embedded control plane and the gateway (for a pod it serves itself) word every
//! refusal alike.

use super::{ExecRefusal, ExecSpec};
use kubeplay_shared::api::meta;
use serde_json::Value;

/// The annotation naming the container `exec`, `attach` and `logs` use when none is given.
const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";

/// The container a request targets, once the API server's checks passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub container: String,
    pub node: String,
}

/// Checks `spec` against `pod` (the object as the API serves it).
pub fn admit(pod: &Value, spec: &ExecSpec) -> Result<Target, ExecRefusal> {
    let names: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    let container = match &spec.container {
        Some(name) => name.clone(),
        None => meta::annotation(pod, DEFAULT_CONTAINER)
            .or(names.first().copied())
            .unwrap_or_default()
            .to_string(),
    };
    if !names.contains(&container.as_str()) {
        return Err(ExecRefusal::bad_request(format!(
            "container {container} is not valid for pod {}",
            spec.pod
        )));
    }
    if let Some(phase @ ("Succeeded" | "Failed")) =
        pod.pointer("/status/phase").and_then(Value::as_str)
    {
        let what = if spec.attach {
            "attach to"
        } else {
            "exec into"
        };
        return Err(ExecRefusal::bad_request(format!(
            "cannot {what} a container in a completed pod; current phase is {phase}"
        )));
    }
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ExecRefusal::bad_request(format!("pod {} does not have a host assigned", spec.pod))
        })?;
    Ok(Target {
        container,
        node: node.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(container: Option<&str>, attach: bool) -> ExecSpec {
        ExecSpec {
            namespace: "default".into(),
            pod: "web".into(),
            container: container.map(str::to_string),
            command: if attach {
                Vec::new()
            } else {
                vec!["env".into()]
            },
            stdin: false,
            tty: false,
            attach,
        }
    }

    fn pod(annotations: Value, phase: &str, node: &str) -> Value {
        json!({
            "metadata": {"name": "web", "annotations": annotations},
            "spec": {"nodeName": node, "containers": [{"name": "app"}, {"name": "sidecar"}]},
            "status": {"phase": phase},
        })
    }

    #[test]
    fn the_default_container_is_the_annotated_one_else_the_first() {
        let plain = pod(json!({}), "Running", "n1");
        let target = admit(&plain, &spec(None, false)).unwrap();
        assert_eq!(
            target,
            Target {
                container: "app".into(),
                node: "n1".into()
            }
        );
        let annotated = pod(json!({DEFAULT_CONTAINER: "sidecar"}), "Running", "n1");
        assert_eq!(
            admit(&annotated, &spec(None, false)).unwrap().container,
            "sidecar"
        );
        assert_eq!(
            admit(&annotated, &spec(Some("app"), false))
                .unwrap()
                .container,
            "app"
        );
    }

    #[test]
    fn refusals_are_worded_as_the_api_servers() {
        let running = pod(json!({}), "Running", "n1");
        let bad = admit(&running, &spec(Some("db"), false)).unwrap_err();
        assert_eq!((bad.code, bad.reason), (400, "BadRequest"));
        assert_eq!(bad.message, "container db is not valid for pod web");
        let done = pod(json!({}), "Succeeded", "n1");
        assert_eq!(
            admit(&done, &spec(None, true)).unwrap_err().message,
            "cannot attach to a container in a completed pod; current phase is Succeeded"
        );
        let pending = pod(json!({}), "Pending", "");
        assert_eq!(
            admit(&pending, &spec(None, false)).unwrap_err().message,
            "pod web does not have a host assigned"
        );
    }
}
