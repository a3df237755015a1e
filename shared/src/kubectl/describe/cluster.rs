//! `kubectl describe` for Nodes (with their pods and allocated resources),
//! Namespaces, ConfigMaps, Secrets, PersistentVolumeClaims and PersistentVolumes.

use super::{age, events, list, obj_map, or_none, rfc1123, s, Page};
use crate::api::quantity::Quantity;
use crate::kubectl::client::{encode, Client};
use jiff::Timestamp;
use serde_json::Value;

fn quantity_millis(v: &str) -> i128 {
    Quantity::parse(v).map(|q| q.millis()).unwrap_or(0)
}

/// A sum of milli-units printed as Kubernetes would print the quantity.
fn format_millis(millis: i128, binary: bool) -> String {
    if millis == 0 {
        return "0".into();
    }
    let text = if binary && millis % 1000 == 0 {
        let bytes = millis / 1000;
        if bytes % 1024 == 0 { format!("{}Ki", bytes / 1024) } else { bytes.to_string() }
    } else {
        format!("{millis}m")
    };
    Quantity::parse(&text).map(|q| q.canonical()).unwrap_or(text)
}

fn percent(part: i128, whole: i128) -> i128 {
    if whole == 0 { 0 } else { part * 100 / whole }
}

fn container_sum(pod: &Value, kind: &str, resource: &str) -> i128 {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.pointer(&format!("/resources/{kind}/{resource}")).and_then(Value::as_str))
        .map(quantity_millis)
        .sum()
}

pub fn node(client: &mut Client, n: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    let name = s(n, "/metadata/name");
    page.field(0, "Name", name);
    let roles: Vec<String> = obj_map(n, "/metadata/labels")
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/").map(str::to_string))
        .collect();
    page.field(0, "Roles", if roles.is_empty() { "<none>".to_string() } else { roles.join(",") });
    page.labels(0, "Labels", n, "/metadata/labels");
    page.annotations(0, n);
    page.field(0, "CreationTimestamp", rfc1123(s(n, "/metadata/creationTimestamp")));
    let taints: Vec<String> = n
        .pointer("/spec/taints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            let v = s(t, "/value");
            if v.is_empty() { format!("{}:{}", s(t, "/key"), s(t, "/effect")) } else { format!("{}={v}:{}", s(t, "/key"), s(t, "/effect")) }
        })
        .collect();
    match taints.split_first() {
        None => page.field(0, "Taints", "<none>"),
        Some((first, rest)) => {
            page.field(0, "Taints", first);
            for t in rest {
                page.line(0, format!("\t{t}"));
            }
        }
    }
    page.field(0, "Unschedulable", n.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false));
    if let Ok(lease) = client.get(&format!("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}")) {
        page.line(0, "Lease:");
        page.field(1, "HolderIdentity", or_unset(s(&lease, "/spec/holderIdentity")));
        page.field(1, "AcquireTime", or_unset(&rfc1123(s(&lease, "/spec/acquireTime"))));
        page.field(1, "RenewTime", or_unset(&rfc1123(s(&lease, "/spec/renewTime"))));
    }
    page.line(0, "Conditions:");
    page.line(1, "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage");
    page.line(1, "----\t------\t-----------------\t------------------\t------\t-------");
    for c in n.pointer("/status/conditions").and_then(Value::as_array).into_iter().flatten() {
        page.line(
            1,
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                s(c, "/type"),
                s(c, "/status"),
                rfc1123(s(c, "/lastHeartbeatTime")),
                rfc1123(s(c, "/lastTransitionTime")),
                s(c, "/reason"),
                s(c, "/message")
            ),
        );
    }
    page.line(0, "Addresses:");
    for a in n.pointer("/status/addresses").and_then(Value::as_array).into_iter().flatten() {
        page.field(1, s(a, "/type"), s(a, "/address"));
    }
    for (label, field) in [("Capacity", "capacity"), ("Allocatable", "allocatable")] {
        page.line(0, format!("{label}:"));
        for (k, v) in obj_map(n, &format!("/status/{field}")).into_iter().flatten() {
            page.field(1, k, v.as_str().unwrap_or(""));
        }
    }
    if let Some(info) = obj_map(n, "/status/nodeInfo") {
        page.line(0, "System Info:");
        for (label, key) in [
            ("Machine ID", "machineID"),
            ("System UUID", "systemUUID"),
            ("Boot ID", "bootID"),
            ("Kernel Version", "kernelVersion"),
            ("OS Image", "osImage"),
            ("Operating System", "operatingSystem"),
            ("Architecture", "architecture"),
            ("Container Runtime Version", "containerRuntimeVersion"),
            ("Kubelet Version", "kubeletVersion"),
        ] {
            page.field(1, label, info.get(key).and_then(Value::as_str).unwrap_or(""));
        }
    }
    page.field(0, "PodCIDR", s(n, "/spec/podCIDR"));
    let cidrs: Vec<&str> = n.pointer("/spec/podCIDRs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    page.field(0, "PodCIDRs", cidrs.join(","));
    let selector = format!("spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed");
    let pods = list(client, &format!("/api/v1/pods?fieldSelector={}", encode(&selector)));
    let alloc_cpu = quantity_millis(s(n, "/status/allocatable/cpu"));
    let alloc_mem = quantity_millis(s(n, "/status/allocatable/memory"));
    page.field(0, "Non-terminated Pods", format!("({} in total)", pods.len()));
    page.line(1, "Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge");
    page.line(1, "---------\t----\t------------\t----------\t---------------\t-------------\t---");
    let mut totals = [0i128; 4];
    for p in &pods {
        let v = [
            container_sum(p, "requests", "cpu"),
            container_sum(p, "limits", "cpu"),
            container_sum(p, "requests", "memory"),
            container_sum(p, "limits", "memory"),
        ];
        for (t, x) in totals.iter_mut().zip(v) {
            *t += x;
        }
        page.line(
            1,
            format!(
                "{}\t{}\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{}",
                s(p, "/metadata/namespace"),
                s(p, "/metadata/name"),
                format_millis(v[0], false),
                percent(v[0], alloc_cpu),
                format_millis(v[1], false),
                percent(v[1], alloc_cpu),
                format_millis(v[2], true),
                percent(v[2], alloc_mem),
                format_millis(v[3], true),
                percent(v[3], alloc_mem),
                age(s(p, "/metadata/creationTimestamp"), now)
            ),
        );
    }
    page.line(0, "Allocated resources:");
    page.line(1, "(Total limits may be over 100 percent, i.e., overcommitted.)");
    page.line(1, "Resource\tRequests\tLimits");
    page.line(1, "--------\t--------\t------");
    page.line(1, format!("cpu\t{} ({}%)\t{} ({}%)", format_millis(totals[0], false), percent(totals[0], alloc_cpu), format_millis(totals[1], false), percent(totals[1], alloc_cpu)));
    page.line(1, format!("memory\t{} ({}%)\t{} ({}%)", format_millis(totals[2], true), percent(totals[2], alloc_mem), format_millis(totals[3], true), percent(totals[3], alloc_mem)));
    page.line(1, "ephemeral-storage\t0 (0%)\t0 (0%)");
    events(&mut page, client, n, "Node", now);
    page.finish()
}

