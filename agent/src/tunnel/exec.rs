//! `kubectl exec` and `attach` through the page: the process of a pod this agent does not run
//! is opened as a stream in the connected page's control plane ([`api_exec`]), which runs it in
//! a simulated container or relays it to the agent of the pod's node.
//!
//! Each direction has its credit window, as every stream of the link: kubectl's output is
//! granted back only as the gateway writes it to kubectl, and its stdin waits for the page's
//! credit in a bounded queue.
//!
//! [`api_exec`]: kubeplay_shared::node_protocol::api_exec

use super::{PageTunnel, Unavailable};
use crate::exec::{static_reason, ExecEvent, ExecInput, ExecRefusal, ExecSpec};
use kubeplay_shared::node_protocol::api_exec::ExecRefused;
use kubeplay_shared::node_protocol::flow::{Receiver, Sender};
use kubeplay_shared::node_protocol::stream::{CloseStream, Credit, OpenStream};
use kubeplay_shared::node_protocol::{Channel, FromAgent, StreamData, StreamId, INITIAL_WINDOW};
use std::sync::{Arc, Weak};
use tokio::sync::{mpsc, oneshot};

/// kubectl's stdin queued while the page grants no credit; beyond it the exec fails rather
/// than buffer without bound.
const STDIN_CAPACITY: usize = 1024 * 1024;

/// An exec stream of the link, as this agent sees it.
pub(super) struct ExecStream {
    /// Told once the page started or refused the process.
    starting: Option<oneshot::Sender<Result<(), ExecRefusal>>>,
    events: mpsc::UnboundedSender<ExecEvent>,
    /// Messages of this stream, in order, for the link (a task forwards them).
    outbox: mpsc::UnboundedSender<FromAgent>,
    send: Sender,
    recv: Receiver,
}

impl ExecStream {
    /// Puts the frames credit allows on the link.
    fn flush(&mut self, stream: StreamId) {
        while let Some((channel, data)) = self.send.next_chunk() {
            let frame = StreamData {
                stream,
                channel,
                data,
            };
            let _ = self.outbox.send(FromAgent::Data(frame));
        }
    }

    fn close(&self, stream: StreamId, error: Option<String>) {
        let _ = self.outbox.send(FromAgent::CloseStream(CloseStream {
            stream,
            exit_code: None,
            error,
        }));
    }
}

/// A process running in the page: its events, and [`PageExecInput`] to feed it.
pub struct PageExec {
    pub events: mpsc::UnboundedReceiver<ExecEvent>,
    pub input: PageExecInput,
}

/// Feeds a process in the page; dropping it stops the process (an attach only detaches).
pub struct PageExecInput {
    tunnel: Weak<PageTunnel>,
    link: u64,
    stream: StreamId,
}

impl PageExecInput {
    pub fn send(&self, input: ExecInput) {
        if let Some(tunnel) = self.tunnel.upgrade() {
            tunnel.exec_input(self.link, self.stream, input);
        }
    }
}

impl Drop for PageExecInput {
    fn drop(&mut self) {
        self.send(ExecInput::Close);
    }
}

/// The refusal kubectl gets when no page can run the process.
fn unavailable(why: &Unavailable) -> ExecRefusal {
    ExecRefusal {
        code: why.code(),
        reason: why.reason(),
        message: why.to_string(),
    }
}

impl PageTunnel {
    /// Starts `spec` in the connected page's control plane: the API server's refusal, or the
    /// running process.
    pub async fn exec(self: &Arc<Self>, spec: &ExecSpec) -> Result<PageExec, ExecRefusal> {
        let (started_tx, started) = oneshot::channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (outbox, mut outgoing) = mpsc::unbounded_channel();
        let (stream, generation, out) = {
            let mut inner = self.lock();
            inner.next_stream = inner.next_stream.wrapping_add(2).max(2);
            let stream = inner.next_stream;
            let link = inner
                .link
                .as_mut()
                .ok_or_else(|| unavailable(&Unavailable::NoPage))?;
            if !link.serves_exec {
                return Err(unavailable(&Unavailable::OldPage));
            }
            link.execs.insert(
                stream,
                ExecStream {
                    starting: Some(started_tx),
                    events: events_tx,
                    outbox: outbox.clone(),
                    send: Sender::new(INITIAL_WINDOW, STDIN_CAPACITY),
                    recv: Receiver::new(INITIAL_WINDOW),
                },
            );
            (stream, link.generation, link.out.clone())
        };
        let _ = outbox.send(FromAgent::OpenStream(OpenStream {
            stream,
            open: spec.stream(spec.container.as_deref().unwrap_or_default()),
        }));
        // In order, and never blocking the link's loop that feeds the tunnel.
        tokio::spawn(async move {
            while let Some(message) = outgoing.recv().await {
                if out.send(message).await.is_err() {
                    break;
                }
            }
        });
        let input = PageExecInput {
            tunnel: Arc::downgrade(self),
            link: generation,
            stream,
        };
        // Dropping `input` on the way out closes a stream the page still has open.
        match tokio::time::timeout(self.timeout, started).await {
            Ok(Ok(Ok(()))) => Ok(PageExec { events, input }),
            Ok(Ok(Err(refusal))) => Err(refusal),
            Ok(Err(_)) => Err(unavailable(&Unavailable::PageLeft)),
            Err(_) => Err(unavailable(&Unavailable::TimedOut(self.timeout))),
        }
    }

