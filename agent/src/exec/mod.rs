//! A `kubectl exec` or `attach`, wherever its process runs: the request, the process's events,
//! the client's input, and the API server's refusals. The gateway speaks the wire protocol in
//! these terms only, so one WebSocket pump serves processes in the embedded control plane's
//! simulated shell, in this machine's Docker, or behind a connected page.
//!
//! [`admission`] holds the API server's checks of the request against the pod, shared by every
//! place that runs one; [`ExecHandle`] is the running process as the gateway holds it.

pub mod admission;
mod handle;
pub mod stdin;

pub use handle::ExecHandle;

use kubeplay_shared::sim::exec;

/// What a `pods/{name}/exec` (or `attach`) request asks for: the core's own type, which the
/// shared admission checks read.
pub use exec::ExecRequest as ExecSpec;

/// What the process did, in order: the core's own type, so simulated processes' events pass
/// through unchanged.
pub use exec::ExecEvent;

/// What the client sends the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecInput {
    Stdin(Vec<u8>),
    /// The client closed its stdin.
    StdinEnd,
    Resize {
        cols: u16,
        rows: u16,
    },
    /// The client took this many bytes of output (flow control for real pods).
    Consumed(usize),
    /// The client went away.
    Close,
}

/// An exec refused before it starts, as the API server answers it (a `Status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRefusal {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

impl ExecRefusal {
    #[cfg(test)]
    pub fn bad_request(message: String) -> Self {
        Self {
            code: 400,
            reason: "BadRequest",
            message,
        }
    }

    /// The API server's refusal as the shared core words it.
    pub fn from_shared(refusal: exec::Refusal) -> Self {
        Self {
            code: refusal.code,
            reason: static_reason(&refusal.reason),
            message: refusal.message,
        }
    }

    /// The API server's answer for a pod that does not exist.
    pub fn pod_not_found(pod: &str) -> Self {
        Self {
            code: 404,
            reason: "NotFound",
            message: format!("pods \"{pod}\" not found"),
        }
    }
}

/// A `Status` reason as the gateway keeps it: one of those the API server gives an exec (a
/// page's refusal crosses the link as text).
pub fn static_reason(reason: &str) -> &'static str {
    const KNOWN: [&str; 8] = [
        "BadRequest",
        "NotFound",
        "Forbidden",
        "Unauthorized",
        "InternalError",
        "ServiceUnavailable",
        "Timeout",
        "NotImplemented",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == reason)
        .unwrap_or("InternalError")
}
