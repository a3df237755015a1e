//! `kubectl exec -it POD -- sh` into a real container from the page's line terminal: each line
//! typed goes to the shell's stdin followed by a sentinel command that prints the line's exit
//! status and the working directory between two unit separators on stdout, and one separator
//! on stderr, so the page knows when the line's output on both is complete and what prompt to
//! show (`/app # `), as the simulated shell does.

use super::{AgentPhase, Agents};
use crate::protocol::{CallId, FromWorker, Reply};
use kubeplay_shared::kubectl::ExecTarget;
use kubeplay_shared::node_protocol::{Channel, StreamId, StreamOpen};

/// Printed after each line: `\x1f<status>:<dir>\x1f` on stdout, then `\x1f` on stderr.
const SENTINEL_COMMAND: &str =
    "printf '\\037%s:%s\\037\\n' \"$?\" \"$PWD\"; printf '\\037\\n' >&2\n";
const SEPARATOR: char = '\u{1f}';
/// The shells that may be opened: programs that read commands line by line from stdin.
const SHELLS: [&str; 3] = ["sh", "ash", "bash"];

/// One open shell.
#[derive(Debug, Default)]
pub(super) struct RemoteShell {
    pub session: String,
    /// The call waiting for the shell: the `exec -it` itself, then each line.
    pub call: Option<CallId>,
    /// Stdout not yet printed (it may hold the start of a sentinel).
    pub pending: String,
    /// The line's exit status and prompt, once stdout's sentinel came.
    ended: Option<(i32, String)>,
    /// Stderr's sentinel came.
    stderr_ended: bool,
}

impl RemoteShell {
    pub fn new(session: &str, call: CallId) -> Self {
        Self {
            session: session.to_string(),
            call: Some(call),
            ..Self::default()
        }
    }

    /// Waits for the sentinels of the line sent now, as call `id`.
    pub fn line(&mut self, id: CallId) {
        self.call = Some(id);
        self.ended = None;
        self.stderr_ended = false;
    }

    /// What the shell printed, as terminal messages; once both sentinels came, the waiting
    /// call is answered with the exit status and the prompt.
    pub fn output(&mut self, channel: Channel, text: &str) -> Vec<FromWorker> {
        let mut out = Vec::new();
        let Some(id) = self.call else { return out };
        if channel == Channel::Stderr {
            let (text, ended) = match text.find(SEPARATOR) {
                Some(at) => (&text[..at], true),
                None => (text, false),
            };
            if !text.is_empty() && !self.stderr_ended {
                out.push(FromWorker::Output {
                    id,
                    text: text.to_string(),
                    stderr: true,
                });
            }
            self.stderr_ended |= ended;
        } else {
            self.stdout(id, text, &mut out);
        }
        if let (Some((exit_code, prompt)), true) = (self.ended.clone(), self.stderr_ended) {
            self.call = None;
            out.push(FromWorker::Reply {
                id,
                reply: Reply::Done {
                    exit_code,
                    prompt: Some(prompt),
                },
            });
        }
        out
    }

    fn stdout(&mut self, id: CallId, text: &str, out: &mut Vec<FromWorker>) {
        if self.ended.is_some() {
            return;
        }
        self.pending.push_str(text);
        let Some(start) = self.pending.find(SEPARATOR) else {
            let text = std::mem::take(&mut self.pending);
            if !text.is_empty() {
                out.push(FromWorker::Output {
                    id,
                    text,
                    stderr: false,
                });
            }
            return;
        };
        if start > 0 {
            out.push(FromWorker::Output {
                id,
                text: self.pending[..start].to_string(),
                stderr: false,
            });
        }
        let rest = self.pending[start + 1..].to_string();
        let Some(end) = rest.find(SEPARATOR) else {
            // The sentinel's end is still on its way.
            self.pending = self.pending[start..].to_string();
            return;
        };
        let (code, dir) = rest[..end].split_once(':').unwrap_or(("0", "/"));
        let prompt = format!("{} # ", if dir.is_empty() { "/" } else { dir });
        self.ended = Some((code.trim().parse().unwrap_or(0), prompt));
        self.pending.clear();
    }
}

