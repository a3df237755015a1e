//! A controller's view of the store's history: like an informer, it hands out
//! each change once, and asks for a full resync when it fell too far behind.

use crate::store::{Event, Store};

/// What happened since the last read.
pub enum Changes<'a> {
    Events(Vec<&'a Event>),
    /// History was compacted past our cursor: rebuild from a full list.
    Resync,
}

/// A cursor into the store's event log.
#[derive(Debug, Default)]
pub struct ChangeFeed {
    cursor: u64,
    started: bool,
}

impl ChangeFeed {
    pub fn changes<'a>(&mut self, store: &'a Store) -> Changes<'a> {
        if !self.started {
            self.started = true;
            self.cursor = store.revision();
            return Changes::Resync;
        }
        match store.events_since(self.cursor) {
            Ok(events) => {
                let events: Vec<&Event> = events.collect();
                self.cursor = store.revision();
                Changes::Events(events)
            }
            Err(_) => {
                self.cursor = store.revision();
                Changes::Resync
            }
        }
    }
}
