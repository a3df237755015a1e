//! The Recreate strategy: scale every old ReplicaSet to zero, wait until none
//! of their pods is left running, then bring the new one up at full size.

use super::view::SetView;
use super::{is_complete, old_indices, revision, status, Sync};
use crate::api::resources::by_kind;

pub(crate) fn rollout(s: &mut Sync, sets: &mut Vec<SetView>) {
    let mut new = revision::sync_revision(s, sets, false);
    let mut scaled_down = false;
    for i in old_indices(sets, new) {
        if sets[i].replicas > 0 {
            let mut set = sets[i].clone();
            scaled_down |= s.scale_if_needed(&mut set, 0);
            sets[i] = set;
        }
    }
    if scaled_down || old_pods_running(s, sets, new) {
        return status::sync_rollout(s, sets, new);
    }
    if new.is_none() {
        new = revision::sync_revision(s, sets, true);
    }
    if let Some(i) = new {
        let mut set = sets[i].clone();
        s.scale_if_needed(&mut set, s.d.replicas);
        sets[i] = set;
    }
    let st = status::calculate(&s.d, sets, new, s.now);
    if is_complete(&s.d, &st) {
        revision::cleanup(s, sets, new);
    }
    status::sync_rollout(s, sets, new);
}

/// Whether an old set still has a pod that is not finished, terminating ones included.
fn old_pods_running(s: &Sync, sets: &[SetView], new: Option<usize>) -> bool {
    let old = old_indices(sets, new);
    if old.iter().any(|i| sets[*i].status_replicas > 0) {
        return true;
    }
    let Some(pods) = by_kind("Pod") else {
        return false;
    };
    old.iter()
        .flat_map(|i| s.pods.children(sets[*i].uid()))
        .any(|p| {
            s.api.get(pods, &p.namespace, &p.name).is_ok_and(|pod| {
                !matches!(
                    crate::controllers::pod_state::phase(pod),
                    "Succeeded" | "Failed"
                )
            })
        })
}
