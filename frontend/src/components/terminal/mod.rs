//! The in-page terminal: a prompt that sends each line to the worker's kubectl session and shows
//! what comes back, with history, Tab completion and Ctrl+C for follows.

pub mod model;
pub mod panel;
