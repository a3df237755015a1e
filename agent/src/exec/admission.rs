//! The API server's checks of an exec or attach against its pod, before any node is dialled:
//! the container must be one of the pod's (defaulted as kubectl and the API server default it),
//! the pod not finished and bound to a node. Whether the container runs is the node's to say.
//! The checks are the shared core's ([`kubeplay_shared::sim::exec::admit`], which the page runs
//! too), so every place that serves an exec words every refusal alike.

use super::{ExecRefusal, ExecSpec};
pub use kubeplay_shared::sim::exec::Target;
use serde_json::Value;

/// Checks `spec` against `pod` (the object as the API serves it).
pub fn admit(pod: &Value, spec: &ExecSpec) -> Result<Target, ExecRefusal> {
    kubeplay_shared::sim::exec::admit(pod, spec).map_err(ExecRefusal::from_shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The annotation naming the container `exec`, `attach` and `logs` use when none is given.
    const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";

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
