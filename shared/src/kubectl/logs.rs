//! `kubectl logs [-f] [-c container] [--tail N] [--previous] pod|deploy/x`:
//! the pod `log` subresource, and for `-f` the lines that arrive afterwards.

use super::client::{encode, Client, CmdError, CmdResult};
use super::command::Cmd;
use super::outcome::{Follow, FollowKind, Outcome, Polled};
use super::transport::Transport;
use serde_json::Value;

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    let namespace = cmd.namespace.clone();
    let pod = match args.as_slice() {
        [] => return Err(CmdError::usage("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command")),
        [one] => resolve_pod(cmd, one)?,
        [pod, container] if cmd.p.get("container").is_none() => {
            cmd.p.flags.push(("container".into(), container.clone()));
            resolve_pod(cmd, pod)?
        }
        _ => return Err(CmdError::usage("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command")),
    };
    let mut out = Outcome::default();
    let containers: Vec<String> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let pod_name = pod.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let container = match cmd.p.get("container") {
        Some(c) => Some(c.to_string()),
        None if cmd.p.is_set("all-containers") => None,
        None if containers.len() > 1 => {
            let default = pod
                .pointer("/metadata/annotations/kubectl.kubernetes.io~1default-container")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| containers[0].clone());
            out.stderr.push_str(&format!("Defaulted container \"{default}\" out of: {}\n", containers.join(", ")));
            Some(default)
        }
        None => None,
    };
    let chosen: Vec<Option<String>> = if cmd.p.is_set("all-containers") { containers.iter().cloned().map(Some).collect() } else { vec![container] };
    let mut follows = Vec::new();
    for c in chosen {
        let mut query = Vec::new();
        if let Some(c) = &c {
            query.push(format!("container={}", encode(c)));
        }
        if cmd.p.is_set("previous") {
            query.push("previous=true".into());
        }
        if let Some(t) = cmd.p.get("tail").filter(|t| *t != "-1") {
            t.parse::<i64>().map_err(|_| CmdError::usage(format!("invalid argument \"{t}\" for \"--tail\" flag: strconv.ParseInt: parsing \"{t}\": invalid syntax")))?;
            query.push(format!("tailLines={t}"));
        }
        if cmd.p.is_set("timestamps") {
            query.push("timestamps=true".into());
        }
        let base = format!("/api/v1/namespaces/{namespace}/pods/{pod_name}/log");
        let path = if query.is_empty() { base.clone() } else { format!("{base}?{}", query.join("&")) };
        let text = cmd.client.get_text(&path)?;
        let prefix = if cmd.p.is_set("prefix") { format!("[pod/{pod_name}/{}] ", c.as_deref().unwrap_or("")) } else { String::new() };
        for line in text.lines() {
            out.stdout.push_str(&format!("{prefix}{line}\n"));
        }
        if cmd.p.is_set("follow") {
            let printed = count_lines(&mut cmd.client, &base, c.as_deref());
            follows.push(Stream { base, container: c, printed, prefix, timestamps: cmd.p.is_set("timestamps") });
        }
    }
    if cmd.p.is_set("follow") {
        out.follow = Some(Follow(FollowKind::Logs(LogFollow { streams: follows })));
    }
    Ok(out)
}

/// The pod a `logs`/`exec` argument means: a pod name, `pod/x`, or a workload
/// (`deploy/x`, `rs/x`, `svc/x`) whose first pod kubectl picks.
pub fn resolve_pod(cmd: &mut Cmd, arg: &str) -> CmdResult<Value> {
    let namespace = cmd.namespace.clone();
    let Some((kind, name)) = arg.split_once('/') else {
        return cmd.client.get(&format!("/api/v1/namespaces/{namespace}/pods/{arg}"));
    };
    let r = cmd.resolve(kind)?;
    if r.kind == "Pod" {
        return cmd.client.get(&format!("/api/v1/namespaces/{namespace}/pods/{name}"));
    }
    let obj = cmd.client.get(&r.object_path(&namespace, name))?;
    let selector = match r.kind.as_str() {
        "Service" => obj.pointer("/spec/selector").cloned().unwrap_or(Value::Null),
        _ => obj.pointer("/spec/selector/matchLabels").cloned().unwrap_or(Value::Null),
    };
    let Some(labels) = selector.as_object().filter(|m| !m.is_empty()) else {
        return Err(CmdError::usage(format!("cannot attach to {}: selector for {} not implemented", r.kind, r.kind)));
    };
    let sel: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect();
    let list = cmd.client.get(&format!("/api/v1/namespaces/{namespace}/pods?labelSelector={}", encode(&sel.join(","))))?;
    let mut pods: Vec<Value> = list.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    // kubectl prefers running, ready, older pods.
    pods.sort_by_key(|p| {
        let running = p.pointer("/status/phase").and_then(Value::as_str) == Some("Running");
        let deleting = p.pointer("/metadata/deletionTimestamp").is_some();
        (deleting, !running, p.pointer("/metadata/creationTimestamp").and_then(Value::as_str).unwrap_or("").to_string())
    });
    pods.into_iter().next().ok_or_else(|| CmdError::usage("timed out waiting for the condition"))
}

fn count_lines(client: &mut Client, base: &str, container: Option<&str>) -> usize {
    let path = match container {
        Some(c) => format!("{base}?container={}", encode(c)),
        None => base.to_string(),
    };
    client.get_text(&path).map(|t| t.lines().count()).unwrap_or(0)
}

#[derive(Debug)]
struct Stream {
    base: String,
    container: Option<String>,
    /// Lines of the current instance already printed.
    printed: usize,
    prefix: String,
    timestamps: bool,
}

/// `logs -f`: re-reads the log and prints the lines not yet printed.
#[derive(Debug)]
pub struct LogFollow {
    streams: Vec<Stream>,
}

impl LogFollow {
    pub fn poll(&mut self, transport: &mut dyn Transport) -> Polled {
        let mut polled = Polled::default();
        let mut client = Client::new(transport);
        for s in &mut self.streams {
            let mut query = Vec::new();
            if let Some(c) = &s.container {
                query.push(format!("container={}", encode(c)));
            }
            if s.timestamps {
                query.push("timestamps=true".into());
            }
            let path = if query.is_empty() { s.base.clone() } else { format!("{}?{}", s.base, query.join("&")) };
            match client.get_text(&path) {
                Ok(text) => {
                    let lines: Vec<&str> = text.lines().collect();
                    // A restarted container starts a new log: print it from its start.
                    if lines.len() < s.printed {
                        s.printed = 0;
                    }
                    for line in &lines[s.printed..] {
                        polled.stdout.push_str(&format!("{}{line}\n", s.prefix));
                    }
                    s.printed = lines.len();
                }
                Err(e) if e.is_not_found() => polled.finished = true,
                Err(_) => {}
            }
        }
        polled
    }
}
