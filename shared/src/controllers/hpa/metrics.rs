//! Where the HPA reads pod usage: the resource metrics API (`metrics.k8s.io`
//! PodMetrics), behind a trait so tests and simulations can supply their own.

use crate::api::quantity::Quantity;
use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use crate::store::selector::LabelSelector;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;

/// One pod's usage sample, per container, in milli-units per resource name.
#[derive(Debug, Clone, PartialEq)]
pub struct PodUsage {
    pub pod: String,
    pub timestamp: Timestamp,
    pub window: SignedDuration,
    pub containers: Vec<ContainerUsage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContainerUsage {
    pub name: String,
    /// `cpu` → millicores, `memory` → millibytes (Kubernetes' `MilliValue`).
    pub usage: BTreeMap<String, i64>,
}

impl PodUsage {
    /// The pod's total for `resource`; `None` when a container did not report it
    /// (Kubernetes then leaves the whole pod out).
    pub fn total(&self, resource: &str) -> Option<i64> {
        self.containers
            .iter()
            .map(|c| c.usage.get(resource).copied())
            .sum()
    }
}

/// A source of pod usage samples.
pub trait MetricsSource {
    /// Samples of the pods in `namespace` matching `selector`, as of `now`.
    fn pod_metrics(
        &self,
        api: &ApiServer,
        namespace: &str,
        selector: &LabelSelector,
        now: Timestamp,
    ) -> Vec<PodUsage>;
}

/// Reads `PodMetrics` objects (`metrics.k8s.io/v1beta1`, named like their pods).
/// Until that kind is served it yields nothing, so HPAs report missing metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct PodMetricsApi;

impl MetricsSource for PodMetricsApi {
    fn pod_metrics(
        &self,
        api: &ApiServer,
        namespace: &str,
        selector: &LabelSelector,
        _now: Timestamp,
    ) -> Vec<PodUsage> {
        let (Some(metrics), Some(pods)) = (
            resources::by_plural("metrics.k8s.io", "v1beta1", "pods"),
            resources::by_plural("", "v1", "pods"),
        ) else {
            return Vec::new();
        };
        api.list(pods, Some(namespace))
            .filter(|p| selector.matches(meta::labels(p)))
            .filter_map(|p| api.get(metrics, namespace, meta::name(p)).ok())
            .filter_map(|m| parse_pod_metrics(m))
            .collect()
    }
}

/// Reads metrics-server's PodMetrics JSON; `None` when it is malformed.
pub fn parse_pod_metrics(m: &Value) -> Option<PodUsage> {
    let timestamp = m.get("timestamp")?.as_str()?.parse().ok()?;
    let window = m
        .get("window")
        .and_then(Value::as_str)
        .and_then(parse_go_duration)
        .unwrap_or(SignedDuration::ZERO);
    let containers = m
        .get("containers")?
        .as_array()?
        .iter()
        .map(|c| ContainerUsage {
            name: c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            usage: c
                .get("usage")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| {
                    let q = Quantity::parse(v.as_str()?).ok()?;
                    Some((k.clone(), i64::try_from(q.millis()).ok()?))
                })
                .collect(),
        })
        .collect();
    Some(PodUsage {
        pod: meta::name(m).to_string(),
        timestamp,
        window,
        containers,
    })
}

/// Go's `time.Duration` text as metrics-server writes `window` (`15s`, `1m0s`, `500ms`).
fn parse_go_duration(s: &str) -> Option<SignedDuration> {
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    SignedDuration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metrics_server_json_is_read_in_milli_units() {
        let m = json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
            "metadata": {"name": "web-1", "namespace": "default"},
            "timestamp": "2026-01-01T00:00:00Z", "window": "15s",
            "containers": [{"name": "api", "usage": {"cpu": "250m", "memory": "64Mi"}},
                           {"name": "sidecar", "usage": {"cpu": "50m"}}]});
        let u = parse_pod_metrics(&m).unwrap();
        assert_eq!(u.pod, "web-1");
        assert_eq!(u.window, SignedDuration::from_secs(15));
        assert_eq!(u.total("cpu"), Some(300));
        assert_eq!(u.total("memory"), None, "the sidecar reported no memory");
        assert_eq!(u.containers[0].usage["memory"], 64 * 1024 * 1024 * 1000);
    }

    #[test]
    fn go_durations() {
        assert_eq!(
            parse_go_duration("1m0s"),
            Some(SignedDuration::from_secs(60))
        );
        assert_eq!(
            parse_go_duration("500ms"),
            Some(SignedDuration::from_millis(500))
        );
        assert_eq!(parse_go_duration("soon"), None);
    }

    #[test]
    fn without_the_metrics_kind_the_api_source_yields_nothing() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let api = ApiServer::new(1, t0);
        if resources::by_plural("metrics.k8s.io", "v1beta1", "pods").is_none() {
            assert!(PodMetricsApi
                .pod_metrics(&api, "default", &LabelSelector::everything(), t0)
                .is_empty());
        }
    }
}
