//! `kubectl logs -f`: the core answers a log request with what the container printed so far;
//! this keeps the response open and sends each new line as the runtime records it, as the
//! kubelet streams a followed log.
//!
//! After the first answer the stream re-reads the container's whole current log through the
//! [`Backend`] and sends the lines past those already counted; a restarted container starts a
//! new log, read from its start. It looks again whenever the backend's store changes (the
//! embedded control plane says when), else at a short interval: a page's store cannot be
//! watched from here, and a log line is not a store write anyway. The stream ends when the pod
//! is gone, the backend cannot answer, the client goes away or the agent stops.

use super::backend::{Answer, Backend};
use super::watch_stream::chunked;
use kubeplay_shared::apiserver::{Method, Request};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use warp::reply::Response as Reply;

/// How often a quiet log is re-read anyway when the store's changes wake the stream (a
/// runtime may append without a store write).
const IDLE_POLL: Duration = Duration::from_secs(1);
/// How often the log is re-read when nothing tells the stream about changes.
const POLL: Duration = Duration::from_millis(500);
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
    backend: Arc<dyn Backend>,
    req: &Request,
    first: Vec<u8>,
    stopping: watch::Receiver<bool>,
) -> Reply {
    let whole = whole_log(req);
    let counted = read_lines(backend.as_ref(), &whole, &stopping)
        .await
        .map_or(0, |lines| lines.len());
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        if tx.send(first).await.is_ok() {
            pump(backend, whole, counted, tx, stopping).await;
        }
    });
    chunked(rx, "text/plain")
}

/// The log's lines now, or `None` once it cannot be read (the pod is gone, the page left).
async fn read_lines(
    backend: &dyn Backend,
    whole: &Request,
    stopping: &watch::Receiver<bool>,
) -> Option<Vec<String>> {
    match backend.serve(whole.clone(), stopping.clone()).await {
        Ok(Answer::Body {
            status: 200, body, ..
        }) => Some(
            String::from_utf8_lossy(&body)
                .lines()
                .map(str::to_string)
                .collect(),
        ),
        _ => None,
    }
}

/// Resolves when the store changed (true) or can no longer tell (false); never without news.
async fn changed(changes: &mut Option<watch::Receiver<u64>>) -> bool {
    match changes {
        Some(changes) => changes.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

async fn pump(
    backend: Arc<dyn Backend>,
    whole: Request,
    mut counted: usize,
    tx: mpsc::Sender<Vec<u8>>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut changes = backend.changes();
    let poll = if changes.is_some() { IDLE_POLL } else { POLL };
    loop {
        let go_on = tokio::select! {
            news = changed(&mut changes) => news,
            () = tokio::time::sleep(poll) => true,
            () = tx.closed() => false,
            _ = stopping.wait_for(|stop| *stop) => false,
        };
        if !go_on {
            return;
        }
        let Some(lines) = read_lines(backend.as_ref(), &whole, &stopping).await else {
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
    use crate::exec::{ExecHandle, ExecRefusal, ExecSpec};
    use futures_util::future::BoxFuture;
    use std::sync::Mutex;

    /// A container log that grows by hand in a store that cannot say when it changed (as a
    /// page's cannot); `None` once the pod is gone.
    struct GrowingLog(Mutex<Option<Vec<&'static str>>>);

    impl Backend for GrowingLog {
        fn serve(
            &self,
            _request: Request,
            _stopping: watch::Receiver<bool>,
        ) -> BoxFuture<'_, Result<Answer, super::super::backend::Refusal>> {
            let answer = match &*self.0.lock().unwrap() {
                Some(lines) => Answer::Body {
                    status: 200,
                    content_type: "text/plain".into(),
                    body: lines
                        .iter()
                        .map(|l| format!("{l}\n"))
                        .collect::<String>()
                        .into(),
                    warnings: Vec::new(),
                },
                None => Answer::Body {
                    status: 404,
                    content_type: "application/json".into(),
                    body: Vec::new(),
                    warnings: Vec::new(),
                },
            };
            Box::pin(async move { Ok(answer) })
        }

        fn check_exec(&self, _spec: ExecSpec) -> BoxFuture<'_, Result<(), ExecRefusal>> {
            Box::pin(async { Err(ExecRefusal::bad_request("no execs here".into())) })
        }

        fn start_exec(&self, _spec: ExecSpec) -> BoxFuture<'_, Result<ExecHandle, ExecRefusal>> {
            Box::pin(async { Err(ExecRefusal::bad_request("no execs here".into())) })
        }
    }

    #[tokio::test]
    async fn a_backend_without_news_is_polled_for_new_lines_until_the_pod_is_gone() {
        let log = Arc::new(GrowingLog(Mutex::new(Some(vec!["one"]))));
        let (tx, mut rx) = mpsc::channel(8);
        let (_stop, stopping) = watch::channel(false);
        let whole = Request::get("/api/v1/namespaces/default/pods/web/log");
        let backend: Arc<dyn Backend> = Arc::clone(&log) as Arc<dyn Backend>;
        let pump = tokio::spawn(pump(backend, whole, 1, tx, stopping));
        log.0
            .lock()
            .unwrap()
            .as_mut()
            .unwrap()
            .extend(["two", "three"]);
        assert_eq!(rx.recv().await.unwrap(), b"two\nthree\n");
        *log.0.lock().unwrap() = None;
        assert_eq!(rx.recv().await, None, "the stream ends with its pod");
        pump.await.unwrap();
    }

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
