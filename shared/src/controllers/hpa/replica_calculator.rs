//! The replica formula of Kubernetes' HPA: `desired = ceil(current × usage / target)`,
//! with its tolerance and its careful handling of pods that are unready or have no metrics.
//!
//! Pure functions of pods, metrics and time, so every case is a table row in the tests.

use jiff::{SignedDuration, Timestamp};
use std::collections::{BTreeMap, BTreeSet};

/// How long after start a pod's CPU samples may be start-up noise (`--horizontal-pod-autoscaler-cpu-initialization-period`).
pub const CPU_INITIALIZATION_PERIOD: SignedDuration = SignedDuration::from_secs(300);
/// How long after start a not-yet-ready pod counts as still starting (`--horizontal-pod-autoscaler-initial-readiness-delay`).
pub const INITIAL_READINESS_DELAY: SignedDuration = SignedDuration::from_secs(30);
/// No scaling while usage is within 10% of the target (`--horizontal-pod-autoscaler-tolerance`).
pub const DEFAULT_TOLERANCE: f64 = 0.1;

/// What the calculator needs to know about one targeted pod.
#[derive(Debug, Clone, PartialEq)]
pub struct PodInfo {
    pub name: String,
    /// `status.phase`; an absent phase counts as `Pending`.
    pub phase: String,
    pub deleting: bool,
    pub start_time: Option<Timestamp>,
    /// The `Ready` condition: whether it is true, and when it last changed.
    pub ready: Option<(bool, Timestamp)>,
    /// The sum of the containers' requests for the resource in milli-units,
    /// or the first container that requests none.
    pub request: Result<i64, String>,
}

/// One pod's usage of the resource, as the metrics API reported it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodMetric {
    /// Milli-units (millicores, millibytes), as Kubernetes' metrics client counts.
    pub value: i64,
    pub timestamp: Timestamp,
    pub window: SignedDuration,
}

/// What a Resource metric aims for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Percent of the pods' requests.
    Utilization(i32),
    /// Average usage per pod in milli-units.
    AverageValue(i64),
}

/// How far usage may drift from the target before the HPA acts, per direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    pub scale_down: f64,
    pub scale_up: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            scale_down: DEFAULT_TOLERANCE,
            scale_up: DEFAULT_TOLERANCE,
        }
    }
}

impl Tolerances {
    fn within(&self, ratio: f64) -> bool {
        (1.0 - self.scale_down) <= ratio && ratio <= (1.0 + self.scale_up)
    }
}

/// The calculator's answer for one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    pub replicas: i32,
    /// Current utilization in percent of requests (Utilization targets only).
    pub utilization: Option<i32>,
    /// Current average usage per pod in milli-units.
    pub average_value: i64,
}

/// Why no replica count could be computed; the texts are Kubernetes'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplicaError {
    #[error(
        "unable to get metrics for resource {0}: no metrics returned from resource metrics API"
    )]
    NoMetrics(String),
    #[error("no pods returned by selector while calculating replica count")]
    NoPods,
    #[error("did not receive metrics for targeted pods (pods might be unready)")]
    NoReadyMetrics,
    #[error("missing request for {resource} in container {container} of Pod {pod}")]
    MissingRequest {
        resource: String,
        container: String,
        pod: String,
    },
    #[error("no metrics returned matched known pods")]
    NoMatchingPods,
}

/// The inputs of one calculation.
#[derive(Debug, Clone)]
pub struct Calculation<'a> {
    pub resource: &'a str,
    pub current_replicas: i32,
    pub target: Target,
    pub tolerances: Tolerances,
    pub pods: &'a [PodInfo],
    pub metrics: &'a BTreeMap<String, PodMetric>,
    pub now: Timestamp,
}

/// Pods sorted by how their samples may be used.
struct Groups {
    ready: usize,
    unready: BTreeSet<String>,
    missing: BTreeSet<String>,
    ignored: BTreeSet<String>,
}

fn group_pods(calc: &Calculation) -> Groups {
    let mut g = Groups {
        ready: 0,
        unready: BTreeSet::new(),
        missing: BTreeSet::new(),
        ignored: BTreeSet::new(),
    };
    for pod in calc.pods {
        if pod.deleting || pod.phase == "Failed" {
            g.ignored.insert(pod.name.clone());
            continue;
        }
        if pod.phase == "Pending" || pod.phase.is_empty() {
            g.unready.insert(pod.name.clone());
            continue;
        }
        let Some(metric) = calc.metrics.get(&pod.name) else {
            g.missing.insert(pod.name.clone());
            continue;
        };
        if calc.resource == "cpu" && cpu_sample_unusable(pod, metric, calc.now) {
            g.unready.insert(pod.name.clone());
            continue;
        }
        g.ready += 1;
    }
    g
}

