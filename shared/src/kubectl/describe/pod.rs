//! `kubectl describe pod`, and the pod template section that Deployments,
//! ReplicaSets and `rollout history --revision` print.

use super::{controlled_by, events, int, or_none, rfc1123, s, Page};
use crate::kubectl::client::Client;
use jiff::Timestamp;
use serde_json::Value;

pub fn pod(client: &mut Client, p: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    page.field(0, "Name", s(p, "/metadata/name"));
    page.field(0, "Namespace", s(p, "/metadata/namespace"));
    page.field(0, "Priority", int(p, "/spec/priority"));
    if !s(p, "/spec/priorityClassName").is_empty() {
        page.field(0, "Priority Class Name", s(p, "/spec/priorityClassName"));
    }
    page.field(0, "Service Account", s(p, "/spec/serviceAccountName"));
    let node = s(p, "/spec/nodeName");
    let host_ip = s(p, "/status/hostIP");
    page.field(0, "Node", if node.is_empty() { "<none>".to_string() } else { format!("{node}/{host_ip}") });
    if !s(p, "/status/startTime").is_empty() {
        page.field(0, "Start Time", rfc1123(s(p, "/status/startTime")));
    }
    page.labels(0, "Labels", p, "/metadata/labels");
    page.annotations(0, p);
    let deleting = s(p, "/metadata/deletionTimestamp");
    if deleting.is_empty() {
        page.field(0, "Status", s(p, "/status/phase"));
    } else {
        page.field(0, "Status", format!("Terminating (lasts {})", super::age(deleting, now)));
        page.field(0, "Termination Grace Period", format!("{}s", int(p, "/metadata/deletionGracePeriodSeconds")));
    }
    if !s(p, "/status/reason").is_empty() {
        page.field(0, "Reason", s(p, "/status/reason"));
    }
    if !s(p, "/status/message").is_empty() {
        page.field(0, "Message", s(p, "/status/message"));
    }
    page.field(0, "IP", s(p, "/status/podIP"));
    let ips: Vec<&str> = p.pointer("/status/podIPs").and_then(Value::as_array).into_iter().flatten().filter_map(|i| i.get("ip").and_then(Value::as_str)).collect();
    if ips.is_empty() {
        page.field(0, "IPs", "<none>");
    } else {
        page.line(0, "IPs:");
        for ip in ips {
            page.field(1, "IP", ip);
        }
    }
    controlled_by(&mut page, p);
    let statuses = |field: &str| p.pointer(&format!("/status/{field}")).and_then(Value::as_array).cloned().unwrap_or_default();
    if let Some(init) = p.pointer("/spec/initContainers").and_then(Value::as_array).filter(|c| !c.is_empty()) {
        containers(&mut page, "Init Containers", init, Some(&statuses("initContainerStatuses")));
    }
    let spec_containers = p.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    containers(&mut page, "Containers", &spec_containers, Some(&statuses("containerStatuses")));
    let conditions = statuses("conditions");
    if !conditions.is_empty() {
        page.line(0, "Conditions:");
        page.line(1, "Type\tStatus");
        for c in &conditions {
            page.line(1, format!("{} \t{} ", s(c, "/type"), s(c, "/status")));
        }
    }
    volumes(&mut page, p.pointer("/spec/volumes"), 0);
    if !s(p, "/status/qosClass").is_empty() {
        page.field(0, "QoS Class", s(p, "/status/qosClass"));
    }
    page.labels(0, "Node-Selectors", p, "/spec/nodeSelector");
    tolerations(&mut page, p.pointer("/spec/tolerations"), 0);
    events(&mut page, client, p, "Pod", now);
    page.finish()
}

/// The `Pod Template:` body at `level` (1 under a Deployment).
pub fn template(t: &Value, level: usize) -> String {
    let mut page = Page::default();
    template_into(&mut page, t, level);
    page.text
}

pub(super) fn template_into(page: &mut Page, t: &Value, level: usize) {
    page.labels(level, "Labels", t, "/metadata/labels");
    if t.pointer("/metadata/annotations").and_then(Value::as_object).is_some_and(|a| !a.is_empty()) {
        page.map(level, "Annotations", t.pointer("/metadata/annotations"), ": ");
    }
    if !s(t, "/spec/serviceAccountName").is_empty() {
        page.field(level, "Service Account", s(t, "/spec/serviceAccountName"));
    }
    if let Some(init) = t.pointer("/spec/initContainers").and_then(Value::as_array).filter(|c| !c.is_empty()) {
        containers_at(page, "Init Containers", init, None, level > 0);
    }
    let cs = t.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    containers_at(page, "Containers", &cs, None, level > 0);
    volumes(page, t.pointer("/spec/volumes"), level);
    page.labels(level, "Node-Selectors", t, "/spec/nodeSelector");
    tolerations(page, t.pointer("/spec/tolerations"), level);
}

