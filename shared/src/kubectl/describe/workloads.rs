//! `kubectl describe` for Deployments, ReplicaSets and HorizontalPodAutoscalers.

use super::pod::template_into;
use super::{controlled_by, events, int, label_selector_text, list, rfc1123, s, Page};
use crate::kubectl::client::{encode, Client};
use jiff::Timestamp;
use serde_json::Value;

fn int_or_percent(v: Option<&Value>, default: &str) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => default.to_string(),
    }
}

fn owned_by<'a>(items: &'a [Value], uid: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|o| o.pointer("/metadata/ownerReferences").and_then(Value::as_array).into_iter().flatten().any(|r| r["uid"] == uid))
        .collect()
}

pub fn deployment(client: &mut Client, d: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    let ns = s(d, "/metadata/namespace");
    page.field(0, "Name", s(d, "/metadata/name"));
    page.field(0, "Namespace", ns);
    page.field(0, "CreationTimestamp", rfc1123(s(d, "/metadata/creationTimestamp")));
    page.labels(0, "Labels", d, "/metadata/labels");
    page.annotations(0, d);
    page.field(0, "Selector", label_selector_text(d.pointer("/spec/selector")));
    let desired = d.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
    page.field(
        0,
        "Replicas",
        format!(
            "{desired} desired | {} updated | {} total | {} available | {} unavailable",
            int(d, "/status/updatedReplicas"),
            int(d, "/status/replicas"),
            int(d, "/status/availableReplicas"),
            int(d, "/status/unavailableReplicas")
        ),
    );
    let strategy = s(d, "/spec/strategy/type");
    page.field(0, "StrategyType", strategy);
    page.field(0, "MinReadySeconds", int(d, "/spec/minReadySeconds"));
    if strategy == "RollingUpdate" {
        let ru = d.pointer("/spec/strategy/rollingUpdate");
        let unavailable = int_or_percent(ru.and_then(|r| r.get("maxUnavailable")), "25%");
        let surge = int_or_percent(ru.and_then(|r| r.get("maxSurge")), "25%");
        page.field(0, "RollingUpdateStrategy", format!("{unavailable} max unavailable, {surge} max surge"));
    }
    page.line(0, "Pod Template:");
    template_into(&mut page, d.pointer("/spec/template").unwrap_or(&Value::Null), 1);
    let conditions: Vec<&Value> = d.pointer("/status/conditions").and_then(Value::as_array).into_iter().flatten().collect();
    if !conditions.is_empty() {
        page.line(0, "Conditions:");
        page.line(1, "Type\tStatus\tReason");
        page.line(1, "----\t------\t------");
        for c in conditions {
            page.line(1, format!("{}\t{}\t{}", s(c, "/type"), s(c, "/status"), s(c, "/reason")));
        }
    }
    let sel = d
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    let all = list(client, &format!("/apis/apps/v1/namespaces/{ns}/replicasets?labelSelector={}", encode(&sel)));
    let mut owned = owned_by(&all, s(d, "/metadata/uid"));
    let revision = |rs: &Value| rs.pointer("/metadata/annotations/deployment.kubernetes.io~1revision").and_then(Value::as_str).and_then(|r| r.parse::<i64>().ok()).unwrap_or(0);
    owned.sort_by_key(|rs| -revision(rs));
    let describe_rs = |rs: &Value| format!("{} ({}/{} replicas created)", s(rs, "/metadata/name"), int(rs, "/status/replicas"), int(rs, "/spec/replicas"));
    let new_rs = owned.iter().find(|rs| {
        let mut t = rs.pointer("/spec/template").cloned().unwrap_or(Value::Null);
        if let Some(l) = t.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
            l.remove("pod-template-hash");
        }
        Some(&t) == d.pointer("/spec/template")
    });
    let old: Vec<String> = owned
        .iter()
        .filter(|rs| Some(**rs) != new_rs.copied() && int(rs, "/spec/replicas") + int(rs, "/status/replicas") > 0)
        .map(|rs| describe_rs(rs))
        .collect();
    page.field(0, "OldReplicaSets", if old.is_empty() { "<none>".to_string() } else { old.join(", ") });
    page.field(0, "NewReplicaSet", new_rs.map_or_else(|| "<none>".to_string(), |rs| describe_rs(rs)));
    events(&mut page, client, d, "Deployment", now);
    page.finish()
}

