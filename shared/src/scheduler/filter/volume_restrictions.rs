//! VolumeRestrictions: a `ReadWriteOncePod` claim serves one pod in the whole
//! cluster. (`ReadWriteOnce` is not the scheduler's to enforce: Kubernetes
//! leaves it to attach/detach, which allows several pods on one node.)

use crate::api::resources;
use crate::apiserver::ApiServer;
use crate::scheduler::cache::{Cache, NodeInfo};
use crate::scheduler::framework::{Code, CycleState, FilterPlugin, PreFilter, Rejection};
use crate::scheduler::pod_info::PodInfo;
use serde_json::Value;

pub struct VolumeRestrictions;

fn read_write_once_pod(claim: &Value) -> bool {
    claim
        .pointer("/spec/accessModes")
        .and_then(Value::as_array)
        .is_some_and(|m| m.iter().any(|x| x == "ReadWriteOncePod"))
}

impl FilterPlugin for VolumeRestrictions {
    fn name(&self) -> &'static str {
        "VolumeRestrictions"
    }

    fn pre_filter(
        &self,
        pod: &PodInfo,
        cache: &Cache,
        api: &ApiServer,
        _: &mut CycleState,
    ) -> PreFilter {
        let Some(pvcs) = resources::by_plural("", "v1", "persistentvolumeclaims") else {
            return PreFilter::Skip;
        };
        for claim in &pod.claims {
            let Ok(pvc) = api.get(pvcs, &pod.namespace, claim) else {
                continue;
            };
            if read_write_once_pod(pvc) && cache.claim_users(&pod.namespace, claim) > 0 {
                return PreFilter::Reject(
                    Code::UnschedulableAndUnresolvable,
                    "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode".into(),
                );
            }
        }
        PreFilter::Skip
    }

    fn filter(&self, _: &PodInfo, _: &NodeInfo, _: &CycleState) -> Result<(), Rejection> {
        Ok(())
    }
}
