//! The etcd-like store: objects by resource, namespace and name, with a global
//! resourceVersion, optimistic concurrency and an ordered event log for watches.

pub mod selector;

/// All stored objects and their history.
#[derive(Debug, Default)]
pub struct Store {}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }
}
