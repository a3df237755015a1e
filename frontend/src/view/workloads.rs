//! Deployments and HorizontalPodAutoscalers in brief: desired against ready replicas, and the
//! CPU utilisation an autoscaler acts on, which the chart plots over time.

use kubeplay_shared::api::{meta, resources};
use kubeplay_shared::ApiServer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// kubectl's Deployment row: `READY 2/3`, `UP-TO-DATE`, `AVAILABLE`, plus its images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DeploymentView {
    pub namespace: String,
    pub name: String,
    pub desired: u32,
    pub ready: u32,
    pub up_to_date: u32,
    pub available: u32,
    pub images: String,
    /// `app=web`: the pod labels its Service selects, to match a Service to it.
    pub template_labels: String,
}

/// One HorizontalPodAutoscaler, as `kubectl get hpa` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HpaView {
    pub namespace: String,
    pub name: String,
    /// `Deployment/web`.
    pub target: String,
    pub min: u32,
    pub max: u32,
    pub current_replicas: u32,
    pub desired_replicas: u32,
    /// Average CPU utilisation of the pods, in percent of their requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_target: Option<u32>,
}

fn count(obj: &Value, pointer: &str) -> u32 {
    obj.pointer(pointer).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

pub(crate) fn build_deployments(api: &ApiServer) -> Vec<DeploymentView> {
    let Some(r) = resources::by_plural("apps", "v1", "deployments") else { return Vec::new() };
    api.list(r, None)
        .map(|d| {
            let containers = d.pointer("/spec/template/spec/containers").and_then(Value::as_array);
            let images: Vec<&str> = containers
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|c| c["image"].as_str())
                .collect();
            let labels = d.pointer("/spec/template/metadata/labels").and_then(Value::as_object);
            DeploymentView {
                namespace: meta::namespace(d).to_string(),
                name: meta::name(d).to_string(),
                desired: d.pointer("/spec/replicas").map_or(1, |_| count(d, "/spec/replicas")),
                ready: count(d, "/status/readyReplicas"),
                up_to_date: count(d, "/status/updatedReplicas"),
                available: count(d, "/status/availableReplicas"),
                images: images.join(","),
                template_labels: labels.map_or_else(String::new, |l| {
                    l.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect::<Vec<_>>().join(",")
                }),
            }
        })
        .collect()
}

pub(crate) fn build_hpas(api: &ApiServer) -> Vec<HpaView> {
    let Some(r) = resources::by_plural("autoscaling", "v2", "horizontalpodautoscalers") else { return Vec::new() };
    api.list(r, None)
        .map(|h| {
            let target = format!(
                "{}/{}",
                h.pointer("/spec/scaleTargetRef/kind").and_then(Value::as_str).unwrap_or(""),
                h.pointer("/spec/scaleTargetRef/name").and_then(Value::as_str).unwrap_or("")
            );
            HpaView {
                namespace: meta::namespace(h).to_string(),
                name: meta::name(h).to_string(),
                target,
                min: h.pointer("/spec/minReplicas").map_or(1, |_| count(h, "/spec/minReplicas")),
                max: count(h, "/spec/maxReplicas"),
                current_replicas: count(h, "/status/currentReplicas"),
                desired_replicas: count(h, "/status/desiredReplicas"),
                cpu: cpu_utilization(h.pointer("/status/currentMetrics"), "current"),
                cpu_target: cpu_utilization(h.pointer("/spec/metrics"), "target"),
            }
        })
        .collect()
}

/// `averageUtilization` of the `cpu` Resource metric under `field` (`current` or `target`).
fn cpu_utilization(metrics: Option<&Value>, field: &str) -> Option<u32> {
    metrics?
        .as_array()?
        .iter()
        .find(|m| m["type"] == "Resource" && m.pointer("/resource/name").and_then(Value::as_str) == Some("cpu"))
        .and_then(|m| m.pointer(&format!("/resource/{field}/averageUtilization")))
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}