    /// The page started the process of `stream`.
    pub fn on_exec_started(&self, stream: StreamId) {
        let mut inner = self.lock();
        let Some(exec) = inner.link.as_mut().and_then(|l| l.execs.get_mut(&stream)) else {
            return;
        };
        if let Some(starting) = exec.starting.take() {
            if starting.send(Ok(())).is_err() {
                // Nobody waits any more (timed out): the stream was closed then.
                if let Some(link) = inner.link.as_mut() {
                    link.execs.remove(&stream);
                }
            }
        }
    }

    /// The page's API server refused the process of `refused.stream`.
    pub fn on_exec_refused(&self, refused: ExecRefused) {
        let mut inner = self.lock();
        let Some(exec) = inner
            .link
            .as_mut()
            .and_then(|l| l.execs.remove(&refused.stream))
        else {
            return;
        };
        let refusal = ExecRefusal {
            code: refused.code,
            reason: static_reason(&refused.reason),
            message: refused.message,
        };
        match exec.starting {
            Some(starting) => {
                let _ = starting.send(Err(refusal));
            }
            None => {
                let _ = exec.events.send(ExecEvent::Failed(refusal.message));
            }
        }
    }

    /// Whether `stream` is an exec this agent opened (its data, credit and close come here).
    pub fn has_exec(&self, stream: StreamId) -> bool {
        self.lock()
            .link
            .as_ref()
            .is_some_and(|l| l.execs.contains_key(&stream))
    }

    /// Output of a process in the page; beyond the credit granted the stream ends, as the
    /// page would end a stream that overruns its window.
    pub fn on_exec_data(&self, data: StreamData) {
        let mut inner = self.lock();
        let Some(link) = inner.link.as_mut() else {
            return;
        };
        let Some(exec) = link.execs.get_mut(&data.stream) else {
            return;
        };
        if let Err(e) = exec.recv.receive(data.data.len()) {
            exec.close(data.stream, Some(e.to_string()));
            let _ = exec.events.send(ExecEvent::Failed(e.to_string()));
            link.execs.remove(&data.stream);
            return;
        }
        if matches!(data.channel, Channel::Stdout | Channel::Stderr) && !data.data.is_empty() {
            let _ = exec.events.send(ExecEvent::Output(data.channel, data.data));
        } else if let Some(credit) = exec.recv.consume(data.data.len()) {
            let _ = exec.outbox.send(FromAgent::Credit(Credit {
                stream: data.stream,
                bytes: credit,
            }));
        }
    }

    /// The page consumed stdin: what waited for it goes.
    pub fn on_exec_credit(&self, credit: Credit) {
        let mut inner = self.lock();
        if let Some(exec) = inner
            .link
            .as_mut()
            .and_then(|l| l.execs.get_mut(&credit.stream))
        {
            exec.send.grant(credit.bytes);
            exec.flush(credit.stream);
        }
    }

    /// The process in the page ended (or the page refused the stream late).
    pub fn on_exec_close(&self, close: CloseStream) {
        let mut inner = self.lock();
        let Some(exec) = inner
            .link
            .as_mut()
            .and_then(|l| l.execs.remove(&close.stream))
        else {
            return;
        };
        let event = match (close.exit_code, close.error) {
            (Some(code), _) => ExecEvent::Exited(code),
            (None, Some(error)) => ExecEvent::Failed(error),
            // An attached process ended.
            (None, None) => ExecEvent::Exited(0),
        };
        match exec.starting {
            Some(starting) => {
                let message = match event {
                    ExecEvent::Failed(error) => error,
                    _ => "the process ended before it started".into(),
                };
                let _ = starting.send(Err(ExecRefusal {
                    code: 500,
                    reason: "InternalError",
                    message,
                }));
            }
            None => {
                let _ = exec.events.send(event);
            }
        }
    }

    /// kubectl's input for the process of `stream` (on link `generation`).
    fn exec_input(&self, generation: u64, stream: StreamId, input: ExecInput) {
        let mut inner = self.lock();
        let Some(link) = inner.link.as_mut().filter(|l| l.generation == generation) else {
            return;
        };
        let Some(exec) = link.execs.get_mut(&stream) else {
            return;
        };
        // Input after stdin's end is dropped, as a closed pipe would.
        let fits = match input {
            ExecInput::Stdin(bytes) => exec
                .send
                .push(Channel::Stdin, &bytes)
                .map_or(true, |taken| taken == bytes.len()),
            ExecInput::StdinEnd => {
                let _ = exec.send.finish(Channel::Stdin);
                true
            }
            ExecInput::Resize { cols, rows } => {
                let size = serde_json::json!({"Width": cols, "Height": rows}).to_string();
                // A size that does not fit now is stale by the time it would.
                let _ = exec.send.push(Channel::Resize, size.as_bytes());
                true
            }
            ExecInput::Consumed(bytes) => {
                if let Some(credit) = exec.recv.consume(bytes) {
                    let _ = exec.outbox.send(FromAgent::Credit(Credit {
                        stream,
                        bytes: credit,
                    }));
                }
                true
            }
            ExecInput::Close => {
                exec.close(stream, None);
                link.execs.remove(&stream);
                return;
            }
        };
        if fits {
            exec.flush(stream);
        } else {
            let why = format!(
                "kubectl's stdin got more than {STDIN_CAPACITY} bytes ahead of the process"
            );
            exec.close(stream, Some(why.clone()));
            let _ = exec.events.send(ExecEvent::Failed(why));
            link.execs.remove(&stream);
        }
    }
}

/// Every process of a link that went away ends with this.
pub(super) fn page_left(exec: ExecStream) {
    let _ = exec
        .events
        .send(ExecEvent::Failed(Unavailable::PageLeft.to_string()));
    if let Some(starting) = exec.starting {
        let _ = starting.send(Err(unavailable(&Unavailable::PageLeft)));
    }
}

#[cfg(test)]
mod tests;
