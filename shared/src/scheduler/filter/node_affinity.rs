//! NodeAffinity: `nodeSelector` labels and required node affinity terms must
//! both match the node.

use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::PodInfo;

pub struct NodeAffinity;

/// Whether the pod's `nodeSelector` and required node affinity accept the node.
pub fn required_match(pod: &PodInfo, node: &NodeInfo) -> bool {
    pod.node_selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v))
        && pod
            .required_node_affinity
            .as_ref()
            .is_none_or(|sel| sel.matches(&node.name, &node.labels))
}

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }

    fn pre_filter(&self, pod: &PodInfo, _: &Cache, _: &ApiServer, _: &mut CycleState) -> PreFilter {
        if pod.node_selector.is_empty() && pod.required_node_affinity.is_none() {
            PreFilter::Skip
        } else {
            PreFilter::Run
        }
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> Result<(), Rejection> {
        if required_match(pod, node) {
            Ok(())
        } else {
            Err(Rejection::new(
                Code::UnschedulableAndUnresolvable,
                "node(s) didn't match Pod's node affinity/selector",
            ))
        }
    }
}
