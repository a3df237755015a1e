//! `kubectl exec` and `attach` of a pod this machine runs, served by the agent itself: the
//! kubelet's part, for a control plane that cannot reach this machine's Docker on its own (the
//! page in a browser tab; the embedded control plane has its node link to this agent).
//!
//! The request is first admitted as the API server admits it, against the pod as the control
//! plane serves it ([`crate::exec::admission`]), so a bad container or a finished pod gets
//! Kubernetes' wording; then the process runs on Docker through [`PodRuntime`], its output
//! handed to the gateway within a window the client's consumption reopens, so a slow client
//! stalls the container at Docker rather than filling the agent's memory.

use super::{status, Gateway};
use crate::exec::stdin::{self, StdinEnd};
use crate::exec::{admission, ExecEvent, ExecHandle, ExecInput, ExecSpec};
use futures_util::StreamExt as _;
use kubeplay_agent::runtime::exec::ExecControl;
use kubeplay_agent::runtime::{ExecOutput, PodRuntime, RuntimeError};
use kubeplay_shared::node_protocol::Channel;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use warp::reply::Response as Reply;

/// Output bytes handed to the client and not yet consumed, at most.
const WINDOW: usize = 1 << 20;
/// Largest output event, so one never takes more of the window than a client frame carries.
const CHUNK: usize = 32 << 10;

/// An admitted exec or attach of a pod this machine runs.
pub struct LocalPod {
    runtime: Arc<PodRuntime>,
    uid: String,
    container: String,
}

/// The pod `spec` names, when this machine runs it and the backend does not reach it itself:
/// `Ok(None)` leaves the request to the backend; `Err` is the API server's refusal.
pub async fn find(gateway: &Gateway, spec: &ExecSpec) -> Result<Option<LocalPod>, Reply> {
    if gateway.backend.reaches_local_pods() {
        return Ok(None);
    }
    let Some(runtime) = &gateway.local_pods else {
        return Ok(None);
    };
    let Some(uid) = runtime.pod_uid(&spec.namespace, &spec.pod) else {
        return Ok(None);
    };
    let pod = gateway
        .read(&format!(
            "/api/v1/namespaces/{}/pods/{}",
            spec.namespace, spec.pod
        ))
        .await?;
    // Another pod of the same name (this node's is being replaced) is the control plane's.
    if pod.pointer("/metadata/uid").and_then(Value::as_str) != Some(uid.as_str()) {
        return Ok(None);
    }
    let target =
        admission::admit(&pod, spec).map_err(|r| status::status(r.code, r.reason, &r.message))?;
    Ok(Some(LocalPod {
        runtime: Arc::clone(runtime),
        uid,
        container: target.container,
    }))
}

impl LocalPod {
    /// Starts the process; a runtime that cannot (the container is not running) says so as
    /// the handle's first event, as the kubelet answers after the upgrade.
    pub fn start(self, spec: &ExecSpec) -> ExecHandle {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (input_tx, input) = mpsc::unbounded_channel();
        tokio::spawn(run(self, spec.clone(), events_tx, input));
        ExecHandle::new(events, move |i| {
            let _ = input_tx.send(i);
        })
    }
}

/// The process from start to end: output out within the window, the client's input in.
async fn run(
    pod: LocalPod,
    spec: ExecSpec,
    events: mpsc::UnboundedSender<ExecEvent>,
    mut input: mpsc::UnboundedReceiver<ExecInput>,
) {
    let LocalPod {
        runtime,
        uid,
        container,
    } = pod;
    let session = if spec.attach {
        runtime
            .attach(&uid, &container, spec.stdin, true, true)
            .await
    } else {
        runtime
            .exec(&uid, &container, spec.command.clone(), spec.tty, spec.stdin)
            .await
    };
    let session = match session {
        Ok(session) => session,
        Err(e) => {
            let _ = events.send(ExecEvent::Failed(e.to_string()));
            return;
        }
    };
    let window = Arc::new(Semaphore::new(WINDOW));
    let control = session.control;
    let mut stdin = session.stdin.map(|writer| {
        let end = match spec.attach {
            true => StdinEnd::Detach,
            false => StdinEnd::Shutdown,
        };
        StdinPipe::start(writer, end)
    });
    let mut output = tokio::spawn(relay_output(
        session.output,
        control.clone(),
        spec.attach,
        Arc::clone(&window),
        events,
    ));
    loop {
        tokio::select! {
            _ = &mut output => return,
            received = input.recv() => match received {
                None | Some(ExecInput::Close) => {
                    output.abort();
                    return;
                }
                Some(ExecInput::Stdin(bytes)) => {
                    if let Some(pipe) = &stdin {
                        pipe.write(bytes);
                    }
                }
                Some(ExecInput::StdinEnd) => {
                    if let Some(pipe) = &mut stdin {
                        pipe.end();
                    }
                }
                Some(ExecInput::Resize { cols, rows }) => {
                    if let Err(e) = control.resize(cols, rows).await {
                        tracing::debug!("resizing an exec's terminal failed: {e}");
                    }
                }
                Some(ExecInput::Consumed(bytes)) => window.add_permits(bytes),
            },
        }
    }
}

