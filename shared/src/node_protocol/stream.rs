//! Streams multiplexed over one link: logs, exec, attach, port-forward and tunnelled HTTP. Control
//! messages (open, resize, credit, close) are JSON; the bytes travel in binary frames.

use serde::{Deserialize, Serialize};

/// Names a stream on one link. The control plane opens odd ids and the agent even ones (as in
/// HTTP/2), so both can open streams without agreeing first.
pub type StreamId = u32;

/// Whether `id` is one the control plane may open.
pub fn opened_by_control_plane(id: StreamId) -> bool {
    id % 2 == 1
}

/// The largest payload of one data frame: big enough for throughput, small enough that one
/// stream never holds the link for long.
pub const MAX_CHUNK: usize = 32 * 1024;

/// Bytes each side may send on a new stream, per direction, before the first `Credit`.
pub const INITIAL_WINDOW: u32 = 256 * 1024;

/// The window a control plane gives the pod's side of a port-forward stream, by a `Credit`
/// right after `OpenStream`: bulk TCP needs more in flight than a terminal does, or the agent
/// idles for a credit round trip every [`INITIAL_WINDOW`] bytes. Plain credit, so any agent
/// understands it.
pub const PORT_FORWARD_WINDOW: u32 = 4 * 1024 * 1024;

/// What a stream carries; sent once in `OpenStream`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StreamOpen {
    /// A container's log (`kubectl logs`); lines arrive on `Stdout`.
    #[serde(rename_all = "camelCase")]
    Logs {
        namespace: String,
        pod: String,
        container: String,
        #[serde(default)]
        follow: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tail_lines: Option<u64>,
        #[serde(default)]
        previous: bool,
        #[serde(default)]
        timestamps: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since_seconds: Option<u64>,
    },
    /// A process in a container (`kubectl exec`).
    #[serde(rename_all = "camelCase")]
    Exec {
        namespace: String,
        pod: String,
        container: String,
        command: Vec<String>,
        #[serde(default)]
        stdin: bool,
        #[serde(default)]
        tty: bool,
    },
    /// The container's main process (`kubectl attach`), opened only to agents that register
    /// [`FEATURE_ATTACH`](super::messages::FEATURE_ATTACH). The stream ends when that process
    /// ends (closed without an exit code or error) or when the control plane closes it; closing
    /// it only detaches and never stops the container.
    #[serde(rename_all = "camelCase")]
    Attach {
        namespace: String,
        pod: String,
        container: String,
        /// Write `Stdin` to the process; a container started without `stdin: true` does not
        /// read it, and it is dropped (as the kubelet does).
        #[serde(default)]
        stdin: bool,
        #[serde(default = "yes")]
        stdout: bool,
        #[serde(default = "yes")]
        stderr: bool,
        /// The container has a TTY: `Resize` sets its size.
        #[serde(default)]
        tty: bool,
    },
    /// A TCP connection to `port` inside the pod's network namespace (`kubectl port-forward`).
    #[serde(rename_all = "camelCase")]
    PortForward { namespace: String, pod: String, port: u16 },
    /// An HTTP request to the kube API, opened by the agent's gateway for a `kubectl` that talks
    /// to it; the body follows on `Stdin`, the answer is `HttpResponse` then data on `Stdout`.
    #[serde(rename_all = "camelCase")]
    Http {
        method: String,
        path: String,
        #[serde(default)]
        query: String,
        #[serde(default)]
        headers: Vec<(String, String)>,
    },
}

impl StreamOpen {
    /// The pod a stream is for (namespace, name); `None` for the gateway's HTTP streams.
    pub fn pod(&self) -> Option<(&str, &str)> {
        match self {
            Self::Logs { namespace, pod, .. }
            | Self::Exec { namespace, pod, .. }
            | Self::Attach { namespace, pod, .. }
            | Self::PortForward { namespace, pod, .. } => Some((namespace, pod)),
            Self::Http { .. } => None,
        }
    }
}

fn yes() -> bool {
    true
}

/// Which flow of a stream a chunk belongs to; the numbers are kubectl's remotecommand channels,
/// so the gateway can pass exec frames through unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Channel {
    /// Towards the process or server: stdin, port-forward upstream, an HTTP request body.
    Stdin = 0,
    /// From it: stdout, logs, port-forward downstream, an HTTP response body.
    Stdout = 1,
    Stderr = 2,
    /// A Kubernetes `Status` as JSON when an exec ends, as kubectl's error channel.
    Error = 3,
    /// kubectl's terminal size JSON (`{"Width":80,"Height":24}`), passed through from the gateway.
    Resize = 4,
}

impl Channel {
    pub fn from_byte(b: u8) -> Option<Channel> {
        Some(match b {
            0 => Self::Stdin,
            1 => Self::Stdout,
            2 => Self::Stderr,
            3 => Self::Error,
            4 => Self::Resize,
            _ => return None,
        })
    }
}

/// A chunk of at most [`MAX_CHUNK`] bytes of one stream; it travels as a binary frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamData {
    pub stream: StreamId,
    pub channel: Channel,
    pub data: Vec<u8>,
}

/// Opens stream `stream`; the peer answers with data, or `CloseStream` with an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenStream {
    pub stream: StreamId,
    pub open: StreamOpen,
}

/// A terminal's new size (the page's exec terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resize {
    pub stream: StreamId,
    pub cols: u16,
    pub rows: u16,
}

/// The receiver consumed `bytes` more of the stream: the sender may send that many more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credit {
    pub stream: StreamId,
    pub bytes: u32,
}

/// Ends a stream in both directions; either side may send it, and the other forgets the id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseStream {
    pub stream: StreamId,
    /// An exec's process exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why the stream ended early (`container "x" not found`, `connection refused`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The head of the answer to an `Http` stream; the body follows on `Stdout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse {
    pub stream: StreamId,
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attach_open_reads_with_stdout_and_stderr_unless_turned_off() {
        let open: StreamOpen = serde_json::from_str(r#"{"kind":"attach","namespace":"default","pod":"p","container":"c","stdin":true}"#).unwrap();
        assert_eq!(
            open,
            StreamOpen::Attach { namespace: "default".into(), pod: "p".into(), container: "c".into(), stdin: true, stdout: true, stderr: true, tty: false }
        );
        let quiet: StreamOpen = serde_json::from_str(r#"{"kind":"attach","namespace":"default","pod":"p","container":"c","stderr":false}"#).unwrap();
        assert!(matches!(quiet, StreamOpen::Attach { stdin: false, stdout: true, stderr: false, .. }));
    }
}
