//! VolumeBinding: every claim the pod mounts must exist; a claim bound to a
//! PersistentVolume with node affinity (a local disk) pins the pod to those nodes.

use crate::api::{meta, resources};
use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::node_selector::NodeSelector;
use crate::scheduler::pod_info::PodInfo;
use serde_json::Value;

pub struct VolumeBinding;

/// Whether an unbound claim waits for its first pod to be scheduled (then it is no obstacle).
fn waits_for_consumer(api: &ApiServer, claim: &Value) -> bool {
    let class = claim
        .pointer("/spec/storageClassName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(classes) = resources::by_plural("storage.k8s.io", "v1", "storageclasses") else {
        return false;
    };
    api.get(classes, "", class).is_ok_and(|c| {
        c.get("volumeBindingMode").and_then(Value::as_str) == Some("WaitForFirstConsumer")
    })
}

impl FilterPlugin for VolumeBinding {
    fn name(&self) -> &'static str {
        "VolumeBinding"
    }

    fn pre_filter(
        &self,
        pod: &PodInfo,
        _: &Cache,
        api: &ApiServer,
        state: &mut CycleState,
    ) -> PreFilter {
        if pod.claims.is_empty() {
            return PreFilter::Skip;
        }
        let (Some(pvcs), Some(pvs)) = (
            resources::by_plural("", "v1", "persistentvolumeclaims"),
            resources::by_plural("", "v1", "persistentvolumes"),
        ) else {
            return PreFilter::Skip;
        };
        let mut unbound_immediate = false;
        for claim in &pod.claims {
            let Ok(pvc) = api.get(pvcs, &pod.namespace, claim) else {
                return PreFilter::Reject(
                    Code::Unschedulable,
                    format!("persistentvolumeclaim {claim:?} not found"),
                );
            };
            if meta::is_terminating(pvc) {
                return PreFilter::Reject(
                    Code::UnschedulableAndUnresolvable,
                    format!("persistentvolumeclaim {claim:?} is being deleted"),
                );
            }
            let volume = pvc
                .pointer("/spec/volumeName")
                .and_then(Value::as_str)
                .unwrap_or("");
            if volume.is_empty() {
                unbound_immediate |= !waits_for_consumer(api, pvc);
                continue;
            }
            match api.get(pvs, "", volume) {
                Ok(pv) => {
                    if let Some(required) = pv
                        .pointer("/spec/nodeAffinity/required")
                        .filter(|v| !v.is_null())
                    {
                        state
                            .volume_node_affinity
                            .push(NodeSelector::from_value(required));
                    }
                }
                Err(_) => {
                    return PreFilter::Reject(
                        Code::UnschedulableAndUnresolvable,
                        "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
                            .into(),
                    )
                }
            }
        }
        if unbound_immediate {
            return PreFilter::Reject(
                Code::UnschedulableAndUnresolvable,
                "pod has unbound immediate PersistentVolumeClaims".into(),
            );
        }
        if state.volume_node_affinity.is_empty() {
            PreFilter::Skip
        } else {
            PreFilter::Run
        }
    }

    fn filter(&self, _: &PodInfo, node: &NodeInfo, state: &CycleState) -> Result<(), Rejection> {
        if state
            .volume_node_affinity
            .iter()
            .all(|sel| sel.matches(&node.name, &node.labels))
        {
            Ok(())
        } else {
            Err(Rejection::new(
                Code::UnschedulableAndUnresolvable,
                "node(s) had volume node affinity conflict",
            ))
        }
    }
}