/// Hands the process's output to the gateway, then how it ended: an exec's exit code; an
/// attach ends when the container's process does, a success as the kubelet reports it (the
/// container's end is the kubelet's to report, not attach's).
async fn relay_output(
    output: futures_util::stream::BoxStream<'static, Result<ExecOutput, RuntimeError>>,
    control: ExecControl,
    attach: bool,
    window: Arc<Semaphore>,
    events: mpsc::UnboundedSender<ExecEvent>,
) {
    if !send_output(output, &window, &events).await {
        return;
    }
    let end = if attach {
        ExecEvent::Exited(0)
    } else {
        match control.exit_code_after_output().await {
            Ok(Some(code)) => ExecEvent::Exited(i32::try_from(code).unwrap_or(i32::MAX)),
            Ok(None) => ExecEvent::Failed("the process's exit code could not be read".into()),
            Err(e) => ExecEvent::Failed(e.to_string()),
        }
    };
    let _ = events.send(end);
}

/// Sends the output as it comes, never more unconsumed bytes than the window allows; false
/// when it stopped before the end (an error, sent as the last event, or the client left).
async fn send_output(
    mut output: futures_util::stream::BoxStream<'static, Result<ExecOutput, RuntimeError>>,
    window: &Semaphore,
    events: &mpsc::UnboundedSender<ExecEvent>,
) -> bool {
    while let Some(item) = output.next().await {
        let (channel, bytes) = match item {
            Ok(ExecOutput::Stdout(bytes)) => (Channel::Stdout, bytes),
            Ok(ExecOutput::Stderr(bytes)) => (Channel::Stderr, bytes),
            Err(e) => {
                let _ = events.send(ExecEvent::Failed(e.to_string()));
                return false;
            }
        };
        for piece in bytes.chunks(CHUNK) {
            // A piece is at most `CHUNK` bytes, which fits the window and a u32.
            let Ok(permits) = window.acquire_many(piece.len() as u32).await else {
                return false;
            };
            permits.forget();
            if events
                .send(ExecEvent::Output(channel, piece.to_vec()))
                .is_err()
            {
                return false;
            }
        }
    }
    true
}

/// The process's stdin as the gateway feeds it: the client's bytes in order, then its end.
struct StdinPipe {
    bytes: mpsc::UnboundedSender<Vec<u8>>,
    task: JoinHandle<()>,
}

impl StdinPipe {
    fn start(
        writer: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
        end: StdinEnd,
    ) -> StdinPipe {
        let (bytes, task) = stdin::spawn(writer, end, |_| async { true });
        StdinPipe { bytes, task }
    }

    fn write(&self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            let _ = self.bytes.send(bytes);
        }
    }

    /// The client closed its stdin: what is queued is still written.
    fn end(&mut self) {
        let _ = self.bytes.send(Vec::new());
    }
}

impl Drop for StdinPipe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_waits_for_the_client_to_consume_the_window() {
        let (tx, mut events) = mpsc::unbounded_channel();
        let window = Arc::new(Semaphore::new(CHUNK));
        let output = futures_util::stream::iter([
            Ok(ExecOutput::Stdout(vec![b'a'; CHUNK + 1])),
            Ok(ExecOutput::Stderr(b"late".to_vec())),
        ])
        .boxed();
        let relay = {
            let window = Arc::clone(&window);
            tokio::spawn(async move { send_output(output, &window, &tx).await })
        };
        assert_eq!(
            events.recv().await.unwrap(),
            ExecEvent::Output(Channel::Stdout, vec![b'a'; CHUNK])
        );
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(events.try_recv().is_err(), "nothing beyond the window");
        window.add_permits(CHUNK);
        assert_eq!(
            events.recv().await.unwrap(),
            ExecEvent::Output(Channel::Stdout, b"a".to_vec())
        );
        assert_eq!(
            events.recv().await.unwrap(),
            ExecEvent::Output(Channel::Stderr, b"late".to_vec())
        );
        assert!(relay.await.unwrap(), "the output reached its end");
    }
}
