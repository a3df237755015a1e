//! NodeResourcesBalancedAllocation: prefers nodes whose cpu and memory would be
//! used in equal shares, so neither runs out while the other sits idle.

use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{CycleState, ScorePlugin, MAX_NODE_SCORE};
use crate::scheduler::pod_info::PodInfo;

pub struct BalancedAllocation;

fn fraction(requested: i64, capacity: i64) -> f64 {
    if capacity <= 0 {
        return 1.0;
    }
    (requested as f64 / capacity as f64).min(1.0)
}

impl ScorePlugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }

    fn weight(&self) -> i64 {
        1
    }

    fn score(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> i64 {
        let cpu = fraction(
            node.usage.non_zero_cpu + pod.non_zero_cpu,
            node.allocatable.milli_cpu,
        );
        let memory = fraction(
            node.usage.non_zero_memory + pod.non_zero_memory,
            node.allocatable.memory,
        );
        // With two resources the standard deviation is half their difference.
        let std_dev = (cpu - memory).abs() / 2.0;
        ((1.0 - std_dev) * MAX_NODE_SCORE as f64) as i64
    }
}