fn containers(page: &mut Page, title: &str, cs: &[Value], statuses: Option<&Vec<Value>>) {
    containers_at(page, title, cs, statuses, false);
}

/// Containers of a pod (`Containers:` / `  api:`) or of a template (`  Containers:` / `   api:`);
/// their fields sit four spaces in either way.
fn containers_at(page: &mut Page, title: &str, cs: &[Value], statuses: Option<&Vec<Value>>, in_template: bool) {
    let (title_indent, name_indent) = if in_template { ("  ", "   ") } else { ("", "  ") };
    page.line(0, format!("{title_indent}{title}:"));
    for c in cs {
        let name = s(c, "/name");
        page.line(0, format!("{name_indent}{name}:"));
        let l = 2;
        let status = statuses.and_then(|st| st.iter().find(|x| s(x, "/name") == name));
        if let Some(st) = status {
            if !s(st, "/containerID").is_empty() {
                page.field(l, "Container ID", s(st, "/containerID"));
            }
        }
        page.field(l, "Image", s(c, "/image"));
        if let Some(st) = status {
            page.field(l, "Image ID", s(st, "/imageID"));
        }
        let ports: Vec<&Value> = c.get("ports").and_then(Value::as_array).into_iter().flatten().collect();
        let port_text = |f: &str| -> String {
            if ports.is_empty() {
                return "<none>".into();
            }
            ports.iter().map(|p| format!("{}/{}", int(p, f), or_tcp(s(p, "/protocol")))).collect::<Vec<_>>().join(", ")
        };
        if ports.len() > 1 {
            page.field(l, "Ports", port_text("/containerPort"));
            page.field(l, "Host Ports", port_text("/hostPort"));
        } else {
            page.field(l, "Port", port_text("/containerPort"));
            page.field(l, "Host Port", port_text("/hostPort"));
        }
        for (field, label) in [("command", "Command"), ("args", "Args")] {
            if let Some(items) = c.get(field).and_then(Value::as_array).filter(|a| !a.is_empty()) {
                page.line(l, format!("{label}:"));
                for i in items {
                    page.line(l + 1, i.as_str().unwrap_or(""));
                }
            }
        }
        if let Some(st) = status {
            state(page, l, "State", st.get("state"));
            if st.pointer("/lastState").and_then(Value::as_object).is_some_and(|m| !m.is_empty()) {
                state(page, l, "Last State", st.get("lastState"));
            }
            page.field(l, "Ready", if st.get("ready").and_then(Value::as_bool) == Some(true) { "True" } else { "False" });
            page.field(l, "Restart Count", int(st, "/restartCount"));
        }
        for (field, label) in [("limits", "Limits"), ("requests", "Requests")] {
            if let Some(m) = c.pointer(&format!("/resources/{field}")).and_then(Value::as_object).filter(|m| !m.is_empty()) {
                page.line(l, format!("{label}:"));
                for (k, v) in m {
                    page.field(l + 1, k, v.as_str().map_or_else(|| v.to_string(), str::to_string));
                }
            }
        }
        for (field, label) in [("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"), ("startupProbe", "Startup")] {
            if let Some(probe) = c.get(field) {
                page.field(l, label, probe_text(probe));
            }
        }
        env(page, c, l);
        let mounts: Vec<&Value> = c.get("volumeMounts").and_then(Value::as_array).into_iter().flatten().collect();
        if mounts.is_empty() {
            page.field(l, "Mounts", "<none>");
        } else {
            page.line(l, "Mounts:");
            for m in mounts {
                let ro = if m.get("readOnly").and_then(Value::as_bool) == Some(true) { "ro" } else { "rw" };
                let sub = s(m, "/subPath");
                let sub = if sub.is_empty() { String::new() } else { format!(",path=\"{sub}\"") };
                page.line(l + 1, format!("{} from {} ({ro}{sub})", s(m, "/mountPath"), s(m, "/name")));
            }
        }
    }
}

fn or_tcp(p: &str) -> &str {
    if p.is_empty() { "TCP" } else { p }
}

