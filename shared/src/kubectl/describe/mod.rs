//! `kubectl describe`: one human-readable page per object in kubectl's layout
//! (labels one per line, nested sections, the Events table at the end), built
//! from GETs of the object, the objects it relates to, and its Events.

mod cluster;
mod network;
mod pod;
mod workloads;

pub use pod::template;

use super::client::{encode, Client, CmdResult};
use super::command::Cmd;
use super::discovery::ApiResource;
use super::get::{nothing_found, selector_query, targets};
use super::outcome::Outcome;
use super::tabwriter;
use crate::apiserver::table::duration::human_duration;
use jiff::Timestamp;
use serde_json::{Map, Value};

/// Lines with `\t` between label and value, aligned at the end as kubectl's
/// describe writer does; each level indents by two spaces.
#[derive(Default)]
pub struct Page {
    text: String,
}

impl Page {
    fn indent(level: usize) -> String {
        "  ".repeat(level)
    }

    /// `Label:\tvalue`.
    pub fn field(&mut self, level: usize, label: &str, value: impl std::fmt::Display) {
        self.text.push_str(&format!("{}{label}:\t{value}\n", Self::indent(level)));
    }

    /// A line as it is (section titles, table rows).
    pub fn line(&mut self, level: usize, text: impl std::fmt::Display) {
        self.text.push_str(&format!("{}{text}\n", Self::indent(level)));
    }

    /// `Labels:\tk=v` then one continuation line per further entry.
    pub fn map(&mut self, level: usize, label: &str, map: Option<&Value>, sep: &str) {
        let entries: Vec<(String, String)> = map
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != "kubectl.kubernetes.io/last-applied-configuration")
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
        let indent = Self::indent(level);
        if entries.is_empty() {
            self.text.push_str(&format!("{indent}{label}:\t<none>\n"));
            return;
        }
        for (i, (k, v)) in entries.iter().enumerate() {
            if i == 0 {
                self.text.push_str(&format!("{indent}{label}:\t{k}{sep}{v}\n"));
            } else {
                self.text.push_str(&format!("{indent}\t{k}{sep}{v}\n"));
            }
        }
    }

    pub fn labels(&mut self, level: usize, label: &str, obj: &Value, pointer: &str) {
        self.map(level, label, obj.pointer(pointer), "=");
    }

    pub fn annotations(&mut self, level: usize, obj: &Value) {
        self.map(level, "Annotations", obj.pointer("/metadata/annotations"), ": ");
    }

    pub fn finish(self) -> String {
        tabwriter::align(&self.text, tabwriter::DESCRIBE)
    }
}

pub fn s<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

pub fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

pub fn or_none(v: &str) -> &str {
    if v.is_empty() { "<none>" } else { v }
}

/// `Thu, 01 Jan 2026 00:00:00 +0000` (Go's RFC 1123 with numeric zone).
pub fn rfc1123(ts: &str) -> String {
    match ts.parse::<Timestamp>() {
        Ok(t) => t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        Err(_) => ts.to_string(),
    }
}

pub fn age(ts: &str, now: Timestamp) -> String {
    match ts.parse::<Timestamp>() {
        Ok(t) => human_duration(now.duration_since(t).as_nanos()),
        Err(_) => "<unknown>".into(),
    }
}

/// `k=v,k2=v2` from a label map, `<none>` when empty.
pub fn selector_text(map: Option<&Value>) -> String {
    let text = map
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    if text.is_empty() { "<none>".into() } else { text }
}

/// A LabelSelector (`matchLabels` and `matchExpressions`) as kubectl prints it.
pub fn label_selector_text(sel: Option<&Value>) -> String {
    let Some(sel) = sel else { return "<none>".into() };
    let mut parts: Vec<String> = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    for e in sel.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let key = s(e, "/key");
        let values: Vec<&str> = e.get("values").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        parts.push(match s(e, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            op => format!("{key} {op}"),
        });
    }
    if parts.is_empty() { "<none>".into() } else { parts.join(",") }
}

/// The Events section: `Events:  <none>` or the five-column table.
pub fn events(page: &mut Page, client: &mut Client, obj: &Value, kind: &str, now: Timestamp) {
    let name = s(obj, "/metadata/name");
    let namespace = s(obj, "/metadata/namespace");
    let uid = s(obj, "/metadata/uid");
    let path = if namespace.is_empty() {
        let sel = format!("involvedObject.kind={kind},involvedObject.name={name}");
        format!("/api/v1/events?fieldSelector={}", encode(&sel))
    } else {
        let sel = format!("involvedObject.name={name},involvedObject.namespace={namespace},involvedObject.uid={uid}");
        format!("/api/v1/namespaces/{namespace}/events?fieldSelector={}", encode(&sel))
    };
    let mut list: Vec<Value> = client
        .get(&path)
        .ok()
        .and_then(|l| l.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    if list.is_empty() {
        page.field(0, "Events", "<none>");
        return;
    }
    let when = |e: &Value| -> String {
        [s(e, "/lastTimestamp"), s(e, "/eventTime"), s(e, "/firstTimestamp")].into_iter().find(|t| !t.is_empty()).unwrap_or("").to_string()
    };
    list.sort_by_key(|e| when(e).parse::<Timestamp>().ok());
    page.line(0, "Events:");
    page.line(1, "Type\tReason\tAge\tFrom\tMessage");
    page.line(1, "----\t------\t----\t----\t-------");
    for e in &list {
        let count = int(e, "/count");
        let first = [s(e, "/firstTimestamp"), s(e, "/eventTime")].into_iter().find(|t| !t.is_empty()).unwrap_or("");
        let interval = if count > 1 {
            format!("{} (x{count} over {})", age(&when(e), now), age(first, now))
        } else {
            age(first, now)
        };
        let from = [s(e, "/source/component"), s(e, "/reportingComponent")].into_iter().find(|t| !t.is_empty()).unwrap_or("");
        page.line(1, format!("{}\t{}\t{interval}\t{from}\t{}", s(e, "/type"), s(e, "/reason"), s(e, "/message").trim()));
    }
}

/// The first owner that is a controller: `ReplicaSet/my-api-7d9f8b6c5d`.
pub fn controlled_by(page: &mut Page, obj: &Value) {
    let owner = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true));
    if let Some(o) = owner {
        page.field(0, "Controlled By", format!("{}/{}", s(o, "/kind"), s(o, "/name")));
    }
}

