//! The server side of a port-forward session (`portforward.k8s.io` over SPDY/3.1), as the
//! kubelet serves it: kubectl opens an `error` and a `data` stream per forwarded TCP
//! connection, tied by their `requestid` header; once both are open the pod's port is dialled,
//! bytes are copied both ways, and a failure is written as text on the error stream, which
//! kubectl prints.
//!
//! One task reads frames, one writes them (it owns the outgoing zlib context, so replies are
//! compressed in the order they go out), and one task per forwarded connection talks to the
//! pod. kubectl's SPDY library does no flow control, so neither does this: a slow pod slows the
//! session's reader, TCP pushes back on kubectl.
//!
//! Closing follows TCP: FIN on the data stream half-closes the pod connection; the pod's end
//! of its side ends the data stream and then the error stream (kubectl waits for the latter
//! before it closes its local connection). RST_STREAM or the end of the session drops the pod
//! connection.

use super::frame::{read_frame, rst, Frame, ReadError};
use super::headers::{get, Deflater, Headers, Inflater};
use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// The subprotocol both ends agree on (`X-Stream-Protocol-Version`, or after `SPDY/3.1+` in
/// the WebSocket subprotocol).
pub const PROTOCOL: &str = "portforward.k8s.io";
/// Largest chunk read from a pod before it goes out as one data frame.
const CHUNK: usize = 32 << 10;
/// Frames waiting for the writer, and chunks waiting for one pod connection.
const QUEUE: usize = 64;
/// GOAWAY status: the session ends normally.
const GOAWAY_OK: u32 = 0;
/// GOAWAY status: the peer broke the protocol.
const GOAWAY_PROTOCOL_ERROR: u32 = 1;

/// Where a forwarded connection goes: the pod's `port`, or the kubelet-worded reason it can't.
pub trait Dialer: Send + Sync + 'static {
    fn dial(&self, port: u16) -> Pin<Box<dyn Future<Output = Result<TcpStream, String>> + Send>>;
}

/// Serves one session on `transport` until the client goes away or `stop` turns true (then the
/// client gets a GOAWAY).
pub async fn serve<T>(transport: T, dialer: Arc<dyn Dialer>, mut stop: watch::Receiver<bool>)
where
    T: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut reader, writer) = tokio::io::split(transport);
    let (out, outgoing) = mpsc::channel(QUEUE);
    let writing = tokio::spawn(write_frames(writer, outgoing));
    let (finished, mut finishing) = mpsc::unbounded_channel();
    let mut session = Session {
        out,
        finished,
        dialer,
        inflater: Inflater::default(),
        streams: HashMap::new(),
        requests: HashMap::new(),
        last_stream: 0,
        going_away: false,
    };
    let ending = loop {
        let frame = tokio::select! {
            frame = read_frame(&mut reader) => frame,
            _ = stop.wait_for(|s| *s) => break Some(GOAWAY_OK),
            Some(request) = finishing.recv() => {
                session.forget(&request);
                continue;
            }
        };
        match frame {
            Ok(Some(frame)) => {
                if let Err(e) = session.handle(frame).await {
                    tracing::debug!("port-forward session ends: {e}");
                    break Some(GOAWAY_PROTOCOL_ERROR);
                }
            }
            Ok(None) => break None,
            Err(ReadError::Io(e)) => {
                tracing::debug!("port-forward session ends: {e}");
                break None;
            }
            Err(e) => {
                tracing::debug!("port-forward session ends: {e}");
                break Some(GOAWAY_PROTOCOL_ERROR);
            }
        }
    };
    if let Some(status) = ending {
        let last_good = session.last_stream;
        let _ = session
            .out
            .send(Out::Frame(Frame::GoAway { last_good, status }))
            .await;
    }
    // Dropping the session aborts every pod connection and closes the writer's queue.
    drop(session);
    let _ = writing.await;
}

/// What the writer sends: a frame as it is, or a SYN_REPLY whose (empty) header block it
/// compresses itself.
enum Out {
    Frame(Frame),
    Reply(u32),
}

#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error(transparent)]
    Headers(#[from] super::headers::HeaderError),
    #[error("the writer is gone")]
    WriterGone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Error,
    Data,
}

/// One open stream as the reader knows it.
struct StreamEntry {
    request: String,
    /// Data streams: where the client's bytes go (an empty chunk is the client's FIN).
    to_pod: Option<mpsc::Sender<Bytes>>,
}

