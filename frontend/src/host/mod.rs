//! The control plane's home in the page: a dedicated Web Worker, so the UI thread never waits
//! on the cluster. `engine` is the pure part (tested natively), `runtime` and `storage` the effects.

pub mod agent_socket;
pub mod agents;
pub mod engine;
pub mod runtime;
pub mod storage;
pub mod terminal;
pub mod whole_apply;
