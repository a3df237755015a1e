//! The in-page terminal: a prompt that sends each line to the worker's kubectl session and shows
//! what comes back, with history, Tab completion and Ctrl+C for follows; `kubectl exec -it`
//! into a real container switches it to a raw terminal (see `tty`).

pub mod model;
pub mod panel;
pub mod tty;
