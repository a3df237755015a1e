//! Tables for the apps group: Deployments (`READY 2/3`), ReplicaSets and the
//! ControllerRevisions behind rollout history.

use super::descriptions as doc;
use super::duration::since;
use super::fields::{list_at, opt_int, str_at, time};
use super::selector::{format_label_selector, label_selector};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use crate::api::resources::split_api_version;
use jiff::Timestamp;
use serde_json::Value;

const CONTAINERS: Column =
    Column::string("Containers", "Names of each container in the template.").wide();
const IMAGES: Column = Column::string(
    "Images",
    "Images referenced by each container in the template.",
)
.wide();

pub(super) const DEPLOYMENT: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Ready", "Number of the pod with ready state"),
        Column::string("Up-to-date", doc::D_UPDATED),
        Column::string("Available", doc::D_AVAILABLE),
        Column::age(),
        CONTAINERS,
        IMAGES,
        Column::string("Selector", doc::D_SELECTOR).wide(),
    ],
    rows: Rows::Each(deployment_row),
};

pub(super) const REPLICA_SET: Printer = Printer {
    columns: &[
        Column::name(),
        Column::integer("Desired", doc::RS_REPLICAS),
        Column::integer("Current", doc::RS_SREPLICAS),
        Column::integer("Ready", doc::RS_READY),
        Column::age(),
        CONTAINERS,
        IMAGES,
        Column::string("Selector", doc::RS_SELECTOR).wide(),
    ],
    rows: Rows::Each(replica_set_row),
};

pub(super) const CONTROLLER_REVISION: Printer = Printer {
    columns: &[
        Column::name(),
        Column::string("Controller", "Controller of the object"),
        Column::string("Revision", doc::CR_REVISION),
        Column::age(),
    ],
    rows: Rows::Each(controller_revision_row),
};

/// `spec.replicas`, which defaulting sets to 1 when left out.
fn desired_replicas(obj: &Value) -> i64 {
    opt_int(obj, "/spec/replicas").unwrap_or(1)
}

fn deployment_row(d: &Value, now: Timestamp) -> Row {
    let (names, images) = containers(d);
    // An unconvertible selector prints `<invalid>`; an empty one prints nothing.
    let selector =
        label_selector(d.pointer("/spec/selector")).unwrap_or_else(|_| "<invalid>".into());
    Row::new(vec![
        meta::name(d).into(),
        format!(
            "{}/{}",
            opt_int(d, "/status/readyReplicas").unwrap_or(0),
            desired_replicas(d)
        )
        .into(),
        opt_int(d, "/status/updatedReplicas").unwrap_or(0).into(),
        opt_int(d, "/status/availableReplicas").unwrap_or(0).into(),
        since(time(d, "/metadata/creationTimestamp"), now).into(),
        names.into(),
        images.into(),
        selector.into(),
    ])
}

fn replica_set_row(rs: &Value, now: Timestamp) -> Row {
    let (names, images) = containers(rs);
    Row::new(vec![
        meta::name(rs).into(),
        desired_replicas(rs).into(),
        opt_int(rs, "/status/replicas").unwrap_or(0).into(),
        opt_int(rs, "/status/readyReplicas").unwrap_or(0).into(),
        since(time(rs, "/metadata/creationTimestamp"), now).into(),
        names.into(),
        images.into(),
        format_label_selector(rs.pointer("/spec/selector")).into(),
    ])
}

/// Container names and images of the pod template, comma-joined.
fn containers(obj: &Value) -> (String, String) {
    let list = list_at(obj, "/spec/template/spec/containers");
    let names: Vec<&str> = list.iter().map(|c| str_at(c, "/name")).collect();
    let images: Vec<&str> = list.iter().map(|c| str_at(c, "/image")).collect();
    (names.join(","), images.join(","))
}

