//! A Kubernetes container spec turned into a Docker container: command and args, env, working
//! directory, ports, resources and mounts, the way the kubelet maps them onto a runtime.

use super::engine::ContainerSpec;
use kubeplay_shared::api::quantity::Quantity;
use kubeplay_shared::node_protocol::EnvVar;
use serde_json::Value;

/// Docker's lowest CPU shares value (the kubelet's `MinShares`).
const MIN_SHARES: i64 = 2;

/// Why a container spec cannot be run; shown as `CreateContainerConfigError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid quantity {value:?} in resources.{field}")]
    Quantity { field: String, value: String },
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    })
}

fn quantity(container: &Value, field: &str) -> Result<Option<Quantity>, ConfigError> {
    let Some(v) = container.pointer(&format!("/resources/{}", field.replace('.', "/"))) else {
        return Ok(None);
    };
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Quantity::parse(&text)
        .map(Some)
        .map_err(|_| ConfigError::Quantity {
            field: field.to_string(),
            value: text,
        })
}

/// The image a container spec runs, as written.
pub fn image(container: &Value) -> &str {
    container
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The Docker side of `container`: everything but name, labels, mounts and namespaces, which
/// belong to the pod and its attempt.
pub fn container_spec(container: &Value, env: &[EnvVar]) -> Result<ContainerSpec, ConfigError> {
    let memory_limit = quantity(container, "limits.memory")?.map(|q| clamp(q.value()));
    let nano_cpus = quantity(container, "limits.cpu")?.map(|q| clamp(q.millis() * 1_000_000));
    // Without a request the kubelet uses the limit as the request, as the API server defaults it.
    let request = match quantity(container, "requests.cpu")? {
        Some(q) => Some(q),
        None => quantity(container, "limits.cpu")?,
    };
    let cpu_shares = request.map(|q| (clamp(q.millis()) * 1024 / 1000).max(MIN_SHARES));
    let exposed_ports = container
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let port = p.get("containerPort")?.as_u64()?;
            let protocol = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            Some(format!("{port}/{}", protocol.to_lowercase()))
        })
        .collect();
    Ok(ContainerSpec {
        image: image(container).to_string(),
        // `command` replaces the image's ENTRYPOINT and drops its CMD; `args` replaces CMD.
        entrypoint: strings(container.get("command")),
        cmd: strings(container.get("args")),
        env: env
            .iter()
            .map(|e| format!("{}={}", e.name, e.value))
            .collect(),
        working_dir: container
            .get("workingDir")
            .and_then(Value::as_str)
            .map(str::to_string),
        exposed_ports,
        memory_limit,
        nano_cpus,
        cpu_shares,
        tty: container
            .get("tty")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        stdin_open: container
            .get("stdin")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..ContainerSpec::default()
    })
}

fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The pod's `hostPort`s, published by its infra container: (`80/tcp`, host port).
pub fn host_ports(pod: &Value) -> Vec<(String, u16)> {
    ["initContainers", "containers"]
        .iter()
        .filter_map(|list| {
            pod.pointer(&format!("/spec/{list}"))
                .and_then(Value::as_array)
        })
        .flatten()
        .filter_map(|c| c.get("ports").and_then(Value::as_array))
        .flatten()
        .filter_map(|p| {
            let host = u16::try_from(p.get("hostPort")?.as_u64()?)
                .ok()
                .filter(|h| *h > 0)?;
            let port = p.get("containerPort")?.as_u64()?;
            let protocol = p
                .get("protocol")
                .and_then(Value::as_str)
                .unwrap_or("TCP")
                .to_lowercase();
            Some((format!("{port}/{protocol}"), host))
        })
        .collect()
}

/// What to do about a container's image before creating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageStep {
    UsePresent,
    Pull,
    /// `imagePullPolicy: Never` and the image is not on this machine.
    NeverPullMissing,
}

