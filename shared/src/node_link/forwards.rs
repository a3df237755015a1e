//! The port-forwards a control plane asked one agent to listen for ([`crate::node_protocol::forward`]):
//! ids, the feature check, and the agent's news about them turned into events for the host.

use crate::node_protocol::forward::{
    BoundPort, ForwardId, PortForwardListen, PortForwardStop, PortPair, FEATURE_PORT_FORWARD,
};
use crate::node_protocol::messages::{FromAgent, ToAgent};
use crate::node_protocol::report::PodRef;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    #[error("the link is not registered")]
    NotRegistered,
    #[error("the agent of node {0:?} is too old to forward ports for this page: upgrade kubeplay-agent on that machine")]
    Unsupported(String),
}

/// What the host learns about its port-forwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardEvent {
    Listening {
        id: ForwardId,
        bound: Vec<BoundPort>,
        warnings: Vec<String>,
    },
    /// A connection was accepted on `local`; `error` when the pod could not be reached.
    Connection {
        id: ForwardId,
        local: u16,
        error: Option<String>,
    },
    /// The forward is over on the agent's side (its listeners are closed).
    Failed { id: ForwardId, message: String },
}

/// The forwards open on one link.
#[derive(Debug, Default)]
pub struct Forwards {
    next: ForwardId,
    open: BTreeSet<ForwardId>,
}

impl Forwards {
    /// Asks an agent with `features` to listen; the id names the forward from now on.
    pub fn listen(
        &mut self,
        node: &str,
        features: &[String],
        pod: PodRef,
        addresses: Vec<String>,
        ports: Vec<PortPair>,
    ) -> Result<(ForwardId, ToAgent), ForwardError> {
        if !features.iter().any(|f| f == FEATURE_PORT_FORWARD) {
            return Err(ForwardError::Unsupported(node.to_string()));
        }
        self.next = self.next.wrapping_add(1).max(1);
        let id = self.next;
        self.open.insert(id);
        Ok((
            id,
            ToAgent::PortForwardListen(Box::new(PortForwardListen {
                id,
                pod,
                addresses,
                ports,
            })),
        ))
    }

    /// Ctrl+C: the agent closes the listeners; `None` when `id` is not open.
    pub fn stop(&mut self, id: ForwardId) -> Option<ToAgent> {
        self.open
            .remove(&id)
            .then_some(ToAgent::PortForwardStop(PortForwardStop { id }))
    }

    pub fn is_open(&self, id: ForwardId) -> bool {
        self.open.contains(&id)
    }

    /// The agent's news; news of a forward stopped here (or never opened) is dropped.
    pub fn on_message(&mut self, msg: FromAgent) -> Option<ForwardEvent> {
        let event = match msg {
            FromAgent::PortForwardListening(l) => ForwardEvent::Listening {
                id: l.id,
                bound: l.bound,
                warnings: l.warnings,
            },
            FromAgent::PortForwardConnection(c) => ForwardEvent::Connection {
                id: c.id,
                local: c.local,
                error: c.error,
            },
            FromAgent::PortForwardFailed(f) => {
                self.open.remove(&f.id).then_some(())?;
                return Some(ForwardEvent::Failed {
                    id: f.id,
                    message: f.message,
                });
            }
            _ => return None,
        };
        let id = match &event {
            ForwardEvent::Listening { id, .. }
            | ForwardEvent::Connection { id, .. }
            | ForwardEvent::Failed { id, .. } => *id,
        };
        self.open.contains(&id).then_some(event)
    }

    /// The link is gone (the agent closes its listeners when it notices too).
    pub fn close_all(&mut self) -> Vec<ForwardId> {
        std::mem::take(&mut self.open).into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node_protocol::forward::{
        PortForwardConnection, PortForwardFailed, PortForwardListening,
    };

    fn pod() -> PodRef {
        PodRef {
            namespace: "default".into(),
            name: "web".into(),
            uid: "u-1".into(),
        }
    }

    fn features() -> Vec<String> {
        vec![FEATURE_PORT_FORWARD.to_string()]
    }

    #[test]
    fn an_agent_without_the_feature_gets_no_listen_and_the_user_a_reason() {
        let mut f = Forwards::default();
        let err = f
            .listen(
                "pi",
                &["services".into()],
                pod(),
                vec!["localhost".into()],
                vec![PortPair {
                    local: 8080,
                    remote: 80,
                }],
            )
            .unwrap_err();
        assert_eq!(err, ForwardError::Unsupported("pi".into()));
        assert!(err.to_string().contains("upgrade kubeplay-agent"), "{err}");
    }

    #[test]
    fn news_of_a_stopped_forward_is_dropped() {
        let mut f = Forwards::default();
        let (id, msg) = f
            .listen(
                "pi",
                &features(),
                pod(),
                vec!["localhost".into()],
                vec![PortPair {
                    local: 0,
                    remote: 80,
                }],
            )
            .unwrap();
        assert!(matches!(
            msg,
            ToAgent::PortForwardListen(l) if l.id == 1
        ));
        let listening = FromAgent::PortForwardListening(PortForwardListening {
            id,
            bound: vec![],
            warnings: vec![],
        });
        assert_eq!(
            f.on_message(listening.clone()),
            Some(ForwardEvent::Listening {
                id,
                bound: vec![],
                warnings: vec![]
            })
        );
        assert_eq!(
            f.stop(id),
            Some(ToAgent::PortForwardStop(PortForwardStop { id }))
        );
        assert_eq!(f.stop(id), None, "stopped once");
        assert_eq!(
            f.on_message(FromAgent::PortForwardConnection(PortForwardConnection {
                id,
                local: 80,
                error: None
            })),
            None
        );
    }

    #[test]
    fn a_failed_forward_is_forgotten_and_reported_once() {
        let mut f = Forwards::default();
        let (id, _) = f
            .listen(
                "pi",
                &features(),
                pod(),
                vec!["localhost".into()],
                vec![PortPair {
                    local: 8080,
                    remote: 80,
                }],
            )
            .unwrap();
        let failed = FromAgent::PortForwardFailed(PortForwardFailed {
            id,
            message: "lost connection to pod".into(),
        });
        assert_eq!(
            f.on_message(failed.clone()),
            Some(ForwardEvent::Failed {
                id,
                message: "lost connection to pod".into()
            })
        );
        assert_eq!(f.on_message(failed), None);
        assert!(!f.is_open(id) && f.stop(id).is_none());
    }
}
