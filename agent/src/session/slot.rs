//! One control plane drives the agent at a time. A new authenticated connection replaces the
//! current one (a reloaded tab must not wait for its old socket to time out); the old session
//! is told why and closes before the new one starts, so two never act at once.

use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

/// Why a session was asked to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The peer that took over, for the close reason and the log.
    pub by: String,
}

/// The turn a session holds while it drives the agent; dropping it lets the next one start.
pub struct Turn {
    _running: OwnedMutexGuard<()>,
    /// Resolves when a newer connection wants the agent.
    pub replaced: oneshot::Receiver<Replaced>,
}

#[derive(Default)]
pub struct Slot {
    running: std::sync::Arc<Mutex<()>>,
    current: std::sync::Mutex<Option<oneshot::Sender<Replaced>>>,
}

impl Slot {
    /// Asks the current session (if any) to end, waits until it has, and hands out the turn.
    pub async fn take_turn(&self, peer: &str) -> Turn {
        let (tx, rx) = oneshot::channel();
        let previous = {
            let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
            current.replace(tx)
        };
        if let Some(previous) = previous {
            let _ = previous.send(Replaced {
                by: peer.to_string(),
            });
        }
        let running = std::sync::Arc::clone(&self.running).lock_owned().await;
        Turn {
            _running: running,
            replaced: rx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn a_new_connection_replaces_the_current_one_after_it_ends() {
        let slot = Arc::new(Slot::default());
        let first = slot.take_turn("10.0.0.1:5000").await;
        let second = tokio::spawn({
            let slot = Arc::clone(&slot);
            async move { slot.take_turn("10.0.0.2:6000").await }
        });
        let replaced = first.replaced.await.unwrap();
        assert_eq!(replaced.by, "10.0.0.2:6000");
        assert!(
            !second.is_finished(),
            "the new session must wait for the old one to end"
        );
        drop(first._running);
        let mut second = second.await.unwrap();
        assert!(
            second.replaced.try_recv().is_err(),
            "nobody replaced the second session"
        );
    }
}
