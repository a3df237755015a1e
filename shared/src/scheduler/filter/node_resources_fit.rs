//! NodeResourcesFit: the pod's requests must fit in what the node's pods leave
//! of its allocatable cpu, memory, ephemeral storage and pod slots. Every
//! shortfall is reported, so one node can count as `Insufficient cpu` and `Insufficient memory`.

use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::PodInfo;

pub struct NodeResourcesFit;

/// The reasons the node is short for the pod, in Kubernetes' order.
pub fn insufficient(pod: &PodInfo, node: &NodeInfo) -> Vec<String> {
    let mut reasons = Vec::new();
    let used = &node.usage.requested;
    let want = &pod.requests;
    let alloc = &node.allocatable;
    if node.usage.pods + 1 > node.allowed_pods {
        reasons.push("Too many pods".to_string());
    }
    if want.milli_cpu > 0 && want.milli_cpu > alloc.milli_cpu - used.milli_cpu {
        reasons.push("Insufficient cpu".to_string());
    }
    if want.memory > 0 && want.memory > alloc.memory - used.memory {
        reasons.push("Insufficient memory".to_string());
    }
    if want.ephemeral_storage > 0
        && want.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage
    {
        reasons.push("Insufficient ephemeral-storage".to_string());
    }
    for (name, v) in &want.scalar {
        if *v > 0 && *v > alloc.scalar(name) - used.scalar(name) {
            reasons.push(format!("Insufficient {name}"));
        }
    }
    reasons
}

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }

    fn pre_filter(&self, _: &PodInfo, _: &Cache, _: &ApiServer, _: &mut CycleState) -> PreFilter {
        PreFilter::Run
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> Result<(), Rejection> {
        let reasons = insufficient(pod, node);
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(Rejection {
                code: Code::Unschedulable,
                reasons,
            })
        }
    }
}
