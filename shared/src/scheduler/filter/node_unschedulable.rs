//! NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes no new pods,
//! unless the pod tolerates the `node.kubernetes.io/unschedulable` taint.

use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::PodInfo;
use crate::scheduler::taints::{tolerated, Taint};

pub struct NodeUnschedulable;

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }

    fn pre_filter(&self, _: &PodInfo, _: &Cache, _: &ApiServer, _: &mut CycleState) -> PreFilter {
        PreFilter::Run
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> Result<(), Rejection> {
        if !node.unschedulable {
            return Ok(());
        }
        let taint = Taint {
            key: "node.kubernetes.io/unschedulable".into(),
            value: String::new(),
            effect: "NoSchedule".into(),
        };
        if tolerated(&pod.tolerations, &taint) {
            return Ok(());
        }
        Err(Rejection::new(
            Code::UnschedulableAndUnresolvable,
            "node(s) were unschedulable",
        ))
    }
}
