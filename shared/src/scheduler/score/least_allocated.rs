//! NodeResourcesFit's LeastAllocated strategy: the node with the most cpu and
//! memory left after placing the pod scores best, which spreads pods out.

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{CycleState, ScorePlugin, MAX_NODE_SCORE};
use crate::scheduler::pod_info::PodInfo;

pub struct LeastAllocated;

/// Share of `capacity` left free after `requested`, on 0..=100.
fn free_share(requested: i64, capacity: i64) -> i64 {
    if capacity <= 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

impl ScorePlugin for LeastAllocated {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn weight(&self) -> i64 {
        1
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> i64 {
        let cpu = free_share(
            node.usage.non_zero_cpu + pod.non_zero_cpu,
            node.allocatable.milli_cpu,
        );
        let memory = free_share(
            node.usage.non_zero_memory + pod.non_zero_memory,
            node.allocatable.memory,
        );
        (cpu + memory) / 2
    }
}