/// The container's pull policy, defaulted as the API server does: `Always` for `:latest` or an
/// untagged image, `IfNotPresent` otherwise.
pub fn pull_policy(container: &Value) -> &str {
    if let Some(p) = container.get("imagePullPolicy").and_then(Value::as_str) {
        return p;
    }
    let image = image(container);
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    match last.split_once(':') {
        _ if image.contains('@') => "IfNotPresent",
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

pub fn image_step(policy: &str, present: bool) -> ImageStep {
    match (policy, present) {
        ("Never", true) | ("IfNotPresent", true) => ImageStep::UsePresent,
        ("Never", false) => ImageStep::NeverPullMissing,
        _ => ImageStep::Pull,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn command_replaces_the_entrypoint_and_args_the_cmd() {
        let c = json!({"image": "b:1", "command": ["sh", "-c"], "args": ["echo hi"], "workingDir": "/w"});
        let spec = container_spec(&c, &[]).unwrap();
        assert_eq!(
            spec.entrypoint,
            Some(vec!["sh".to_string(), "-c".to_string()])
        );
        assert_eq!(spec.cmd, Some(vec!["echo hi".to_string()]));
        assert_eq!(spec.working_dir.as_deref(), Some("/w"));
        let only_args = container_spec(&json!({"image": "b:1", "args": ["x"]}), &[]).unwrap();
        assert_eq!(only_args.entrypoint, None, "the image's ENTRYPOINT stays");
    }

    #[test]
    fn resources_become_memory_nano_cpus_and_shares() {
        let c = json!({"image": "b:1", "resources": {"limits": {"memory": "128Mi", "cpu": "500m"}, "requests": {"cpu": "250m"}}});
        let spec = container_spec(&c, &[]).unwrap();
        assert_eq!(spec.memory_limit, Some(128 * 1024 * 1024));
        assert_eq!(spec.nano_cpus, Some(500_000_000));
        assert_eq!(spec.cpu_shares, Some(256));
        let tiny = container_spec(
            &json!({"image": "b:1", "resources": {"requests": {"cpu": "1m"}}}),
            &[],
        )
        .unwrap();
        assert_eq!(tiny.cpu_shares, Some(MIN_SHARES));
    }

    #[test]
    fn a_bad_quantity_is_a_config_error() {
        let c = json!({"image": "b:1", "resources": {"limits": {"memory": "lots"}}});
        assert_eq!(
            container_spec(&c, &[]),
            Err(ConfigError::Quantity {
                field: "limits.memory".into(),
                value: "lots".into()
            })
        );
    }

    #[test]
    fn env_and_ports_are_carried_over() {
        let c = json!({"image": "b:1", "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]});
        let env = [EnvVar {
            name: "A".into(),
            value: "1=2".into(),
        }];
        let spec = container_spec(&c, &env).unwrap();
        assert_eq!(spec.env, ["A=1=2"]);
        assert_eq!(spec.exposed_ports, ["80/tcp", "53/udp"]);
    }

    #[test]
    fn host_ports_of_every_container_are_collected() {
        let pod = json!({"spec": {"containers": [
            {"ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 443}]},
            {"ports": [{"containerPort": 53, "hostPort": 5353, "protocol": "UDP"}]}]}});
        assert_eq!(
            host_ports(&pod),
            [("80/tcp".to_string(), 8080), ("53/udp".to_string(), 5353)]
        );
    }

    #[test]
    fn pull_policy_defaults_like_the_api_server() {
        assert_eq!(pull_policy(&json!({"image": "nginx"})), "Always");
        assert_eq!(pull_policy(&json!({"image": "nginx:latest"})), "Always");
        assert_eq!(pull_policy(&json!({"image": "nginx:1.27"})), "IfNotPresent");
        assert_eq!(
            pull_policy(&json!({"image": "localhost:5000/app"})),
            "Always"
        );
        assert_eq!(
            pull_policy(&json!({"image": "nginx", "imagePullPolicy": "Never"})),
            "Never"
        );
    }

    #[test]
    fn image_steps_follow_the_policy() {
        assert_eq!(image_step("IfNotPresent", true), ImageStep::UsePresent);
        assert_eq!(image_step("IfNotPresent", false), ImageStep::Pull);
        assert_eq!(image_step("Always", true), ImageStep::Pull);
        assert_eq!(image_step("Never", false), ImageStep::NeverPullMissing);
    }
}
