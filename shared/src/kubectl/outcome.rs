//! What a command gives back to the terminal: printed text and an exit code,
//! plus a [`Follow`] for commands that keep printing (`get -w`, `logs -f`,
//! `rollout status`) and an [`Interactive`] session for `exec -it`.

use super::exec::Interactive;
use super::get::WatchFollow;
use super::logs::LogFollow;
use super::rollout::StatusFollow;
use super::transport::Transport;
use jiff::Timestamp;

/// The result of one command line.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    /// Still running: poll after every tick until it says it finished.
    pub follow: Option<Follow>,
    /// `exec -it`: the terminal hands its input to the host's shell for this target.
    pub interactive: Option<Interactive>,
    /// `port-forward` to a pod on a real node: the host asks its agent to listen, prints what
    /// the agent bound and keeps the call running until Ctrl+C.
    pub port_forward: Option<super::port_forward::ForwardRequest>,
}

impl Outcome {
    pub fn ok(stdout: impl Into<String>) -> Self {
        Self { stdout: stdout.into(), ..Self::default() }
    }

    pub fn failed(stderr: impl Into<String>) -> Self {
        Self { stderr: stderr.into(), exit_code: 1, ..Self::default() }
    }

    pub fn with_exit(mut self, code: i32) -> Self {
        self.exit_code = code;
        self
    }
}

/// What a follow printed since the last poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Polled {
    pub stdout: String,
    pub stderr: String,
    /// The command ended on its own (`rollout status` saw the rollout finish).
    pub finished: bool,
    pub exit_code: i32,
}

/// A command that keeps running after it returned its first output.
#[derive(Debug)]
pub struct Follow(pub(crate) FollowKind);

#[derive(Debug)]
pub(crate) enum FollowKind {
    Watch(Box<WatchFollow>),
    Logs(LogFollow),
    Rollout(StatusFollow),
}

impl Follow {
    /// New output since the last poll, at (cluster) time `now`.
    pub fn poll(&mut self, transport: &mut dyn Transport, now: Timestamp) -> Polled {
        match &mut self.0 {
            FollowKind::Watch(w) => w.poll(transport),
            FollowKind::Logs(l) => l.poll(transport),
            FollowKind::Rollout(r) => r.poll(transport, now),
        }
    }

    /// The user pressed Ctrl-C: release what the command holds on the server.
    pub fn stop(self, transport: &mut dyn Transport) {
        if let FollowKind::Watch(w) = self.0 {
            w.close(transport);
        }
    }
}
