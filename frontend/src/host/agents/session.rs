//! `kubectl exec -i[t]` into a real container: the process runs on the agent with stdin (and
//! a TTY for `-t`); the page's terminal sends keys and sizes to it and shows what it writes,
//! as raw bytes, until it exits and the kubectl line ends with its exit status.

use super::Agents;
use crate::protocol::{CallId, FromWorker};
use kubeplay_shared::kubectl::Interactive;
use kubeplay_shared::node_protocol::{Channel, StreamId, StreamOpen};

impl Agents {
    /// Opens `interactive` on `node`'s agent as kubectl call `id`; the terminal learns it is
    /// a session from [`FromWorker::ExecOpened`].
    pub fn open_session(
        &mut self,
        id: CallId,
        interactive: &Interactive,
        node: &str,
    ) -> Result<(), String> {
        let at = self.connected(node)?;
        let target = &interactive.target;
        let open = StreamOpen::Exec {
            namespace: target.namespace.clone(),
            pod: target.pod.clone(),
            container: target.container.clone(),
            command: interactive.argv.clone(),
            stdin: true,
            tty: interactive.tty,
        };
        let link = self.agents[at]
            .link
            .as_mut()
            .ok_or("error: unable to upgrade connection: no link")?;
        let (stream, msg) = link
            .open_stream(open)
            .map_err(|e| format!("error: unable to upgrade connection: {e}"))?;
        self.send(at, vec![msg]);
        self.agents[at].sessions.insert(stream, id);
        self.messages.push(FromWorker::ExecOpened {
            id,
            tty: interactive.tty,
        });
        Ok(())
    }

    /// Keys typed into session `id`, for its stdin.
    pub fn session_input(&mut self, id: CallId, data: &[u8]) {
        let Some((at, stream)) = self.session(id) else {
            return;
        };
        let Some(link) = self.agents[at].link.as_mut() else {
            return;
        };
        match link.send(stream, Channel::Stdin, data) {
            Ok((_, frames)) => self.send(at, frames),
            Err(err) => super::web_log(&format!("cannot write to the session's stdin: {err}")),
        }
    }

    /// Session `id`'s terminal is now `cols`×`rows`.
    pub fn session_resize(&mut self, id: CallId, cols: u16, rows: u16) {
        let Some((at, stream)) = self.session(id) else {
            return;
        };
        let resize = self.agents[at]
            .link
            .as_ref()
            .map(|l| l.resize(stream, cols, rows));
        match resize {
            Some(Ok(msg)) => self.send(at, vec![msg]),
            Some(Err(err)) => super::web_log(&format!("cannot resize the session: {err}")),
            None => {}
        }
    }

    /// The agent and stream of session `id`.
    fn session(&self, id: CallId) -> Option<(usize, StreamId)> {
        self.agents.iter().enumerate().find_map(|(at, a)| {
            a.sessions
                .iter()
                .find(|(_, c)| **c == id)
                .map(|(s, _)| (at, *s))
        })
    }

    /// The agent whose node is `node`, when its link is up.
    pub(super) fn connected(&self, node: &str) -> Result<usize, String> {
        self.agents
            .iter()
            .position(|a| a.node.as_deref() == Some(node) && a.phase == super::AgentPhase::Connected)
            .ok_or_else(|| format!("error: unable to upgrade connection: the agent of node \"{node}\" is not connected"))
    }
}
