//! NodePorts: a `hostPort` can be held by one pod per node (per address and protocol).

use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::PodInfo;

pub struct NodePorts;

impl FilterPlugin for NodePorts {
    fn name(&self) -> &'static str {
        "NodePorts"
    }

    fn pre_filter(&self, pod: &PodInfo, _: &Cache, _: &ApiServer, _: &mut CycleState) -> PreFilter {
        if pod.host_ports.is_empty() {
            PreFilter::Skip
        } else {
            PreFilter::Run
        }
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> Result<(), Rejection> {
        let clash = pod.host_ports.iter().any(|want| {
            node.usage
                .host_ports
                .iter()
                .any(|used| used.conflicts(want))
        });
        if clash {
            Err(Rejection::new(
                Code::Unschedulable,
                "node(s) didn't have free ports for the requested pod ports",
            ))
        } else {
            Ok(())
        }
    }
}
