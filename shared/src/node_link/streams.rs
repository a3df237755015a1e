//! The streams of one link as the control plane sees them: ids, what each carries, and a
//! flow-control window per direction, so neither the agent nor the page buffers without bound.

use crate::node_protocol::flow::{FlowError, Receiver, Sender};
use crate::node_protocol::messages::ToAgent;
use crate::node_protocol::stream::{
    opened_by_control_plane, Channel, CloseStream, Credit, HttpResponse, OpenStream, Resize, StreamData, StreamId, StreamOpen,
    INITIAL_WINDOW,
};
use std::collections::BTreeMap;

/// Bytes the control plane queues per stream before `send` pushes back on its producer.
pub const SEND_CAPACITY: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("no stream {0} on this link")]
    Unknown(StreamId),
    #[error("stream {0} is not an HTTP request from the agent")]
    NotHttp(StreamId),
    #[error("stream {0} is not an exec or attach from the agent")]
    NotExec(StreamId),
    #[error("the link is not registered")]
    NotRegistered,
    #[error("the node's agent is too old for this stream (it lacks the \"{0}\" feature): upgrade kubeplay-agent")]
    Unsupported(&'static str),
    #[error(transparent)]
    Flow(#[from] FlowError),
}

/// What the host learns about its streams from the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The agent's gateway opened a stream (an HTTP request for the kube API).
    Opened { stream: StreamId, open: StreamOpen },
    /// Bytes for the host's consumer; it calls `consumed` once it has taken them. An empty
    /// chunk ends that direction (a port-forward pod closed its side of the connection).
    Data(StreamData),
    /// Credit arrived: `send` accepts more.
    Writable { stream: StreamId },
    /// The stream ended (from the agent, or because the link closed).
    Closed(CloseStream),
}

#[derive(Debug)]
struct Stream {
    open: StreamOpen,
    send: Sender,
    recv: Receiver,
    /// The host ended the stream while bytes were still queued: sent once they are out.
    ending: Option<CloseStream>,
}

#[derive(Debug)]
pub struct Streams {
    next: StreamId,
    streams: BTreeMap<StreamId, Stream>,
}

impl Default for Streams {
    fn default() -> Self {
        Self { next: 1, streams: BTreeMap::new() }
    }
}

fn new_stream(open: StreamOpen) -> Stream {
    Stream { open, send: Sender::new(INITIAL_WINDOW, SEND_CAPACITY), recv: Receiver::new(INITIAL_WINDOW), ending: None }
}

fn data_frames(id: StreamId, s: &mut Stream) -> Vec<ToAgent> {
    std::iter::from_fn(|| s.send.next_chunk())
        .map(|(channel, data)| ToAgent::Data(StreamData { stream: id, channel, data }))
        .collect()
}

impl Streams {
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    pub fn kind(&self, id: StreamId) -> Option<&StreamOpen> {
        self.streams.get(&id).map(|s| &s.open)
    }

    /// Opens a log, exec, attach or port-forward stream to the agent.
    pub fn open(&mut self, open: StreamOpen) -> (StreamId, ToAgent) {
        let id = self.next;
        self.next = self.next.wrapping_add(2).max(1);
        self.streams.insert(id, new_stream(open.clone()));
        (id, ToAgent::OpenStream(OpenStream { stream: id, open }))
    }

    /// Queues what fits of `data` and returns how much was taken, with the frames that may go
    /// now; the producer keeps the rest until `Writable`.
    pub fn send(&mut self, id: StreamId, channel: Channel, data: &[u8]) -> Result<(usize, Vec<ToAgent>), StreamError> {
        let s = self.streams.get_mut(&id).ok_or(StreamError::Unknown(id))?;
        let taken = s.send.push(channel, data)?;
        Ok((taken, data_frames(id, s)))
    }

    /// Ends this side's bytes on `channel` (a port-forward client's half-close): after what is
    /// queued, an empty chunk goes out; the agent's bytes keep coming until it ends too.
    pub fn finish(&mut self, id: StreamId, channel: Channel) -> Result<Vec<ToAgent>, StreamError> {
        let s = self.streams.get_mut(&id).ok_or(StreamError::Unknown(id))?;
        s.send.finish(channel)?;
        Ok(data_frames(id, s))
    }

