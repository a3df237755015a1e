//! The HorizontalPodAutoscaler controller (autoscaling/v2): every 15 s per HPA
//! it reads the target's scale, computes the replicas its Resource metrics ask
//! for, tempers them with `behavior`, and writes them through `scale`.
//!
//! Its own memory (recent recommendations and scale events) lives here, as it
//! does in Kubernetes' controller; the HPA object only carries the status.

pub mod behavior;
pub mod metrics;
pub mod replica_calculator;
pub mod status;

#[cfg(test)]
mod tests;

use super::events::{EventRecorder, EventType};
use super::feed::{ChangeFeed, Changes};
use super::{Controller, Reconciled};
use crate::api::quantity::Quantity;
use crate::api::{meta, resources, Resource};
use crate::apiserver::patch::PatchType;
use crate::apiserver::{ApiServer, WriteOptions};
use crate::store::selector::LabelSelector;
use behavior::{Behavior, History};
use jiff::{SignedDuration, Timestamp};
use metrics::{MetricsSource, PodMetricsApi};
use replica_calculator::{Calculation, PodInfo, PodMetric, Target, Tolerances};
use serde_json::{json, Value};
use status::{ABLE_TO_SCALE, SCALING_ACTIVE, SCALING_LIMITED};
use std::collections::{BTreeMap, HashMap};

/// How often each HPA is evaluated (`--horizontal-pod-autoscaler-sync-period`).
pub const SYNC_PERIOD: SignedDuration = SignedDuration::from_secs(15);

type HpaKey = (String, String);

pub struct HorizontalPodAutoscalerController {
    feed: ChangeFeed,
    metrics: Box<dyn MetricsSource>,
    recorder: EventRecorder,
    /// Every HPA and when it is next due.
    due: BTreeMap<HpaKey, Timestamp>,
    history: HashMap<HpaKey, History>,
}

impl Default for HorizontalPodAutoscalerController {
    fn default() -> Self {
        Self::new(Box::new(PodMetricsApi))
    }
}

/// The target as its `scale` subresource shows it.
struct Scale {
    resource: &'static Resource,
    name: String,
    replicas: i32,
    selector: Option<LabelSelector>,
}

/// A metric that could not be evaluated: the event/condition reason and the error.
struct MetricFailure {
    reason: &'static str,
    message: String,
}

/// What one metric asks for.
struct MetricProposal {
    replicas: i32,
    /// `cpu resource utilization (percentage of request)`, for the rescale reason.
    name: String,
    status: Value,
}

fn hpa_resource() -> Option<&'static Resource> {
    resources::by_plural("autoscaling", "v2", "horizontalpodautoscalers")
}

fn int(v: &Value, pointer: &str) -> Option<i32> {
    v.pointer(pointer)
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
}

impl HorizontalPodAutoscalerController {
    pub fn new(metrics: Box<dyn MetricsSource>) -> Self {
        Self {
            feed: ChangeFeed::default(),
            metrics,
            recorder: EventRecorder::new("horizontal-pod-autoscaler"),
            due: BTreeMap::new(),
            history: HashMap::new(),
        }
    }

    /// Follows HPAs being added and removed. A new HPA is first evaluated one
    /// sync period after it appears, as Kubernetes' rate-limited queue does;
    /// updates (including our own status writes) do not reset its timer.
    fn observe(&mut self, api: &ApiServer, now: Timestamp) {
        let Some(hpas) = hpa_resource() else { return };
        let hpa_key = crate::store::ResourceKey::from(hpas);
        match self.feed.changes(api.store()) {
            Changes::Resync => {
                let live: Vec<HpaKey> = api
                    .list(hpas, None)
                    .map(|h| (meta::namespace(h).to_string(), meta::name(h).to_string()))
                    .collect();
                self.due.retain(|k, _| live.contains(k));
                self.history.retain(|k, _| live.contains(k));
                for k in live {
                    self.due.entry(k).or_insert(now + SYNC_PERIOD);
                }
            }
            Changes::Events(events) => {
                for e in events.into_iter().filter(|e| e.key.resource == hpa_key) {
                    let k = (e.key.name.namespace.clone(), e.key.name.name.clone());
                    if e.kind == crate::store::EventType::Deleted {
                        self.due.remove(&k);
                        self.history.remove(&k);
                    } else {
                        self.due.entry(k).or_insert(now + SYNC_PERIOD);
                    }
                }
            }
        }
    }

