//! The CPU-against-replicas time series the chart draws: one bounded ring of samples per
//! HorizontalPodAutoscaler, taken every few seconds of cluster time by the view builder.

use super::services::ServiceView;
use super::workloads::{DeploymentView, HpaView};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Seconds of cluster time between samples: finer than the HPA's 15 s sync, so each step shows.
pub const SAMPLE_SECONDS: i64 = 5;
/// Samples kept per autoscaler: ten minutes, longer than the 5-minute scale-down window.
pub const SAMPLE_LIMIT: usize = 120;

/// One point in time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Sample {
    /// Cluster time, Unix seconds.
    pub at: i64,
    /// Average CPU utilisation in percent of requests, once metrics exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<u32>,
    pub replicas: u32,
    pub desired: u32,
    /// Traffic on the Service in front of the scaled pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
}

/// The samples of one autoscaler, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ScaleSeries {
    pub namespace: String,
    /// The HorizontalPodAutoscaler's name.
    pub name: String,
    pub samples: VecDeque<Sample>,
}

/// Every autoscaler's series; keeps what it was given across views.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScaleHistory {
    series: Vec<ScaleSeries>,
}

impl ScaleHistory {
    /// Records a sample per autoscaler if [`SAMPLE_SECONDS`] passed since its last one, and
    /// forgets autoscalers that no longer exist.
    pub fn record(&mut self, at: i64, hpas: &[HpaView], deployments: &[DeploymentView], services: &[ServiceView]) {
        self.series.retain(|s| hpas.iter().any(|h| h.namespace == s.namespace && h.name == s.name));
        for hpa in hpas {
            let index = match self.series.iter().position(|s| s.namespace == hpa.namespace && s.name == hpa.name) {
                Some(i) => i,
                None => {
                    self.series.push(ScaleSeries {
                        namespace: hpa.namespace.clone(),
                        name: hpa.name.clone(),
                        samples: VecDeque::new(),
                    });
                    self.series.len() - 1
                }
            };
            let series = &mut self.series[index];
            if series.samples.back().is_some_and(|last| at - last.at < SAMPLE_SECONDS) {
                continue;
            }
            if series.samples.len() == SAMPLE_LIMIT {
                series.samples.pop_front();
            }
            series.samples.push_back(Sample {
                at,
                cpu: hpa.cpu,
                target: hpa.cpu_target,
                replicas: hpa.current_replicas,
                desired: hpa.desired_replicas,
                rps: traffic_to(hpa, deployments, services),
            });
        }
    }

    pub fn series(&self) -> &[ScaleSeries] {
        &self.series
    }
}

/// The traffic of Services selecting the pods of the Deployment `hpa` scales.
fn traffic_to(hpa: &HpaView, deployments: &[DeploymentView], services: &[ServiceView]) -> Option<f64> {
    let name = hpa.target.strip_prefix("Deployment/")?;
    let deployment = deployments.iter().find(|d| d.namespace == hpa.namespace && d.name == name)?;
    let labels: Vec<&str> = deployment.template_labels.split(',').collect();
    let selects = |s: &&ServiceView| {
        s.namespace == hpa.namespace
            && s.selector != "<none>"
            && !s.selector.is_empty()
            && s.selector.split(',').all(|pair| labels.contains(&pair))
    };
    let rps: Vec<f64> = services.iter().filter(selects).filter_map(|s| s.rps).collect();
    (!rps.is_empty()).then(|| rps.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hpa(replicas: u32, cpu: u32) -> HpaView {
        HpaView {
            namespace: "default".into(),
            name: "web".into(),
            target: "Deployment/web".into(),
            min: 1,
            max: 10,
            current_replicas: replicas,
            desired_replicas: replicas,
            cpu: Some(cpu),
            cpu_target: Some(50),
        }
    }

    #[test]
    fn samples_are_spaced_and_bounded() {
        let mut h = ScaleHistory::default();
        for second in 0..(SAMPLE_LIMIT as i64 * SAMPLE_SECONDS * 2) {
            h.record(second, &[hpa(2, 40)], &[], &[]);
        }
        let samples = &h.series()[0].samples;
        assert_eq!(samples.len(), SAMPLE_LIMIT);
        assert!(samples.iter().zip(samples.iter().skip(1)).all(|(a, b)| b.at - a.at == SAMPLE_SECONDS));
        assert_eq!(samples.back().map(|s| s.at), Some(SAMPLE_LIMIT as i64 * SAMPLE_SECONDS * 2 - SAMPLE_SECONDS));
    }

    #[test]
    fn deleted_autoscalers_lose_their_series() {
        let mut h = ScaleHistory::default();
        h.record(0, &[hpa(2, 40)], &[], &[]);
        h.record(10, &[], &[], &[]);
        assert!(h.series().is_empty());
    }

    #[test]
    fn traffic_comes_from_the_service_selecting_the_scaled_pods() {
        let deployment = DeploymentView {
            namespace: "default".into(),
            name: "web".into(),
            template_labels: "app=web,tier=front".into(),
            ..Default::default()
        };
        let svc = |name: &str, selector: &str, rps: f64| ServiceView {
            namespace: "default".into(),
            name: name.into(),
            selector: selector.into(),
            rps: Some(rps),
            ..Default::default()
        };
        let services = [svc("web", "app=web", 120.0), svc("db", "app=db", 7.0)];
        let mut h = ScaleHistory::default();
        h.record(0, &[hpa(3, 80)], &[deployment], &services);
        assert_eq!(h.series()[0].samples[0].rps, Some(120.0));
    }
}
