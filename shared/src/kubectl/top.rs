//! `kubectl top pods|nodes`: usage from `metrics.k8s.io` (which the core serves
//! from the simulated workloads), in kubectl's units: millicores and Mi.

use super::client::{encode, CmdError, CmdResult};
use super::command::Cmd;
use super::get::nothing_found;
use super::outcome::Outcome;
use super::tabwriter;
use crate::api::quantity::Quantity;
use serde_json::Value;

fn millis(v: Option<&Value>) -> i128 {
    v.and_then(Value::as_str).and_then(|s| Quantity::parse(s).ok()).map_or(0, |q| q.millis())
}

fn bytes(v: Option<&Value>) -> i128 {
    v.and_then(Value::as_str).and_then(|s| Quantity::parse(s).ok()).map_or(0, |q| q.value())
}

fn cpu_text(m: i128) -> String {
    format!("{m}m")
}

fn mem_text(b: i128) -> String {
    format!("{}Mi", b / (1024 * 1024))
}

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    match args.first().map(String::as_str) {
        Some("pod" | "pods" | "po") => pods(cmd, args.get(1).map(String::as_str)),
        Some("node" | "nodes" | "no") => nodes(cmd, args.get(1).map(String::as_str)),
        Some(other) => Err(CmdError::usage(format!("unknown command \"{other}\" for \"kubectl top\""))),
        None => Err(CmdError::usage("Display resource (CPU/memory) usage.\n\nAvailable Commands:\n  node          Display resource (CPU/memory) usage of nodes\n  pod           Display resource (CPU/memory) usage of pods")),
    }
}

/// Rows end with a tab, so kubectl's `top` pads its last column too.
fn table(header: &[&str], rows: Vec<Vec<String>>, no_headers: bool) -> String {
    let mut t = String::new();
    if !no_headers {
        t.push_str(&header.iter().map(|h| format!("{h}\t")).collect::<String>());
        t.push('\n');
    }
    for r in rows {
        t.push_str(&r.iter().map(|c| format!("{c}\t")).collect::<String>());
        t.push('\n');
    }
    tabwriter::align(&t, tabwriter::GET)
}

fn sort(rows: &mut [(Vec<String>, i128, i128)], by: Option<&str>) -> CmdResult<()> {
    match by {
        None => {}
        Some("cpu") => rows.sort_by_key(|r| std::cmp::Reverse(r.1)),
        Some("memory") => rows.sort_by_key(|r| std::cmp::Reverse(r.2)),
        Some(other) => return Err(CmdError::usage(format!("--sort-by accepts only cpu or memory, not {other:?}"))),
    }
    Ok(())
}

fn pods(cmd: &mut Cmd, name: Option<&str>) -> CmdResult<Outcome> {
    let all = cmd.p.is_set("all-namespaces");
    let ns = cmd.namespace.clone();
    let base = if all { "/apis/metrics.k8s.io/v1beta1/pods".to_string() } else { format!("/apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods") };
    let items: Vec<Value> = match name {
        Some(n) => vec![cmd.client.get(&format!("{base}/{n}")).map_err(|e| {
            if e.is_not_found() { CmdError::usage(format!("podmetrics.metrics.k8s.io \"{n}\" not found")) } else { e }
        })?],
        None => {
            let path = match cmd.p.get("selector") {
                Some(l) => format!("{base}?labelSelector={}", encode(l)),
                None => base,
            };
            cmd.client.get(&path)?.get("items").and_then(Value::as_array).cloned().unwrap_or_default()
        }
    };
    if items.is_empty() {
        return Ok(Outcome::failed(nothing_found((!all).then_some(ns.as_str()))).with_exit(0));
    }
    let containers = cmd.p.is_set("containers");
    let mut rows = Vec::new();
    for m in &items {
        let pod = m.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
        let pod_ns = m.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("");
        let cs: Vec<&Value> = m.get("containers").and_then(Value::as_array).into_iter().flatten().collect();
        if containers {
            for c in cs {
                let (cpu, mem) = (millis(c.pointer("/usage/cpu")), bytes(c.pointer("/usage/memory")));
                let mut r = Vec::new();
                if all {
                    r.push(pod_ns.to_string());
                }
                r.extend([pod.to_string(), c.get("name").and_then(Value::as_str).unwrap_or("").to_string(), cpu_text(cpu), mem_text(mem)]);
                rows.push((r, cpu, mem));
            }
        } else {
            let cpu: i128 = cs.iter().map(|c| millis(c.pointer("/usage/cpu"))).sum();
            let mem: i128 = cs.iter().map(|c| bytes(c.pointer("/usage/memory"))).sum();
            let mut r = Vec::new();
            if all {
                r.push(pod_ns.to_string());
            }
            r.extend([pod.to_string(), cpu_text(cpu), mem_text(mem)]);
            rows.push((r, cpu, mem));
        }
    }
    sort(&mut rows, cmd.p.get("sort-by"))?;
    let mut header = Vec::new();
    if all {
        header.push("NAMESPACE");
    }
    header.push(if containers { "POD" } else { "NAME" });
    if containers {
        header.push("NAME");
    }
    header.extend(["CPU(cores)", "MEMORY(bytes)"]);
    Ok(Outcome::ok(table(&header, rows.into_iter().map(|r| r.0).collect(), cmd.p.is_set("no-headers"))))
}

fn nodes(cmd: &mut Cmd, name: Option<&str>) -> CmdResult<Outcome> {
    let metrics: Vec<Value> = match name {
        Some(n) => vec![cmd.client.get(&format!("/apis/metrics.k8s.io/v1beta1/nodes/{n}"))?],
        None => cmd.client.get("/apis/metrics.k8s.io/v1beta1/nodes")?.get("items").and_then(Value::as_array).cloned().unwrap_or_default(),
    };
    if metrics.is_empty() {
        return Err(CmdError::usage("metrics not available yet"));
    }
    let nodes = cmd.client.get("/api/v1/nodes")?.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut rows = Vec::new();
    for m in &metrics {
        let n = m.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
        let node = nodes.iter().find(|x| x.pointer("/metadata/name").and_then(Value::as_str) == Some(n));
        let cpu = millis(m.pointer("/usage/cpu"));
        let mem = bytes(m.pointer("/usage/memory"));
        let alloc_cpu = millis(node.and_then(|x| x.pointer("/status/allocatable/cpu")));
        let alloc_mem = bytes(node.and_then(|x| x.pointer("/status/allocatable/memory")));
        let pct = |a: i128, b: i128| if b == 0 { "<unknown>".to_string() } else { format!("{}%", a * 100 / b) };
        rows.push((vec![n.to_string(), cpu_text(cpu), pct(cpu, alloc_cpu), mem_text(mem), pct(mem, alloc_mem)], cpu, mem));
    }
    sort(&mut rows, cmd.p.get("sort-by"))?;
    let header = ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"];
    Ok(Outcome::ok(table(&header, rows.into_iter().map(|r| r.0).collect(), cmd.p.is_set("no-headers"))))
}