    /// How much `send` would take now.
    pub fn space(&self, id: StreamId) -> usize {
        self.streams.get(&id).map_or(0, |s| s.send.space())
    }

    /// The host's consumer took `bytes` of the stream's data: credit for the agent, batched.
    pub fn consumed(&mut self, id: StreamId, bytes: usize) -> Vec<ToAgent> {
        let Some(s) = self.streams.get_mut(&id) else { return Vec::new() };
        s.recv.consume(bytes).map(|b| ToAgent::Credit(Credit { stream: id, bytes: b })).into_iter().collect()
    }

    pub fn resize(&self, id: StreamId, cols: u16, rows: u16) -> Result<ToAgent, StreamError> {
        self.streams.get(&id).ok_or(StreamError::Unknown(id))?;
        Ok(ToAgent::Resize(Resize { stream: id, cols, rows }))
    }

    /// The answer's head to an agent's HTTP stream; the body follows through `send` on `Stdout`.
    pub fn respond(&self, id: StreamId, status: u16, headers: Vec<(String, String)>) -> Result<ToAgent, StreamError> {
        match self.streams.get(&id).map(|s| &s.open) {
            Some(StreamOpen::Http { .. }) => Ok(ToAgent::HttpResponse(HttpResponse { stream: id, status, headers })),
            Some(_) => Err(StreamError::NotHttp(id)),
            None => Err(StreamError::Unknown(id)),
        }
    }

    /// Ends a stream from this side; queued bytes are dropped.
    pub fn close(&mut self, id: StreamId, error: Option<String>) -> Option<ToAgent> {
        let mut s = self.streams.remove(&id)?;
        s.send.close();
        s.recv.close();
        Some(ToAgent::CloseStream(CloseStream { stream: id, exit_code: None, error }))
    }

    /// Ends a stream once the bytes queued on it are out: with the exit code of its process, or
    /// the error that cut it off. Returns the messages that may go now.
    pub fn end(&mut self, id: StreamId, exit_code: Option<i32>, error: Option<String>) -> Vec<ToAgent> {
        let Some(s) = self.streams.get_mut(&id) else { return Vec::new() };
        let close = CloseStream { stream: id, exit_code, error };
        if s.send.queued() > 0 {
            s.ending = Some(close);
            return Vec::new();
        }
        self.streams.remove(&id);
        vec![ToAgent::CloseStream(close)]
    }

    /// Forgets a stream the agent opened and the host refused with its own message.
    pub fn forget(&mut self, id: StreamId) -> bool {
        self.streams.remove(&id).is_some()
    }

    /// A stream the agent opens: an HTTP request, or (`exec`: the host serves them) an exec or
    /// attach for kubectl.
    pub fn on_open(&mut self, o: OpenStream, exec: bool) -> Result<StreamEvent, ToAgent> {
        let refuse = |why: &str| ToAgent::CloseStream(CloseStream { stream: o.stream, exit_code: None, error: Some(why.to_string()) });
        if opened_by_control_plane(o.stream) || self.streams.contains_key(&o.stream) {
            return Err(refuse("stream id is not the agent's to open"));
        }
        let allowed = match o.open {
            StreamOpen::Http { .. } => true,
            StreamOpen::Exec { .. } | StreamOpen::Attach { .. } => exec,
            _ => false,
        };
        if !allowed {
            return Err(refuse(if exec {
                "an agent may only open http, exec and attach streams"
            } else {
                "an agent may only open http streams"
            }));
        }
        self.streams.insert(o.stream, new_stream(o.open.clone()));
        Ok(StreamEvent::Opened { stream: o.stream, open: o.open })
    }

    /// Data from the agent; beyond its credit it ends the stream, since buffering it is exactly
    /// what flow control exists to prevent. Data for a stream just closed here is dropped.
    pub fn on_data(&mut self, d: StreamData) -> Result<StreamEvent, ToAgent> {
        let Some(s) = self.streams.get_mut(&d.stream) else {
            return Err(ToAgent::CloseStream(CloseStream { stream: d.stream, exit_code: None, error: None }));
        };
        match s.recv.receive(d.data.len()) {
            Ok(()) => Ok(StreamEvent::Data(d)),
            Err(e) => {
                let id = d.stream;
                let error = Some(e.to_string());
                self.close(id, error.clone());
                Err(ToAgent::CloseStream(CloseStream { stream: id, exit_code: None, error }))
            }
        }
    }

