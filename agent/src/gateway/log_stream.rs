//! `kubectl logs -f`: the core answers a log request with what the container printed so far;
//! this keeps the response open and sends each new line as the runtime records it, as the
//! kubelet streams a followed log.
//!
//! After the first answer the stream re-reads the container's whole current log whenever the
//! store changes and sends the lines past those already counted; a restarted container starts
//! a new log, read from its start. The stream ends when the pod is gone, the client goes away
//! or the agent stops.

use super::watch_stream::chunked;
use crate::embedded::EmbeddedControlPlane;
use kubeplay_shared::apiserver::{Method, Request, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use warp::reply::Response as Reply;

/// How often a quiet log is re-read anyway (a runtime may append without a store write).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// Options that shape only the first answer; the follow reads the whole current log.
const FIRST_ANSWER_ONLY: [&str; 5] = [
    "tailLines",
    "limitBytes",
    "sinceSeconds",
    "sinceTime",
    "follow",
];

/// A `GET …/pods/{name}/log?follow=true`.
pub fn is_follow(req: &Request) -> bool {
    req.method == Method::Get
        && req.path.trim_end_matches('/').ends_with("/log")
        && query_pairs(&req.query).any(|(k, v)| k == "follow" && v == "true")
}

fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// The request that reads the container's whole current log.
fn whole_log(req: &Request) -> Request {
    let query: Vec<&str> = req
        .query
        .split('&')
        .filter(|p| {
            let key = p.split_once('=').map_or(*p, |(k, _)| k);
            !p.is_empty() && !FIRST_ANSWER_ONLY.contains(&key)
        })
        .collect();
    let mut whole = Request::new(Method::Get, &req.path);
    whole.query = query.join("&");
    whole
}

/// Sends `first` now, then every line printed after it.
pub async fn follow(
    cp: Arc<EmbeddedControlPlane>,
    req: &Request,
    first: Vec<u8>,
    stopping: watch::Receiver<bool>,
) -> Reply {
    let whole = whole_log(req);
    let counted = read_lines(&cp, &whole).await.map_or(0, |lines| lines.len());
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        if tx.send(first).await.is_ok() {
            pump(cp, whole, counted, tx, stopping).await;
        }
    });
    chunked(rx, "text/plain")
}

/// The log's lines now, or `None` once it cannot be read (the pod is gone).
async fn read_lines(cp: &EmbeddedControlPlane, whole: &Request) -> Option<Vec<String>> {
    match cp.handle(whole.clone()).await {
        Response::Body {
            status: 200, body, ..
        } => Some(
            String::from_utf8_lossy(&body)
                .lines()
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

async fn pump(
    cp: Arc<EmbeddedControlPlane>,
    whole: Request,
    mut counted: usize,
    tx: mpsc::Sender<Vec<u8>>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut changes = cp.changes();
    loop {
        let go_on = tokio::select! {
            changed = changes.changed() => changed.is_ok(),
            () = tokio::time::sleep(IDLE_POLL) => true,
            () = tx.closed() => false,
            _ = stopping.wait_for(|stop| *stop) => false,
        };
        if !go_on {
            return;
        }
        let Some(lines) = read_lines(&cp, &whole).await else {
            return;
        };
        if lines.len() < counted {
            counted = 0;
        }
        if lines.len() > counted {
            let mut chunk = lines[counted..].join("\n").into_bytes();
            chunk.push(b'\n');
            counted = lines.len();
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_followed_log_request_is_streamed() {
        let req = Request::get("/api/v1/namespaces/default/pods/web/log?container=app&follow=true");
        assert!(is_follow(&req));
        assert!(!is_follow(&Request::get(
            "/api/v1/namespaces/default/pods/web/log"
        )));
        assert!(!is_follow(&Request::get(
            "/api/v1/namespaces/default/pods?follow=true"
        )));
    }

    #[test]
    fn the_follow_reads_the_whole_log_of_the_same_container() {
        let req = Request::get(
            "/api/v1/namespaces/default/pods/web/log?container=app&follow=true&tailLines=10&timestamps=true",
        );
        let whole = whole_log(&req);
        assert_eq!(whole.path, "/api/v1/namespaces/default/pods/web/log");
        assert_eq!(whole.query, "container=app&timestamps=true");
    }
}
