//! `kubectl describe` for Services (ports, endpoints) and Ingresses (rules and backends).

use super::{events, int, or_none, s, selector_text, Page};
use crate::kubectl::client::Client;
use jiff::Timestamp;
use serde_json::Value;

fn port_value(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

pub fn service(client: &mut Client, svc: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    let ns = s(svc, "/metadata/namespace");
    let name = s(svc, "/metadata/name");
    page.field(0, "Name", name);
    page.field(0, "Namespace", ns);
    page.labels(0, "Labels", svc, "/metadata/labels");
    page.annotations(0, svc);
    page.field(0, "Selector", selector_text(svc.pointer("/spec/selector")));
    let kind = s(svc, "/spec/type");
    page.field(0, "Type", kind);
    if !s(svc, "/spec/ipFamilyPolicy").is_empty() {
        page.field(0, "IP Family Policy", s(svc, "/spec/ipFamilyPolicy"));
    }
    let families: Vec<&str> = svc.pointer("/spec/ipFamilies").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    if !families.is_empty() {
        page.field(0, "IP Families", families.join(","));
    }
    if kind == "ExternalName" {
        page.field(0, "External Name", s(svc, "/spec/externalName"));
    } else {
        page.field(0, "IP", s(svc, "/spec/clusterIP"));
        let ips: Vec<&str> = svc.pointer("/spec/clusterIPs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        if !ips.is_empty() {
            page.field(0, "IPs", ips.join(","));
        }
    }
    let lb: Vec<&str> = svc
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("ip").or_else(|| i.get("hostname")).and_then(Value::as_str))
        .collect();
    if !lb.is_empty() {
        page.field(0, "LoadBalancer Ingress", lb.join(", "));
    }
    let endpoints = client.get(&format!("/api/v1/namespaces/{ns}/endpoints/{name}")).ok();
    for p in svc.pointer("/spec/ports").and_then(Value::as_array).into_iter().flatten() {
        let port_name = s(p, "/name");
        let proto = if s(p, "/protocol").is_empty() { "TCP" } else { s(p, "/protocol") };
        let shown_name = if port_name.is_empty() { "<unset>" } else { port_name };
        page.field(0, "Port", format!("{shown_name}  {}/{proto}", int(p, "/port")));
        let target = port_value(p.get("targetPort"));
        page.field(0, "TargetPort", format!("{}/{proto}", if target.is_empty() { int(p, "/port").to_string() } else { target }));
        if int(p, "/nodePort") > 0 {
            page.field(0, "NodePort", format!("{shown_name}  {}/{proto}", int(p, "/nodePort")));
        }
        page.field(0, "Endpoints", endpoint_text(endpoints.as_ref(), port_name));
    }
    page.field(0, "Session Affinity", or_none(s(svc, "/spec/sessionAffinity")));
    if kind == "NodePort" || kind == "LoadBalancer" {
        page.field(0, "External Traffic Policy", s(svc, "/spec/externalTrafficPolicy"));
    }
    if !s(svc, "/spec/internalTrafficPolicy").is_empty() {
        page.field(0, "Internal Traffic Policy", s(svc, "/spec/internalTrafficPolicy"));
    }
    events(&mut page, client, svc, "Service", now);
    page.finish()
}

/// `10.244.1.2:3000,10.244.2.2:3000` for one service port, `<none>` without ready addresses.
fn endpoint_text(endpoints: Option<&Value>, port_name: &str) -> String {
    let mut out = Vec::new();
    for subset in endpoints.and_then(|e| e.get("subsets")).and_then(Value::as_array).into_iter().flatten() {
        let port = subset
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| s(p, "/name") == port_name)
            .map(|p| int(p, "/port"));
        let Some(port) = port else { continue };
        for a in subset.get("addresses").and_then(Value::as_array).into_iter().flatten() {
            out.push(format!("{}:{port}", s(a, "/ip")));
        }
    }
    if out.is_empty() { "<none>".into() } else { out.join(",") }
}

fn backend_text(b: &Value) -> String {
    let svc = s(b, "/service/name");
    let port = b.pointer("/service/port/number").and_then(Value::as_i64).map_or_else(|| s(b, "/service/port/name").to_string(), |n| n.to_string());
    format!("{svc}:{port}")
}

pub fn ingress(client: &mut Client, ing: &Value, now: Timestamp) -> String {
    let mut page = Page::default();
    let ns = s(ing, "/metadata/namespace");
    page.field(0, "Name", s(ing, "/metadata/name"));
    page.labels(0, "Labels", ing, "/metadata/labels");
    page.field(0, "Namespace", ns);
    let addrs: Vec<&str> = ing
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("ip").or_else(|| i.get("hostname")).and_then(Value::as_str))
        .collect();
    page.field(0, "Address", addrs.join(","));
    page.field(0, "Ingress Class", or_none(s(ing, "/spec/ingressClassName")));
    match ing.pointer("/spec/defaultBackend") {
        Some(b) => page.field(0, "Default backend", backend_text(b)),
        None => page.field(0, "Default backend", "<default>"),
    }
    page.line(0, "Rules:");
    page.line(1, "Host\tPath\tBackends");
    page.line(1, "----\t----\t--------");
    for rule in ing.pointer("/spec/rules").and_then(Value::as_array).into_iter().flatten() {
        let host = if s(rule, "/host").is_empty() { "*" } else { s(rule, "/host") };
        page.line(1, host);
        for p in rule.pointer("/http/paths").and_then(Value::as_array).into_iter().flatten() {
            let backend = backend_text(p.get("backend").unwrap_or(&Value::Null));
            let svc = s(p, "/backend/service/name");
            let eps = client
                .get(&format!("/api/v1/namespaces/{ns}/endpoints/{svc}"))
                .ok()
                .map(|e| {
                    let ips: Vec<String> = e
                        .get("subsets")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .flat_map(|sub| {
                            let port = sub.pointer("/ports/0/port").and_then(Value::as_i64).unwrap_or(0);
                            sub.get("addresses").and_then(Value::as_array).into_iter().flatten().map(move |a| format!("{}:{port}", s(a, "/ip")))
                        })
                        .collect();
                    if ips.is_empty() { "<none>".to_string() } else { ips.join(",") }
                })
                .unwrap_or_else(|| "<error: endpoints \"".to_string() + svc + "\" not found>");
            page.line(1, format!("\t{}\t{backend} ({eps})", s(p, "/path")));
        }
    }
    page.annotations(0, ing);
    events(&mut page, client, ing, "Ingress", now);
    page.finish()
}
