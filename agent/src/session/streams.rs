//! Logs, exec, attach and port-forward streams of one link, bridged between the runtime and the WebSocket with credit
//! flow control: a stream sends only as many bytes as the control plane has granted, so a slow
//! browser stalls the container's output at Docker instead of filling the agent's memory.

use super::frame_pool::{FrameBuf, FramePool};
use super::outbox::Outbox;
use crate::exec::stdin::StdinEnd;
use futures_util::StreamExt;
use kubeplay_agent::network::port_forward;
use kubeplay_agent::runtime::exec::ExecControl;
use kubeplay_agent::runtime::{ExecOutput, LogOptions, PodRuntime, RuntimeError};
use kubeplay_shared::node_protocol::stream::{CloseStream, Credit, OpenStream, Resize};
use kubeplay_shared::node_protocol::{
    Channel, FromAgent, StreamData, StreamId, StreamOpen, INITIAL_WINDOW, MAX_CHUNK,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

/// Frame buffers a link keeps for reuse: as many as can be in flight at once, a full outbox
/// and one read (2.3 MiB at most, once a port-forward has needed them).
const POOLED_FRAMES: usize = super::link::OUTGOING_QUEUE + FRAMES_PER_READ;
/// Frames one read from a pod's socket fills (256 KiB): one system call for as much as a bare
/// TCP relay reads at once, instead of one per frame.
const FRAMES_PER_READ: usize = 8;

/// Why a control plane's `Http` stream is refused: only the agent's gateway opens those.
const HTTP_FROM_AGENTS_ONLY: &str = "HTTP streams are opened by agents, not by the control plane";

/// The streams open on one link; dropping it ends them all.
pub struct Streams {
    runtime: Arc<PodRuntime>,
    out: Outbox,
    frames: FramePool,
    open: HashMap<StreamId, Stream>,
}

struct Stream {
    /// Bytes the agent may still send on this stream (its send window).
    window: Arc<Semaphore>,
    /// Bytes from the control plane for the process, when it reads stdin.
    stdin: Option<Stdin>,
    exec: Option<ExecControl>,
    task: JoinHandle<()>,
}

struct Stdin {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes received and not yet written (and credited back): the control plane may have at
    /// most [`INITIAL_WINDOW`] outstanding.
    pending: Arc<AtomicU32>,
}

impl Streams {
    pub fn new(runtime: Arc<PodRuntime>, out: Outbox) -> Self {
        Self {
            runtime,
            out,
            frames: FramePool::new(POOLED_FRAMES),
            open: HashMap::new(),
        }
    }

    /// Starts serving `request`; `uid` is the pod's uid on this node, `None` when it runs none.
    pub async fn open(&mut self, request: OpenStream, uid: Option<String>) {
        self.open.retain(|_, s| !s.task.is_finished());
        let id = request.stream;
        if self.open.contains_key(&id) {
            self.refuse(id, format!("stream {id} is already open"))
                .await;
            return;
        }
        let window = Arc::new(Semaphore::new(INITIAL_WINDOW as usize));
        let sender = Sender {
            id,
            window: Arc::clone(&window),
            out: self.out.clone(),
            frames: self.frames.clone(),
        };
        let Some(uid) = uid else {
            let why = match request.open.pod() {
                Some((namespace, pod)) => {
                    format!("pods \"{pod}\" not found in namespace \"{namespace}\" on this node")
                }
                None => HTTP_FROM_AGENTS_ONLY.to_string(),
            };
            self.refuse(id, why).await;
            return;
        };
        let opened = match request.open {
            StreamOpen::Logs {
                container,
                follow,
                tail_lines,
                previous,
                timestamps,
                since_seconds,
                ..
            } => {
                let options = LogOptions {
                    follow,
                    tail: tail_lines,
                    previous,
                    timestamps,
                    since: since_seconds.map(|s| jiff::Timestamp::now().as_second() - s as i64),
                };
                let runtime = Arc::clone(&self.runtime);
                let task = tokio::spawn(async move {
                    let result = match runtime.logs(&uid, &container, options).await {
                        Ok(mut logs) => {
                            let mut outcome = Ok(());
                            while let Some(chunk) = logs.next().await {
                                match chunk {
                                    Ok(bytes) => {
                                        if !sender.send(Channel::Stdout, &bytes).await {
                                            return;
                                        }
                                    }
                                    Err(e) => {
                                        outcome = Err(e);
                                        break;
                                    }
                                }
                            }
                            outcome
                        }
                        Err(e) => Err(e),
                    };
                    sender
                        .close(None, result.err().map(|e| e.to_string()))
                        .await;
                });
                Ok((None, None, task))
            }
            StreamOpen::Exec {
                container,
                command,
                stdin,
                tty,
                ..
            } => self
                .runtime
                .exec(&uid, &container, command, tty, stdin)
                .await
                .map(|session| {
                    let stdin = session.stdin.map(|writer| {
                        spawn_stdin(id, writer, StdinEnd::Shutdown, self.out.clone())
                    });
                    let control = session.control.clone();
                    let task = tokio::spawn(run_exec(sender, session.output, session.control));
                    (stdin, Some(control), task)
                }),
            StreamOpen::Attach {
                container,
                stdin,
                stdout,
                stderr,
                ..
            } => self
                .runtime
                .attach(&uid, &container, stdin, stdout, stderr)
                .await
                .map(|session| {
                    let stdin = session
                        .stdin
                        .map(|writer| spawn_stdin(id, writer, StdinEnd::Detach, self.out.clone()));
                    let task = tokio::spawn(run_attach(sender, session.output));
                    (stdin, Some(session.control), task)
                }),
            StreamOpen::PortForward { port, .. } => self.runtime.pod_ip(&uid).map(|ip| {
                let (tx, upstream) = mpsc::unbounded_channel();
                let pending = Arc::new(AtomicU32::new(0));
                let target = Target {
                    runtime: Arc::clone(&self.runtime),
                    uid,
                    ip,
                    port,
                };
                let task = tokio::spawn(run_port_forward(
                    sender,
                    target,
                    upstream,
                    Arc::clone(&pending),
                ));
                (Some(Stdin { tx, pending }), None, task)
            }),
            StreamOpen::Http { .. } => {
                self.refuse(id, HTTP_FROM_AGENTS_ONLY.to_string()).await;
                return;
            }
        };
        match opened {
            Ok((stdin, exec, task)) => {
                self.open.insert(
                    id,
                    Stream {
                        window,
                        stdin,
                        exec,
                        task,
                    },
                );
            }
            Err(e) => self.refuse(id, e.to_string()).await,
        }
    }

    /// The control plane consumed bytes: widen that stream's send window.
    pub fn credit(&mut self, credit: Credit) {
        if let Some(stream) = self.open.get(&credit.stream) {
            stream.window.add_permits(credit.bytes as usize);
        }
    }

    /// Bytes for a process's stdin (the only channel the control plane sends data on). Bytes
    /// nobody reads (a stream without stdin, another channel) are credited back at once, so the
    /// control plane's window never closes on them.
    pub async fn data(&mut self, data: StreamData) {
        let id = data.stream;
        let len = data.data.len() as u32;
        let Some(stream) = self.open.get(&id) else {
            return;
        };
        let Some(stdin) = stream
            .stdin
            .as_ref()
            .filter(|_| data.channel == Channel::Stdin)
        else {
            if len > 0 {
                let _ = self
                    .out
                    .send(FromAgent::Credit(Credit {
                        stream: id,
                        bytes: len,
                    }))
                    .await;
            }
            return;
        };
        let pending = stdin.pending.fetch_add(len, Ordering::SeqCst) + len;
        if pending > INITIAL_WINDOW {
            self.close(id);
            self.refuse(
                id,
                "the control plane sent more stdin than its credit allowed".to_string(),
            )
            .await;
            return;
        }
        if stdin.tx.send(data.data).is_err() {
            stdin.pending.fetch_sub(len, Ordering::SeqCst);
        }
    }

    pub async fn resize(&self, resize: Resize) {
        if let Some(exec) = self.open.get(&resize.stream).and_then(|s| s.exec.as_ref()) {
            if let Err(e) = exec.resize(resize.cols, resize.rows).await {
                tracing::debug!(stream = resize.stream, "resize failed: {e}");
            }
        }
    }

    /// The control plane closed the stream: stop it without answering.
    pub fn close(&mut self, id: StreamId) {
        if let Some(stream) = self.open.remove(&id) {
            stream.task.abort();
        }
    }

    async fn refuse(&self, id: StreamId, error: String) {
        let _ = self
            .out
            .send(FromAgent::CloseStream(CloseStream {
                stream: id,
                exit_code: None,
                error: Some(error),
            }))
            .await;
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        for (_, stream) in self.open.drain() {
            stream.task.abort();
        }
    }
}

/// Sends one stream's bytes, never more than the window allows.
struct Sender {
    id: StreamId,
    window: Arc<Semaphore>,
    out: Outbox,
    frames: FramePool,
}

impl Sender {
    /// Sends as much as the window allows at once, waiting for credit in between; a chunk is
    /// never held back waiting for more credit than exists. False when the link is gone.
    async fn send(&self, channel: Channel, bytes: &[u8]) -> bool {
        let mut rest = bytes;
        while !rest.is_empty() {
            let Ok(first) = self.window.acquire().await else {
                return false;
            };
            first.forget();
            let wanted = rest.len().min(MAX_CHUNK) - 1;
            let extra = wanted.min(self.window.available_permits());
            if extra > 0 {
                match self.window.try_acquire_many(extra as u32) {
                    Ok(permits) => permits.forget(),
                    Err(_) => return false,
                }
            }
            let (chunk, tail) = rest.split_at(1 + extra);
            rest = tail;
            let frame = self.frames.frame(self.id, channel, chunk);
            if self.out.send_frame(frame).await.is_err() {
                return false;
            }
        }
        true
    }

    /// Sends the first `len` bytes of a payload read in place, whole, once the window has room
    /// for all of it (the window is larger than a frame, so it always will). False when the
    /// link is gone.
    async fn send_read(&self, channel: Channel, read: FrameBuf, len: usize) -> bool {
        let Ok(permits) = self.window.acquire_many(len as u32).await else {
            return false;
        };
        permits.forget();
        let frame = read.into_frame(self.id, channel, len);
        self.out.send_frame(frame).await.is_ok()
    }

    /// Ends this direction of the stream: an empty data frame, which needs no credit.
    async fn finish(&self, channel: Channel) -> bool {
        let data = StreamData {
            stream: self.id,
            channel,
            data: Vec::new(),
        };
        self.out.send(FromAgent::Data(data)).await.is_ok()
    }

    async fn close(&self, exit_code: Option<i32>, error: Option<String>) {
        let _ = self
            .out
            .send(FromAgent::CloseStream(CloseStream {
                stream: self.id,
                exit_code,
                error,
            }))
            .await;
    }
}

async fn run_exec(
    sender: Sender,
    mut output: futures_util::stream::BoxStream<'static, Result<ExecOutput, RuntimeError>>,
    control: ExecControl,
) {
    while let Some(item) = output.next().await {
        let sent = match item {
            Ok(ExecOutput::Stdout(bytes)) => sender.send(Channel::Stdout, &bytes).await,
            Ok(ExecOutput::Stderr(bytes)) => sender.send(Channel::Stderr, &bytes).await,
            Err(e) => {
                sender.close(None, Some(e.to_string())).await;
                return;
            }
        };
        if !sent {
            return;
        }
    }
    let (exit_code, error) = match control.exit_code_after_output().await {
        Ok(Some(code)) => (Some(code as i32), None),
        Ok(None) => (
            None,
            Some("the process's exit code could not be read".to_string()),
        ),
        Err(e) => (None, Some(e.to_string())),
    };
    sender.close(exit_code, error).await;
}

/// Carries an attached container's output until its process ends (the output stream ends),
/// then closes the stream without an exit code: the container's end is the kubelet's to
/// report. Aborting the task (the client detached) drops the attachment and nothing else.
async fn run_attach(
    sender: Sender,
    mut output: futures_util::stream::BoxStream<'static, Result<ExecOutput, RuntimeError>>,
) {
    while let Some(item) = output.next().await {
        let sent = match item {
            Ok(ExecOutput::Stdout(bytes)) => sender.send(Channel::Stdout, &bytes).await,
            Ok(ExecOutput::Stderr(bytes)) => sender.send(Channel::Stderr, &bytes).await,
            Err(e) => {
                sender.close(None, Some(e.to_string())).await;
                return;
            }
        };
        if !sent {
            return;
        }
    }
    sender.close(None, None).await;
}

/// Writes stdin bytes to the process in order and credits them back once written; an empty
/// chunk is the end of stdin.
fn spawn_stdin(
    id: StreamId,
    writer: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    end: StdinEnd,
    out: Outbox,
) -> Stdin {
    let pending = Arc::new(AtomicU32::new(0));
    let written = Arc::clone(&pending);
    let (tx, _task) = crate::exec::stdin::spawn(writer, end, move |len| {
        let len = len as u32;
        written.fetch_sub(len, Ordering::SeqCst);
        let out = out.clone();
        async move {
            let credit = Credit {
                stream: id,
                bytes: len,
            };
            out.send(FromAgent::Credit(credit)).await.is_ok()
        }
    });
    Stdin { tx, pending }
}

/// The pod port a port-forward stream connects to.
struct Target {
    runtime: Arc<PodRuntime>,
    uid: String,
    ip: String,
    port: u16,
}

/// Aborts a task when dropped, so an aborted stream takes its helper tasks with it.
struct AbortOnDrop(JoinHandle<Result<(), String>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One port-forward connection: bytes from the pod go out on `Stdout` within the window, bytes
/// from the control plane go to the pod as they arrive. An empty data frame ends a direction
/// (TCP half-close either way); the stream closes once both have ended, or with an error.
async fn run_port_forward(
    sender: Sender,
    target: Target,
    upstream: mpsc::UnboundedReceiver<Vec<u8>>,
    pending: Arc<AtomicU32>,
) {
    let Target {
        runtime,
        uid,
        ip,
        port,
    } = target;
    let sandbox = async {
        runtime
            .sandbox_id(&uid)
            .await
            .unwrap_or_else(|| uid.clone())
    };
    let connection = match port_forward::connect(&ip, port, sandbox).await {
        Ok(connection) => connection,
        Err(e) => {
            sender.close(None, Some(e)).await;
            return;
        }
    };
    let (from_pod, to_pod) = connection.into_split();
    let mut writer = AbortOnDrop(tokio::spawn(write_upstream(
        sender.id,
        to_pod,
        upstream,
        pending,
        sender.out.clone(),
    )));
    let mut upstream_end: Option<Result<(), String>> = None;
    // Each read lands in the payloads of pooled frames, which go out as they are.
    loop {
        tokio::select! {
            read = read_frames(&from_pod, &sender.frames) => match read {
                Ok(filled) if filled.is_empty() => break,
                Ok(filled) => {
                    for (frame, len) in filled {
                        if !sender.send_read(Channel::Stdout, frame, len).await {
                            return;
                        }
                    }
                }
                Err(e) => {
                    sender.close(None, Some(format!("error reading from pod port {port}: {e}"))).await;
                    return;
                }
            },
            end = &mut writer.0, if upstream_end.is_none() => {
                let end = end.unwrap_or_else(|e| Err(e.to_string()));
                if let Err(e) = end {
                    sender.close(None, Some(e)).await;
                    return;
                }
                upstream_end = Some(Ok(()));
            }
        }
    }
    if !sender.finish(Channel::Stdout).await {
        return;
    }
    let end = match upstream_end {
        Some(end) => end,
        None => (&mut writer.0).await.unwrap_or_else(|e| Err(e.to_string())),
    };
    sender.close(None, end.err()).await;
}

/// One read from the pod into the payloads of frames from `pool`, once the socket has data: a
/// vectored read, so a full socket buffer takes one system call however many frames it fills.
/// The filled frames in order with their payload lengths, none at the end of the connection;
/// the frames left empty go back to the pool, so an idle connection holds none.
async fn read_frames(
    from_pod: &tokio::net::tcp::OwnedReadHalf,
    pool: &FramePool,
) -> std::io::Result<Vec<(FrameBuf, usize)>> {
    let mut frames: Vec<FrameBuf> = Vec::with_capacity(FRAMES_PER_READ);
    loop {
        from_pod.readable().await?;
        frames.extend((frames.len()..FRAMES_PER_READ).map(|_| pool.take()));
        let mut payloads: Vec<std::io::IoSliceMut<'_>> = frames
            .iter_mut()
            .map(|f| std::io::IoSliceMut::new(f.payload_mut()))
            .collect();
        let mut n = match from_pod.try_read_vectored(&mut payloads) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            read => read?,
        };
        return Ok(frames
            .into_iter()
            .map_while(|frame| {
                let len = n.min(MAX_CHUNK);
                n -= len;
                (len > 0).then_some((frame, len))
            })
            .collect());
    }
}

/// Writes the control plane's bytes to the pod and credits them back once written; an empty
/// chunk half-closes the connection.
async fn write_upstream(
    id: StreamId,
    mut to_pod: tokio::net::tcp::OwnedWriteHalf,
    mut upstream: mpsc::UnboundedReceiver<Vec<u8>>,
    pending: Arc<AtomicU32>,
    out: Outbox,
) -> Result<(), String> {
    while let Some(bytes) = upstream.recv().await {
        if bytes.is_empty() {
            return to_pod
                .shutdown()
                .await
                .map_err(|e| format!("error closing the connection to the pod: {e}"));
        }
        to_pod
            .write_all(&bytes)
            .await
            .map_err(|e| format!("error writing to the pod: {e}"))?;
        let len = bytes.len() as u32;
        pending.fetch_sub(len, Ordering::SeqCst);
        let credit = FromAgent::Credit(Credit {
            stream: id,
            bytes: len,
        });
        if out.send(credit).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::outbox::Outgoing;
    use kubeplay_shared::node_protocol::wire::data_view;
    use tokio::io::AsyncReadExt;

    fn sender(window: usize) -> (Sender, mpsc::Receiver<Outgoing>) {
        let (out, rx) = Outbox::channel(16);
        (
            Sender {
                id: 1,
                window: Arc::new(Semaphore::new(window)),
                out,
                frames: FramePool::new(4),
            },
            rx,
        )
    }

    /// The payload sizes of the data frames queued so far.
    fn sent(rx: &mut mpsc::Receiver<Outgoing>) -> Vec<usize> {
        let mut sizes = Vec::new();
        while let Ok(Outgoing::Frame(frame)) = rx.try_recv() {
            let view = data_view(&frame).expect("a well-formed frame");
            assert_eq!((view.stream, view.channel), (1, Channel::Stdout));
            sizes.push(view.payload.len());
        }
        sizes
    }

    #[tokio::test]
    async fn output_beyond_the_window_waits_for_credit_and_goes_out_as_it_is_granted() {
        let (sender, mut rx) = sender(10);
        let window = Arc::clone(&sender.window);
        let task = tokio::spawn(async move { sender.send(Channel::Stdout, &[b'x'; 25]).await });
        tokio::task::yield_now().await;
        while rx.is_empty() {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            sent(&mut rx),
            [10],
            "no more than the window before any credit"
        );
        window.add_permits(4);
        let mut total = 10;
        while total < 14 {
            total += sent(&mut rx).iter().sum::<usize>();
            tokio::task::yield_now().await;
        }
        assert_eq!(
            total, 14,
            "a small grant is used at once, not held for a whole chunk"
        );
        window.add_permits(100);
        assert!(task.await.unwrap());
        assert_eq!(sent(&mut rx).iter().sum::<usize>(), 11);
    }

    #[tokio::test]
    async fn written_stdin_is_credited_back_on_the_link() {
        let (writer, mut process) = tokio::io::duplex(64);
        let (out, mut credits) = Outbox::channel(16);
        let stdin = spawn_stdin(1, Box::pin(writer), StdinEnd::Shutdown, out);
        stdin.pending.fetch_add(5, Ordering::SeqCst);
        stdin.tx.send(b"exit\n".to_vec()).unwrap();
        assert!(matches!(
            credits.recv().await,
            Some(Outgoing::Message(FromAgent::Credit(Credit {
                stream: 1,
                bytes: 5
            })))
        ));
        assert_eq!(
            stdin.pending.load(Ordering::SeqCst),
            0,
            "nothing outstanding"
        );
        let mut got = vec![0; 5];
        process.read_exact(&mut got).await.unwrap();
        assert_eq!(got, b"exit\n");
    }

    #[tokio::test]
    async fn chunks_never_exceed_the_protocol_maximum() {
        let (sender, mut rx) = sender(3 * MAX_CHUNK);
        let data = vec![0u8; 2 * MAX_CHUNK + 5];
        let task = tokio::spawn(async move { sender.send(Channel::Stdout, &data).await });
        assert!(task.await.unwrap());
        assert_eq!(sent(&mut rx), [MAX_CHUNK, MAX_CHUNK, 5]);
    }

    /// What a pod wrote lands in frame payloads in order, many frames to one read, and the
    /// end of the connection reads as no frames.
    #[tokio::test]
    async fn a_pod_socket_is_read_into_frames_in_order() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let written: Vec<u8> = (0..3 * MAX_CHUNK + 17).map(|i| (i % 251) as u8).collect();
        let pod = {
            let written = written.clone();
            tokio::spawn(async move {
                let (mut socket, _) = listener.accept().await.unwrap();
                socket.write_all(&written).await.unwrap();
            })
        };
        let (from_pod, _to_pod) = tokio::net::TcpStream::connect(address)
            .await
            .unwrap()
            .into_split();
        pod.await.unwrap();
        let pool = FramePool::new(FRAMES_PER_READ);
        let mut received = Vec::new();
        loop {
            let filled = read_frames(&from_pod, &pool).await.unwrap();
            if filled.is_empty() {
                break;
            }
            for (frame, len) in filled {
                let frame = frame.into_frame(3, Channel::Stdout, len);
                received.extend_from_slice(data_view(&frame).unwrap().payload);
            }
        }
        assert_eq!(received, written);
    }
}
