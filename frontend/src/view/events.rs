//! The Events timeline: the newest Events first, with kubectl's LAST SEEN, TYPE, REASON,
//! OBJECT, MESSAGE and COUNT, so the page tells the story `kubectl get events` tells.

use super::printed::{cell, cells};
use kubeplay_shared::api::resources;
use kubeplay_shared::{ApiServer, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How many Events the view carries: enough to scroll through one scenario, few enough to send.
pub const EVENT_LIMIT: usize = 60;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EventView {
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: String,
    /// `pod/web-7d4b9c-x2x9z`.
    pub object: String,
    pub message: String,
    pub count: u32,
    /// kubectl's LAST SEEN (`12s`, `3m`).
    pub last_seen: String,
    /// `kubelet, node-1`.
    pub source: String,
    pub namespace: String,
}

/// When an Event last happened, whichever API version wrote it.
fn last_time(ev: &Value) -> Option<Timestamp> {
    ["/series/lastObservedTime", "/lastTimestamp", "/deprecatedLastTimestamp", "/eventTime", "/metadata/creationTimestamp"]
        .iter()
        .find_map(|p| ev.pointer(p).and_then(Value::as_str).and_then(|s| s.parse().ok()))
}

/// The newest [`EVENT_LIMIT`] Events in every namespace, newest first.
pub(crate) fn build(api: &ApiServer, now: Timestamp) -> Vec<EventView> {
    let Some(r) = resources::by_plural("", "v1", "events") else { return Vec::new() };
    let mut events: Vec<(Option<Timestamp>, u64, &Value)> = api
        .list(r, None)
        .map(|e| (last_time(e), kubeplay_shared::store::stored_revision(e), &**e))
        .collect();
    // Newest first; among Events of the same second, the one written last.
    events.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    events.truncate(EVENT_LIMIT);
    let objects: Vec<&Value> = events.iter().map(|(_, _, e)| *e).collect();
    let printed = cells(r, &objects, now);
    objects
        .iter()
        .zip(&printed)
        .map(|(ev, row)| EventView {
            last_seen: cell(row, 0).to_string(),
            kind: cell(row, 1).to_string(),
            reason: cell(row, 2).to_string(),
            object: cell(row, 3).to_string(),
            source: cell(row, 5).to_string(),
            message: cell(row, 6).to_string(),
            count: cell(row, 8).parse().unwrap_or(1),
            namespace: kubeplay_shared::api::meta::namespace(ev).to_string(),
        })
        .collect()
}
