//! `kubectl port-forward TYPE/NAME [LOCAL:]REMOTE…`: kubectl's checks and port resolution (named
//! container ports, a Service's port to its target port), then a [`ForwardRequest`] for the
//! host. A web page cannot listen on TCP ports, so the host asks the agent of the pod's real
//! node to listen on its machine; a pod on a simulated node has nowhere to be reached from.

use super::client::{CmdError, CmdResult};
use super::command::Cmd;
use super::outcome::Outcome;
use crate::node_protocol::forward::PortPair;
use serde_json::Value;

/// What the host asks the pod's agent to listen for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRequest {
    pub namespace: String,
    pub pod: String,
    pub uid: String,
    /// The real node the pod runs on, whose agent listens.
    pub node: String,
    /// `--address` as given (`localhost` by default).
    pub addresses: Vec<String>,
    pub ports: Vec<PortPair>,
}

/// `8080`, `8080:3000`, `:3000` or `8080:http` split the way kubectl splits them: the local
/// part stays as typed (empty = a free port) and the remote part may still be a name.
fn split_port(spec: &str) -> CmdResult<(String, String)> {
    match spec.split(':').collect::<Vec<_>>()[..] {
        [one] => Ok((one.to_string(), one.to_string())),
        [local, remote] => Ok((local.to_string(), remote.to_string())),
        _ => Err(CmdError::usage(format!("invalid port format '{spec}'"))),
    }
}

/// A container port of `pod` by its name (kubectl's LookupContainerPortNumberByName).
fn container_port_by_name(pod: &Value, name: &str) -> CmdResult<u16> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c.get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        .and_then(|p| p.get("containerPort").and_then(Value::as_u64))
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| {
            CmdError::usage(format!(
                "Pod '{}' does not have a named port '{name}'",
                pod_name(pod)
            ))
        })
}

fn pod_name(pod: &Value) -> &str {
    pod.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// kubectl's convertPodNamedPortToNumber: named remote ports become numbers; `http` alone
/// forwards the local port of the same number.
fn pod_ports(specs: &[String], pod: &Value) -> CmdResult<Vec<String>> {
    specs
        .iter()
        .map(|spec| {
            let (local, remote) = split_port(spec)?;
            let number = match remote.parse::<u16>() {
                Ok(_) => remote.clone(),
                Err(_) => container_port_by_name(pod, &remote)?.to_string(),
            };
            Ok(if local != remote {
                format!("{local}:{number}")
            } else {
                number
            })
        })
        .collect()
}

/// kubectl's translateServicePortToTargetPort: the ports typed are the Service's (number or
/// name); each becomes the container port it targets, and the local port stays the Service's.
fn service_ports(specs: &[String], svc: &Value, pod: &Value) -> CmdResult<Vec<String>> {
    let svc_name = svc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let ports: Vec<&Value> = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    specs
        .iter()
        .map(|spec| {
            let (mut local, remote) = split_port(spec)?;
            let number = match remote.parse::<u16>() {
                Ok(n) => n,
                Err(_) => {
                    let n = ports
                        .iter()
                        .find(|p| p.get("name").and_then(Value::as_str) == Some(remote.as_str()))
                        .and_then(|p| p.get("port").and_then(Value::as_u64))
                        .and_then(|n| u16::try_from(n).ok())
                        .ok_or_else(|| {
                            CmdError::usage(format!(
                                "Service '{svc_name}' does not have a named port '{remote}'"
                            ))
                        })?;
                    if local == remote {
                        local = n.to_string();
                    }
                    n
                }
            };
            let port = ports
                .iter()
                .find(|p| p.get("port").and_then(Value::as_u64) == Some(u64::from(number)))
                .ok_or_else(|| {
                    CmdError::usage(format!(
                        "Service {svc_name} does not have a service port {number}"
                    ))
                })?;
            let target = match port.get("targetPort") {
                Some(Value::String(name)) => container_port_by_name(pod, name)?,
                Some(Value::Number(n)) => n
                    .as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| *n != 0)
                    .unwrap_or(number),
                _ => number,
            };
            let target = target.to_string();
            Ok(if local != target {
                format!("{local}:{target}")
            } else {
                target
            })
        })
        .collect()
}

/// client-go's parsePorts, with its messages.
fn parse_ports(specs: &[String]) -> CmdResult<Vec<PortPair>> {
    let number = |which: &str, text: &str| {
        text.parse::<u16>().map_err(|_| {
            let why = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                "value out of range"
            } else {
                "invalid syntax"
            };
            CmdError::usage(format!(
                "error parsing {which} port '{text}': strconv.ParseUint: parsing \"{text}\": {why}"
            ))
        })
    };
    specs
        .iter()
        .map(|spec| {
            let (local, remote) = split_port(spec)?;
            let local = if local.is_empty() {
                "0".to_string()
            } else {
                local
            };
            let pair = PortPair {
                local: number("local", &local)?,
                remote: number("remote", &remote)?,
            };
            if pair.remote == 0 {
                return Err(CmdError::usage("remote port must be > 0"));
            }
            Ok(pair)
        })
        .collect()
}

/// `--address`: `localhost` or IP addresses, comma-separated (client-go's parseAddresses).
fn addresses(flag: Option<&str>) -> CmdResult<Vec<String>> {
    let list: Vec<String> = flag
        .unwrap_or("localhost")
        .split(',')
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    if let Some(bad) = list
        .iter()
        .find(|a| *a != "localhost" && a.parse::<std::net::IpAddr>().is_err())
    {
        return Err(CmdError::usage(format!("{bad} is not a valid IP")));
    }
    Ok(if list.is_empty() {
        vec!["localhost".to_string()]
    } else {
        list
    })
}

