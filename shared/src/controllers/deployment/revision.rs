//! Revisions: finding the ReplicaSet of the current template (creating it
//! under its pod-template-hash name when there is none), numbering it above
//! every older one, which is how a rollback takes a new revision, and
//! trimming history beyond `revisionHistoryLimit`.

use super::super::events::EventType as EventKind;
use super::super::replicaset::owner_index::{controller_ref, controller_uid};
use super::hash::{equal_ignoring_hash, pod_template_hash, POD_TEMPLATE_HASH};
use super::view::{DeploymentView, SetView, DESIRED_REPLICAS, MAX_REPLICAS, REVISION};
use super::{old_indices, replica_sets, status, Sync};
use crate::api::meta;
use crate::apiserver::{DeleteOptions, Reason, WriteOptions};
use serde_json::{json, Value};

/// Collisions tolerated in one sync before giving up until the next.
const MAX_COLLISIONS: usize = 5;

/// The oldest set whose template is the Deployment's.
pub(crate) fn find_new(d: &DeploymentView, sets: &[SetView]) -> Option<usize> {
    sets.iter()
        .position(|s| equal_ignoring_hash(s.template(), d.template()))
}

/// Annotations a Deployment does not pass on to its ReplicaSets.
fn skip_copy(key: &str) -> bool {
    key == "kubectl.kubernetes.io/last-applied-configuration"
        || key.starts_with("deployment.kubernetes.io/")
}

/// Copies the Deployment's annotations and raises the revision; on a new
/// set, also the desired/max-replicas annotations. Returns whether anything changed.
fn annotate_new(d: &DeploymentView, rs: &mut Value, revision: i64, exists: bool) -> bool {
    let mut changed = false;
    if !rs["metadata"]["annotations"].is_object() {
        rs["metadata"]["annotations"] = json!({});
    }
    if let Some(a) = d
        .obj
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        for (k, v) in a.iter().filter(|(k, _)| !skip_copy(k)) {
            if rs["metadata"]["annotations"].get(k) != Some(v) {
                rs["metadata"]["annotations"][k] = v.clone();
                changed = true;
            }
        }
    }
    let current: i64 = meta::annotation(rs, REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    if current < revision {
        rs["metadata"]["annotations"][REVISION] = json!(revision.to_string());
        changed = true;
    }
    if !exists {
        rs["metadata"]["annotations"][DESIRED_REPLICAS] = json!(d.replicas.to_string());
        rs["metadata"]["annotations"][MAX_REPLICAS] =
            json!((d.replicas + d.max_surge()).to_string());
        changed = true;
    }
    changed
}

/// How many replicas the new set should have now (Kubernetes' NewRSNewReplicas).
pub(crate) fn new_set_replicas(d: &DeploymentView, sets: &[SetView], new: Option<usize>) -> i64 {
    let current = new.map_or(0, |i| sets[i].replicas);
    if !d.is_rolling() {
        return d.replicas;
    }
    let all: i64 = super::total_replicas(sets);
    let max_total = d.replicas + d.max_surge();
    if all >= max_total {
        return current;
    }
    current + (max_total - all).min(d.replicas - current).max(0)
}