/// The two streams of one forwarded connection, collected until both are open.
#[derive(Default)]
struct Request {
    error: Option<u32>,
    data: Option<u32>,
    port: Option<Result<u16, String>>,
    from_client: Option<mpsc::Receiver<Bytes>>,
    task: Option<AbortOnDrop>,
}

/// Aborts the pod connection's task when the request goes away.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Session {
    out: mpsc::Sender<Out>,
    /// Requests whose pod connection is over, so their streams can be forgotten.
    finished: mpsc::UnboundedSender<String>,
    dialer: Arc<dyn Dialer>,
    inflater: Inflater,
    streams: HashMap<u32, StreamEntry>,
    requests: HashMap<String, Request>,
    last_stream: u32,
    going_away: bool,
}

impl Session {
    async fn send(&self, out: Out) -> Result<(), SessionError> {
        self.out
            .send(out)
            .await
            .map_err(|_| SessionError::WriterGone)
    }

    async fn handle(&mut self, frame: Frame) -> Result<(), SessionError> {
        match frame {
            Frame::SynStream {
                stream,
                flags,
                headers,
                ..
            } => {
                // Inflate first: the context must see every block, even a refused stream's.
                let headers = self.inflater.headers(&headers)?;
                self.open(stream, flags & super::frame::FLAG_FIN != 0, headers)
                    .await
            }
            Frame::SynReply { headers, .. } | Frame::Headers { headers, .. } => {
                self.inflater.headers(&headers)?;
                Ok(())
            }
            Frame::Data { stream, fin, data } => self.data(stream, fin, data).await,
            Frame::RstStream { stream, .. } => {
                self.reset(stream);
                Ok(())
            }
            Frame::Ping { id } => self.send(Out::Frame(Frame::Ping { id })).await,
            Frame::GoAway { .. } => {
                self.going_away = true;
                Ok(())
            }
            Frame::Settings | Frame::WindowUpdate { .. } | Frame::Unknown { .. } => Ok(()),
        }
    }

    async fn open(&mut self, stream: u32, fin: bool, headers: Headers) -> Result<(), SessionError> {
        if self.streams.contains_key(&stream) {
            return self.refuse(stream, rst::STREAM_IN_USE).await;
        }
        if stream.is_multiple_of(2) || stream <= self.last_stream {
            return self.refuse(stream, rst::PROTOCOL_ERROR).await;
        }
        self.last_stream = stream;
        if self.going_away {
            return self.refuse(stream, rst::REFUSED_STREAM).await;
        }
        let kind = match get(&headers, "streamtype") {
            Some("error") => Kind::Error,
            Some("data") => Kind::Data,
            other => {
                tracing::debug!("port-forward stream {stream} refused: stream type {other:?}");
                return self.refuse(stream, rst::PROTOCOL_ERROR).await;
            }
        };
        // Without a requestid (clients before Kubernetes 1.6) the error stream's id names the
        // pair, and the data stream is the one opened right after it.
        let request = match get(&headers, "requestid") {
            Some(id) => id.to_string(),
            None if kind == Kind::Error => stream.to_string(),
            None => stream.saturating_sub(2).to_string(),
        };
        let port = match get(&headers, "port") {
            Some(text) => text.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                format!("invalid port {text:?}: it must be a number from 1 to 65535")
            }),
            None => Err("the port header is missing".to_string()),
        };
        self.send(Out::Reply(stream)).await?;
        let entry = self.requests.entry(request.clone()).or_default();
        let mut to_pod = None;
        match kind {
            Kind::Error => entry.error = Some(stream),
            Kind::Data => {
                let (tx, rx) = mpsc::channel(QUEUE);
                if !fin {
                    to_pod = Some(tx);
                }
                entry.data = Some(stream);
                entry.from_client = Some(rx);
                entry.port = Some(port);
            }
        }
        self.streams.insert(
            stream,
            StreamEntry {
                request: request.clone(),
                to_pod,
            },
        );
        self.start_if_paired(&request);
        Ok(())
    }

    /// Dials the pod once both streams of `request` are open.
    fn start_if_paired(&mut self, request: &str) {
        let Some(entry) = self.requests.get_mut(request) else {
            return;
        };
        let (Some(error), Some(data), None) = (entry.error, entry.data, &entry.task) else {
            return;
        };
        let (Some(port), Some(from_client)) = (entry.port.take(), entry.from_client.take()) else {
            return;
        };
        let connection = Connection {
            error,
            data,
            out: self.out.clone(),
        };
        let dialer = Arc::clone(&self.dialer);
        let finished = self.finished.clone();
        let request = request.to_string();
        entry.task = Some(AbortOnDrop(tokio::spawn(async move {
            connection.run(port, dialer, from_client).await;
            let _ = finished.send(request);
        })));
    }

    async fn data(&mut self, stream: u32, fin: bool, data: Bytes) -> Result<(), SessionError> {
        let Some(entry) = self.streams.get_mut(&stream) else {
            // Late frames of a stream already reset or finished: nothing to deliver them to.
            return Ok(());
        };
        if let Some(tx) = &entry.to_pod {
            if !data.is_empty() && tx.send(data).await.is_err() {
                entry.to_pod = None;
            }
        }
        if fin {
            if let Some(tx) = entry.to_pod.take() {
                let _ = tx.send(Bytes::new()).await;
            }
        }
        Ok(())
    }

    /// The client gave up on a stream: its forwarded connection goes with it.
    fn reset(&mut self, stream: u32) {
        if let Some(entry) = self.streams.remove(&stream) {
            self.forget(&entry.request);
        }
    }

    /// Drops a request and its streams (aborting its pod connection if it still runs).
    fn forget(&mut self, request: &str) {
        if let Some(request) = self.requests.remove(request) {
            for stream in [request.error, request.data].into_iter().flatten() {
                self.streams.remove(&stream);
            }
        }
    }

    async fn refuse(&self, stream: u32, status: u32) -> Result<(), SessionError> {
        self.send(Out::Frame(Frame::RstStream { stream, status }))
            .await
    }
}

