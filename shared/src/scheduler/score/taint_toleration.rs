//! TaintToleration score: fewer untolerated `PreferNoSchedule` taints is better.

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{default_normalize, CycleState, ScorePlugin};
use crate::scheduler::pod_info::PodInfo;

pub struct TaintToleration;

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    fn weight(&self) -> i64 {
        3
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> i64 {
        let tolerations: Vec<_> = pod
            .tolerations
            .iter()
            .filter(|t| t.effect.is_empty() || t.effect == "PreferNoSchedule")
            .collect();
        node.taints
            .iter()
            .filter(|t| {
                t.effect == "PreferNoSchedule" && !tolerations.iter().any(|tol| tol.tolerates(t))
            })
            .count() as i64
    }

    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, true);
    }
}