    pub fn on_credit(&mut self, c: Credit) -> (Vec<ToAgent>, Option<StreamEvent>) {
        let Some(s) = self.streams.get_mut(&c.stream) else { return (Vec::new(), None) };
        s.send.grant(c.bytes);
        let mut frames = data_frames(c.stream, s);
        if s.ending.is_some() && s.send.queued() == 0 {
            let close = s.ending.take().map(ToAgent::CloseStream);
            self.streams.remove(&c.stream);
            frames.extend(close);
            return (frames, None);
        }
        let writable = (s.send.space() > 0).then_some(StreamEvent::Writable { stream: c.stream });
        (frames, writable)
    }

    pub fn on_close(&mut self, c: CloseStream) -> Option<StreamEvent> {
        let mut s = self.streams.remove(&c.stream)?;
        s.send.close();
        s.recv.close();
        Some(StreamEvent::Closed(c))
    }

    /// The link is gone: every stream ends with an error the host can show.
    pub fn close_all(&mut self) -> Vec<StreamEvent> {
        std::mem::take(&mut self.streams)
            .into_keys()
            .map(|stream| StreamEvent::Closed(CloseStream { stream, exit_code: None, error: Some("the node's agent disconnected".into()) }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node_protocol::MAX_CHUNK;

    fn logs() -> StreamOpen {
        StreamOpen::Logs {
            namespace: "default".into(),
            pod: "web".into(),
            container: "web".into(),
            follow: true,
            tail_lines: None,
            previous: false,
            timestamps: false,
            since_seconds: None,
        }
    }

    fn http() -> StreamOpen {
        StreamOpen::Http { method: "GET".into(), path: "/api".into(), query: String::new(), headers: vec![] }
    }

    #[test]
    fn the_control_plane_opens_odd_ids_and_refuses_agents_that_use_them() {
        let mut s = Streams::default();
        let (a, _) = s.open(logs());
        let (b, _) = s.open(logs());
        assert_eq!((a, b), (1, 3));
        assert!(s.on_open(OpenStream { stream: 5, open: http() }, false).is_err());
        assert!(s.on_open(OpenStream { stream: 2, open: logs() }, false).is_err(), "only http from the agent");
        assert_eq!(s.on_open(OpenStream { stream: 2, open: http() }, false), Ok(StreamEvent::Opened { stream: 2, open: http() }));
        assert!(s.respond(2, 200, vec![]).is_ok());
        assert_eq!(s.respond(1, 200, vec![]), Err(StreamError::NotHttp(1)));
    }

    #[test]
    fn an_agent_that_ignores_its_window_loses_the_stream() {
        let mut s = Streams::default();
        let (id, _) = s.open(logs());
        let chunk = || StreamData { stream: id, channel: Channel::Stdout, data: vec![0; MAX_CHUNK] };
        for _ in 0..(INITIAL_WINDOW as usize / MAX_CHUNK) {
            assert!(matches!(s.on_data(chunk()), Ok(StreamEvent::Data(_))));
        }
        assert!(matches!(s.on_data(chunk()), Err(ToAgent::CloseStream(CloseStream { error: Some(_), .. }))));
        assert!(s.is_empty());
    }

    #[test]
    fn consuming_grants_credit_and_credit_releases_queued_stdin() {
        let mut s = Streams::default();
        let (id, _) = s.open(logs());
        let quarter = INITIAL_WINDOW as usize / 4;
        s.on_data(StreamData { stream: id, channel: Channel::Stdout, data: vec![1; quarter] }).unwrap();
        assert_eq!(s.consumed(id, 100), vec![], "credit goes a quarter window at a time");
        assert_eq!(s.consumed(id, quarter - 100), vec![ToAgent::Credit(Credit { stream: id, bytes: quarter as u32 })]);
        let big = vec![0; INITIAL_WINDOW as usize + 10];
        let (taken, frames) = s.send(id, Channel::Stdin, &big).unwrap();
        assert_eq!(taken, SEND_CAPACITY);
        let sent: usize = frames.iter().map(|f| if let ToAgent::Data(d) = f { d.data.len() } else { 0 }).sum();
        assert_eq!(sent, INITIAL_WINDOW as usize, "no more than the window in flight");
        let (taken, frames) = s.send(id, Channel::Stdin, b"0123456789").unwrap();
        assert_eq!((taken, frames.len()), (10, 0), "queued, waiting for credit");
        let (more, writable) = s.on_credit(Credit { stream: id, bytes: 10 });
        assert_eq!(more, vec![ToAgent::Data(StreamData { stream: id, channel: Channel::Stdin, data: b"0123456789".to_vec() })]);
        assert_eq!(writable, Some(StreamEvent::Writable { stream: id }));
    }

    #[test]
    fn a_port_forward_client_half_closes_after_its_queued_bytes() {
        let mut s = Streams::default();
        let (id, _) = s.open(StreamOpen::PortForward { namespace: "default".into(), pod: "web".into(), port: 3000 });
        let (_, frames) = s.send(id, Channel::Stdin, b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(frames.len(), 1);
        let end = s.finish(id, Channel::Stdin).unwrap();
        assert_eq!(end, vec![ToAgent::Data(StreamData { stream: id, channel: Channel::Stdin, data: Vec::new() })]);
        assert!(s.send(id, Channel::Stdin, b"more").is_err(), "nothing after the end");
        let reply = StreamData { stream: id, channel: Channel::Stdout, data: b"HTTP/1.1 200 OK".to_vec() };
        assert!(matches!(s.on_data(reply), Ok(StreamEvent::Data(_))), "the other direction goes on");
    }

    fn exec() -> StreamOpen {
        StreamOpen::Exec { namespace: "default".into(), pod: "web".into(), container: String::new(), command: vec!["env".into()], stdin: false, tty: false }
    }

    #[test]
    fn an_agent_opens_execs_only_where_the_host_serves_them() {
        let mut s = Streams::default();
        assert!(s.on_open(OpenStream { stream: 2, open: exec() }, false).is_err());
        assert!(s.is_empty());
        assert_eq!(s.on_open(OpenStream { stream: 2, open: exec() }, true), Ok(StreamEvent::Opened { stream: 2, open: exec() }));
        assert!(s.on_open(OpenStream { stream: 4, open: logs() }, true).is_err(), "logs are the control plane's to open");
    }

    #[test]
    fn an_exec_ends_only_after_its_queued_output() {
        let mut s = Streams::default();
        s.on_open(OpenStream { stream: 2, open: exec() }, true).unwrap();
        let (taken, frames) = s.send(2, Channel::Stdout, &vec![7; INITIAL_WINDOW as usize]).unwrap();
        assert_eq!((taken, frames.len()), (INITIAL_WINDOW as usize, INITIAL_WINDOW as usize / MAX_CHUNK));
        assert_eq!(s.send(2, Channel::Stdout, &[7; 5]).unwrap(), (5, vec![]), "queued: the window is used up");
        assert_eq!(s.end(2, Some(3), None), vec![], "five bytes still wait for credit");
        let (frames, writable) = s.on_credit(Credit { stream: 2, bytes: MAX_CHUNK as u32 });
        let close = ToAgent::CloseStream(CloseStream { stream: 2, exit_code: Some(3), error: None });
        assert_eq!(frames, vec![ToAgent::Data(StreamData { stream: 2, channel: Channel::Stdout, data: vec![7; 5] }), close]);
        assert_eq!(writable, None);
        assert!(s.is_empty());
    }

    #[test]
    fn closing_the_link_ends_every_stream() {
        let mut s = Streams::default();
        s.open(logs());
        s.on_open(OpenStream { stream: 2, open: http() }, false).unwrap();
        let closed = s.close_all();
        assert_eq!(closed.len(), 2);
        assert!(s.is_empty());
        assert!(s.send(1, Channel::Stdin, b"x").is_err());
    }
}