fn or_unset(v: &str) -> &str {
    if v.is_empty() { "<unset>" } else { v }
}

pub fn namespace(client: &mut Client, ns: &Value) -> String {
    let mut page = Page::default();
    let name = s(ns, "/metadata/name");
    page.field(0, "Name", name);
    page.labels(0, "Labels", ns, "/metadata/labels");
    page.annotations(0, ns);
    page.field(0, "Status", s(ns, "/status/phase"));
    let quotas = list(client, &format!("/api/v1/namespaces/{name}/resourcequotas"));
    if quotas.is_empty() {
        page.line(0, "");
        page.line(0, "No resource quota.");
        page.line(0, "");
        page.line(0, "No LimitRange resource.");
    }
    page.finish()
}

pub fn config_map(client: &mut Client, cm: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    page.field(0, "Name", s(cm, "/metadata/name"));
    page.field(0, "Namespace", s(cm, "/metadata/namespace"));
    page.labels(0, "Labels", cm, "/metadata/labels");
    page.annotations(0, cm);
    page.line(0, "");
    page.line(0, "Data");
    page.line(0, "====");
    for (k, v) in obj_map(cm, "/data").into_iter().flatten() {
        page.line(0, format!("{k}:"));
        page.line(0, "----");
        page.line(0, v.as_str().unwrap_or(""));
        page.line(0, "");
    }
    page.line(0, "");
    page.line(0, "BinaryData");
    page.line(0, "====");
    for (k, v) in obj_map(cm, "/binaryData").into_iter().flatten() {
        page.line(0, format!("{k}: {} bytes", v.as_str().map_or(0, |b| b.len() * 3 / 4)));
    }
    page.line(0, "");
    events(&mut page, client, cm, "ConfigMap", now);
    page.finish()
}

