//! `kubectl exec` and `attach` tunnelled to a page: the agent's gateway, asked for a pod it does
//! not run itself, opens the process in the control plane of the connected page, which runs it
//! in a simulated container or relays it to the agent of the pod's node.
//!
//! Only a control plane whose `registered` lists [`FEATURE_KUBE_EXEC`] is sent these, so a page
//! built before them (which refuses a stream it does not know) is never asked.
//!
//! The exchange reuses a link's streams and their credit ([`super::stream`], [`super::flow`]):
//! 1. Agent: `openStream` with an even id and [`StreamOpen::Exec`] or [`StreamOpen::Attach`],
//!    the container empty when kubectl named none (the control plane picks the default).
//! 2. Control plane: [`ExecStarted`] once the API server's checks passed (the agent then
//!    upgrades kubectl's connection), or [`ExecRefused`] with the `Status` the API server
//!    answers (code, reason, message), which also forgets the stream.
//! 3. Agent: data on `stdin` (an empty chunk ends stdin), kubectl's terminal size as JSON
//!    (`{"Width":80,"Height":24}`) on `resize`. Control plane: data on `stdout` and `stderr`.
//!    Both sides grant `credit` as their consumer takes the bytes.
//! 4. Control plane: `closeStream` with the exit code when the process ended, or with the
//!    error kubectl prints after `error: `; for attach, with neither when the main process
//!    ended. Agent: `closeStream` when kubectl went away (the process is stopped, an attach
//!    only detached).
//!
//! [`StreamOpen::Exec`]: super::stream::StreamOpen::Exec
//! [`StreamOpen::Attach`]: super::stream::StreamOpen::Attach

use super::stream::StreamId;
use serde::{Deserialize, Serialize};

/// The feature a control plane lists in `registered` when it serves exec and attach streams
/// opened by the agent.
pub const FEATURE_KUBE_EXEC: &str = "kubeExec";

/// The process of stream `stream` runs (control plane → agent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecStarted {
    pub stream: StreamId,
}

/// The exec of stream `stream` was refused before it started, as the API server refuses it;
/// the stream is over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecRefused {
    pub stream: StreamId,
    /// The HTTP status (`404`, `400`, `500`).
    pub code: u16,
    /// The `Status` reason (`NotFound`, `BadRequest`, `InternalError`).
    pub reason: String,
    /// What kubectl prints (`pods "x" not found`).
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node_protocol::{decode, encode, Frame, ToAgent};

    #[test]
    fn started_and_refused_cross_the_link_unchanged() {
        let refused = ToAgent::ExecRefused(ExecRefused {
            stream: 4,
            code: 404,
            reason: "NotFound".into(),
            message: "pods \"web\" not found".into(),
        });
        let frame = encode(&refused).unwrap();
        let Frame::Text(text) = &frame else {
            panic!("control messages are text")
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(text).unwrap(),
            serde_json::json!({"type": "execRefused", "stream": 4, "code": 404, "reason": "NotFound", "message": "pods \"web\" not found"})
        );
        assert_eq!(decode::<ToAgent>(&frame).unwrap(), refused);
        let started = ToAgent::ExecStarted(ExecStarted { stream: 6 });
        assert_eq!(
            decode::<ToAgent>(&encode(&started).unwrap()).unwrap(),
            started
        );
    }
}