/// CPU spikes while a pod starts: its sample counts only once the pod is
/// ready and a whole metric window has passed since it became so.
fn cpu_sample_unusable(pod: &PodInfo, metric: &PodMetric, now: Timestamp) -> bool {
    let (Some((ready, changed)), Some(start)) = (pod.ready, pod.start_time) else {
        return true;
    };
    if start + CPU_INITIALIZATION_PERIOD > now {
        !ready || metric.timestamp < changed + metric.window
    } else {
        // Unready and never ready since starting: still initialising.
        !ready && start + INITIAL_READINESS_DELAY > changed
    }
}

/// Usage ratio against the target, with the utilization and average to report.
fn usage_ratio(
    target: Target,
    metrics: &BTreeMap<String, i64>,
    requests: &BTreeMap<String, i64>,
) -> Result<(f64, Option<i32>, i64), ReplicaError> {
    match target {
        Target::Utilization(goal) => {
            let (mut used, mut requested, mut n) = (0i64, 0i64, 0i64);
            for (pod, value) in metrics {
                if let Some(r) = requests.get(pod) {
                    used += value;
                    requested += r;
                    n += 1;
                }
            }
            if requested == 0 {
                return Err(ReplicaError::NoMatchingPods);
            }
            // Kubernetes truncates to whole percent before comparing.
            let utilization = i32::try_from(used * 100 / requested).unwrap_or(i32::MAX);
            Ok((
                f64::from(utilization) / f64::from(goal.max(1)),
                Some(utilization),
                used / n,
            ))
        }
        Target::AverageValue(goal) => {
            let n = i64::try_from(metrics.len()).unwrap_or(i64::MAX).max(1);
            let average = metrics.values().sum::<i64>() / n;
            Ok((average as f64 / goal.max(1) as f64, None, average))
        }
    }
}

fn ceil_replicas(ratio: f64, pods: usize) -> i32 {
    let r = (ratio * pods as f64).ceil();
    if r >= f64::from(i32::MAX) {
        i32::MAX
    } else {
        r as i32
    }
}

