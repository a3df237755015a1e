//! The test's control plane end of a node link: a WebSocket client that answers the agent's
//! hello and registration, sends SyncPods and stream requests, and keeps what the agent
//! reports (pod statuses, events, stream output) for the test to wait on.
//!
//! It consumes stream data as it arrives and grants the credit back, as a fast browser would:
//! with the shared [`Receiver`]'s batching, and a port-forward stream's window widened to
//! [`PORT_FORWARD_WINDOW`] right after it opens.

use super::{AgentHarnessError, Result};
use futures_util::{SinkExt, StreamExt};
use kubeplay_shared::node_protocol::flow::Receiver;
use kubeplay_shared::node_protocol::node::NodeRegistration;
use kubeplay_shared::node_protocol::report::{EventReport, PodRef};
use kubeplay_shared::node_protocol::stream::{CloseStream, Credit, OpenStream};
use kubeplay_shared::node_protocol::wire::{data_view, DataView};
use kubeplay_shared::node_protocol::{
    decode, encode, negotiate, Channel, DesiredPod, Frame, FromAgent, StreamData, StreamId,
    StreamOpen, ToAgent, INITIAL_WINDOW, PORT_FORWARD_WINDOW, SUPPORTED_VERSIONS,
};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An authenticated WebSocket to the agent, before any protocol message.
pub async fn connect_socket(url: &str, token: &str) -> Result<Socket> {
    let mut request = url
        .into_client_request()
        .map_err(|e| AgentHarnessError::Link(e.to_string()))?;
    let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| AgentHarnessError::Link(e.to_string()))?;
    request.headers_mut().insert("authorization", bearer);
    // Without Nagle's algorithm, as browsers open their sockets: a credit goes out at once.
    let (socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
        .await
        .map_err(|e| AgentHarnessError::Link(format!("connecting to {url}: {e}")))?;
    Ok(socket)
}

/// What a stream delivered so far.
#[derive(Debug, Default, Clone)]
pub struct StreamOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Bytes received on stdout and stderr, kept or not.
    pub received: u64,
    /// The agent ended its direction (an empty data frame: a port-forward pod closed its side).
    pub ended: bool,
    pub closed: Option<CloseStream>,
}

impl StreamOutput {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

pub struct Link {
    socket: Socket,
    pub registration: NodeRegistration,
    /// The latest status the agent reported, by pod uid.
    pub statuses: HashMap<String, Value>,
    pub events: Vec<EventReport>,
    pub removed: Vec<PodRef>,
    pub heartbeats: usize,
    /// Whether the agent closed the link, and the close frame's reason.
    pub closed: Option<String>,
    /// The agent's news of page port-forwards (`portForwardListening`, …), in order.
    pub forwards: Vec<FromAgent>,
    streams: HashMap<StreamId, StreamOutput>,
    /// Bytes the agent still lets this side send per stream (its credit for stdin).
    send_windows: HashMap<StreamId, u64>,
    /// The receiving side of each stream while credit is automatic: what the agent may send,
    /// and when to grant more.
    receivers: HashMap<StreamId, Receiver>,
    next_stream: StreamId,
    /// Grant credit for stream data as it arrives (a fast consumer); off, the test grants it.
    pub auto_credit: bool,
    /// Keep stream bytes for the test to read; off, only their count is kept (benchmarks).
    pub keep_output: bool,
}

/// The HTTP status the agent answers a WebSocket handshake with (101 when it upgrades).
pub async fn handshake_status(url: &str, headers: &[(&str, &str)]) -> Result<u16> {
    let mut request = url
        .into_client_request()
        .map_err(|e| AgentHarnessError::Link(e.to_string()))?;
    for (name, value) in headers {
        let value =
            HeaderValue::from_str(value).map_err(|e| AgentHarnessError::Link(e.to_string()))?;
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| AgentHarnessError::Link(e.to_string()))?;
        request.headers_mut().append(name, value);
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut socket, response)) => {
            let _ = socket.close(None).await;
            Ok(response.status().as_u16())
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Ok(response.status().as_u16())
        }
        Err(e) => Err(AgentHarnessError::Link(format!(
            "handshake with {url}: {e}"
        ))),
    }
}

impl Link {
    /// Connects with the token as a bearer header and completes hello and registration.
    pub async fn connect(url: &str, token: &str) -> Result<Link> {
        let mut socket = connect_socket(url, token).await?;
        let hello = match read(&mut socket, Duration::from_secs(30)).await? {
            Some(FromAgent::Hello(hello)) => hello,
            other => {
                return Err(AgentHarnessError::Link(format!(
                    "expected hello, got {other:?}"
                )))
            }
        };
        let welcome =
            negotiate(&hello, SUPPORTED_VERSIONS).map_err(|r| AgentHarnessError::Link(r.reason))?;
        write(&mut socket, &ToAgent::Welcome(welcome)).await?;
        let registration = match read(&mut socket, Duration::from_secs(30)).await? {
            Some(FromAgent::Register(registration)) => *registration,
            other => {
                return Err(AgentHarnessError::Link(format!(
                    "expected register, got {other:?}"
                )))
            }
        };
        let registered = ToAgent::Registered {
            node_name: registration.node_name.clone(),
            heartbeat_seconds: 10,
            metrics_seconds: 60,
            pod_cidr: "10.244.9.0/24".to_string(),
            features: Vec::new(),
            // One agent alone: no peer relays to reach, none to admit.
            relay_key: None,
        };
        write(&mut socket, &registered).await?;
        Ok(Link {
            socket,
            registration,
            statuses: HashMap::new(),
            events: Vec::new(),
            removed: Vec::new(),
            heartbeats: 0,
            forwards: Vec::new(),
            closed: None,
            streams: HashMap::new(),
            send_windows: HashMap::new(),
            receivers: HashMap::new(),
            next_stream: 1,
            auto_credit: true,
            keep_output: true,
        })
    }

