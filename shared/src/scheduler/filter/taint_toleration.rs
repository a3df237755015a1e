//! TaintToleration: a node's `NoSchedule` and `NoExecute` taints keep out every
//! pod that does not tolerate them; the first untolerated one is reported.

use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::PodInfo;
use crate::scheduler::taints::tolerated;

pub struct TaintToleration;

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }

    fn pre_filter(&self, _: &PodInfo, _: &Cache, _: &ApiServer, _: &mut CycleState) -> PreFilter {
        PreFilter::Run
    }

    fn filter(&self, pod: &PodInfo, node: &NodeInfo, _: &CycleState) -> Result<(), Rejection> {
        let blocking = node
            .taints
            .iter()
            .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
            .find(|t| !tolerated(&pod.tolerations, t));
        match blocking {
            None => Ok(()),
            Some(t) => Err(Rejection::new(
                Code::UnschedulableAndUnresolvable,
                format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value),
            )),
        }
    }
}
