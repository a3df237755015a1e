//! Spreading replicas: fewer pods of the same controller on a node is better,
//! what Kubernetes' default topology spread (by hostname) achieves for
//! ReplicaSets, StatefulSets and Jobs.

use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{default_normalize, CycleState, ScorePlugin};
use crate::scheduler::pod_info::PodInfo;

pub struct ReplicaSpread;

impl ScorePlugin for ReplicaSpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn weight(&self) -> i64 {
        2
    }

    /// Explicit constraints replace the default spreading, as in Kubernetes.
    fn pre_score(&self, pod: &PodInfo, _: &Cache, _: &mut CycleState) -> bool {
        pod.owner.is_some() && pod.spread_constraints.is_empty()
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> i64 {
        pod.owner
            .as_ref()
            .and_then(|o| node.usage.owners.get(o))
            .copied()
            .unwrap_or(0)
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, true);
    }
}

/// PodTopologySpread's score for `ScheduleAnyway` constraints: fewer matching
/// pods in the node's domains is better.
pub struct TopologySpread;

fn soft(pod: &PodInfo) -> Vec<&crate::scheduler::pod_info::SpreadConstraint> {
    pod.spread_constraints.iter().filter(|c| !c.hard).collect()
}

impl ScorePlugin for TopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }

    fn weight(&self) -> i64 {
        2
    }

    fn pre_score(&self, pod: &PodInfo, cache: &Cache, state: &mut CycleState) -> bool {
        let constraints = soft(pod);
        if constraints.is_empty() {
            return false;
        }
        state.spread =
            crate::scheduler::filter::pod_topology_spread::count(pod, &constraints, cache);
        true
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, state: &CycleState) -> i64 {
        soft(pod)
            .iter()
            .zip(&state.spread.counts)
            .filter_map(|(c, counts)| {
                node.labels
                    .get(&c.topology_key)
                    .and_then(|v| v.as_str())
                    .and_then(|v| counts.get(v))
            })
            .sum()
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, true);
    }
}
