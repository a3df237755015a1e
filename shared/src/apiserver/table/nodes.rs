//! The Node table: `Ready`/`NotReady,SchedulingDisabled`, roles from
//! `node-role.kubernetes.io/*` labels, and the node's addresses and runtime.

use super::descriptions as doc;
use super::duration::since;
use super::fields::{bool_at, list_at, str_at, time};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use jiff::Timestamp;
use serde_json::Value;
use std::collections::BTreeSet;

pub(super) const PRINTER: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Status", "The status of the node"),
        Column::string("Roles", "The roles of the node"),
        Column::age(),
        Column::string("Version", doc::NODE_KUBELETVERSION),
        Column::string("Internal-IP", doc::NODE_ADDRESSES).wide(),
        Column::string("External-IP", doc::NODE_ADDRESSES).wide(),
        Column::string("OS-Image", doc::NODE_OSIMAGE).wide(),
        Column::string("Kernel-Version", doc::NODE_KERNELVERSION).wide(),
        Column::string("Container-Runtime", doc::NODE_CONTAINERRUNTIMEVERSION).wide(),
    ],
    rows: Rows::Each(row),
};

const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";
const LEGACY_ROLE_LABEL: &str = "kubernetes.io/role";

fn row(node: &Value, now: Timestamp) -> Row {
    let info = |field: &str| match str_at(node, &format!("/status/nodeInfo/{field}")) {
        "" => "<unknown>".to_string(),
        v => v.to_string(),
    };
    Row::new(vec![
        meta::name(node).into(),
        status(node).into(),
        roles(node).into(),
        since(time(node, "/metadata/creationTimestamp"), now).into(),
        str_at(node, "/status/nodeInfo/kubeletVersion").into(),
        address(node, "InternalIP").into(),
        address(node, "ExternalIP").into(),
        info("osImage").into(),
        info("kernelVersion").into(),
        info("containerRuntimeVersion").into(),
    ])
}

/// `Ready`, `NotReady` or `Unknown` from the Ready condition, then
/// `SchedulingDisabled` for a cordoned node.
fn status(node: &Value) -> String {
    // A repeated condition type counts by its last entry.
    let ready = list_at(node, "/status/conditions")
        .iter()
        .rev()
        .find(|c| str_at(c, "/type") == "Ready");
    let mut status = vec![match ready {
        Some(c) if str_at(c, "/status") == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if bool_at(node, "/spec/unschedulable") {
        status.push("SchedulingDisabled");
    }
    status.join(",")
}

/// Sorted roles, or `<none>`.
fn roles(node: &Value) -> String {
    let mut roles = BTreeSet::new();
    for (key, value) in meta::labels(node).into_iter().flatten() {
        if let Some(role) = key
            .strip_prefix(ROLE_LABEL_PREFIX)
            .filter(|r| !r.is_empty())
        {
            roles.insert(role.to_string());
        } else if key == LEGACY_ROLE_LABEL {
            if let Some(role) = value.as_str().filter(|r| !r.is_empty()) {
                roles.insert(role.to_string());
            }
        }
    }
    if roles.is_empty() {
        "<none>".into()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    }
}

/// The first address of `kind`, or `<none>`.
fn address(node: &Value, kind: &str) -> String {
    list_at(node, "/status/addresses")
        .iter()
        .find(|a| str_at(a, "/type") == kind)
        .map_or_else(|| "<none>".into(), |a| str_at(a, "/address").to_string())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::{json, Value};

    fn node(labels: Value, ready: &str, unschedulable: bool) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "kubeplay-control-plane", "labels": labels, "creationTimestamp": ago(86400 * 2 + 3600 * 5)},
            "spec": {"unschedulable": unschedulable},
            "status": {
                "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": ready}],
                "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "kubeplay-control-plane"}],
                "nodeInfo": {"kubeletVersion": "v1.35.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                             "kernelVersion": "6.8.0-45-generic", "containerRuntimeVersion": "containerd://2.1.0"},
            },
        })
    }

    #[test]
    fn ready_control_plane_node() {
        let n = node(
            json!({"node-role.kubernetes.io/control-plane": "", "kubernetes.io/hostname": "x"}),
            "True",
            false,
        );
        assert_eq!(
            cells(&n),
            json!([
                "kubeplay-control-plane",
                "Ready",
                "control-plane",
                "2d5h",
                "v1.35.0",
                "172.18.0.2",
                "<none>",
                "Debian GNU/Linux 12 (bookworm)",
                "6.8.0-45-generic",
                "containerd://2.1.0"
            ])
        );
        let wide: Vec<_> = headers(&n)
            .into_iter()
            .filter(|(_, _, p)| *p == 1)
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(
            wide,
            [
                "Internal-IP",
                "External-IP",
                "OS-Image",
                "Kernel-Version",
                "Container-Runtime"
            ]
        );
    }

    #[test]
    fn cordoned_not_ready_worker_without_roles() {
        let n = node(json!({}), "False", true);
        assert_eq!(cells(&n)[1], "NotReady,SchedulingDisabled");
        assert_eq!(cells(&n)[2], "<none>");
        let unknown = node(json!({}), "Unknown", false);
        assert_eq!(cells(&unknown)[1], "NotReady");
    }

    #[test]
    fn node_without_ready_condition_is_unknown() {
        let n = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "new"}});
        assert_eq!(
            cells(&n),
            json!([
                "new",
                "Unknown",
                "<none>",
                "<unknown>",
                "",
                "<none>",
                "<none>",
                "<unknown>",
                "<unknown>",
                "<unknown>"
            ])
        );
    }

    #[test]
    fn roles_come_from_both_label_styles_sorted() {
        let n = node(
            json!({"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/": "", "kubernetes.io/role": "edge",
                            "node-role.kubernetes.io/ingress": "true"}),
            "True",
            false,
        );
        assert_eq!(cells(&n)[2], "edge,ingress,worker");
    }
}