impl Agents {
    /// `kubectl exec -it` as call `id` in terminal `session`: opens the shell in the real
    /// container on `node`; the call is answered with the shell's prompt once it runs.
    pub fn open_shell(
        &mut self,
        id: CallId,
        session: &str,
        target: &ExecTarget,
        argv: &[String],
        node: &str,
    ) -> Result<(), String> {
        let program = argv
            .first()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .unwrap_or("");
        if argv.len() != 1 || !SHELLS.contains(&program) {
            return Err(format!(
                "error: in real containers the page's terminal runs a shell ({}) one line at a time; run other programs with: kubectl exec {} -- {}",
                SHELLS.join(", "),
                target.pod,
                argv.join(" ")
            ));
        }
        let at = self.connected(node)?;
        let open = StreamOpen::Exec {
            namespace: target.namespace.clone(),
            pod: target.pod.clone(),
            container: target.container.clone(),
            command: argv.to_vec(),
            stdin: true,
            tty: false,
        };
        let link = self.agents[at]
            .link
            .as_mut()
            .ok_or("error: unable to upgrade connection: no link")?;
        let (stream, msg) = link
            .open_stream(open)
            .map_err(|e| format!("error: unable to upgrade connection: {e}"))?;
        self.send(at, vec![msg]);
        let shell = RemoteShell::new(session, id);
        self.agents[at].shells.insert(stream, shell);
        self.write_stdin(at, stream, SENTINEL_COMMAND);
        Ok(())
    }

    /// Whether terminal `session` is inside a real container's shell.
    pub fn has_shell(&self, session: &str) -> bool {
        self.agents
            .iter()
            .any(|a| a.shells.values().any(|s| s.session == session))
    }

    /// One line typed in terminal `session`'s shell, as call `id`.
    pub fn shell_line(&mut self, id: CallId, session: &str, line: &str) {
        for at in 0..self.agents.len() {
            let Some((&stream, shell)) = self.agents[at]
                .shells
                .iter_mut()
                .find(|(_, s)| s.session == session)
            else {
                continue;
            };
            shell.line(id);
            self.write_stdin(at, stream, &format!("{line}\n{SENTINEL_COMMAND}"));
            return;
        }
    }

    fn write_stdin(&mut self, at: usize, stream: StreamId, text: &str) {
        let Some(link) = self.agents[at].link.as_mut() else {
            return;
        };
        match link.send(stream, Channel::Stdin, text.as_bytes()) {
            Ok((_, frames)) => self.send(at, frames),
            Err(err) => super::web_log(&format!("cannot write to the shell: {err}")),
        }
    }

    /// The agent whose node is `node`, when its link is up.
    pub(super) fn connected(&self, node: &str) -> Result<usize, String> {
        self.agents
            .iter()
            .position(|a| a.node.as_deref() == Some(node) && a.phase == AgentPhase::Connected)
            .ok_or_else(|| format!("error: unable to upgrade connection: the agent of node \"{node}\" is not connected"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(exit_code: i32, prompt: &str) -> FromWorker {
        FromWorker::Reply {
            id: 4,
            reply: Reply::Done {
                exit_code,
                prompt: Some(prompt.into()),
            },
        }
    }

    #[test]
    fn a_line_is_answered_once_both_sentinels_came_with_its_status_and_prompt() {
        let mut s = RemoteShell::new("t", 4);
        let out = s.output(Channel::Stdout, "bin\netc\n\u{1f}2:/usr/local\u{1f}\n");
        assert_eq!(
            out,
            vec![FromWorker::Output {
                id: 4,
                text: "bin\netc\n".into(),
                stderr: false
            }]
        );
        let out = s.output(Channel::Stderr, "ls: x: No such file\n\u{1f}\n");
        assert_eq!(
            out,
            vec![
                FromWorker::Output {
                    id: 4,
                    text: "ls: x: No such file\n".into(),
                    stderr: true
                },
                done(2, "/usr/local # ")
            ]
        );
        assert_eq!(s.call, None);
    }

    #[test]
    fn a_sentinel_split_across_chunks_waits_for_its_end() {
        let mut s = RemoteShell::new("t", 4);
        assert!(s.output(Channel::Stderr, "\u{1f}\n").is_empty());
        assert_eq!(
            s.output(Channel::Stdout, "hi\n\u{1f}0:"),
            vec![FromWorker::Output {
                id: 4,
                text: "hi\n".into(),
                stderr: false
            }]
        );
        assert_eq!(
            s.output(Channel::Stdout, "/\u{1f}\n"),
            vec![done(0, "/ # ")]
        );
        s.line(5);
        assert_eq!(s.call, Some(5));
    }
}