pub fn replica_set(client: &mut Client, rs: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    let ns = s(rs, "/metadata/namespace");
    page.field(0, "Name", s(rs, "/metadata/name"));
    page.field(0, "Namespace", ns);
    page.field(0, "Selector", label_selector_text(rs.pointer("/spec/selector")));
    page.labels(0, "Labels", rs, "/metadata/labels");
    page.annotations(0, rs);
    controlled_by(&mut page, rs);
    page.field(0, "Replicas", format!("{} current / {} desired", int(rs, "/status/replicas"), rs.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1)));
    let sel = label_selector_text(rs.pointer("/spec/selector"));
    let pods = list(client, &format!("/api/v1/namespaces/{ns}/pods?labelSelector={}", encode(&sel)));
    let pods = owned_by(&pods, s(rs, "/metadata/uid"));
    let phase = |p: &str| pods.iter().filter(|x| s(x, "/status/phase") == p).count();
    page.field(0, "Pods Status", format!("{} Running / {} Waiting / {} Succeeded / {} Failed", phase("Running"), phase("Pending"), phase("Succeeded"), phase("Failed")));
    page.line(0, "Pod Template:");
    template_into(&mut page, rs.pointer("/spec/template").unwrap_or(&Value::Null), 1);
    events(&mut page, client, rs, "ReplicaSet", now);
    page.finish()
}

pub fn hpa(client: &mut Client, h: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    page.field(0, "Name", s(h, "/metadata/name"));
    page.field(0, "Namespace", s(h, "/metadata/namespace"));
    page.labels(0, "Labels", h, "/metadata/labels");
    page.annotations(0, h);
    page.field(0, "CreationTimestamp", rfc1123(s(h, "/metadata/creationTimestamp")));
    page.field(0, "Reference", format!("{}/{}", s(h, "/spec/scaleTargetRef/kind"), s(h, "/spec/scaleTargetRef/name")));
    page.line(0, "Metrics:\t( current / target )");
    let current: Vec<&Value> = h.pointer("/status/currentMetrics").and_then(Value::as_array).into_iter().flatten().collect();
    for m in h.pointer("/spec/metrics").and_then(Value::as_array).into_iter().flatten() {
        if s(m, "/type") != "Resource" {
            continue;
        }
        let name = s(m, "/resource/name");
        let now_metric = current.iter().find(|c| s(c, "/resource/name") == name);
        let target = m.pointer("/resource/target");
        match target.map(|t| s(t, "/type")) {
            Some("Utilization") => {
                let cur = now_metric
                    .and_then(|c| c.pointer("/resource/current/averageUtilization"))
                    .and_then(Value::as_i64)
                    .map_or("<unknown>".to_string(), |u| {
                        let value = now_metric.map(|c| s(c, "/resource/current/averageValue")).unwrap_or("");
                        format!("{u}% ({value})")
                    });
                let want = target.and_then(|t| t.get("averageUtilization")).and_then(Value::as_i64).unwrap_or(0);
                page.line(1, format!("resource {name} on pods  (as a percentage of request):\t{cur} / {want}%"));
            }
            _ => {
                let cur = now_metric.map(|c| s(c, "/resource/current/averageValue")).filter(|v| !v.is_empty()).unwrap_or("<unknown>");
                let want = target.map(|t| s(t, "/averageValue")).unwrap_or("");
                page.line(1, format!("resource {name} on pods:\t{cur} / {want}"));
            }
        }
    }
    page.field(0, "Min replicas", h.pointer("/spec/minReplicas").and_then(Value::as_i64).unwrap_or(1));
    page.field(0, "Max replicas", int(h, "/spec/maxReplicas"));
    page.field(
        0,
        &format!("{} pods", s(h, "/spec/scaleTargetRef/kind")),
        format!("{} current / {} desired", int(h, "/status/currentReplicas"), int(h, "/status/desiredReplicas")),
    );
    let conditions: Vec<&Value> = h.pointer("/status/conditions").and_then(Value::as_array).into_iter().flatten().collect();
    if !conditions.is_empty() {
        page.line(0, "Conditions:");
        page.line(1, "Type\tStatus\tReason\tMessage");
        page.line(1, "----\t------\t------\t-------");
        for c in conditions {
            page.line(1, format!("{}\t{}\t{}\t{}", s(c, "/type"), s(c, "/status"), s(c, "/reason"), s(c, "/message")));
        }
    }
    events(&mut page, client, h, "HorizontalPodAutoscaler", now);
    page.finish()
}