/// One forwarded TCP connection: its two streams and the way out to the writer.
struct Connection {
    error: u32,
    data: u32,
    out: mpsc::Sender<Out>,
}

impl Connection {
    async fn run(
        self,
        port: Result<u16, String>,
        dialer: Arc<dyn Dialer>,
        from_client: mpsc::Receiver<Bytes>,
    ) {
        let connected = match port {
            Ok(port) => dialer.dial(port).await,
            Err(e) => Err(e),
        };
        let failure = match connected {
            Ok(pod) => self.copy(pod, from_client).await.err(),
            Err(e) => Some(e),
        };
        if let Some(message) = failure {
            self.frame(self.error, false, Bytes::from(message)).await;
        }
        self.frame(self.data, true, Bytes::new()).await;
        self.frame(self.error, true, Bytes::new()).await;
    }

    /// Copies until the pod ends its side (or fails); the client's FIN only half-closes.
    async fn copy(
        &self,
        pod: TcpStream,
        mut from_client: mpsc::Receiver<Bytes>,
    ) -> Result<(), String> {
        let (mut from_pod, mut to_pod) = pod.into_split();
        let upstream = AbortOnDrop(tokio::spawn(async move {
            while let Some(chunk) = from_client.recv().await {
                if chunk.is_empty() || to_pod.write_all(&chunk).await.is_err() {
                    break;
                }
            }
            let _ = to_pod.shutdown().await;
        }));
        let mut buf = vec![0u8; CHUNK];
        let result = loop {
            match from_pod.read(&mut buf).await {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    if !self
                        .frame(self.data, false, Bytes::copy_from_slice(&buf[..n]))
                        .await
                    {
                        break Ok(());
                    }
                }
                Err(e) => break Err(format!("error reading from the pod: {e}")),
            }
        };
        drop(upstream);
        result
    }

    async fn frame(&self, stream: u32, fin: bool, data: Bytes) -> bool {
        self.out
            .send(Out::Frame(Frame::Data { stream, fin, data }))
            .await
            .is_ok()
    }
}

