//! Tables for metrics-server's kinds: name, summed usage per resource, window,
//! the columns metrics-server itself serves for `kubectl get podmetrics`.

use super::fields::{map_at, str_at};
use super::{Column, Printer, Row, Rows};
use crate::api::meta;
use crate::api::quantity::Quantity;
use jiff::Timestamp;
use serde_json::Value;

const COLUMNS: &[Column] = &[
    Column::name(),
    Column::string("cpu", "").formatted("quantity"),
    Column::string("memory", "").formatted("quantity"),
    Column::string("Window", "").formatted("duration"),
];

pub(super) const POD_METRICS: Printer = Printer {
    columns: COLUMNS,
    rows: Rows::Each(pod_row),
};
pub(super) const NODE_METRICS: Printer = Printer {
    columns: COLUMNS,
    rows: Rows::Each(node_row),
};

/// Sums one resource over usage lists: CPU in millicores, memory in Ki, as metrics-server reports them.
fn summed<'a>(usages: impl Iterator<Item = &'a Value>, resource: &str) -> String {
    let total: i128 = usages
        .filter_map(|u| u.get(resource).and_then(Value::as_str))
        .filter_map(|q| Quantity::parse(q).ok())
        .map(|q| {
            if resource == "cpu" {
                q.millis()
            } else {
                q.value()
            }
        })
        .sum();
    if resource == "cpu" {
        format!("{total}m")
    } else {
        format!("{}Ki", total / 1024)
    }
}

fn pod_row(pm: &Value, _now: Timestamp) -> Row {
    let containers = pm
        .get("containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let usages = || containers.iter().filter_map(|c| c.get("usage"));
    Row::new(vec![
        meta::name(pm).into(),
        summed(usages(), "cpu").into(),
        summed(usages(), "memory").into(),
        str_at(pm, "/window").into(),
    ])
}

fn node_row(nm: &Value, _now: Timestamp) -> Row {
    let usage = map_at(nm, "/usage").map(|_| &nm["usage"]);
    Row::new(vec![
        meta::name(nm).into(),
        summed(usage.into_iter(), "cpu").into(),
        summed(usage.into_iter(), "memory").into(),
        str_at(nm, "/window").into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use serde_json::json;

    #[test]
    fn pod_metrics_sum_their_containers() {
        let pm = json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
            "metadata": {"name": "web", "namespace": "default"}, "timestamp": ago(5), "window": "15s",
            "containers": [{"name": "a", "usage": {"cpu": "5m", "memory": "10Mi"}},
                           {"name": "b", "usage": {"cpu": "1500000n", "memory": "2048Ki"}}]});
        assert_eq!(cells(&pm), json!(["web", "7m", "12288Ki", "15s"]));
        assert_eq!(
            headers(&pm)[1],
            ("cpu".to_string(), "string".to_string(), 0)
        );
    }

    #[test]
    fn node_metrics_show_usage() {
        let nm = json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "NodeMetrics",
            "metadata": {"name": "node-1"}, "window": "20s", "usage": {"cpu": "250m", "memory": "1Gi"}});
        assert_eq!(cells(&nm), json!(["node-1", "250m", "1048576Ki", "20s"]));
    }
}
