//! `kubectl exec` and `kubectl attach`: the `pods/{name}/exec|attach` subresources over
//! WebSocket, in Kubernetes' remote-command protocol (`v5.channel.k8s.io`, else
//! `v4.channel.k8s.io`). Every binary message starts with its channel: 0 stdin, 1 stdout,
//! 2 stderr, 3 the final `Status` (with the exit code), 4 terminal size; v5 adds 255, with
//! which the client closes one of its channels (stdin's end).
//!
//! The process runs on this machine's Docker when the agent serves the pod itself
//! ([`local_exec`]), else where the backend puts it; this module only speaks the wire protocol.
//! Requests that cannot be upgraded (kubectl's SPDY fallback) still get the API server's
//! refusal for a bad pod or container, so kubectl prints what Kubernetes would.

use super::{local_exec, status, Gateway};
use crate::exec::{ExecEvent, ExecHandle, ExecInput, ExecRefusal, ExecSpec};
use futures_util::{SinkExt, StreamExt};
use kubeplay_shared::apiserver::query::Query;
use kubeplay_shared::node_protocol::Channel;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;
use warp::filters::ws::{Message, WebSocket, Ws};
use warp::http::{header, HeaderMap, HeaderValue};
use warp::reply::Response as Reply;
use warp::Filter;

/// The remote-command protocols served, best first.
const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
/// v5's message that closes one of the client's channels: `[CLOSE, channel]`.
const CLOSE: u8 = 255;

/// The exec and attach subresources of pods; other paths are left to the REST filter.
pub fn filter(
    gateway: Arc<Gateway>,
) -> impl Filter<Extract = (Reply,), Error = warp::Rejection> + Clone + Send + Sync + 'static {
    let upgrade = warp::ws().map(Some).or(warp::any().map(|| None)).unify();
    let query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::path!("api" / "v1" / "namespaces" / String / "pods" / String / String)
        .and_then(|namespace: String, pod: String, sub: String| async move {
            match sub.as_str() {
                "exec" | "attach" => Ok((namespace, pod, sub == "attach")),
                _ => Err(warp::reject::not_found()),
            }
        })
        .untuple_one()
        .and(query)
        .and(warp::header::headers_cloned())
        .and(upgrade)
        .then(
            move |namespace: String,
                  pod: String,
                  attach: bool,
                  query: String,
                  headers: HeaderMap,
                  ws: Option<Ws>| {
                let gateway = Arc::clone(&gateway);
                async move {
                    let target = (namespace, pod, attach);
                    serve(&gateway, target, &query, &headers, ws).await
                }
            },
        )
}

/// Which of the process's output the client asked for.
#[derive(Debug, Clone, Copy)]
struct Wanted {
    stdout: bool,
    stderr: bool,
}

/// The request's parameters, or why the API server refuses them (a bad request).
fn spec(
    (namespace, pod, attach): (String, String, bool),
    query: &str,
) -> Result<(ExecSpec, Wanted), &'static str> {
    let q = Query::parse(query);
    let spec = ExecSpec {
        namespace,
        pod,
        container: q
            .get("container")
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        command: q.all("command").map(str::to_string).collect(),
        stdin: q.flag("stdin"),
        tty: q.flag("tty"),
        attach,
    };
    let wanted = Wanted {
        stdout: q.flag("stdout"),
        stderr: q.flag("stderr"),
    };
    if !attach && spec.command.is_empty() {
        return Err("you must specify at least one command for the container");
    }
    if !(spec.stdin || wanted.stdout || wanted.stderr) {
        return Err("you must specify at least 1 of stdin, stdout, stderr");
    }
    Ok((spec, wanted))
}

async fn serve(
    gateway: &Arc<Gateway>,
    target: (String, String, bool),
    query: &str,
    headers: &HeaderMap,
    ws: Option<Ws>,
) -> Reply {
    if let Err(refusal) = gateway.gate.admit(headers, query) {
        tracing::debug!("refused an exec: {refusal}");
        return match refusal.status() {
            401 => status::unauthorized(),
            code => status::status(code, "Forbidden", &refusal.to_string()),
        };
    }
    let (spec, wanted) = match spec(target, query) {
        Ok(parsed) => parsed,
        Err(message) => return status::status(400, "BadRequest", message),
    };
    let local = match local_exec::find(gateway, &spec).await {
        Ok(local) => local,
        Err(refusal) => return refusal,
    };
    let protocol = offered(headers);
    let (Some(ws), Some(protocol)) = (ws, protocol) else {
        let checked = match local {
            Some(_) => Ok(()),
            None => gateway.backend.check_exec(spec).await,
        };
        return match checked {
            Err(refusal) => refused(&refusal),
            Ok(()) => status::status(
                400,
                "BadRequest",
                "the kubeplay-agent API gateway serves exec and attach over WebSocket only (subprotocol v5.channel.k8s.io or v4.channel.k8s.io), as kubectl v1.30 and newer speak it",
            ),
        };
    };
    let command = spec.command.clone();
    let handle = match local {
        Some(pod) => pod.start(&spec),
        None => match gateway.backend.start_exec(spec).await {
            Ok(handle) => handle,
            Err(refusal) => return refused(&refusal),
        },
    };
    let stopping = gateway.stopping();
    let v5 = protocol == PROTOCOLS[0];
    let reply = ws.on_upgrade(move |socket| async move {
        pump(socket, handle, wanted, v5, &command, stopping).await;
    });
    let mut response = warp::reply::Reply::into_response(reply);
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol),
    );
    response
}

