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

    fn pre_score(&self, pod: &PodInfo, _: &Cache, _: &mut CycleState) -> bool {
        pod.owner.is_some()
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