    fn read_scale(api: &ApiServer, namespace: &str, spec: &Value) -> Result<Scale, String> {
        let target = &spec["scaleTargetRef"];
        let kind = target
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = target
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let api_version = target
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let resource = resources::by_api_version_kind(api_version, kind)
            .or_else(|| resources::by_kind(kind))
            .filter(|r| r.has_subresource("scale"))
            .ok_or_else(|| {
                format!(
                    "no matches for kind \"{kind}\" in group \"{}\"",
                    resources::split_api_version(api_version).0
                )
            })?;
        let obj = api
            .get(resource, namespace, name)
            .map_err(|e| e.to_string())?;
        let selector = obj
            .pointer("/spec/selector")
            .and_then(|s| LabelSelector::from_label_selector_json(s).ok())
            .filter(|s| !s.is_empty());
        Ok(Scale {
            resource,
            name: name.to_string(),
            replicas: int(obj, "/spec/replicas").unwrap_or(1),
            selector,
        })
    }

    fn pods(
        api: &ApiServer,
        namespace: &str,
        selector: &LabelSelector,
        resource: &str,
    ) -> Vec<PodInfo> {
        let Some(pods) = resources::by_plural("", "v1", "pods") else {
            return Vec::new();
        };
        api.list(pods, Some(namespace))
            .filter(|p| selector.matches(meta::labels(p)))
            .map(|p| pod_info(p, resource))
            .collect()
    }