    pub async fn send(&mut self, msg: &ToAgent) -> Result<()> {
        write(&mut self.socket, msg).await
    }

    pub async fn sync(&mut self, pods: Vec<DesiredPod>) -> Result<()> {
        self.send(&ToAgent::SyncPods { pods }).await
    }

    /// Opens a control-plane stream (odd ids) and returns its id; with automatic credit, a
    /// port-forward's window is widened at once, as a control plane does.
    pub async fn open(&mut self, open: StreamOpen) -> Result<StreamId> {
        let stream = self.next_stream;
        self.next_stream += 2;
        self.streams.insert(stream, StreamOutput::default());
        self.send_windows.insert(stream, u64::from(INITIAL_WINDOW));
        let port_forward = matches!(open, StreamOpen::PortForward { .. });
        self.send(&ToAgent::OpenStream(OpenStream { stream, open }))
            .await?;
        if self.auto_credit {
            let mut receiver = Receiver::new(INITIAL_WINDOW);
            let wider = port_forward
                .then(|| receiver.widen(PORT_FORWARD_WINDOW))
                .flatten();
            self.receivers.insert(stream, receiver);
            if let Some(bytes) = wider {
                self.grant(stream, bytes).await?;
            }
        }
        Ok(stream)
    }

    /// Lets the agent send `bytes` more on stream `id`.
    pub async fn grant(&mut self, id: StreamId, bytes: u32) -> Result<()> {
        self.send(&ToAgent::Credit(Credit { stream: id, bytes }))
            .await
    }

