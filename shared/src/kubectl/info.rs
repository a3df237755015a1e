//! The informational commands: `cluster-info`, `version` and `api-resources`.

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
