//! NodeName: a pod that names a node fits only that node. The scheduler never
//! sees such pods from the queue, but the check keeps the profile complete.

use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::PodInfo;

pub struct NodeName;

impl FilterPlugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }

    fn pre_filter(&self, pod: &PodInfo, _: &Cache, _: &ApiServer, _: &mut CycleState) -> PreFilter {
        if pod.node_name.is_empty() {
            PreFilter::Skip
        } else {
            PreFilter::Run
        }
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> Result<(), Rejection> {
        if pod.node_name == node.name {
            Ok(())
        } else {
            Err(Rejection::new(
                Code::UnschedulableAndUnresolvable,
                "node(s) didn't match the requested node name",
            ))
        }
    }
}
