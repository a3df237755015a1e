//! The ordered history of changes that watches replay from.
//!
//! Every write appends one event with its resourceVersion, so a watcher that
//! remembers the last resourceVersion it saw resumes with no gap and no
//! duplicate. The log is bounded: once it drops events, a watch from before
//! them must relist (`410 Gone`), exactly the contract Kubernetes clients expect.

use super::Key;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// The `type` of a watch event on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One change to one object.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    pub key: Key,
    pub revision: u64,
    /// The object after the change (for deletes: its last state).
    pub object: Arc<Value>,
    /// The object before the change, so filtered watches can tell an object
    /// that stopped matching their selector (sent as DELETED) from one that
    /// never matched.
    pub previous: Option<Arc<Value>>,
}

/// A watch asked for history the log no longer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too old resource version: {requested} ({oldest})")]
pub struct HistoryGone {
    pub requested: u64,
    pub oldest: u64,
}

#[derive(Debug)]
pub(super) struct EventLog {
    events: VecDeque<Event>,
    capacity: usize,
    /// Every event with a revision up to this one has been dropped.
    compacted_through: u64,
}

impl EventLog {
    pub(super) fn new(capacity: usize) -> Self {
        Self { events: VecDeque::new(), capacity: capacity.max(1), compacted_through: 0 }
    }

    /// A log with no history that continues after `revision` (a restored store).
    pub(super) fn starting_after(capacity: usize, revision: u64) -> Self {
        Self { events: VecDeque::new(), capacity: capacity.max(1), compacted_through: revision }
    }

    pub(super) fn push(&mut self, event: Event) {
        if self.events.len() == self.capacity {
            if let Some(dropped) = self.events.pop_front() {
                self.compacted_through = dropped.revision;
            }
        }
        self.events.push_back(event);
    }

    pub(super) fn compacted_through(&self) -> u64 {
        self.compacted_through
    }

    pub(super) fn since(&self, after: u64) -> Result<impl Iterator<Item = &Event>, HistoryGone> {
        if after < self.compacted_through {
            return Err(HistoryGone { requested: after, oldest: self.compacted_through + 1 });
        }
        // Revisions are strictly increasing, so binary search finds the start.
        let start = self.events.partition_point(|e| e.revision <= after);
        Ok(self.events.range(start..))
    }
}
