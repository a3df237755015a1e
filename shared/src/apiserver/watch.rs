//! Watches: each open watch is a cursor into the store's event log plus the
//! filter the client asked for. Polling replays what happened since the
//! cursor, so a watcher sees every change exactly once and in order, however
//! rarely the host polls.

use super::table::{self, IncludeObject, ListMeta};
use super::ApiServer;
use crate::api::{meta, resources::Resource};
use crate::store::selector::{FieldSelector, LabelSelector};
use crate::store::{Event, EventType};
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Identifies an open watch; see [`super::Response::Watch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchId(pub u64);

/// How watch events carry their object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchFormat {
    Object,
    /// `kubectl get -w` asks for one-row Tables.
    Table(IncludeObject),
}

/// What a client asked to watch.
#[derive(Debug, Clone)]
pub struct WatchSpec {
    pub resource: &'static Resource,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// Start after this resourceVersion; `None` starts with the current state as ADDED events.
    pub resource_version: Option<u64>,
    pub allow_bookmarks: bool,
    /// `sendInitialEvents=true`: current state first, then a bookmark marking its end.
    pub send_initial_events: bool,
    pub format: WatchFormat,
}

/// Kubernetes sends a bookmark about once a minute when the watch is idle.
const BOOKMARK_INTERVAL: SignedDuration = SignedDuration::from_secs(60);

struct Watch {
    spec: WatchSpec,
    cursor: u64,
    initial: VecDeque<Value>,
    last_bookmark: Option<Timestamp>,
    table_header_sent: bool,
    closed: bool,
}

#[derive(Default)]
pub(super) struct Watches {
    next: u64,
    open: BTreeMap<WatchId, Watch>,
}

impl ApiServer {
    /// Opens a watch; the host then streams [`ApiServer::poll_watch`].
    pub fn open_watch(&mut self, spec: WatchSpec, now: Timestamp) -> Result<WatchId, super::ApiError> {
        let current = self.store.revision();
        let (cursor, initial_objects) = match spec.resource_version {
            Some(rv) if !spec.send_initial_events => {
                if rv < self.store.oldest_watchable() {
                    return Err(super::ApiError::expired(format!(
                        "too old resource version: {rv} ({})",
                        self.store.oldest_watchable() + 1
                    )));
                }
                (rv, Vec::new())
            }
            _ => {
                let objects: Vec<Arc<Value>> = self
                    .list(spec.resource, spec.namespace.as_deref())
                    .filter(|o| matches(&spec, o))
                    .cloned()
                    .collect();
                (current, objects)
            }
        };
        let mut watch = Watch { spec, cursor, initial: VecDeque::new(), last_bookmark: Some(now), table_header_sent: false, closed: false };
        for obj in initial_objects {
            let ev = render(&mut watch, EventType::Added, &obj, now);
            watch.initial.push_back(ev);
        }
        if watch.spec.send_initial_events && watch.spec.allow_bookmarks {
            let bookmark = bookmark(watch.spec.resource, current, true);
            watch.initial.push_back(bookmark);
        }
        self.watches.next += 1;
        let id = WatchId(self.watches.next);
        self.watches.open.insert(id, watch);
        Ok(id)
    }

    /// Events for watch `id` since the last poll, each a `{"type", "object"}`
    /// watch event as Kubernetes streams them. After an `ERROR` event (history
    /// gone) or for an unknown id, nothing more comes: the client must relist.
    pub fn poll_watch(&mut self, id: WatchId, now: Timestamp) -> Vec<Value> {
        let Some(watch) = self.watches.open.get_mut(&id) else {
            return Vec::new();
        };
        if watch.closed {
            return Vec::new();
        }
        let mut out: Vec<Value> = watch.initial.drain(..).collect();
        let events: Vec<Event> = match self.store.events_since(watch.cursor) {
            Ok(events) => events.cloned().collect(),
            Err(gone) => {
                watch.closed = true;
                let status = super::ApiError::expired(gone.to_string()).to_status();
                out.push(json!({"type": "ERROR", "object": status}));
                return out;
            }
        };
        let mut skipped = false;
        for event in &events {
            watch.cursor = event.revision;
            match translate(&watch.spec, event) {
                Some((kind, obj)) => {
                    let ev = render(watch, kind, obj, now);
                    out.push(ev);
                    skipped = false;
                }
                None => skipped = true,
            }
        }
        let due = watch.last_bookmark.is_none_or(|t| now.duration_since(t) >= BOOKMARK_INTERVAL);
        if watch.spec.allow_bookmarks && skipped && due {
            out.push(bookmark(watch.spec.resource, watch.cursor, false));
            watch.last_bookmark = Some(now);
        }
        out
    }

    /// Forgets a watch whose client went away.
    pub fn close_watch(&mut self, id: WatchId) {
        self.watches.open.remove(&id);
    }

    /// How many watches are open (the UI shows it; tests check clean-up).
    pub fn open_watches(&self) -> usize {
        self.watches.open.len()
    }
}

fn in_scope(spec: &WatchSpec, event: &Event) -> bool {
    event.key.resource == spec.resource.into()
        && spec.namespace.as_deref().is_none_or(|ns| event.key.name.namespace == ns)
}

fn matches(spec: &WatchSpec, obj: &Value) -> bool {
    spec.labels.matches(meta::labels(obj)) && spec.fields.matches(obj)
}

/// What a filtered watcher sees of one change: an object entering the filter
/// is ADDED to it, one leaving it is DELETED, as Kubernetes' watch cache does.
fn translate<'a>(spec: &WatchSpec, event: &'a Event) -> Option<(EventType, &'a Value)> {
    if !in_scope(spec, event) {
        return None;
    }
    let now_matches = matches(spec, &event.object);
    let was_matching = event.previous.as_deref().is_some_and(|p| matches(spec, p));
    match event.kind {
        EventType::Added => now_matches.then_some((EventType::Added, &*event.object)),
        EventType::Deleted => was_matching.then_some((EventType::Deleted, &*event.object)),
        EventType::Modified => match (was_matching, now_matches) {
            (true, true) => Some((EventType::Modified, &*event.object)),
            (false, true) => Some((EventType::Added, &*event.object)),
            (true, false) => Some((EventType::Deleted, &*event.object)),
            (false, false) => None,
        },
    }
}

fn render(watch: &mut Watch, kind: EventType, obj: &Value, now: Timestamp) -> Value {
    let object = match watch.spec.format {
        WatchFormat::Object => obj.clone(),
        WatchFormat::Table(include) => {
            let rv = meta::resource_version(obj).to_string();
            let mut t = table::table(watch.spec.resource, &[obj], now, include, ListMeta { resource_version: &rv, continue_token: None });
            // Column definitions travel once, with the first event.
            if watch.table_header_sent {
                t["columnDefinitions"] = json!([]);
            }
            watch.table_header_sent = true;
            t
        }
    };
    json!({"type": kind.as_str(), "object": object})
}

fn bookmark(resource: &Resource, rv: u64, initial_events_end: bool) -> Value {
    let mut metadata = json!({"resourceVersion": rv.to_string()});
    if initial_events_end {
        metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    json!({"type": "BOOKMARK", "object": {"kind": resource.kind, "apiVersion": resource.api_version(), "metadata": metadata}})
}