pub fn secret(client: &mut Client, sec: &Value, now: Timestamp) -> String {
    use base64::Engine as _;
    let mut page = Page::default();
    page.field(0, "Name", s(sec, "/metadata/name"));
    page.field(0, "Namespace", s(sec, "/metadata/namespace"));
    page.labels(0, "Labels", sec, "/metadata/labels");
    page.annotations(0, sec);
    page.line(0, "");
    page.field(0, "Type", s(sec, "/type"));
    page.line(0, "");
    page.line(0, "Data");
    page.line(0, "====");
    for (k, v) in obj_map(sec, "/data").into_iter().flatten() {
        let bytes = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or("")).map(|b| b.len()).unwrap_or(0);
        page.field(0, k, format!("{bytes} bytes"));
    }
    let _ = (client, now);
    page.finish()
}

pub fn pvc(client: &mut Client, c: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    page.field(0, "Name", s(c, "/metadata/name"));
    page.field(0, "Namespace", s(c, "/metadata/namespace"));
    page.field(0, "StorageClass", s(c, "/spec/storageClassName"));
    page.field(0, "Status", s(c, "/status/phase"));
    page.field(0, "Volume", s(c, "/spec/volumeName"));
    page.labels(0, "Labels", c, "/metadata/labels");
    page.annotations(0, c);
    let finalizers: Vec<&str> = c.pointer("/metadata/finalizers").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    page.field(0, "Finalizers", format!("[{}]", finalizers.join(" ")));
    page.field(0, "Capacity", s(c, "/status/capacity/storage"));
    let modes: Vec<&str> = c.pointer("/status/accessModes").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(short_mode).collect();
    page.field(0, "Access Modes", modes.join(","));
    page.field(0, "VolumeMode", or_none(s(c, "/spec/volumeMode")));
    let ns = s(c, "/metadata/namespace");
    let name = s(c, "/metadata/name");
    let users: Vec<String> = list(client, &format!("/api/v1/namespaces/{ns}/pods"))
        .iter()
        .filter(|p| {
            p.pointer("/spec/volumes").and_then(Value::as_array).into_iter().flatten().any(|v| s(v, "/persistentVolumeClaim/claimName") == name)
        })
        .map(|p| s(p, "/metadata/name").to_string())
        .collect();
    page.field(0, "Used By", if users.is_empty() { "<none>".to_string() } else { users.join("\n\t") });
    events(&mut page, client, c, "PersistentVolumeClaim", now);
    page.finish()
}

fn short_mode(m: &str) -> &str {
    match m {
        "ReadWriteOnce" => "RWO",
        "ReadOnlyMany" => "ROX",
        "ReadWriteMany" => "RWX",
        "ReadWriteOncePod" => "RWOP",
        other => other,
    }
}

pub fn pv(client: &mut Client, v: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    page.field(0, "Name", s(v, "/metadata/name"));
    page.labels(0, "Labels", v, "/metadata/labels");
    page.annotations(0, v);
    let finalizers: Vec<&str> = v.pointer("/metadata/finalizers").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    page.field(0, "Finalizers", format!("[{}]", finalizers.join(" ")));
    page.field(0, "StorageClass", s(v, "/spec/storageClassName"));
    page.field(0, "Status", s(v, "/status/phase"));
    let claim = if s(v, "/spec/claimRef/name").is_empty() { String::new() } else { format!("{}/{}", s(v, "/spec/claimRef/namespace"), s(v, "/spec/claimRef/name")) };
    page.field(0, "Claim", claim);
    page.field(0, "Reclaim Policy", s(v, "/spec/persistentVolumeReclaimPolicy"));
    let modes: Vec<&str> = v.pointer("/spec/accessModes").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(short_mode).collect();
    page.field(0, "Access Modes", modes.join(","));
    page.field(0, "VolumeMode", or_none(s(v, "/spec/volumeMode")));
    page.field(0, "Capacity", s(v, "/spec/capacity/storage"));
    page.field(0, "Node Affinity", "<none>");
    page.field(0, "Message", s(v, "/status/message"));
    page.line(0, "Source:");
    if let Some(h) = v.pointer("/spec/hostPath") {
        page.field(1, "Type", "HostPath (bare host directory volume)");
        page.field(1, "Path", s(h, "/path"));
        page.field(1, "HostPathType", s(h, "/type"));
    }
    events(&mut page, client, v, "PersistentVolume", now);
    page.finish()
}