/// Kubernetes' getAllReplicaSetsAndSyncRevision: the index of the new set
/// (created if `create` and missing), with revisions brought up to date.
pub(crate) fn sync_revision(s: &mut Sync, sets: &mut Vec<SetView>, create: bool) -> Option<usize> {
    let existing = find_new(&s.d, sets);
    let max_old = old_indices(sets, existing)
        .iter()
        .map(|i| sets[*i].revision())
        .max()
        .unwrap_or(0);
    let revision = max_old + 1;
    if let Some(i) = existing {
        let mut obj = (*sets[i].obj).clone();
        let mut changed = annotate_new(&s.d, &mut obj, revision, true);
        if obj
            .pointer("/spec/minReadySeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            != s.d.min_ready_seconds
        {
            obj["spec"]["minReadySeconds"] = json!(s.d.min_ready_seconds);
            changed = true;
        }
        if changed {
            let mut set = sets[i].clone();
            s.update_set(&mut set, obj);
            sets[i] = set;
        }
        let rev = sets[i].revision();
        s.set_revision(rev);
        let msg = format!("Found new replica set \"{}\"", sets[i].name);
        status::set_progressing(s, "FoundNewReplicaSet", &msg, true);
        return Some(i);
    }
    if !create {
        return None;
    }
    let (set, already) = create_new(s, sets, revision)?;
    sets.push(set);
    let i = sets.len() - 1;
    if !already && sets[i].replicas > 0 {
        let msg = format!(
            "Scaled up replica set {} from 0 to {}",
            sets[i].name, sets[i].replicas
        );
        let d = s.d.obj.clone();
        s.recorder.record(
            s.api,
            &d,
            EventKind::Normal,
            "ScalingReplicaSet",
            &msg,
            s.now,
        );
    }
    s.set_revision(revision);
    if !already {
        let msg = format!("Created new replica set \"{}\"", sets[i].name);
        status::set_progressing(s, "NewReplicaSetCreated", &msg, false);
    }
    Some(i)
}

/// Creates `<deployment>-<hash>`; on a name taken by another template, counts
/// a collision and tries the next hash.
fn create_new(s: &mut Sync, sets: &[SetView], revision: i64) -> Option<(SetView, bool)> {
    let res = replica_sets()?;
    for _ in 0..MAX_COLLISIONS {
        let collisions = s.d.status().get("collisionCount").and_then(Value::as_i64);
        let hash = pod_template_hash(s.d.template(), collisions);
        let mut template = s.d.template().clone();
        template["metadata"]["labels"][POD_TEMPLATE_HASH] = json!(hash);
        let mut selector =
            s.d.obj
                .pointer("/spec/selector")
                .cloned()
                .unwrap_or(json!({}));
        selector["matchLabels"][POD_TEMPLATE_HASH] = json!(hash);
        let name = format!("{}-{hash}", s.d.name);
        let mut rs = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": s.d.namespace, "labels": template["metadata"]["labels"].clone(),
                "ownerReferences": [controller_ref(&s.d.obj)]},
            "spec": {"replicas": 0, "minReadySeconds": s.d.min_ready_seconds, "selector": selector, "template": template},
        });
        rs["spec"]["replicas"] = json!(new_set_replicas(&s.d, sets, None));
        annotate_new(&s.d, &mut rs, revision, false);
        match s
            .api
            .create(res, &s.d.namespace, rs, s.now, WriteOptions::default())
        {
            Ok(stored) => {
                s.wrote = true;
                return Some((SetView::new(stored), false));
            }
            Err(e) if e.reason == Reason::AlreadyExists => {
                let existing = s.api.get(res, &s.d.namespace, &name).ok()?.clone();
                if controller_uid(&existing) == Some(s.d.uid.as_str())
                    && equal_ignoring_hash(
                        existing.pointer("/spec/template").unwrap_or(&Value::Null),
                        s.d.template(),
                    )
                {
                    return Some((SetView::new(existing), true));
                }
                let mut st = s.d.status().clone();
                st["collisionCount"] = json!(collisions.unwrap_or(0) + 1);
                s.write_status(st);
            }
            Err(_) => return None,
        }
    }
    None
}

/// Deletes the oldest revisions beyond `revisionHistoryLimit` that have
/// scaled to zero and settled.
pub(crate) fn cleanup(s: &mut Sync, sets: &[SetView], new: Option<usize>) {
    let Some(limit) = s.d.revision_history_limit else {
        return;
    };
    let Some(res) = replica_sets() else { return };
    let mut cleanable: Vec<&SetView> = old_indices(sets, new)
        .into_iter()
        .map(|i| &sets[i])
        .filter(|s| !s.terminating)
        .collect();
    let excess = cleanable.len() as i64 - limit;
    if excess <= 0 {
        return;
    }
    cleanable.sort_by(|a, b| {
        a.revision()
            .cmp(&b.revision())
            .then_with(|| a.created.cmp(&b.created))
    });
    for set in cleanable.into_iter().take(excess as usize) {
        if set.status_replicas != 0 || set.replicas != 0 || set.generation > set.observed_generation
        {
            continue;
        }
        if s.api
            .delete(
                res,
                &s.d.namespace,
                &set.name,
                &DeleteOptions::default(),
                s.now,
            )
            .is_ok()
        {
            s.wrote = true;
        }
    }
}