/// Objects of another type related to the described one (a Deployment's ReplicaSets…).
pub fn list(client: &mut Client, path: &str) -> Vec<Value> {
    client.get(path).ok().and_then(|l| l.get("items").and_then(Value::as_array).cloned()).unwrap_or_default()
}

pub fn obj_map<'a>(obj: &'a Value, pointer: &str) -> Option<&'a Map<String, Value>> {
    obj.pointer(pointer).and_then(Value::as_object)
}

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    let (targets, _) = targets(cmd, &args, "describe")?;
    let namespace = cmd.namespace.clone();
    let all_ns = cmd.p.is_set("all-namespaces");
    let mut objects: Vec<(ApiResource, Value)> = Vec::new();
    let mut out = Outcome::default();
    for t in &targets {
        let ns = (t.resource.namespaced && !all_ns).then_some(namespace.as_str());
        if t.names.is_empty() {
            let query = selector_query(cmd, None);
            let path = t.resource.collection_path(ns);
            let path = if query.is_empty() { path } else { format!("{path}?{query}") };
            for item in list(&mut cmd.client, &path) {
                objects.push((t.resource.clone(), item));
            }
            continue;
        }
        for name in &t.names {
            match cmd.client.get(&t.resource.object_path(&namespace, name)) {
                Ok(o) => objects.push((t.resource.clone(), o)),
                // A name that matches no object is tried as a prefix, as kubectl does.
                Err(e) if e.is_not_found() => {
                    let prefixed: Vec<Value> = list(&mut cmd.client, &t.resource.collection_path(ns))
                        .into_iter()
                        .filter(|o| s(o, "/metadata/name").starts_with(name.as_str()))
                        .collect();
                    if prefixed.is_empty() {
                        out.stderr.push_str(&format!("{e}\n"));
                        out.exit_code = 1;
                    }
                    objects.extend(prefixed.into_iter().map(|o| (t.resource.clone(), o)));
                }
                Err(e) => return Err(e),
            }
        }
    }
    if objects.is_empty() && out.exit_code == 0 {
        let cluster = targets.iter().all(|t| !t.resource.namespaced);
        out.stderr.push_str(&nothing_found((!all_ns && !cluster).then_some(namespace.as_str())));
        return Ok(out);
    }
    let pages: Vec<String> = objects.iter().map(|(r, o)| describe(&mut cmd.client, r, o, cmd.now)).collect();
    out.stdout = pages.join("\n\n");
    if !out.stdout.is_empty() && !out.stdout.ends_with('\n') {
        out.stdout.push('\n');
    }
    Ok(out)
}

/// One object's page.
pub fn describe(client: &mut Client, r: &ApiResource, obj: &Value, now: Timestamp) -> String {
    match r.kind.as_str() {
        "Pod" => pod::pod(client, obj, now),
        "Deployment" => workloads::deployment(client, obj, now),
        "ReplicaSet" => workloads::replica_set(client, obj, now),
        "HorizontalPodAutoscaler" => workloads::hpa(client, obj, now),
        "Service" => network::service(client, obj, now),
        "Ingress" => network::ingress(client, obj, now),
        "Node" => cluster::node(client, obj, now),
        "Namespace" => cluster::namespace(client, obj),
        "ConfigMap" => cluster::config_map(client, obj, now),
        "Secret" => cluster::secret(client, obj, now),
        "PersistentVolumeClaim" => cluster::pvc(client, obj, now),
        "PersistentVolume" => cluster::pv(client, obj, now),
        kind => generic(client, kind, obj, now),
    }
}

/// Kinds without their own page: identity, labels and events.
fn generic(client: &mut Client, kind: &str, obj: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    page.field(0, "Name", s(obj, "/metadata/name"));
    if !s(obj, "/metadata/namespace").is_empty() {
        page.field(0, "Namespace", s(obj, "/metadata/namespace"));
    }
    page.labels(0, "Labels", obj, "/metadata/labels");
    page.annotations(0, obj);
    page.field(0, "API Version", s(obj, "/apiVersion"));
    page.field(0, "Kind", kind);
    events(&mut page, client, obj, kind, now);
    page.finish()
}

