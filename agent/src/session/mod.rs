//! What outlives a connection: the pod runtime, the latest desired pods and the routing of the
//! runtime's reports to whichever control plane is connected now.
//!
//! Pods keep running when the control plane goes away. Reports made while nobody listens are
//! dropped; a control plane that (re)connects first receives every pod's current status, then
//! sends SyncPods, which the runtime reconciles against what runs (no duplicates, nothing lost).
//! A second connection replaces the first (see [`slot`]).

mod forwards;
mod frame_pool;
mod link;
mod metrics;
mod outbox;
pub mod slot;
mod streams;

use crate::node_info::NodeFacts;
use crate::tunnel::PageTunnel;
use kubeplay_agent::network::node::NodeNetwork;
use kubeplay_agent::runtime::{PodRuntime, Report, Reports};
use kubeplay_shared::node_protocol::DesiredPod;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

/// How long kubectl waits for the page to answer a request (the API server's own limit for a
/// request that is not a watch is a minute).
const API_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long after a failed sync the agent tries again.
const SYNC_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// The agent's state shared by every connection it serves.
pub struct Sessions {
    runtime: Arc<PodRuntime>,
    facts: NodeFacts,
    slot: slot::Slot,
    /// Where runtime reports go: the connected control plane's link, or nowhere.
    listener: Mutex<Listener>,
    /// The newest SyncPods; the syncer applies only the latest, however many arrive meanwhile.
    desired: watch::Sender<Option<Vec<DesiredPod>>>,
    /// DNS, Service proxy and relay, fed by each SyncServices.
    network: Arc<NodeNetwork>,
    /// The connected page's kube API, for the gateway.
    tunnel: Arc<PageTunnel>,
    /// Addresses besides loopback a page's port-forward may listen on (the operator's opt-in).
    forward_addresses: Arc<Vec<std::net::IpAddr>>,
}

impl Sessions {
    /// Starts the report router and the syncer; they run as long as the agent does.
    pub fn start(
        runtime: PodRuntime,
        reports: Reports,
        facts: NodeFacts,
        network: Arc<NodeNetwork>,
        forward_addresses: Vec<std::net::IpAddr>,
    ) -> Arc<Sessions> {
        let (desired, desired_rx) = watch::channel(None);
        let sessions = Arc::new(Sessions {
            runtime: Arc::new(runtime),
            facts,
            slot: slot::Slot::default(),
            listener: Mutex::new(Listener::default()),
            desired,
            network,
            tunnel: PageTunnel::new(API_TIMEOUT),
            forward_addresses: Arc::new(forward_addresses),
        });
        tokio::spawn(route_reports(Arc::downgrade(&sessions), reports));
        tokio::spawn(sync_pods(Arc::clone(&sessions.runtime), desired_rx));
        sessions
    }

    /// The kube API of whichever page is connected, for the gateway.
    pub fn tunnel(&self) -> Arc<PageTunnel> {
        Arc::clone(&self.tunnel)
    }

    /// The pod runtime every connection shares.
    pub fn runtime(&self) -> Arc<PodRuntime> {
        Arc::clone(&self.runtime)
    }

    /// Serves one admitted connection until it closes or a newer one replaces it.
    pub async fn attach(self: Arc<Self>, socket: warp::ws::WebSocket, peer: String) {
        let turn = self.slot.take_turn(&peer).await;
        link::drive(&self, socket, &peer, turn).await;
        tracing::info!(peer = %peer, "control plane disconnected; pods keep running");
    }

    /// Routes reports to `tx` (a link that just registered) or nowhere; a new listener first
    /// gets the removals it missed.
    fn listen(&self, tx: Option<mpsc::UnboundedSender<Report>>) {
        self.listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .attach(tx);
    }

    fn want(&self, pods: Vec<DesiredPod>) {
        self.desired.send_replace(Some(pods));
    }
}

/// The connected link's report channel, and the removals made while none was connected: the
/// control plane waits for them to delete terminating pods, while statuses are re-sent in full
/// on reconnect and events may be lost as the kubelet's are.
#[derive(Default)]
struct Listener {
    tx: Option<mpsc::UnboundedSender<Report>>,
    missed_removals: Vec<kubeplay_agent::runtime::PodRef>,
}

/// Removals kept for an absent control plane; beyond this the oldest are forgotten.
const MAX_MISSED_REMOVALS: usize = 1024;

impl Listener {
    fn attach(&mut self, tx: Option<mpsc::UnboundedSender<Report>>) {
        if let Some(tx) = &tx {
            for pod in self.missed_removals.drain(..) {
                let _ = tx.send(Report::Removed { pod });
            }
        }
        self.tx = tx;
    }

    fn deliver(&mut self, report: Report) {
        let report = match &self.tx {
            Some(tx) => match tx.send(report) {
                Ok(()) => return,
                Err(mpsc::error::SendError(report)) => report,
            },
            None => report,
        };
        if let Report::Removed { pod } = report {
            if !self.missed_removals.contains(&pod) {
                if self.missed_removals.len() == MAX_MISSED_REMOVALS {
                    self.missed_removals.remove(0);
                }
                self.missed_removals.push(pod);
            }
        }
    }
}

async fn route_reports(sessions: std::sync::Weak<Sessions>, mut reports: Reports) {
    while let Some(report) = reports.recv().await {
        let Some(sessions) = sessions.upgrade() else {
            return;
        };
        sessions
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .deliver(report);
    }
}

/// Applies the newest desired pods; a sync in progress finishes before the next starts, and a
/// failed one is retried (with whatever is newest by then) after [`SYNC_RETRY`].
async fn sync_pods(
    runtime: Arc<PodRuntime>,
    mut desired: watch::Receiver<Option<Vec<DesiredPod>>>,
) {
    let mut failed = false;
    loop {
        let changed = if failed {
            tokio::select! {
                changed = desired.changed() => changed,
                () = tokio::time::sleep(SYNC_RETRY) => Ok(()),
            }
        } else {
            desired.changed().await
        };
        if changed.is_err() {
            return;
        }
        let Some(pods) = desired.borrow_and_update().clone() else {
            continue;
        };
        failed = match runtime.sync(pods).await {
            Ok(()) => false,
            Err(e) => {
                tracing::warn!(
                    "pod sync failed, retrying in {} s: {e}",
                    SYNC_RETRY.as_secs()
                );
                true
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_agent::runtime::PodRef;

    fn pod(uid: &str) -> PodRef {
        PodRef {
            uid: uid.into(),
            namespace: "default".into(),
            name: uid.into(),
        }
    }

    #[test]
    fn removals_made_while_no_control_plane_listens_are_delivered_to_the_next_one() {
        let mut listener = Listener::default();
        listener.deliver(Report::Removed { pod: pod("a") });
        listener.deliver(Report::Removed { pod: pod("a") });
        listener.deliver(Report::Status {
            pod: pod("b"),
            status: serde_json::json!({}),
        });
        assert_eq!(
            listener.missed_removals,
            [pod("a")],
            "statuses are re-sent in full instead"
        );
        let (tx, mut rx) = mpsc::unbounded_channel();
        listener.attach(Some(tx));
        listener.deliver(Report::Removed { pod: pod("c") });
        assert_eq!(rx.try_recv().unwrap(), Report::Removed { pod: pod("a") });
        assert_eq!(rx.try_recv().unwrap(), Report::Removed { pod: pod("c") });
    }
}
