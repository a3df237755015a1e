//! NodeAffinity score: the sum of the weights of the preferred node affinity
//! terms a node matches.

use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{default_normalize, CycleState, ScorePlugin};
use crate::scheduler::pod_info::PodInfo;

pub struct NodeAffinity;

impl ScorePlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn weight(&self) -> i64 {
        2
    }

    fn pre_score(&self, pod: &PodInfo, _: &Cache, _: &mut CycleState) -> bool {
        !pod.preferred_node_affinity.is_empty()
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> i64 {
        pod.preferred_node_affinity
            .iter()
            .filter(|(_, sel)| sel.matches(&node.name, &node.labels))
            .map(|(w, _)| *w)
            .sum()
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, false);
    }
}
