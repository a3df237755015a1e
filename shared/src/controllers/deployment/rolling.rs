//! The RollingUpdate strategy: grow the new ReplicaSet while total replicas
//! stay within `replicas + maxSurge`, shrink old ones while available pods
//! stay at or above `replicas - maxUnavailable`, one step per sync.

use super::view::SetView;
use super::{is_complete, old_indices, revision, status, total_replicas, Sync};

pub(crate) fn rollout(s: &mut Sync, sets: &mut Vec<SetView>) {
    let new = revision::sync_revision(s, sets, true);
    if let Some(i) = new {
        if reconcile_new(s, sets, i) {
            return status::sync_rollout(s, sets, new);
        }
    }
    if reconcile_old(s, sets, new) {
        return status::sync_rollout(s, sets, new);
    }
    let st = status::calculate(&s.d, sets, new, s.now);
    if is_complete(&s.d, &st) {
        revision::cleanup(s, sets, new);
    }
    status::sync_rollout(s, sets, new);
}

/// Scales the new set towards `replicas` as far as the surge allows.
fn reconcile_new(s: &mut Sync, sets: &mut [SetView], i: usize) -> bool {
    let target = if sets[i].replicas > s.d.replicas {
        s.d.replicas
    } else {
        revision::new_set_replicas(&s.d, sets, Some(i))
    };
    let mut set = sets[i].clone();
    let scaled = s.scale_if_needed(&mut set, target);
    sets[i] = set;
    scaled
}

/// Scales old sets down: first their unavailable pods, then as far as availability allows.
fn reconcile_old(s: &mut Sync, sets: &mut [SetView], new: Option<usize>) -> bool {
    let old: Vec<usize> = old_indices(sets, new)
        .into_iter()
        .filter(|i| sets[*i].replicas > 0)
        .collect();
    if old.is_empty() {
        return false;
    }
    let min_available = s.d.replicas - s.d.max_unavailable();
    let new_unavailable = new.map_or(0, |i| sets[i].replicas - sets[i].available);
    let max_scaled_down = total_replicas(sets) - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return false;
    }
    let mut cleaned = 0;
    for &i in &old {
        if cleaned >= max_scaled_down {
            break;
        }
        let set = &sets[i];
        if set.replicas == 0 || set.replicas == set.available {
            continue;
        }
        let down = (max_scaled_down - cleaned).min(set.replicas - set.available);
        let (mut set, size) = (set.clone(), set.replicas - down);
        if s.scale_if_needed(&mut set, size) {
            cleaned += down;
        }
        sets[i] = set;
    }
    let available: i64 = sets.iter().map(|s| s.available).sum();
    let mut scaled = 0;
    if available > min_available {
        let budget = available - min_available;
        for &i in &old {
            if scaled >= budget {
                break;
            }
            if sets[i].replicas == 0 {
                continue;
            }
            let down = sets[i].replicas.min(budget - scaled);
            let (mut set, size) = (sets[i].clone(), sets[i].replicas - down);
            if s.scale_if_needed(&mut set, size) {
                scaled += down;
            }
            sets[i] = set;
        }
    }
    cleaned + scaled > 0
}