fn state(page: &mut Page, l: usize, label: &str, st: Option<&Value>) {
    let Some(st) = st else {
        page.field(l, label, "Waiting");
        return;
    };
    if let Some(r) = st.get("running") {
        page.field(l, label, "Running");
        page.field(l + 1, "Started", rfc1123(s(r, "/startedAt")));
    } else if let Some(w) = st.get("waiting") {
        page.field(l, label, "Waiting");
        if !s(w, "/reason").is_empty() {
            page.field(l + 1, "Reason", s(w, "/reason"));
        }
    } else if let Some(t) = st.get("terminated") {
        page.field(l, label, "Terminated");
        if !s(t, "/reason").is_empty() {
            page.field(l + 1, "Reason", s(t, "/reason"));
        }
        if !s(t, "/message").is_empty() {
            page.field(l + 1, "Message", s(t, "/message"));
        }
        page.field(l + 1, "Exit Code", int(t, "/exitCode"));
        if int(t, "/signal") > 0 {
            page.field(l + 1, "Signal", int(t, "/signal"));
        }
        page.field(l + 1, "Started", rfc1123(s(t, "/startedAt")));
        page.field(l + 1, "Finished", rfc1123(s(t, "/finishedAt")));
    } else {
        page.field(l, label, "Waiting");
    }
}

/// `http-get http://:3000/health delay=10s timeout=1s period=15s #success=1 #failure=3`.
fn probe_text(p: &Value) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        int(p, "/initialDelaySeconds"),
        p.pointer("/timeoutSeconds").and_then(Value::as_i64).unwrap_or(1),
        p.pointer("/periodSeconds").and_then(Value::as_i64).unwrap_or(10),
        p.pointer("/successThreshold").and_then(Value::as_i64).unwrap_or(1),
        p.pointer("/failureThreshold").and_then(Value::as_i64).unwrap_or(3),
    );
    let port = |v: Option<&Value>| v.map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).unwrap_or_default();
    if let Some(h) = p.get("httpGet") {
        let scheme = s(h, "/scheme").to_lowercase();
        let scheme = if scheme.is_empty() { "http".to_string() } else { scheme };
        return format!("http-get {scheme}://{}:{}{} {attrs}", s(h, "/host"), port(h.get("port")), s(h, "/path"));
    }
    if let Some(t) = p.get("tcpSocket") {
        return format!("tcp-socket {}:{} {attrs}", s(t, "/host"), port(t.get("port")));
    }
    if let Some(e) = p.get("exec") {
        let cmd: Vec<&str> = e.get("command").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    if let Some(g) = p.get("grpc") {
        return format!("grpc <pod>:{} {} {attrs}", int(g, "/port"), s(g, "/service"));
    }
    format!("unknown {attrs}")
}

fn env(page: &mut Page, c: &Value, l: usize) {
    let from: Vec<&Value> = c.get("envFrom").and_then(Value::as_array).into_iter().flatten().collect();
    if !from.is_empty() {
        page.line(l, "Environment Variables from:");
        for f in from {
            let (name, kind, opt) = if let Some(r) = f.get("configMapRef") {
                (s(r, "/name"), "ConfigMap", r.get("optional").and_then(Value::as_bool).unwrap_or(false))
            } else if let Some(r) = f.get("secretRef") {
                (s(r, "/name"), "Secret", r.get("optional").and_then(Value::as_bool).unwrap_or(false))
            } else {
                continue;
            };
            let prefix = s(f, "/prefix");
            if prefix.is_empty() {
                page.line(l + 1, format!("{name}\t{kind}\tOptional: {opt}"));
            } else {
                page.line(l + 1, format!("{name}\t{kind} with prefix '{prefix}'\tOptional: {opt}"));
            }
        }
    }
    let vars: Vec<&Value> = c.get("env").and_then(Value::as_array).into_iter().flatten().collect();
    if vars.is_empty() {
        page.field(l, "Environment", "<none>");
        return;
    }
    page.line(l, "Environment:");
    for v in vars {
        let name = s(v, "/name");
        let text = if let Some(from) = v.get("valueFrom") {
            if let Some(r) = from.get("secretKeyRef") {
                format!("<set to the key '{}' in secret '{}'>\tOptional: {}", s(r, "/key"), s(r, "/name"), r.get("optional").and_then(Value::as_bool).unwrap_or(false))
            } else if let Some(r) = from.get("configMapKeyRef") {
                format!("<set to the key '{}' of config map '{}'>\tOptional: {}", s(r, "/key"), s(r, "/name"), r.get("optional").and_then(Value::as_bool).unwrap_or(false))
            } else if let Some(r) = from.get("fieldRef") {
                format!(" ({}:{})", or_v1(s(r, "/apiVersion")), s(r, "/fieldPath"))
            } else if let Some(r) = from.get("resourceFieldRef") {
                format!("{} ({})", s(r, "/resource"), s(r, "/containerName"))
            } else {
                String::new()
            }
        } else {
            s(v, "/value").to_string()
        };
        page.field(l + 1, name, text);
    }
}

