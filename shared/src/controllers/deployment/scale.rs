//! Scaling a Deployment, also in the middle of a rollout or while paused:
//! the change in replicas is shared among the active ReplicaSets in
//! proportion to their size, so neither old nor new gains an unfair share.

use super::view::{SetView, DESIRED_REPLICAS, MAX_REPLICAS};
use super::{old_indices, revision, status, Sync};

/// Whether `spec.replicas` moved away from what the active sets were sized for.
pub(crate) fn is_scaling_event(s: &mut Sync, sets: &mut Vec<SetView>) -> bool {
    revision::sync_revision(s, sets, false);
    sets.iter().filter(|r| r.replicas > 0).any(|r| {
        r.annotated(DESIRED_REPLICAS)
            .is_some_and(|d| d != s.d.replicas)
    })
}

/// Kubernetes' sync: scale, trim history when paused, write the counts.
pub(crate) fn sync(s: &mut Sync, sets: &mut Vec<SetView>) {
    let new = revision::sync_revision(s, sets, false);
    scale(s, sets, new);
    if s.d.paused {
        revision::cleanup(s, sets, new);
    }
    status::sync_counts(s, sets, new);
}

/// The one active set (or the newest when none is), when the choice is simple.
fn active_or_latest(sets: &[SetView], new: Option<usize>) -> Option<usize> {
    let active: Vec<usize> = (0..sets.len()).filter(|i| sets[*i].replicas > 0).collect();
    match active.len() {
        0 => new.or_else(|| old_indices(sets, new).last().copied()),
        1 => Some(active[0]),
        _ => None,
    }
}

/// This set's share of `to_add`, from its size relative to the size the
/// Deployment had when it was last scaled (its max-replicas annotation).
fn proportion(s: &Sync, set: &SetView, to_add: i64, added: i64) -> i64 {
    if set.replicas == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = if s.d.replicas == 0 {
        -set.replicas
    } else {
        let allowed = s.d.replicas + s.d.max_surge();
        let annotated = set.annotated(MAX_REPLICAS).unwrap_or_else(|| {
            s.d.status()
                .get("replicas")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0)
        });
        if annotated == 0 {
            0
        } else {
            ((set.replicas * allowed) as f64 / annotated as f64).round() as i64 - set.replicas
        }
    };
    let left = to_add - added;
    if to_add > 0 {
        fraction.min(left)
    } else {
        fraction.max(left)
    }
}

fn scale(s: &mut Sync, sets: &mut [SetView], new: Option<usize>) {
    if let Some(i) = active_or_latest(sets, new) {
        let mut set = sets[i].clone();
        s.scale_if_needed(&mut set, s.d.replicas);
        sets[i] = set;
        return;
    }
    let saturated = new.is_some_and(|i| {
        let n = &sets[i];
        n.replicas == s.d.replicas
            && n.annotated(DESIRED_REPLICAS) == Some(s.d.replicas)
            && n.available == s.d.replicas
    });
    if saturated {
        for i in old_indices(sets, new) {
            let mut set = sets[i].clone();
            s.scale_if_needed(&mut set, 0);
            sets[i] = set;
        }
        return;
    }
    if !s.d.is_rolling() {
        return;
    }
    let mut active: Vec<usize> = (0..sets.len()).filter(|i| sets[*i].replicas > 0).collect();
    let allowed = if s.d.replicas > 0 {
        s.d.replicas + s.d.max_surge()
    } else {
        0
    };
    let current: i64 = active.iter().map(|i| sets[*i].replicas).sum();
    let to_add = allowed - current;
    // Bigger sets first; on a tie the newer one when growing, the older when shrinking.
    active.sort_by(|a, b| {
        let (x, y) = (&sets[*a], &sets[*b]);
        let by_age =
            (x.created.as_str(), x.name.as_str()).cmp(&(y.created.as_str(), y.name.as_str()));
        y.replicas
            .cmp(&x.replicas)
            .then(if to_add > 0 { by_age.reverse() } else { by_age })
    });
    let mut sizes: Vec<i64> = active.iter().map(|i| sets[*i].replicas).collect();
    if to_add != 0 {
        let mut added = 0;
        for (k, &i) in active.iter().enumerate() {
            let p = proportion(s, &sets[i], to_add, added);
            sizes[k] += p;
            added += p;
        }
        if let Some(first) = sizes.first_mut() {
            *first = (*first + to_add - added).max(0);
        }
    }
    for (k, &i) in active.iter().enumerate() {
        let mut set = sets[i].clone();
        s.scale(&mut set, sizes[k]);
        sets[i] = set;
    }
}
