//! A Deployment's status: replica counts summed from its ReplicaSets, and the
//! Available and Progressing conditions with Kubernetes' reasons and messages,
//! including the progress deadline.

use super::view::{DeploymentView, SetView};
use super::{is_complete, Sync};
use crate::apiserver::format_time;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

const AVAILABLE: &str = "Available";
const PROGRESSING: &str = "Progressing";
pub(crate) const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
const TIMED_OUT: &str = "ProgressDeadlineExceeded";
const PAUSED: &str = "DeploymentPaused";
const RESUMED: &str = "DeploymentResumed";

pub(crate) fn condition<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

fn reason(c: Option<&Value>) -> &str {
    c.and_then(|c| c.get("reason"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub(crate) fn new_condition(
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> Value {
    let t = format_time(now);
    json!({"type": kind, "status": status, "reason": reason, "message": message, "lastUpdateTime": t, "lastTransitionTime": t})
}

fn remove_condition(status: &mut Value, kind: &str) {
    if let Some(cs) = status.get_mut("conditions").and_then(Value::as_array_mut) {
        cs.retain(|c| c["type"] != kind);
    }
}

/// Sets a condition unless one of the same status and reason is there already
/// (its times then stay); keeps the transition time when only the reason moves.
pub(crate) fn set_condition(status: &mut Value, mut c: Value) {
    let kind = c["type"].as_str().unwrap_or("").to_string();
    if let Some(current) = condition(status, &kind) {
        if current["status"] == c["status"] && current["reason"] == c["reason"] {
            return;
        }
        if current["status"] == c["status"] {
            c["lastTransitionTime"] = current["lastTransitionTime"].clone();
        }
    }
    remove_condition(status, &kind);
    if !status.get("conditions").is_some_and(Value::is_array) {
        status["conditions"] = json!([]);
    }
    if let Some(cs) = status["conditions"].as_array_mut() {
        cs.push(c);
    }
}

fn count(status: &Value, field: &str) -> i64 {
    status.get(field).and_then(Value::as_i64).unwrap_or(0)
}

/// The status Kubernetes' calculateStatus gives: counts from the sets, the
/// Available condition, other conditions carried over.
pub(crate) fn calculate(
    d: &DeploymentView,
    sets: &[SetView],
    new: Option<usize>,
    now: Timestamp,
) -> Value {
    let available: i64 = sets.iter().map(|s| s.available).sum();
    let total: i64 = sets.iter().map(|s| s.replicas).sum();
    let mut status = json!({});
    let fields = [
        ("observedGeneration", d.generation),
        ("replicas", sets.iter().map(|s| s.status_replicas).sum()),
        (
            "updatedReplicas",
            new.map_or(0, |i| sets[i].status_replicas),
        ),
        ("readyReplicas", sets.iter().map(|s| s.ready).sum()),
        ("availableReplicas", available),
        ("unavailableReplicas", (total - available).max(0)),
    ];
    for (f, n) in fields {
        if n != 0 {
            status[f] = json!(n);
        }
    }
    if let Some(c) = d.status().get("collisionCount") {
        status["collisionCount"] = c.clone();
    }
    if let Some(cs) = d.status().get("conditions") {
        status["conditions"] = cs.clone();
    }
    let c = if available >= d.replicas - d.max_unavailable() {
        new_condition(
            AVAILABLE,
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            now,
        )
    } else {
        new_condition(
            AVAILABLE,
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            now,
        )
    };
    set_condition(&mut status, c);
    status
}

/// Writes the counts only (scaling and paused syncs).
pub(crate) fn sync_counts(s: &mut Sync, sets: &[SetView], new: Option<usize>) {
    let st = calculate(&s.d, sets, new, s.now);
    s.write_status(st);
}

/// Whether the rollout moved since the last status: more updated, fewer old,
/// more ready or more available replicas.
fn progressing(d: &DeploymentView, new: &Value) -> bool {
    let old = d.status();
    let old_old = count(old, "replicas") - count(old, "updatedReplicas");
    let new_old = count(new, "replicas") - count(new, "updatedReplicas");
    count(new, "updatedReplicas") > count(old, "updatedReplicas")
        || new_old < old_old
        || count(new, "readyReplicas") > count(old, "readyReplicas")
        || count(new, "availableReplicas") > count(old, "availableReplicas")
}

fn last_update(c: &Value) -> Option<Timestamp> {
    c.get("lastUpdateTime")?.as_str()?.parse().ok()
}

fn timed_out(d: &DeploymentView, status: &Value, now: Timestamp) -> bool {
    let Some(deadline) = d.progress_deadline_seconds else {
        return false;
    };
    let Some(c) = condition(status, PROGRESSING) else {
        return false;
    };
    match reason(Some(c)) {
        NEW_RS_AVAILABLE => false,
        TIMED_OUT => true,
        _ => last_update(c)
            .and_then(|t| t.checked_add(SignedDuration::from_secs(deadline)).ok())
            .is_some_and(|t| t < now),
    }
}

/// Kubernetes' syncRolloutStatus: counts plus the Progressing condition.
pub(crate) fn sync_rollout(s: &mut Sync, sets: &[SetView], new: Option<usize>) {
    let mut st = calculate(&s.d, sets, new, s.now);
    if s.d.progress_deadline_seconds.is_none() {
        remove_condition(&mut st, PROGRESSING);
    }
    let current = condition(&st, PROGRESSING).cloned();
    let done = count(&st, "replicas") == count(&st, "updatedReplicas")
        && reason(current.as_ref()) == NEW_RS_AVAILABLE;
    if s.d.progress_deadline_seconds.is_some() && !done {
        let subject = match new {
            Some(i) => format!("ReplicaSet \"{}\"", sets[i].name),
            None => format!("Deployment \"{}\"", s.d.name),
        };
        if is_complete(&s.d, &st) {
            let msg = format!("{subject} has successfully progressed.");
            set_condition(
                &mut st,
                new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, &msg, s.now),
            );
        } else if progressing(&s.d, &st) {
            let msg = format!("{subject} is progressing.");
            let mut c = new_condition(PROGRESSING, "True", "ReplicaSetUpdated", &msg, s.now);
            if let Some(cur) = current.as_ref().filter(|c| c["status"] == "True") {
                c["lastTransitionTime"] = cur["lastTransitionTime"].clone();
            }
            remove_condition(&mut st, PROGRESSING);
            set_condition(&mut st, c);
        } else if timed_out(&s.d, &st, s.now) {
            let msg = format!("{subject} has timed out progressing.");
            set_condition(
                &mut st,
                new_condition(PROGRESSING, "False", TIMED_OUT, &msg, s.now),
            );
        }
    }
    s.write_status(st);
}

/// Sets a Progressing condition on the stored status (FoundNewReplicaSet, NewReplicaSetCreated).
pub(crate) fn set_progressing(s: &mut Sync, reason: &str, message: &str, only_if_absent: bool) {
    if s.d.progress_deadline_seconds.is_none()
        || (only_if_absent && condition(s.d.status(), PROGRESSING).is_some())
    {
        return;
    }
    let mut st = s.d.status().clone();
    if !st.is_object() {
        st = json!({});
    }
    set_condition(
        &mut st,
        new_condition(PROGRESSING, "True", reason, message, s.now),
    );
    s.write_status(st);
}

/// Marks a paused Deployment (Unknown / DeploymentPaused) and its resumption.
pub(crate) fn check_paused(s: &mut Sync) {
    if s.d.progress_deadline_seconds.is_none() {
        return;
    }
    let current = reason(condition(s.d.status(), PROGRESSING)).to_string();
    if current == TIMED_OUT {
        return;
    }
    let c = match (s.d.paused, current == PAUSED) {
        (true, false) => new_condition(
            PROGRESSING,
            "Unknown",
            PAUSED,
            "Deployment is paused",
            s.now,
        ),
        (false, true) => new_condition(
            PROGRESSING,
            "Unknown",
            RESUMED,
            "Deployment is resumed",
            s.now,
        ),
        _ => return,
    };
    let mut st = s.d.status().clone();
    if !st.is_object() {
        st = json!({});
    }
    set_condition(&mut st, c);
    s.write_status(st);
}

/// When a rollout that stops moving will have missed its deadline (a second
/// past it, as Kubernetes requeues), if one is running against the clock.
pub(crate) fn deadline_wakeup(d: &DeploymentView) -> Option<Timestamp> {
    let deadline = d.progress_deadline_seconds?;
    if d.paused {
        return None;
    }
    let c = condition(d.status(), PROGRESSING)?;
    if matches!(reason(Some(c)), NEW_RS_AVAILABLE | TIMED_OUT | PAUSED) {
        return None;
    }
    last_update(c)?
        .checked_add(SignedDuration::from_secs(deadline + 1))
        .ok()
}
