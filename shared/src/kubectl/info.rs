//! The informational commands: `cluster-info`, `version`, `api-resources`,
//! and `port-forward`, which only a real node can serve.

use super::client::{CmdError, CmdResult};
use super::command::Cmd;
use super::outcome::Outcome;
use super::printer::json_text;
use super::tabwriter;
use crate::apiserver::KUBERNETES_VERSION;
use serde_json::{json, Value};

const SERVER: &str = "https://127.0.0.1:6443";

pub fn cluster_info(cmd: &mut Cmd) -> CmdResult<Outcome> {
    cmd.client.get("/version")?;
    let mut out = format!("Kubernetes control plane is running at {SERVER}\n");
    if cmd.client.get("/api/v1/namespaces/kube-system/services/kube-dns").is_ok() {
        out.push_str(&format!("CoreDNS is running at {SERVER}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n"));
    }
    out.push_str("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n");
    Ok(Outcome::ok(out))
}

fn client_version() -> String {
    format!("v{}.{}.0", KUBERNETES_VERSION.0, KUBERNETES_VERSION.1)
}

pub fn version(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let client = client_version();
    let server = if cmd.p.is_set("client") { None } else { Some(cmd.client.get("/version")?) };
    match cmd.p.get("output") {
        Some("json") | Some("yaml") => {
            let mut v = json!({"clientVersion": {"major": KUBERNETES_VERSION.0, "minor": KUBERNETES_VERSION.1, "gitVersion": client, "platform": "wasm/kubeplay"}});
            if let Some(s) = &server {
                v["serverVersion"] = s.clone();
            }
            let text = if cmd.p.get("output") == Some("json") { json_text(&v) } else { crate::manifest::to_yaml(&v) };
            Ok(Outcome::ok(text))
        }
        Some(other) => Err(CmdError::usage(format!("--output must be 'yaml' or 'json', not {other:?}"))),
        None => {
            let mut out = format!("Client Version: {client}\n");
            if let Some(s) = server {
                out.push_str(&format!("Server Version: {}\n", s.get("gitVersion").and_then(Value::as_str).unwrap_or("")));
            }
            Ok(Outcome::ok(out))
        }
    }
}

pub fn api_resources(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let namespaced = cmd.p.get("namespaced").map(|v| v == "true");
    let group = cmd.p.get("api-group").map(str::to_string);
    let name_only = cmd.p.get("output") == Some("name");
    let mut resources: Vec<_> = cmd.discovery()?.resources.clone();
    resources.retain(|r| namespaced.is_none_or(|n| r.namespaced == n) && group.as_ref().is_none_or(|g| &r.group == g));
    resources.sort_by(|a, b| (a.group.as_str(), a.plural.as_str()).cmp(&(b.group.as_str(), b.plural.as_str())));
    if name_only {
        return Ok(Outcome::ok(resources.iter().map(|r| format!("{}\n", r.group_resource())).collect::<String>()));
    }
    let mut t = String::new();
    if !cmd.p.is_set("no-headers") {
        t.push_str("NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND\n");
    }
    for r in &resources {
        t.push_str(&format!("{}\t{}\t{}\t{}\t{}\n", r.plural, r.short_names.join(","), r.api_version(), r.namespaced, r.kind));
    }
    Ok(Outcome::ok(tabwriter::align(&t, tabwriter::GET)))
}

/// Port forwarding needs a network path to the pod, which simulated nodes do not have.
pub fn port_forward(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    let Some(target) = args.first() else {
        return Err(CmdError::usage("TYPE/NAME and list of ports are required for port-forward"));
    };
    if args.len() < 2 {
        return Err(CmdError::usage("at least 1 PORT is required for port-forward"));
    }
    let pod = super::logs::resolve_pod(cmd, target)?;
    let name = pod.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
    let node = pod.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("");
    if node.is_empty() {
        return Err(CmdError::usage(format!("unable to forward port because pod is not running. Current status={}", pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Pending"))));
    }
    let real = cmd.client.transport.local_api().is_some_and(|api| {
        crate::api::resources::by_plural("", "v1", "nodes")
            .and_then(|r| api.get(r, "", node).ok())
            .is_some_and(|n| crate::node_link::registration::is_agent(n))
    });
    if real {
        return Err(CmdError::usage(format!(
            "port-forward cannot listen on this computer's ports from a web page: pod {name:?} runs on the real node {node:?}.\nExpose it with a NodePort Service (kubectl expose pod {name} --type=NodePort --port=PORT) and open the node's address at that port."
        )));
    }
    Err(CmdError::usage(format!(
        "port-forward needs a real node: pod {name:?} runs on the simulated node {node:?} inside this page, which has no network port to forward.\nJoin a machine with kubeplay-agent and use the real kubectl to forward ports from pods running there."
    )))
}