/// The node `name` when an agent runs it.
fn agent_node(cmd: &Cmd, name: &str) -> bool {
    cmd.client.transport.local_api().is_some_and(|api| {
        crate::api::resources::by_plural("", "v1", "nodes")
            .and_then(|r| api.get(r, "", name).ok())
            .is_some_and(|n| crate::node_link::registration::is_agent(n))
    })
}

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    let Some(target) = args.first() else {
        return Err(CmdError::usage(
            "TYPE/NAME and list of ports are required for port-forward",
        ));
    };
    if args.len() < 2 {
        return Err(CmdError::usage(
            "at least 1 PORT is required for port-forward",
        ));
    }
    let addresses = addresses(cmd.p.get("address"))?;
    let pod = super::logs::resolve_pod(cmd, target)?;
    let specs = &args[1..];
    let service = match target.split_once('/') {
        Some((kind, name)) if cmd.resolve(kind).is_ok_and(|r| r.kind == "Service") => {
            let r = cmd.resolve(kind)?;
            Some(cmd.client.get(&r.object_path(&cmd.namespace, name))?)
        }
        _ => None,
    };
    let specs = match &service {
        Some(svc) => service_ports(specs, svc, &pod)?,
        None => pod_ports(specs, &pod)?,
    };
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending");
    if phase != "Running" {
        return Err(CmdError::usage(format!(
            "unable to forward port because pod is not running. Current status={phase}"
        )));
    }
    let ports = parse_ports(&specs)?;
    let name = pod_name(&pod).to_string();
    let node = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !agent_node(cmd, &node) {
        return Err(CmdError::usage(format!(
            "port-forward needs a real node: pod {name:?} runs on the simulated node {node:?} inside this page, which has no network port to forward.\nJoin a machine with kubeplay-agent (Nodes → Add node) and run the pod there: kubectl port-forward then listens on that machine."
        )));
    }
    let request = ForwardRequest {
        namespace: pod
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or(&cmd.namespace)
            .to_string(),
        pod: name,
        uid: pod
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        node,
        addresses,
        ports,
    };
    Ok(Outcome {
        port_forward: Some(request),
        ..Outcome::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn specs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn pod() -> Value {
        json!({"metadata": {"name": "web-1"}, "spec": {"containers": [{"name": "web", "ports": [{"name": "http", "containerPort": 3000}, {"containerPort": 9090}]}]}})
    }

    fn pair(local: u16, remote: u16) -> PortPair {
        PortPair { local, remote }
    }

    #[test]
    fn ports_parse_as_client_go_parses_them() {
        assert_eq!(
            parse_ports(&specs(&["8080", "18080:3000", ":3000"])).unwrap(),
            [pair(8080, 8080), pair(18080, 3000), pair(0, 3000)]
        );
        let err = |s: &str| parse_ports(&specs(&[s])).unwrap_err().to_string();
        assert_eq!(err("a:b:c"), "error: invalid port format 'a:b:c'");
        assert_eq!(
            err("x:3000"),
            "error: error parsing local port 'x': strconv.ParseUint: parsing \"x\": invalid syntax"
        );
        assert_eq!(err("1:70000"), "error: error parsing remote port '70000': strconv.ParseUint: parsing \"70000\": value out of range");
        assert_eq!(err("8080:0"), "error: remote port must be > 0");
    }

    #[test]
    fn named_pod_ports_become_numbers_and_alone_keep_the_same_local_port() {
        assert_eq!(
            pod_ports(&specs(&["http", "8080:http", "9090"]), &pod()).unwrap(),
            ["3000", "8080:3000", "9090"]
        );
        assert_eq!(
            pod_ports(&specs(&["metrics"]), &pod())
                .unwrap_err()
                .to_string(),
            "error: Pod 'web-1' does not have a named port 'metrics'"
        );
    }

    #[test]
    fn service_ports_forward_to_their_target_ports_from_the_service_port() {
        let svc = json!({"metadata": {"name": "web"}, "spec": {"ports": [
            {"name": "web", "port": 80, "targetPort": 3000},
            {"name": "named", "port": 81, "targetPort": "http"},
            {"port": 9090}
        ]}});
        assert_eq!(
            service_ports(&specs(&["80", "web", "8080:81", ":9090"]), &svc, &pod()).unwrap(),
            ["80:3000", "80:3000", "8080:3000", ":9090"]
        );
        assert_eq!(
            service_ports(&specs(&["82"]), &svc, &pod())
                .unwrap_err()
                .to_string(),
            "error: Service web does not have a service port 82"
        );
        assert_eq!(
            service_ports(&specs(&["db"]), &svc, &pod())
                .unwrap_err()
                .to_string(),
            "error: Service 'web' does not have a named port 'db'"
        );
    }

    #[test]
    fn addresses_default_to_localhost_and_must_be_ips() {
        assert_eq!(addresses(None).unwrap(), ["localhost"]);
        assert_eq!(
            addresses(Some("localhost,10.0.0.1")).unwrap(),
            ["localhost", "10.0.0.1"]
        );
        assert_eq!(
            addresses(Some("example.com")).unwrap_err().to_string(),
            "error: example.com is not a valid IP"
        );
    }
}
