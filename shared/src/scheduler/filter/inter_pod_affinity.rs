//! InterPodAffinity: required pod affinity (be near matching pods), required
//! anti-affinity (stay away from them), then existing pods' anti-affinity
//! against the newcomer (Kubernetes' order), all by topology domain.

use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::{PodAffinityTerm, PodInfo};
use serde_json::Value;
use std::collections::HashMap;

pub struct InterPodAffinity;

/// Matching pods counted per topology domain, prepared once per cycle.
#[derive(Debug, Default)]
pub struct Topologies {
    /// (topology key, value) domains where an existing pod's required anti-affinity rejects the pod.
    existing_anti: HashMap<(String, String), i64>,
    /// Per required affinity term: domain value → matching pods.
    affinity: Vec<HashMap<String, i64>>,
    /// Per required anti-affinity term: domain value → matching pods.
    anti: Vec<HashMap<String, i64>>,
}

fn label<'a>(node: &'a NodeInfo, key: &str) -> Option<&'a str> {
    node.labels.get(key).and_then(Value::as_str)
}

/// Counts, for each term, the pods it matches by the domain of their node.
fn count_by_domain(terms: &[PodAffinityTerm], cache: &Cache) -> Vec<HashMap<String, i64>> {
    let mut counts = vec![HashMap::new(); terms.len()];
    if terms.is_empty() {
        return counts;
    }
    for assigned in cache.pods() {
        let Some(node) = cache.node(&assigned.node) else {
            continue;
        };
        for (term, count) in terms.iter().zip(counts.iter_mut()) {
            if term.matches(&assigned.info.namespace, Some(&assigned.info.labels)) {
                if let Some(value) = label(node, &term.topology_key) {
                    *count.entry(value.to_string()).or_default() += 1;
                }
            }
        }
    }
    counts
}

impl FilterPlugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        "InterPodAffinity"
    }

    fn pre_filter(
        &self,
        pod: &PodInfo,
        cache: &Cache,
        _: &ApiServer,
        state: &mut CycleState,
    ) -> PreFilter {
        let mut existing_anti = HashMap::new();
        for other in cache.pods_with_affinity() {
            let Some(node) = cache.node(&other.node) else {
                continue;
            };
            for term in &other.info.affinity.required_anti_affinity {
                if term.matches(&pod.namespace, Some(&pod.labels)) {
                    if let Some(value) = label(node, &term.topology_key) {
                        *existing_anti
                            .entry((term.topology_key.clone(), value.to_string()))
                            .or_default() += 1;
                    }
                }
            }
        }
        let own = &pod.affinity;
        if existing_anti.is_empty()
            && own.required_affinity.is_empty()
            && own.required_anti_affinity.is_empty()
        {
            return PreFilter::Skip;
        }
        state.inter_pod = Topologies {
            existing_anti,
            affinity: count_by_domain(&own.required_affinity, cache),
            anti: count_by_domain(&own.required_anti_affinity, cache),
        };
        PreFilter::Run
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, state: &CycleState) -> Result<(), Rejection> {
        let t = &state.inter_pod;
        let terms = &pod.affinity.required_affinity;
        let near = terms.iter().zip(&t.affinity).all(|(term, counts)| {
            label(node, &term.topology_key).is_some_and(|v| counts.get(v).is_some_and(|n| *n > 0))
        });
        if !near {
            // The first pod of a group that wants to be near its own kind may go anywhere the keys exist.
            let nobody_matches = t.affinity.iter().all(HashMap::is_empty);
            let matches_itself = terms
                .iter()
                .all(|term| term.matches(&pod.namespace, Some(&pod.labels)));
            let has_keys = terms
                .iter()
                .all(|term| label(node, &term.topology_key).is_some());
            if !(nobody_matches && matches_itself && has_keys) {
                return Err(Rejection::new(
                    Code::UnschedulableAndUnresolvable,
                    "node(s) didn't match pod affinity rules",
                ));
            }
        }
        let away = pod
            .affinity
            .required_anti_affinity
            .iter()
            .zip(&t.anti)
            .all(|(term, counts)| {
                label(node, &term.topology_key)
                    .is_none_or(|v| counts.get(v).is_none_or(|n| *n <= 0))
            });
        if !away {
            return Err(Rejection::new(
                Code::Unschedulable,
                "node(s) didn't match pod anti-affinity rules",
            ));
        }
        let rejected_by_existing = t
            .existing_anti
            .keys()
            .any(|(key, value)| label(node, key) == Some(value.as_str()));
        if rejected_by_existing {
            return Err(Rejection::new(
                Code::Unschedulable,
                "node(s) didn't satisfy existing pods anti-affinity rules",
            ));
        }
        Ok(())
    }
}
