//! `kubectl logs [-f] [-c container] [--tail N] [--previous] pod|deploy/x|-l selector`:
//! the pod `log` subresource, and for `-f` the lines the same container instance prints
//! afterwards, until it stops (see [`crate::apiserver::log_follow`]).

use super::client::{encode, Client, CmdError, CmdResult};
use crate::apiserver::log_follow::{ContainerInstance, FollowEnd, LogCursor};
use super::command::Cmd;
use super::outcome::{Follow, FollowKind, Outcome, Polled};
use super::transport::Transport;
use serde_json::Value;

const USAGE: &str = "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command";

/// kubectl reads at most this many pods' logs for `-l` (its `--max-log-requests`).
const MAX_LOG_REQUESTS: usize = 5;

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    if let Some(selector) = cmd.p.get("selector").map(str::to_string) {
        if !args.is_empty() {
            return Err(CmdError::usage("only one of selector or pod can be provided"));
        }
        let namespace = cmd.namespace.clone();
        let list = cmd.client.get(&format!("/api/v1/namespaces/{namespace}/pods?labelSelector={}", encode(&selector)))?;
        let pods: Vec<Value> = list.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
        if pods.len() > MAX_LOG_REQUESTS {
            return Err(CmdError::usage(format!(
                "you are attempting to follow {} log streams, but maximum allowed concurrency is {MAX_LOG_REQUESTS}, use --max-log-requests to increase the limit",
                pods.len()
            )));
        }
        let mut out = Outcome::default();
        let mut streams = Vec::new();
        for pod in &pods {
            let one = pod_logs(cmd, pod)?;
            out.stdout.push_str(&one.stdout);
            out.stderr.push_str(&one.stderr);
            if let Some(Follow(FollowKind::Logs(l))) = one.follow {
                streams.extend(l.streams);
            }
        }
        if pods.is_empty() {
            out.stderr.push_str(&super::get::nothing_found(Some(&namespace)));
        }
        if cmd.p.is_set("follow") {
            out.follow = Some(Follow(FollowKind::Logs(LogFollow { streams })));
        }
        return Ok(out);
    }
    let pod = match args.as_slice() {
        [] => return Err(CmdError::usage(USAGE)),
        [one] => resolve_pod(cmd, one)?,
        [pod, container] if cmd.p.get("container").is_none() => {
            cmd.p.flags.push(("container".into(), container.clone()));
            resolve_pod(cmd, pod)?
        }
        _ => return Err(CmdError::usage(USAGE)),
    };
    pod_logs(cmd, &pod)
}

/// One pod's logs (and, with `-f`, the streams to follow).
fn pod_logs(cmd: &mut Cmd, pod: &Value) -> CmdResult<Outcome> {
    let namespace = cmd.namespace.clone();
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
        let shown = c.clone().or_else(|| containers.first().cloned()).unwrap_or_default();
        let prefix = if cmd.p.is_set("prefix") { format!("[pod/{pod_name}/{shown}] ") } else { String::new() };
        for line in text.lines() {
            out.stdout.push_str(&format!("{prefix}{line}\n"));
        }
        if cmd.p.is_set("follow") {
            let mut stream = Stream {
                instance: ContainerInstance::of(pod, c.as_deref()).filter(ContainerInstance::is_running),
                base,
                container: c,
                cursor: LogCursor::default(),
                prefix,
                timestamps: cmd.p.is_set("timestamps"),
            };
            if let Ok(text) = cmd.client.get_text(&stream.read_path(false)) {
                stream.cursor.advance(&text, false);
            }
            follows.push(stream);
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

#[derive(Debug)]
struct Stream {
    /// The pod's `log` subresource.
    base: String,
    container: Option<String>,
    cursor: LogCursor,
    /// The instance followed; `None` once it stopped (or was not running to begin with).
    instance: Option<ContainerInstance>,
    prefix: String,
    timestamps: bool,
}

impl Stream {
    /// The next read of this stream's log from its cursor (of the previous instance, when
    /// `previous`).
    fn read_path(&self, previous: bool) -> String {
        let kept: Vec<String> = self.container.iter().map(|c| format!("container={}", encode(c))).collect();
        format!("{}?{}", self.base, self.cursor.read_query(&kept, previous))
    }

    /// Prints what the followed instance logged since the last poll; ends the stream once the
    /// instance stopped.
    fn poll(&mut self, client: &mut Client, polled: &mut Polled) {
        let Some(followed) = &self.instance else { return };
        let pod_path = self.base.strip_suffix("/log").unwrap_or(&self.base);
        let now = match client.get(pod_path) {
            Ok(pod) => ContainerInstance::of(&pod, self.container.as_deref()),
            Err(e) if e.is_not_found() => None,
            Err(_) => return,
        };
        let ended = followed.ended(now.as_ref());
        match client.get_text(&self.read_path(ended == Some(FollowEnd::Replaced))) {
            Ok(text) => {
                for line in self.cursor.advance(&text, self.timestamps).lines() {
                    polled.stdout.push_str(&format!("{}{line}\n", self.prefix));
                }
            }
            Err(e) if e.is_not_found() => {}
            Err(_) => return,
        }
        if ended.is_some() {
            self.instance = None;
        }
    }
}

/// `logs -f`: re-reads each followed log from its cursor and prints what is new; done when
/// every followed container instance has stopped.
#[derive(Debug)]
pub struct LogFollow {
    streams: Vec<Stream>,
}

impl LogFollow {
    pub fn poll(&mut self, transport: &mut dyn Transport) -> Polled {
        let mut polled = Polled::default();
        let mut client = Client::new(transport);
        for s in &mut self.streams {
            s.poll(&mut client, &mut polled);
        }
        polled.finished = self.streams.iter().all(|s| s.instance.is_none());
        polled
    }
}
