//! A running exec as the gateway holds it: the process's events to read and a way to feed it,
//! whatever carries them (the embedded control plane's thread, a task on this machine's Docker,
//! the page's tunnel). Dropping the handle ends the process's stream.

use super::{ExecEvent, ExecInput};
use tokio::sync::mpsc;

/// A running `kubectl exec` (or `attach`): its events, and the way to feed it; dropping it
/// sends [`ExecInput::Close`].
pub struct ExecHandle {
    pub events: mpsc::UnboundedReceiver<ExecEvent>,
    input: Box<dyn Fn(ExecInput) + Send + Sync>,
}

impl ExecHandle {
    /// A handle reading `events` and passing the client's input to `input`, which must not
    /// block: it is called from the task that pumps the client's connection.
    pub fn new(
        events: mpsc::UnboundedReceiver<ExecEvent>,
        input: impl Fn(ExecInput) + Send + Sync + 'static,
    ) -> ExecHandle {
        ExecHandle {
            events,
            input: Box::new(input),
        }
    }

    pub fn input(&self, input: ExecInput) {
        (self.input)(input);
    }
}

impl Drop for ExecHandle {
    fn drop(&mut self) {
        self.input(ExecInput::Close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn input_reaches_the_source_and_dropping_closes_it() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (_events_tx, events) = mpsc::unbounded_channel();
        let handle = {
            let seen = Arc::clone(&seen);
            ExecHandle::new(events, move |input| seen.lock().unwrap().push(input))
        };
        handle.input(ExecInput::Stdin(b"hi".to_vec()));
        drop(handle);
        assert_eq!(
            *seen.lock().unwrap(),
            [ExecInput::Stdin(b"hi".to_vec()), ExecInput::Close]
        );
    }
}