fn controller_revision_row(cr: &Value, now: Timestamp) -> Row {
    let controller = list_at(cr, "/metadata/ownerReferences")
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map_or_else(|| "<none>".to_string(), controller_name);
    Row::new(vec![
        meta::name(cr).into(),
        controller.into(),
        opt_int(cr, "/revision").unwrap_or(0).into(),
        since(time(cr, "/metadata/creationTimestamp"), now).into(),
    ])
}

/// `daemonset.apps/web`: the owner's group kind in lower case, then its name.
fn controller_name(owner: &Value) -> String {
    let (group, _) = split_api_version(str_at(owner, "/apiVersion"));
    let kind = str_at(owner, "/kind");
    let name = str_at(owner, "/name");
    match (kind, group) {
        ("", "") => name.to_string(),
        (kind, "") => format!("{}/{name}", kind.to_lowercase()),
        (kind, group) => format!("{}.{}/{name}", kind.to_lowercase(), group.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::{json, Value};

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "my-api", "namespace": "default", "creationTimestamp": ago(600)},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "my-api"}},
                "template": {"spec": {"containers": [
                    {"name": "api", "image": "ghcr.io/acme/api:1.2"},
                    {"name": "proxy", "image": "envoyproxy/envoy:v1.30"},
                ]}},
            },
            "status": {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2},
        })
    }

    #[test]
    fn deployment_golden_row() {
        assert_eq!(
            cells(&deployment()),
            json!([
                "my-api",
                "2/3",
                3,
                2,
                "10m",
                "api,proxy",
                "ghcr.io/acme/api:1.2,envoyproxy/envoy:v1.30",
                "app=my-api"
            ])
        );
        assert_eq!(
            headers(&deployment()),
            expect_headers(&[
                ("Name", "string", 0),
                ("Ready", "string", 0),
                ("Up-to-date", "string", 0),
                ("Available", "string", 0),
                ("Age", "string", 0),
                ("Containers", "string", 1),
                ("Images", "string", 1),
                ("Selector", "string", 1),
            ])
        );
    }

    #[test]
    fn new_deployment_without_status_counts_zero() {
        let mut d = deployment();
        d.as_object_mut().unwrap().remove("status");
        d["spec"]["selector"] = json!({});
        let c = cells(&d);
        assert_eq!(c[1], "0/3");
        assert_eq!(c[2], 0);
        assert_eq!(c[7], "");
    }

    #[test]
    fn replica_set_golden_row() {
        let rs = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "my-api-5d8f7b9c4", "creationTimestamp": ago(90)},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "my-api", "pod-template-hash": "5d8f7b9c4"}},
                "template": {"spec": {"containers": [{"name": "api", "image": "ghcr.io/acme/api:1.2"}]}},
            },
            "status": {"replicas": 3, "readyReplicas": 1},
        });
        assert_eq!(
            cells(&rs),
            json!([
                "my-api-5d8f7b9c4",
                3,
                3,
                1,
                "90s",
                "api",
                "ghcr.io/acme/api:1.2",
                "app=my-api,pod-template-hash=5d8f7b9c4"
            ])
        );
        let types: Vec<_> = headers(&rs).into_iter().map(|(_, t, p)| (t, p)).collect();
        assert_eq!(types[1], ("integer".to_string(), 0));
        assert_eq!(types[7], ("string".to_string(), 1));
    }

    #[test]
    fn replica_set_without_selector_prints_none() {
        let rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "x"}, "spec": {"replicas": 0}});
        assert_eq!(
            cells(&rs),
            json!(["x", 0, 0, 0, "<unknown>", "", "", "<none>"])
        );
    }

    #[test]
    fn controller_revision_names_its_controller() {
        let cr = json!({
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": "fluentd-6b7f8c", "creationTimestamp": ago(7200),
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "fluentd", "uid": "u", "controller": true}]},
            "revision": 2,
        });
        assert_eq!(
            cells(&cr),
            json!(["fluentd-6b7f8c", "daemonset.apps/fluentd", 2, "120m"])
        );
        let orphan = json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "o"}, "revision": 1});
        assert_eq!(cells(&orphan)[1], "<none>");
    }
}