    /// Sends `data` on the stream's stdin within the agent's credit, reading (and recording)
    /// the agent's messages whenever the window is spent.
    pub async fn write_stream(&mut self, id: StreamId, data: &[u8], limit: Duration) -> Result<()> {
        let deadline = Instant::now() + limit;
        let mut rest = data;
        while !rest.is_empty() {
            let window = self.send_windows.get(&id).copied().unwrap_or(0);
            if window == 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || self.closed.is_some() || self.stream(id).closed.is_some() {
                    return Err(AgentHarnessError::Timeout {
                        what: format!("credit to send on stream {id}"),
                        seconds: limit.as_secs(),
                    });
                }
                self.pump(left).await?;
                continue;
            }
            let n = rest
                .len()
                .min(kubeplay_shared::node_protocol::MAX_CHUNK)
                .min(usize::try_from(window).unwrap_or(usize::MAX));
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            self.send_windows.insert(id, window - n as u64);
            let data = StreamData {
                stream: id,
                channel: Channel::Stdin,
                data: chunk.to_vec(),
            };
            self.send(&ToAgent::Data(data)).await?;
        }
        Ok(())
    }

    /// Ends this side's bytes on the stream (an empty data frame: a TCP half-close).
    pub async fn end_stream(&mut self, id: StreamId) -> Result<()> {
        let data = StreamData {
            stream: id,
            channel: Channel::Stdin,
            data: Vec::new(),
        };
        self.send(&ToAgent::Data(data)).await
    }

    /// Closes the stream from this side.
    pub async fn close_stream(&mut self, id: StreamId) -> Result<()> {
        let close = CloseStream {
            stream: id,
            exit_code: None,
            error: None,
        };
        self.send(&ToAgent::CloseStream(close)).await
    }

    /// What stream `id` delivered so far, without copying it.
    pub fn stream_ref(&self, id: StreamId) -> Option<&StreamOutput> {
        self.streams.get(&id)
    }

    pub fn stream(&self, id: StreamId) -> StreamOutput {
        self.streams.get(&id).cloned().unwrap_or_default()
    }

    /// Reads and records the agent's messages until `check` finds what it waits for.
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        limit: Duration,
        mut check: impl FnMut(&Link) -> Option<T>,
    ) -> Result<T> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(found) = check(self) {
                return Ok(found);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.closed.is_some() {
                return Err(AgentHarnessError::Timeout {
                    what: format!(
                        "{what} (link closed: {:?}; last statuses: {:?})",
                        self.closed, self.statuses
                    ),
                    seconds: limit.as_secs(),
                });
            }
            self.pump(left).await?;
        }
    }

    /// The pod's latest status once `check` accepts it.
    pub async fn wait_for_status(
        &mut self,
        uid: &str,
        what: &str,
        limit: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Result<Value> {
        self.wait_for(what, limit, |link| {
            link.statuses.get(uid).filter(|s| check(s)).cloned()
        })
        .await
    }

    /// Records stream bytes and, as a fast consumer, takes them at once: credit goes back as
    /// the receiver batches it. Bytes beyond the window are the agent's protocol error.
    async fn on_data(&mut self, data: DataView<'_>) -> Result<()> {
        let len = data.payload.len();
        let out = self.streams.entry(data.stream).or_default();
        if len == 0 {
            out.ended = true;
        }
        out.received += len as u64;
        match data.channel {
            _ if !self.keep_output => {}
            Channel::Stderr => out.stderr.extend_from_slice(data.payload),
            _ => out.stdout.extend_from_slice(data.payload),
        }
        if !self.auto_credit || len == 0 {
            return Ok(());
        }
        // A stream opened while the test granted credit itself: this side cannot know its
        // window, so each chunk's credit goes back whole.
        let Some(receiver) = self.receivers.get_mut(&data.stream) else {
            return self.grant(data.stream, len as u32).await;
        };
        receiver
            .receive(len)
            .map_err(|e| AgentHarnessError::Link(format!("stream {}: {e}", data.stream)))?;
        match receiver.consume(len) {
            Some(bytes) => self.grant(data.stream, bytes).await,
            None => Ok(()),
        }
    }

    /// Handles at most one message, waiting up to `limit` for it.
    async fn pump(&mut self, limit: Duration) -> Result<()> {
        let msg = match tokio::time::timeout(limit, self.socket.next()).await {
            Err(_) => return Ok(()),
            Ok(None) => {
                self.closed
                    .get_or_insert_with(|| "connection ended".to_string());
                return Ok(());
            }
            Ok(Some(Err(e))) => {
                self.closed = Some(e.to_string());
                return Ok(());
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                self.closed = Some(frame.map(|f| f.reason.to_string()).unwrap_or_default());
                return Ok(());
            }
            // Stream bytes are counted (and kept if asked) straight from the frame.
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                let data = data_view(&bytes).map_err(|e| AgentHarnessError::Link(e.to_string()))?;
                return self.on_data(data).await;
            }
            Ok(Some(Ok(m))) => match to_frame(m) {
                Some(frame) => decode::<FromAgent>(&frame)
                    .map_err(|e| AgentHarnessError::Link(e.to_string()))?,
                None => return Ok(()),
            },
        };
        match msg {
            FromAgent::PodStatus(report) => {
                self.statuses.insert(report.pod.uid, report.status);
            }
            FromAgent::Event(event) => self.events.push(event),
            FromAgent::PodRemoved { pod } => self.removed.push(pod),
            FromAgent::NodeStatus(_) => self.heartbeats += 1,
            msg @ (FromAgent::PortForwardListening(_)
            | FromAgent::PortForwardFailed(_)
            | FromAgent::PortForwardConnection(_)) => self.forwards.push(msg),
            FromAgent::Data(data) => {
                self.on_data(DataView {
                    stream: data.stream,
                    channel: data.channel,
                    payload: &data.data,
                })
                .await?
            }
            FromAgent::Credit(credit) => {
                *self.send_windows.entry(credit.stream).or_default() += u64::from(credit.bytes);
            }
            FromAgent::CloseStream(close) => {
                let id = close.stream;
                self.receivers.remove(&id);
                self.streams.entry(id).or_default().closed = Some(close);
            }
            _ => {}
        }
        Ok(())
    }
}

pub async fn write(socket: &mut Socket, msg: &ToAgent) -> Result<()> {
    let message = match encode(msg).map_err(|e| AgentHarnessError::Link(e.to_string()))? {
        Frame::Text(text) => Message::text(text),
        Frame::Binary(bytes) => Message::binary(bytes),
    };
    socket
        .send(message)
        .await
        .map_err(|e| AgentHarnessError::Link(format!("sending: {e}")))
}

/// The next protocol message, `None` once the agent closed the link.
pub async fn read(socket: &mut Socket, limit: Duration) -> Result<Option<FromAgent>> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let next = tokio::time::timeout(left, socket.next())
            .await
            .map_err(|_| AgentHarnessError::Timeout {
                what: "the agent's handshake".into(),
                seconds: limit.as_secs(),
            })?;
        match next {
            None | Some(Ok(Message::Close(_))) => return Ok(None),
            Some(Err(e)) => return Err(AgentHarnessError::Link(e.to_string())),
            Some(Ok(m)) => {
                if let Some(frame) = to_frame(m) {
                    return decode(&frame)
                        .map(Some)
                        .map_err(|e| AgentHarnessError::Link(e.to_string()));
                }
            }
        }
    }
}

fn to_frame(message: Message) -> Option<Frame> {
    match message {
        Message::Text(text) => Some(Frame::Text(text.to_string())),
        Message::Binary(bytes) => Some(Frame::Binary(bytes.to_vec())),
        _ => None,
    }
}