/// Encodes and writes frames until every sender is gone, then closes the transport.
async fn write_frames<W: AsyncWrite + Unpin>(mut writer: W, mut outgoing: mpsc::Receiver<Out>) {
    let mut deflater = Deflater::default();
    while let Some(out) = outgoing.recv().await {
        let frame = match out {
            Out::Frame(frame) => frame,
            Out::Reply(stream) => Frame::SynReply {
                stream,
                fin: false,
                headers: Bytes::from(deflater.headers(&[])),
            },
        };
        let Ok(bytes) = frame.encode() else {
            continue;
        };
        if writer.write_all(&bytes).await.is_err() {
            return;
        }
        if outgoing.is_empty() && writer.flush().await.is_err() {
            return;
        }
    }
    let _ = writer.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spdy::frame::FLAG_FIN;
    use tokio::io::DuplexStream;
    use tokio::net::TcpListener;

    /// Dials 127.0.0.1 on the port asked for, or fails with a fixed text.
    struct Local(Option<String>);

    impl Dialer for Local {
        fn dial(
            &self,
            port: u16,
        ) -> Pin<Box<dyn Future<Output = Result<TcpStream, String>> + Send>> {
            let failure = self.0.clone();
            Box::pin(async move {
                match failure {
                    Some(text) => Err(text),
                    None => TcpStream::connect(("127.0.0.1", port))
                        .await
                        .map_err(|e| e.to_string()),
                }
            })
        }
    }

    /// The kubectl end of a session, built from the same codec but its own zlib contexts.
    struct Client {
        io: DuplexStream,
        deflater: Deflater,
        inflater: Inflater,
        stop: watch::Sender<bool>,
    }

    impl Client {
        fn start(dialer: Local) -> Client {
            let (io, server) = tokio::io::duplex(1 << 16);
            let (stop, stopping) = watch::channel(false);
            tokio::spawn(serve(server, Arc::new(dialer), stopping));
            Client {
                io,
                deflater: Deflater::default(),
                inflater: Inflater::default(),
                stop,
            }
        }

        async fn send(&mut self, frame: Frame) {
            self.io.write_all(&frame.encode().unwrap()).await.unwrap();
        }

        async fn open(&mut self, stream: u32, kind: &str, port: &str, request: &str) {
            let headers: Headers = vec![
                ("streamtype".into(), kind.into()),
                ("port".into(), port.into()),
                ("requestid".into(), request.into()),
            ];
            let headers = Bytes::from(self.deflater.headers(&headers));
            self.send(Frame::SynStream {
                stream,
                associated: 0,
                priority: 0,
                flags: 0,
                headers,
            })
            .await;
        }

        async fn next(&mut self) -> Option<Frame> {
            let frame = read_frame(&mut self.io).await.unwrap()?;
            if let Frame::SynReply { headers, .. } = &frame {
                assert_eq!(self.inflater.headers(headers).unwrap(), Headers::new());
            }
            Some(frame)
        }

        /// What the server sends on each of `streams` until every one has its FIN, as text,
        /// and the other frames it sends meanwhile.
        async fn read_until_fins(&mut self, streams: &[u32]) -> (HashMap<u32, String>, Vec<Frame>) {
            let mut texts: HashMap<u32, Vec<u8>> = HashMap::new();
            let mut open: Vec<u32> = streams.to_vec();
            let mut others = Vec::new();
            while !open.is_empty() {
                match self
                    .next()
                    .await
                    .expect("the session ended before the streams did")
                {
                    Frame::Data { stream, fin, data } if streams.contains(&stream) => {
                        texts.entry(stream).or_default().extend_from_slice(&data);
                        if fin {
                            open.retain(|s| *s != stream);
                        }
                    }
                    other => others.push(other),
                }
            }
            let texts = texts
                .into_iter()
                .map(|(s, t)| (s, String::from_utf8(t).unwrap()))
                .collect();
            (texts, others)
        }

        async fn read_until_fin(&mut self, stream: u32, others: &mut Vec<Frame>) -> String {
            let (mut texts, more) = self.read_until_fins(&[stream]).await;
            others.extend(more);
            texts.remove(&stream).unwrap_or_default()
        }
    }

    /// A server that answers each connection with what it read, upper-cased, after the client
    /// half-closes.
    async fn shouting_server() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    conn.read_to_end(&mut got).await.unwrap();
                    conn.write_all(&got.to_ascii_uppercase()).await.unwrap();
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn streams_are_answered_and_connections_forwarded_with_half_close() {
        let port = shouting_server().await.to_string();
        let mut c = Client::start(Local(None));
        // Two connections at once, opened interleaved, as kubectl does for parallel clients.
        c.open(1, "error", &port, "0").await;
        c.open(3, "error", &port, "1").await;
        c.open(5, "data", &port, "0").await;
        c.open(7, "data", &port, "1").await;
        for (stream, text) in [(5, "first"), (7, "second")] {
            c.send(Frame::Data {
                stream,
                fin: false,
                data: Bytes::from(text),
            })
            .await;
            c.send(Frame::Data {
                stream,
                fin: true,
                data: Bytes::new(),
            })
            .await;
        }
        let (texts, others) = c.read_until_fins(&[1, 3, 5, 7]).await;
        let expected: HashMap<u32, String> = [(5, "FIRST"), (7, "SECOND"), (1, ""), (3, "")]
            .into_iter()
            .map(|(s, t)| (s, t.to_string()))
            .collect();
        assert_eq!(texts, expected);
        let replies: Vec<u32> = others
            .iter()
            .filter_map(|f| match f {
                Frame::SynReply {
                    stream, fin: false, ..
                } => Some(*stream),
                _ => None,
            })
            .collect();
        assert_eq!(replies, [1, 3, 5, 7]);
    }

    #[tokio::test]
    async fn a_failed_dial_is_written_on_the_error_stream() {
        let mut c = Client::start(Local(Some("pod has no network here".into())));
        c.open(1, "error", "8080", "0").await;
        c.open(3, "data", "8080", "0").await;
        let (texts, _) = c.read_until_fins(&[1, 3]).await;
        assert_eq!(texts[&1], "pod has no network here");
        assert_eq!(texts[&3], "");
    }

    #[tokio::test]
    async fn a_bad_port_is_reported_and_a_bad_stream_type_reset() {
        let mut c = Client::start(Local(None));
        c.open(1, "stdout", "80", "0").await;
        assert_eq!(
            c.next().await,
            Some(Frame::RstStream {
                stream: 1,
                status: rst::PROTOCOL_ERROR
            })
        );
        c.open(3, "error", "http", "1").await;
        c.open(5, "data", "http", "1").await;
        let mut others = Vec::new();
        let text = c.read_until_fin(3, &mut others).await;
        assert!(text.starts_with("invalid port \"http\""), "{text}");
    }

    #[tokio::test]
    async fn pings_are_echoed_and_reused_stream_ids_refused() {
        let mut c = Client::start(Local(Some("x".into())));
        c.send(Frame::Ping { id: 1 }).await;
        assert_eq!(c.next().await, Some(Frame::Ping { id: 1 }));
        c.open(5, "error", "80", "0").await;
        assert!(matches!(
            c.next().await,
            Some(Frame::SynReply { stream: 5, .. })
        ));
        c.open(5, "error", "80", "0").await;
        assert_eq!(
            c.next().await,
            Some(Frame::RstStream {
                stream: 5,
                status: rst::STREAM_IN_USE
            })
        );
    }

    #[tokio::test]
    async fn a_reset_drops_the_pod_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let mut c = Client::start(Local(None));
        c.open(1, "error", &port, "0").await;
        c.open(3, "data", &port, "0").await;
        let (mut pod, _) = listener.accept().await.unwrap();
        c.send(Frame::RstStream {
            stream: 3,
            status: rst::CANCEL,
        })
        .await;
        let mut rest = Vec::new();
        // The pod sees its connection end without the client having half-closed it.
        assert_eq!(pod.read_to_end(&mut rest).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn stopping_sends_goaway_and_ends_the_session() {
        let mut c = Client::start(Local(None));
        c.open(1, "error", "80", "0").await;
        assert!(matches!(
            c.next().await,
            Some(Frame::SynReply { stream: 1, .. })
        ));
        c.stop.send_replace(true);
        assert_eq!(
            c.next().await,
            Some(Frame::GoAway {
                last_good: 1,
                status: GOAWAY_OK
            })
        );
        assert_eq!(c.next().await, None);
    }

    #[tokio::test]
    async fn a_fin_on_syn_stream_still_pairs_and_the_client_closing_ends_the_session() {
        let port = shouting_server().await.to_string();
        let mut c = Client::start(Local(None));
        c.open(1, "error", &port, "0").await;
        let headers: Headers = vec![
            ("streamtype".into(), "data".into()),
            ("port".into(), port.clone()),
            ("requestid".into(), "0".into()),
        ];
        let headers = Bytes::from(c.deflater.headers(&headers));
        c.send(Frame::SynStream {
            stream: 3,
            associated: 0,
            priority: 0,
            flags: FLAG_FIN,
            headers,
        })
        .await;
        let mut others = Vec::new();
        assert_eq!(c.read_until_fin(3, &mut others).await, "");
        c.io.shutdown().await.unwrap();
        while c.next().await.is_some() {}
    }
}