fn refused(refusal: &ExecRefusal) -> Reply {
    status::status(refusal.code, refusal.reason, &refusal.message)
}

/// The best remote-command protocol the client offered.
fn offered(headers: &HeaderMap) -> Option<&'static str> {
    let offers: Vec<&str> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    PROTOCOLS.into_iter().find(|p| offers.contains(p))
}

/// The last message on the error channel: how the process ended, as the kubelet reports it.
fn final_status(event: &ExecEvent, command: &[String]) -> Value {
    match event {
        ExecEvent::Exited(0) => json!({"metadata": {}, "status": "Success"}),
        ExecEvent::Exited(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!(
                "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
                command.join(" ")
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        }),
        ExecEvent::Failed(message) => json!({
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": "InternalError",
            "code": 500,
        }),
        ExecEvent::Output(..) => json!({"metadata": {}, "status": "Success"}),
    }
}

fn framed(channel: u8, data: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(data.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(data);
    Message::binary(bytes)
}

/// What a client's message asks of the process.
fn client_input(message: &[u8], v5: bool) -> Option<ExecInput> {
    let (&channel, data) = message.split_first()?;
    match channel {
        0 => Some(ExecInput::Stdin(data.to_vec())),
        4 => {
            let size: Value = serde_json::from_slice(data).ok()?;
            let dim = |k: &str| {
                size.get(k)
                    .and_then(Value::as_u64)
                    .and_then(|v| u16::try_from(v).ok())
            };
            Some(ExecInput::Resize {
                cols: dim("Width")?,
                rows: dim("Height")?,
            })
        }
        CLOSE if v5 && data.first() == Some(&0) => Some(ExecInput::StdinEnd),
        _ => None,
    }
}

/// Resolves once the agent stops.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// Carries bytes between the client and the process until it ends or the client goes.
async fn pump(
    socket: WebSocket,
    mut handle: ExecHandle,
    wanted: Wanted,
    v5: bool,
    command: &[String],
    mut stopping: watch::Receiver<bool>,
) {
    let (mut tx, mut rx) = socket.split();
    let end = loop {
        tokio::select! {
            message = rx.next() => match message {
                Some(Ok(m)) if m.is_binary() => {
                    if let Some(input) = client_input(m.as_bytes(), v5) {
                        handle.input(input);
                    }
                }
                Some(Ok(m)) if m.is_close() => return,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            event = handle.events.recv() => match event {
                Some(ExecEvent::Output(channel, data)) => {
                    let len = data.len();
                    let send = match channel {
                        Channel::Stdout => wanted.stdout,
                        Channel::Stderr => wanted.stderr,
                        _ => false,
                    };
                    if send && tx.send(framed(channel as u8, &data)).await.is_err() {
                        return;
                    }
                    handle.input(ExecInput::Consumed(len));
                }
                Some(end) => break end,
                None => break ExecEvent::Failed("the process's stream ended".into()),
            },
            () = stopped(&mut stopping) => {
                break ExecEvent::Failed("the kubeplay-agent is shutting down".into());
            }
        }
    };
    let status = serde_json::to_vec(&final_status(&end, command)).unwrap_or_default();
    let _ = tx.send(framed(Channel::Error as u8, &status)).await;
    // A normal closure (1000): client-go reads any other close as a broken stream.
    let _ = tx.send(Message::close_with(1000u16, "")).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v5_is_preferred_and_v4_accepted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("v4.channel.k8s.io, v5.channel.k8s.io"),
        );
        assert_eq!(offered(&headers), Some("v5.channel.k8s.io"));
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("channel.k8s.io, v4.channel.k8s.io"),
        );
        assert_eq!(offered(&headers), Some("v4.channel.k8s.io"));
        headers.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("base64.channel.k8s.io"),
        );
        assert_eq!(offered(&headers), None);
    }

    #[test]
    fn a_non_zero_exit_carries_its_code_as_kubectl_reads_it() {
        let command = vec!["sh".to_string(), "-c".into(), "exit 3".into()];
        let status = final_status(&ExecEvent::Exited(3), &command);
        assert_eq!(status["reason"], "NonZeroExitCode");
        assert_eq!(status["details"]["causes"][0]["reason"], "ExitCode");
        assert_eq!(status["details"]["causes"][0]["message"], "3");
        assert_eq!(
            final_status(&ExecEvent::Exited(0), &command)["status"],
            "Success"
        );
    }

    #[test]
    fn client_messages_become_input() {
        assert_eq!(
            client_input(b"\x00hi", true),
            Some(ExecInput::Stdin(b"hi".to_vec()))
        );
        assert_eq!(
            client_input(b"\x04{\"Width\":120,\"Height\":40}", false),
            Some(ExecInput::Resize {
                cols: 120,
                rows: 40
            })
        );
        assert_eq!(client_input(&[CLOSE, 0], true), Some(ExecInput::StdinEnd));
        assert_eq!(client_input(&[CLOSE, 0], false), None, "v4 has no close");
        assert_eq!(client_input(b"\x04not json", true), None);
        assert_eq!(client_input(b"", true), None);
    }
}