    /// One Resource metric's proposal.
    #[allow(clippy::too_many_arguments)]
    fn resource_metric(
        &self,
        api: &ApiServer,
        namespace: &str,
        metric: &Value,
        scale: &Scale,
        selector: &LabelSelector,
        tolerances: Tolerances,
        now: Timestamp,
    ) -> Result<MetricProposal, MetricFailure> {
        let resource = metric
            .pointer("/resource/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let target_spec = metric.pointer("/resource/target").unwrap_or(&Value::Null);
        let fail = |message: String| MetricFailure {
            reason: "FailedGetResourceMetric",
            message,
        };
        let target = if let Some(v) = target_spec.get("averageValue").and_then(Value::as_str) {
            let millis = Quantity::parse(v)
                .ok()
                .and_then(|q| i64::try_from(q.millis()).ok())
                .unwrap_or(0);
            Target::AverageValue(millis)
        } else if let Some(u) = int(target_spec, "/averageUtilization") {
            Target::Utilization(u)
        } else {
            return Err(fail(
                "invalid resource metric source: neither an average utilization target nor an average value (usage) target was set".into(),
            ));
        };
        let pods = Self::pods(api, namespace, selector, resource);
        let samples: BTreeMap<String, PodMetric> = self
            .metrics
            .pod_metrics(api, namespace, selector, now)
            .into_iter()
            .filter_map(|u| {
                Some((
                    u.pod.clone(),
                    PodMetric {
                        value: u.total(resource)?,
                        timestamp: u.timestamp,
                        window: u.window,
                    },
                ))
            })
            .collect();
        let calc = Calculation {
            resource,
            current_replicas: scale.replicas,
            target,
            tolerances,
            pods: &pods,
            metrics: &samples,
            now,
        };
        match (replica_calculator::resource_replicas(&calc), target) {
            (Ok(p), Target::Utilization(_)) => Ok(MetricProposal {
                replicas: p.replicas,
                name: format!("{resource} resource utilization (percentage of request)"),
                status: status::resource_metric_status(resource, p.utilization, p.average_value),
            }),
            (Ok(p), Target::AverageValue(_)) => Ok(MetricProposal {
                replicas: p.replicas,
                name: format!("{resource} resource"),
                status: status::resource_metric_status(resource, None, p.average_value),
            }),
            (Err(e), Target::Utilization(_)) => {
                Err(fail(format!("failed to get {resource} utilization: {e}")))
            }
            (Err(e), Target::AverageValue(_)) => {
                Err(fail(format!("failed to get {resource} usage: {e}")))
            }
        }
    }

    /// The highest replica count any metric asks for, or why none can be trusted.
    #[allow(clippy::too_many_arguments)]
    fn replicas_for_metrics(
        &mut self,
        api: &mut ApiServer,
        hpa: &Value,
        scale: &Scale,
        selector: &LabelSelector,
        tolerances: Tolerances,
        conditions: &mut Vec<Value>,
        now: Timestamp,
    ) -> (Result<(i32, String), String>, Vec<Value>) {
        let namespace = meta::namespace(hpa);
        let specs: Vec<Value> = hpa
            .pointer("/spec/metrics")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut statuses = Vec::new();
        let mut best: Option<(i32, String)> = None;
        let mut failures: Vec<MetricFailure> = Vec::new();
        for m in &specs {
            let result = match m.get("type").and_then(Value::as_str).unwrap_or_default() {
                "Resource" => {
                    self.resource_metric(api, namespace, m, scale, selector, tolerances, now)
                }
                other => Err(unsupported_metric(other)),
            };
            match result {
                Ok(p) => {
                    statuses.push(p.status);
                    if best.as_ref().is_none_or(|(r, _)| p.replicas > *r) {
                        best = Some((p.replicas, p.name));
                    }
                }
                Err(f) => {
                    self.recorder
                        .record(api, hpa, EventType::Warning, f.reason, &f.message, now);
                    statuses.push(status::unknown_metric_status());
                    failures.push(f);
                }
            }
        }
        let replicas = best.as_ref().map_or(0, |(r, _)| *r);
        if let Some(first) = failures.first() {
            if failures.len() >= specs.len() || replicas < scale.replicas {
                let message = format!(
                    "the HPA was unable to compute the replica count: {}",
                    first.message
                );
                status::set_condition(
                    conditions,
                    SCALING_ACTIVE,
                    false,
                    first.reason,
                    &message,
                    now,
                );
                let err = format!(
                    "invalid metrics ({} invalid out of {}), first error is: {}",
                    failures.len(),
                    specs.len(),
                    first.message
                );
                return (Err(err), statuses);
            }
        }
        let (replicas, name) = best.unwrap_or((scale.replicas, String::new()));
        let message =
            format!("the HPA was able to successfully calculate a replica count from {name}");
        status::set_condition(
            conditions,
            SCALING_ACTIVE,
            true,
            "ValidMetricFound",
            &message,
            now,
        );
        (Ok((replicas, name)), statuses)
    }

    /// One evaluation of one HPA, as Kubernetes' `reconcileAutoscaler`.
    fn sync(&mut self, api: &mut ApiServer, key: &HpaKey, now: Timestamp) -> bool {
        let Some(hpas) = hpa_resource() else {
            return false;
        };
        let Ok(hpa) = api.get(hpas, &key.0, &key.1).map(|h| (**h).clone()) else {
            return false;
        };
        let spec = hpa.get("spec").cloned().unwrap_or(Value::Null);
        let old_status = hpa.get("status").cloned().unwrap_or_else(|| json!({}));
        let mut conditions: Vec<Value> = old_status
            .get("conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let generation = hpa.pointer("/metadata/generation").and_then(Value::as_i64);
        let old_current = int(&old_status, "/currentReplicas").unwrap_or(0);
        let old_desired = int(&old_status, "/desiredReplicas").unwrap_or(0);
        let old_metrics: Vec<Value> = old_status
            .get("currentMetrics")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();

        let scale = match Self::read_scale(api, &key.0, &spec) {
            Ok(s) => s,
            Err(e) => {
                self.recorder
                    .record(api, &hpa, EventType::Warning, "FailedGetScale", &e, now);
                let message =
                    format!("the HPA controller was unable to get the target's current scale: {e}");
                status::set_condition(
                    &mut conditions,
                    ABLE_TO_SCALE,
                    false,
                    "FailedGetScale",
                    &message,
                    now,
                );
                let observed = status::Observed {
                    current_replicas: old_current,
                    desired_replicas: old_desired,
                    current_metrics: old_metrics,
                    rescaled: false,
                    generation,
                };
                return write_status(api, hpas, &hpa, &old_status, &observed, conditions, now);
            }
        };
        status::set_condition(
            &mut conditions,
            ABLE_TO_SCALE,
            true,
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
            now,
        );
        let current = scale.replicas;
        let history = self.history.entry(key.clone()).or_default();
        history.record_initial(current, now);

        let min = int(&spec, "/minReplicas").unwrap_or(1);
        let max = int(&spec, "/maxReplicas").unwrap_or(min);
        let behavior = Behavior::from_spec(&spec);
        let tolerances = Tolerances {
            scale_down: behavior
                .as_ref()
                .and_then(|b| b.scale_down.tolerance)
                .unwrap_or(replica_calculator::DEFAULT_TOLERANCE),
            scale_up: behavior
                .as_ref()
                .and_then(|b| b.scale_up.tolerance)
                .unwrap_or(replica_calculator::DEFAULT_TOLERANCE),
        };

        let mut metric_statuses = Vec::new();
        let mut reason = String::new();
        let (desired, mut rescale) = if current == 0 && min != 0 {
            let message = "scaling is disabled since the replica count of the target is zero";
            status::set_condition(
                &mut conditions,
                SCALING_ACTIVE,
                false,
                "ScalingDisabled",
                message,
                now,
            );
            (0, false)
        } else if current > max {
            reason = "Current number of replicas above Spec.MaxReplicas".into();
            (max, true)
        } else if current < min {
            reason = "Current number of replicas below Spec.MinReplicas".into();
            (min, true)
        } else {
            let Some(selector) = scale.selector.clone() else {
                self.recorder.record(
                    api,
                    &hpa,
                    EventType::Warning,
                    "SelectorRequired",
                    "selector is required",
                    now,
                );
                let message = "the HPA target's scale is missing a selector";
                status::set_condition(
                    &mut conditions,
                    SCALING_ACTIVE,
                    false,
                    "InvalidSelector",
                    message,
                    now,
                );
                let observed = status::Observed {
                    current_replicas: current,
                    desired_replicas: old_desired,
                    current_metrics: old_metrics,
                    rescaled: false,
                    generation,
                };
                return write_status(api, hpas, &hpa, &old_status, &observed, conditions, now);
            };
            let (computed, statuses) = self.replicas_for_metrics(
                api,
                &hpa,
                &scale,
                &selector,
                tolerances,
                &mut conditions,
                now,
            );
            metric_statuses = statuses;
            let (metric_desired, metric_name) = match computed {
                Ok(r) => r,
                Err(e) => {
                    let observed = status::Observed {
                        current_replicas: current,
                        desired_replicas: old_desired,
                        current_metrics: metric_statuses,
                        rescaled: false,
                        generation,
                    };
                    let wrote =
                        write_status(api, hpas, &hpa, &old_status, &observed, conditions, now);
                    self.recorder.record(
                        api,
                        &hpa,
                        EventType::Warning,
                        "FailedComputeMetricsReplicas",
                        &e,
                        now,
                    );
                    return wrote;
                }
            };
            if metric_desired > current {
                reason = format!("{metric_name} above target");
            } else if metric_desired < current {
                reason = "All metrics below target".into();
            }
            let history = self.history.entry(key.clone()).or_default();
            let normalized = match &behavior {
                Some(b) => {
                    history.normalize_with_behavior(b, current, metric_desired, min, max, now)
                }
                None => history.normalize_legacy(current, metric_desired, min, max, now),
            };
            let (able_reason, able_message) = normalized.able_to_scale;
            status::set_condition(
                &mut conditions,
                ABLE_TO_SCALE,
                true,
                able_reason,
                able_message,
                now,
            );
            let (is_limited, limit_reason, limit_message) = normalized.limited;
            status::set_condition(
                &mut conditions,
                SCALING_LIMITED,
                is_limited,
                limit_reason,
                limit_message,
                now,
            );
            (normalized.replicas, normalized.replicas != current)
        };

        let mut desired = desired;
        let mut wrote = false;
        if rescale {
            let body = json!({"spec": {"replicas": desired}}).to_string();
            let written = api.patch(
                scale.resource,
                &key.0,
                &scale.name,
                PatchType::Merge,
                body.as_bytes(),
                Some("scale"),
                now,
                WriteOptions::default(),
            );
            match written {
                Ok(_) => {
                    wrote = true;
                    let message = format!(
                        "the HPA controller was able to update the target scale to {desired}"
                    );
                    status::set_condition(
                        &mut conditions,
                        ABLE_TO_SCALE,
                        true,
                        "SucceededRescale",
                        &message,
                        now,
                    );
                    let event = format!("New size: {desired}; reason: {reason}");
                    self.recorder.record(
                        api,
                        &hpa,
                        EventType::Normal,
                        "SuccessfulRescale",
                        &event,
                        now,
                    );
                    if let Some(h) = self.history.get_mut(key) {
                        h.record_scale(behavior.as_ref(), current, desired, now);
                    }
                }
                Err(e) => {
                    let event = format!("New size: {desired}; reason: {reason}; error: {e}");
                    self.recorder.record(
                        api,
                        &hpa,
                        EventType::Warning,
                        "FailedRescale",
                        &event,
                        now,
                    );
                    let message =
                        format!("the HPA controller was unable to update the target scale: {e}");
                    status::set_condition(
                        &mut conditions,
                        ABLE_TO_SCALE,
                        false,
                        "FailedUpdateScale",
                        &message,
                        now,
                    );
                    let observed = status::Observed {
                        current_replicas: current,
                        desired_replicas: old_desired,
                        current_metrics: old_metrics,
                        rescaled: false,
                        generation,
                    };
                    return write_status(api, hpas, &hpa, &old_status, &observed, conditions, now)
                        || wrote;
                }
            }
        } else {
            desired = current;
            rescale = false;
        }
        let observed = status::Observed {
            current_replicas: current,
            desired_replicas: desired,
            current_metrics: metric_statuses,
            rescaled: rescale,
            generation,
        };
        write_status(api, hpas, &hpa, &old_status, &observed, conditions, now) || wrote
    }
}

/// Writes the status when it changed (Kubernetes skips identical updates).
fn write_status(
    api: &mut ApiServer,
    hpas: &'static Resource,
    hpa: &Value,
    old: &Value,
    observed: &status::Observed,
    conditions: Vec<Value>,
    now: Timestamp,
) -> bool {
    let new = status::build(old, observed, conditions, now);
    if &new == old {
        return false;
    }
    let mut obj = hpa.clone();
    obj["status"] = new;
    api.update(
        hpas,
        meta::namespace(hpa),
        meta::name(hpa),
        obj,
        Some("status"),
        now,
        WriteOptions::default(),
    )
    .is_ok()
}

/// Metric sources served by adapters Kubeplay does not run.
fn unsupported_metric(kind: &str) -> MetricFailure {
    let (reason, api) = match kind {
        "Pods" => ("FailedGetPodsMetric", "custom"),
        "Object" => ("FailedGetObjectMetric", "custom"),
        "External" => ("FailedGetExternalMetric", "external"),
        "ContainerResource" => ("FailedGetContainerResourceMetric", "resource"),
        _ => ("InvalidMetricSourceType", "metrics"),
    };
    MetricFailure { reason, message: format!("unable to fetch metrics from {api} metrics API: the server could not find the requested resource") }
}

/// The facts the replica calculator needs from a pod.
fn pod_info(pod: &Value, resource: &str) -> PodInfo {
    let time = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|s| s.parse::<Timestamp>().ok())
    };
    let ready = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        })
        .map(|c| {
            (
                c.get("status").and_then(Value::as_str) == Some("True"),
                time(c.get("lastTransitionTime")).unwrap_or_default(),
            )
        });
    let mut request: Result<i64, String> = Ok(0);
    for c in pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let r = c
            .pointer(&format!("/resources/requests/{resource}"))
            .and_then(Value::as_str)
            .and_then(|q| Quantity::parse(q).ok())
            .and_then(|q| i64::try_from(q.millis()).ok());
        request = match (request, r) {
            (Ok(total), Some(r)) => Ok(total + r),
            (Ok(_), None) => Err(c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()),
            (err, _) => err,
        };
    }
    PodInfo {
        name: meta::name(pod).to_string(),
        phase: pod
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("Pending")
            .to_string(),
        deleting: meta::is_terminating(pod),
        start_time: time(pod.pointer("/status/startTime")),
        ready,
        request,
    }
}

impl Controller for HorizontalPodAutoscalerController {
    fn name(&self) -> &'static str {
        "horizontal-pod-autoscaler"
    }

    fn reconcile(&mut self, api: &mut ApiServer, now: Timestamp) -> Reconciled {
        self.observe(api, now);
        let due: Vec<HpaKey> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let mut wrote = false;
        for key in due {
            wrote |= self.sync(api, &key, now);
            self.due.insert(key, now + SYNC_PERIOD);
        }
        // Our own writes are in the feed now; skip them so they do not count as news.
        self.observe(api, now);
        Reconciled {
            wrote,
            requeue_at: self.due.values().min().copied(),
        }
    }
}
