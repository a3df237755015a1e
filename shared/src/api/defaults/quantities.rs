//! Where each kind keeps resource quantities, so they can be rewritten in
//! canonical form (Kubernetes reads `0.5` back as `500m`) and checked while decoding.

use crate::api::pod_spec::CONTAINER_LISTS;
use crate::api::quantity::Quantity;
use crate::api::Resource;
use serde_json::Value;

/// Quantity locations as paths; `*` stands for every list item or map value.
fn paths(resource: &Resource) -> Vec<Vec<&'static str>> {
    let pod_spec = |prefix: &[&'static str]| {
        let mut out = Vec::new();
        for list in CONTAINER_LISTS {
            for rl in ["requests", "limits"] {
                let mut p = prefix.to_vec();
                p.extend([list, "*", "resources", rl, "*"]);
                out.push(p);
            }
        }
        for tail in [
            &["overhead", "*"][..],
            &["resources", "requests", "*"],
            &["resources", "limits", "*"],
            &["volumes", "*", "emptyDir", "sizeLimit"],
            &[
                "volumes",
                "*",
                "ephemeral",
                "volumeClaimTemplate",
                "spec",
                "resources",
                "requests",
                "*",
            ],
        ] {
            let mut p = prefix.to_vec();
            p.extend(tail);
            out.push(p);
        }
        out
    };
    match (resource.group, resource.kind) {
        ("", "Pod") => pod_spec(&["spec"]),
        ("apps", "Deployment" | "ReplicaSet") => pod_spec(&["spec", "template", "spec"]),
        ("", "PersistentVolumeClaim") => vec![
            vec!["spec", "resources", "requests", "*"],
            vec!["spec", "resources", "limits", "*"],
            vec!["status", "capacity", "*"],
        ],
        ("", "PersistentVolume") => vec![vec!["spec", "capacity", "*"]],
        ("", "Node") => vec![
            vec!["status", "capacity", "*"],
            vec!["status", "allocatable", "*"],
        ],
        ("autoscaling", "HorizontalPodAutoscaler") => [
            "resource",
            "containerResource",
            "pods",
            "object",
            "external",
        ]
        .into_iter()
        .flat_map(|src| {
            ["value", "averageValue"]
                .into_iter()
                .map(move |k| vec!["spec", "metrics", "*", src, "target", k])
        })
        .collect(),
        _ => Vec::new(),
    }
}

fn walk<'v>(v: &'v Value, segs: &[&str], out: &mut Vec<&'v Value>) {
    let Some((first, rest)) = segs.split_first() else {
        out.push(v);
        return;
    };
    if *first == "*" {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, rest, out)),
            Value::Object(m) => m.values().for_each(|i| walk(i, rest, out)),
            _ => {}
        }
    } else if let Some(next) = v.get(*first) {
        walk(next, rest, out);
    }
}

fn walk_mut(v: &mut Value, segs: &[&str], f: &mut dyn FnMut(&mut Value)) {
    let Some((first, rest)) = segs.split_first() else {
        f(v);
        return;
    };
    if *first == "*" {
        match v {
            Value::Array(items) => items.iter_mut().for_each(|i| walk_mut(i, rest, f)),
            Value::Object(m) => m.values_mut().for_each(|i| walk_mut(i, rest, f)),
            _ => {}
        }
    } else if let Some(next) = v.get_mut(*first) {
        walk_mut(next, rest, f);
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Calls `f(value, text)` for every quantity field that is a string or number.
pub fn visit(resource: &Resource, obj: &Value, f: &mut dyn FnMut(&Value, &str)) {
    for p in paths(resource) {
        let mut found = Vec::new();
        walk(obj, &p, &mut found);
        for v in found {
            if let Some(t) = text(v) {
                f(v, &t);
            }
        }
    }
}

/// Rewrites every parseable quantity in canonical form; malformed ones are
/// left for validation to report.
pub fn canonicalize(resource: &Resource, obj: &mut Value) {
    for p in paths(resource) {
        walk_mut(obj, &p, &mut |v| {
            if let Some(q) = text(v).and_then(|t| Quantity::parse(&t).ok()) {
                *v = Value::String(q.canonical());
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources::by_kind;
    use serde_json::json;

    #[test]
    fn container_quantities_become_canonical() {
        let mut d = json!({"spec": {"template": {"spec": {"containers": [{"resources": {"limits": {"cpu": "0.5", "memory": 1024}}}]}}}});
        canonicalize(by_kind("Deployment").unwrap(), &mut d);
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"],
            json!({"cpu": "500m", "memory": "1024"})
        );
    }

    #[test]
    fn malformed_quantities_are_left_alone() {
        let mut p = json!({"spec": {"containers": [{"resources": {"requests": {"cpu": "abc"}}}]}});
        canonicalize(by_kind("Pod").unwrap(), &mut p);
        assert_eq!(
            p["spec"]["containers"][0]["resources"]["requests"]["cpu"],
            "abc"
        );
    }
}