fn or_v1(v: &str) -> &str {
    if v.is_empty() { "v1" } else { v }
}

pub(super) fn volumes(page: &mut Page, vols: Option<&Value>, level: usize) {
    let vols: Vec<&Value> = vols.and_then(Value::as_array).into_iter().flatten().collect();
    if vols.is_empty() {
        page.field(level, "Volumes", "<none>");
        return;
    }
    page.line(level, "Volumes:");
    let l = level + 2;
    for v in vols {
        page.line(level + 1, format!("{}:", s(v, "/name")));
        let opt = |x: &Value| x.get("optional").and_then(Value::as_bool).unwrap_or(false);
        if let Some(c) = v.get("persistentVolumeClaim") {
            page.field(l, "Type", "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)");
            page.field(l, "ClaimName", s(c, "/claimName"));
            page.field(l, "ReadOnly", c.get("readOnly").and_then(Value::as_bool).unwrap_or(false));
        } else if let Some(c) = v.get("configMap") {
            page.field(l, "Type", "ConfigMap (a volume populated by a ConfigMap)");
            page.field(l, "Name", s(c, "/name"));
            page.field(l, "Optional", opt(c));
        } else if let Some(c) = v.get("secret") {
            page.field(l, "Type", "Secret (a volume populated by a Secret)");
            page.field(l, "SecretName", s(c, "/secretName"));
            page.field(l, "Optional", opt(c));
        } else if let Some(c) = v.get("emptyDir") {
            page.field(l, "Type", "EmptyDir (a temporary directory that shares a pod's lifetime)");
            page.field(l, "Medium", s(c, "/medium"));
            page.field(l, "SizeLimit", or_unset(s(c, "/sizeLimit")));
        } else if let Some(c) = v.get("hostPath") {
            page.field(l, "Type", "HostPath (bare host directory volume)");
            page.field(l, "Path", s(c, "/path"));
            page.field(l, "HostPathType", s(c, "/type"));
        } else if let Some(c) = v.get("projected") {
            page.field(l, "Type", "Projected (a volume that contains injected data from multiple sources)");
            for src in c.get("sources").and_then(Value::as_array).into_iter().flatten() {
                if let Some(t) = src.get("serviceAccountToken") {
                    page.field(l, "TokenExpirationSeconds", int(t, "/expirationSeconds"));
                } else if let Some(cm) = src.get("configMap") {
                    page.field(l, "ConfigMapName", s(cm, "/name"));
                    page.field(l, "Optional", opt(cm));
                } else if src.get("downwardAPI").is_some() {
                    page.field(l, "DownwardAPI", "true");
                }
            }
        } else {
            page.field(l, "Type", "<unknown>");
        }
    }
}

fn or_unset(v: &str) -> &str {
    if v.is_empty() { "<unset>" } else { v }
}

pub(super) fn tolerations(page: &mut Page, tols: Option<&Value>, level: usize) {
    let tols: Vec<String> = tols
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let mut text = s(t, "/key").to_string();
            if !s(t, "/value").is_empty() {
                text.push_str(&format!("={}", s(t, "/value")));
            }
            if !s(t, "/effect").is_empty() {
                text.push_str(&format!(":{}", s(t, "/effect")));
            }
            if s(t, "/operator") == "Exists" && s(t, "/value").is_empty() {
                if s(t, "/key").is_empty() {
                    text = format!("op=Exists{}", if s(t, "/effect").is_empty() { String::new() } else { format!(":{}", s(t, "/effect")) });
                } else {
                    text.push_str(" op=Exists");
                }
            }
            if let Some(secs) = t.get("tolerationSeconds").and_then(Value::as_i64) {
                text.push_str(&format!(" for {secs}s"));
            }
            text
        })
        .collect();
    let indent_label = "Tolerations";
    match tols.split_first() {
        None => page.field(level, indent_label, or_none("")),
        Some((first, rest)) => {
            page.field(level, indent_label, first);
            for t in rest {
                page.line(level, format!("\t{t}"));
            }
        }
    }
}