/// Computes the replica count one Resource metric asks for.
pub fn resource_replicas(calc: &Calculation) -> Result<Proposal, ReplicaError> {
    if calc.metrics.is_empty() {
        return Err(ReplicaError::NoMetrics(calc.resource.to_string()));
    }
    if calc.pods.is_empty() {
        return Err(ReplicaError::NoPods);
    }
    let groups = group_pods(calc);
    let mut metrics: BTreeMap<String, i64> = calc
        .metrics
        .iter()
        .filter(|(pod, _)| !groups.ignored.contains(*pod) && !groups.unready.contains(*pod))
        .map(|(pod, m)| (pod.clone(), m.value))
        .collect();
    if metrics.is_empty() {
        return Err(ReplicaError::NoReadyMetrics);
    }
    let mut requests = BTreeMap::new();
    if let Target::Utilization(_) = calc.target {
        for pod in calc.pods {
            match &pod.request {
                Ok(r) => {
                    requests.insert(pod.name.clone(), *r);
                }
                Err(container) => {
                    return Err(ReplicaError::MissingRequest {
                        resource: calc.resource.to_string(),
                        container: container.clone(),
                        pod: pod.name.clone(),
                    })
                }
            }
        }
    }
    let (ratio, utilization, average_value) = usage_ratio(calc.target, &metrics, &requests)?;
    let proposal = |replicas| Proposal {
        replicas,
        utilization,
        average_value,
    };
    let current = calc.current_replicas;

    let scale_up_with_unready = !groups.unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && groups.missing.is_empty() {
        if calc.tolerances.within(ratio) {
            return Ok(proposal(current));
        }
        return Ok(proposal(ceil_replicas(ratio, groups.ready)));
    }

    // Assume the worst for pods we cannot see, so they only ever dampen a change.
    for pod in &groups.missing {
        let assumed = if ratio < 1.0 {
            match calc.target {
                // On scale-down a missing pod is taken at 100% (or the target, if higher).
                Target::Utilization(goal) => {
                    requests.get(pod).copied().unwrap_or(0) * i64::from(goal.max(100)) / 100
                }
                Target::AverageValue(goal) => goal,
            }
        } else if ratio > 1.0 {
            0
        } else {
            continue;
        };
        metrics.insert(pod.clone(), assumed);
    }
    if scale_up_with_unready {
        for pod in &groups.unready {
            metrics.insert(pod.clone(), 0);
        }
    }
    let (new_ratio, _, _) = usage_ratio(calc.target, &metrics, &requests)?;
    let flipped = (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0);
    if calc.tolerances.within(new_ratio) || flipped {
        return Ok(proposal(current));
    }
    let replicas = ceil_replicas(new_ratio, metrics.len());
    if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
        return Ok(proposal(current));
    }
    Ok(proposal(replicas))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const NOW: &str = "2026-01-01T01:00:00Z";

    /// A pod running and ready for an hour, requesting `request` millicores.
    fn pod(name: &str, request: i64) -> PodInfo {
        PodInfo {
            name: name.into(),
            phase: "Running".into(),
            deleting: false,
            start_time: Some(t("2026-01-01T00:00:00Z")),
            ready: Some((true, t("2026-01-01T00:00:10Z"))),
            request: Ok(request),
        }
    }

    fn metric(value: i64) -> PodMetric {
        PodMetric {
            value,
            timestamp: t(NOW),
            window: SignedDuration::from_secs(15),
        }
    }

    fn calc(
        current: i32,
        target: Target,
        pods: &[PodInfo],
        usage: &[(&str, i64)],
    ) -> Result<Proposal, ReplicaError> {
        let metrics: BTreeMap<String, PodMetric> = usage
            .iter()
            .map(|(p, v)| (p.to_string(), metric(*v)))
            .collect();
        resource_replicas(&Calculation {
            resource: "cpu",
            current_replicas: current,
            target,
            tolerances: Tolerances::default(),
            pods,
            metrics: &metrics,
            now: t(NOW),
        })
    }

    #[test]
    fn replica_formula_table() {
        let three = [pod("a", 1000), pod("b", 1000), pod("c", 1000)];
        // (current, target %, usage per pod in millicores, expected replicas, expected utilization)
        let rows: &[(i32, i32, [i64; 3], i32, i32)] = &[
            (3, 50, [500, 500, 500], 3, 50), // on target
            (3, 50, [540, 540, 540], 3, 54), // +8%: within tolerance
            (3, 50, [560, 560, 560], 4, 56), // +12%: ceil(3 × 1.12)
            (3, 50, [1000, 1000, 1000], 6, 100),
            (3, 50, [200, 200, 200], 2, 20), // ceil(3 × 0.4) = 2
            (3, 50, [460, 460, 460], 3, 46), // -8%: within tolerance
            (3, 50, [10, 10, 10], 1, 1),
            (3, 70, [750, 750, 750], 3, 75), // 75/70 = 1.07: within tolerance
            (3, 70, [800, 800, 800], 4, 80), // 80/70 = 1.14 → ceil(3.43)
            (5, 50, [500, 700, 900], 5, 70), // ceil(3 ready pods × 1.4), not ceil(5 current × 1.4)
        ];
        for (current, target, usage, want, util) in rows {
            let got = calc(
                *current,
                Target::Utilization(*target),
                &three,
                &[("a", usage[0]), ("b", usage[1]), ("c", usage[2])],
            )
            .unwrap();
            assert_eq!(
                got.replicas, *want,
                "current {current}, target {target}%, usage {usage:?}"
            );
            assert_eq!(got.utilization, Some(*util), "usage {usage:?}");
        }
    }

    #[test]
    fn utilization_is_truncated_to_whole_percent_before_the_tolerance_check() {
        // 109.9% of a 100% target truncates to 109%: within tolerance, no change.
        let pods = [pod("a", 1000)];
        let got = calc(1, Target::Utilization(100), &pods, &[("a", 1099)]).unwrap();
        assert_eq!(
            (got.replicas, got.utilization, got.average_value),
            (1, Some(109), 1099)
        );
        let got = calc(1, Target::Utilization(100), &pods, &[("a", 1110)]).unwrap();
        assert_eq!(got.replicas, 2);
    }

    #[test]
    fn average_value_targets_divide_usage_per_pod() {
        let pods = [pod("a", 0), pod("b", 0)];
        // 300m average against 100m: ceil(2 × 3) = 6.
        let got = calc(
            2,
            Target::AverageValue(100),
            &pods,
            &[("a", 200), ("b", 400)],
        )
        .unwrap();
        assert_eq!(
            (got.replicas, got.utilization, got.average_value),
            (6, None, 300)
        );
    }

    #[test]
    fn missing_pods_count_as_full_on_scale_down_and_idle_on_scale_up() {
        let pods = [
            pod("a", 1000),
            pod("b", 1000),
            pod("c", 1000),
            pod("d", 1000),
        ];
        // Scale-down: b, c, d show 10% but a is missing; taking a at 100% gives
        // (100+10+10+10)/4 = 32.5% → ceil(4 × 0.65) = 3 rather than 1.
        let got = calc(
            4,
            Target::Utilization(50),
            &pods,
            &[("b", 100), ("c", 100), ("d", 100)],
        )
        .unwrap();
        assert_eq!(got.replicas, 3);
        assert_eq!(
            got.utilization,
            Some(10),
            "the reported utilization is the measured one"
        );
        // Scale-up: three pods at 60% of a 50% target would ask for ceil(3 × 1.2) = 4,
        // but d, missing, is taken at 0%: 45% turns the push around, so nothing changes.
        let got = calc(
            4,
            Target::Utilization(50),
            &pods,
            &[("a", 600), ("b", 600), ("c", 600)],
        )
        .unwrap();
        assert_eq!(
            got.replicas, 4,
            "45% with the missing pod at 0% is within tolerance of 50%"
        );
    }

    #[test]
    fn unready_pods_count_as_idle_when_scaling_up() {
        let mut starting = pod("c", 1000);
        starting.phase = "Pending".into();
        let pods = [pod("a", 1000), pod("b", 1000), starting];
        // a and b at 100% of a 50% target; c pending is taken at 0%: 66% → ceil(3 × 1.33) = 4.
        let got = calc(
            3,
            Target::Utilization(50),
            &pods,
            &[("a", 1000), ("b", 1000)],
        )
        .unwrap();
        assert_eq!(got.replicas, 4);
        // Scaling down, unready pods are simply left out: ceil(2 × 0.2) = 1.
        let got = calc(3, Target::Utilization(50), &pods, &[("a", 100), ("b", 100)]).unwrap();
        assert_eq!(got.replicas, 1);
    }

    #[test]
    fn cpu_of_a_pod_just_started_is_ignored_until_a_window_after_ready() {
        let mut fresh = pod("b", 1000);
        fresh.start_time = Some(t("2026-01-01T00:59:00Z"));
        fresh.ready = Some((true, t("2026-01-01T00:59:50Z")));
        let pods = [pod("a", 1000), fresh.clone()];
        // Sample at 01:00:00 is within 15 s of readiness (00:59:50): b counts as unready, at 0%.
        let got = calc(
            2,
            Target::Utilization(50),
            &pods,
            &[("a", 1000), ("b", 1000)],
        )
        .unwrap();
        assert_eq!(got.replicas, 2, "(100% + 0%) / 2 = 50%: on target");
        fresh.ready = Some((true, t("2026-01-01T00:59:30Z")));
        let pods = [pod("a", 1000), fresh];
        let got = calc(
            2,
            Target::Utilization(50),
            &pods,
            &[("a", 1000), ("b", 1000)],
        )
        .unwrap();
        assert_eq!(got.replicas, 4);
    }

    #[test]
    fn failures_are_worded_as_kubernetes_words_them() {
        let pods = [pod("a", 1000)];
        assert_eq!(
            calc(1, Target::Utilization(50), &pods, &[])
                .unwrap_err()
                .to_string(),
            "unable to get metrics for resource cpu: no metrics returned from resource metrics API"
        );
        assert_eq!(
            calc(1, Target::Utilization(50), &[], &[("a", 1)]).unwrap_err(),
            ReplicaError::NoPods
        );
        let mut no_request = pod("a", 0);
        no_request.request = Err("api".into());
        assert_eq!(
            calc(1, Target::Utilization(50), &[no_request], &[("a", 1)])
                .unwrap_err()
                .to_string(),
            "missing request for cpu in container api of Pod a"
        );
        let mut pending = pod("a", 1000);
        pending.phase = "Pending".into();
        assert_eq!(
            calc(1, Target::Utilization(50), &[pending], &[("a", 1)]).unwrap_err(),
            ReplicaError::NoReadyMetrics
        );
    }
}
