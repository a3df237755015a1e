//! `kubectl logs -f`: the core answers a log request with what the container printed so far;
//! this keeps the response open and sends each new line as the runtime records it, as the
//! kubelet streams a followed log.
//!
//! After the first answer the stream reads the container's log again through the [`Backend`]
//! from a time cursor, and ends after the followed instance's last lines once it stops running
//! (both are the core's [`log_follow`], which the terminal's kubectl uses too). It looks again
//! whenever the backend's store changes (the embedded control plane says when), else at a
//! short interval: a page's store cannot be watched from here, and a log line is not a store
//! write anyway. A container that was not running at the start gets its log and the end at
//! once. The stream also ends when the pod is gone, the backend cannot answer, the client goes
//! away or the agent stops.

use super::backend::{Answer, Backend};
use super::watch_stream::chunked;
use kubeplay_shared::apiserver::log_follow::{ContainerInstance, FollowEnd, LogCursor};
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
/// Options of the client's request that the follow's own reads replace.
const FIRST_ANSWER_ONLY: [&str; 7] = [
    "tailLines",
    "limitBytes",
    "sinceSeconds",
    "sinceTime",
    "follow",
    "timestamps",
    "previous",
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

/// The same container's next read from `cursor`: of the previous instance when `previous`.
fn read_request(req: &Request, cursor: &LogCursor, previous: bool) -> Request {
    let kept: Vec<String> = query_pairs(&req.query)
        .filter(|(key, _)| !FIRST_ANSWER_ONLY.contains(key))
        .map(|(key, value)| match value {
            "" => key.to_string(),
            value => format!("{key}={value}"),
        })
        .collect();
    let mut read = Request::new(Method::Get, &req.path);
    read.query = cursor.read_query(&kept, previous);
    read
}

/// The container the request names (else the API server's default, the first).
fn container_of(req: &Request) -> Option<&str> {
    query_pairs(&req.query).find_map(|(k, v)| (k == "container").then_some(v))
}

/// The pod the log request is about, as the backend has it now.
async fn pod_now(
    backend: &dyn Backend,
    req: &Request,
    stopping: &watch::Receiver<bool>,
) -> Option<serde_json::Value> {
    let path = req.path.trim_end_matches('/').strip_suffix("/log")?;
    let body = read(backend, &Request::new(Method::Get, path), stopping).await?;
    serde_json::from_str(&body).ok()
}

/// Sends `first` now, then every line the same container instance prints after it.
pub async fn follow(
    backend: Arc<dyn Backend>,
    req: &Request,
    first: Vec<u8>,
    stopping: watch::Receiver<bool>,
) -> Reply {
    let timestamps = query_pairs(&req.query).any(|(k, v)| k == "timestamps" && v == "true");
    let pod = pod_now(backend.as_ref(), req, &stopping).await;
    let instance = pod
        .as_ref()
        .and_then(|p| ContainerInstance::of(p, container_of(req)));
    let mut cursor = LogCursor::default();
    let whole = read_request(req, &cursor, false);
    if let Some(now) = read(backend.as_ref(), &whole, &stopping).await {
        cursor.advance(&now, false);
    }
    let req = req.clone();
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let running = instance.filter(ContainerInstance::is_running);
        if tx.send(first).await.is_ok() {
            if let Some(instance) = running {
                let follow = Follow {
                    backend,
                    req,
                    instance,
                    timestamps,
                };
                follow.pump(cursor, tx, stopping).await;
            }
        }
    });
    chunked(rx, "text/plain")
}

/// The log as read, or `None` once it cannot be read (the pod is gone, the page left).
async fn read(
    backend: &dyn Backend,
    request: &Request,
    stopping: &watch::Receiver<bool>,
) -> Option<String> {
    match backend.serve(request.clone(), stopping.clone()).await {
        Ok(Answer::Body {
            status: 200, body, ..
        }) => Some(String::from_utf8_lossy(&body).into_owned()),
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

/// A followed log: the request, the container instance it follows and how to print lines.
struct Follow {
    backend: Arc<dyn Backend>,
    req: Request,
    instance: ContainerInstance,
    timestamps: bool,
}

impl Follow {
    async fn pump(
        self,
        mut cursor: LogCursor,
        tx: mpsc::Sender<Vec<u8>>,
        mut stopping: watch::Receiver<bool>,
    ) {
        let backend = self.backend.as_ref();
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
            // The instance first: every line it printed before it ended is in the read after.
            let Some(pod) = pod_now(backend, &self.req, &stopping).await else {
                return;
            };
            let now = ContainerInstance::of(&pod, container_of(&self.req));
            let ended = self.instance.ended(now.as_ref());
            let previous = ended == Some(FollowEnd::Replaced);
            let request = read_request(&self.req, &cursor, previous);
            let Some(lines) = read(backend, &request, &stopping).await else {
                return;
            };
            let new = cursor.advance(&lines, self.timestamps);
            if !new.is_empty() && tx.send(new.into_bytes()).await.is_err() {
                return;
            }
            if ended.is_some() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use crate::exec::{ExecHandle, ExecRefusal, ExecSpec};
    use futures_util::future::BoxFuture;
    use kubeplay_shared::apiserver::query::Query;
    use std::sync::Mutex;

    /// At most this many lines are kept, the oldest dropping off, as a runtime's log file.
    const CAP: usize = 3;

    type Lines = Vec<(Timestamp, &'static str)>;

    /// One container `app` whose log grows by hand, in a store that cannot say when it changed
    /// (as a page's cannot), answering the core's `timestamps`, `sinceTime` and `previous`, and
    /// the pod with the container's instance; `None` once the pod is gone.
    struct GrowingLog(Mutex<Option<Container>>);

    #[derive(Default)]
    struct Container {
        current: Lines,
        previous: Lines,
        restarts: u64,
        running: bool,
    }

    impl GrowingLog {
        fn running() -> Arc<Self> {
            let container = Container {
                running: true,
                ..Default::default()
            };
            Arc::new(GrowingLog(Mutex::new(Some(container))))
        }

        fn with<T>(&self, f: impl FnOnce(&mut Container) -> T) -> T {
            f(self.0.lock().unwrap().as_mut().unwrap())
        }

        fn print(&self, second: i64, text: &'static str) {
            self.with(|c| {
                let time = Timestamp::from_second(1_800_000_000 + second).unwrap();
                c.current.push((time, text));
                if c.current.len() > CAP {
                    c.current.remove(0);
                }
            })
        }

        fn restart(&self) {
            self.with(|c| {
                c.previous = std::mem::take(&mut c.current);
                c.restarts += 1;
            })
        }

        fn answer(&self, request: &Request) -> Answer {
            let found = |body: String| Answer::Body {
                status: 200,
                content_type: "text/plain".into(),
                body: body.into(),
                warnings: Vec::new(),
            };
            let guard = self.0.lock().unwrap();
            let Some(c) = &*guard else {
                return Answer::Body {
                    status: 404,
                    content_type: "application/json".into(),
                    body: Vec::new(),
                    warnings: Vec::new(),
                };
            };
            if !request.path.ends_with("/log") {
                let state = match c.running {
                    true => serde_json::json!({"running": {}}),
                    false => serde_json::json!({"terminated": {"exitCode": 0}}),
                };
                let pod = serde_json::json!({
                    "spec": {"containers": [{"name": "app"}]},
                    "status": {"containerStatuses": [{"name": "app", "restartCount": c.restarts,
                        "containerID": format!("docker://{}", c.restarts), "state": state}]},
                });
                return found(pod.to_string());
            }
            let query = Query::parse(&request.query);
            let since: Option<Timestamp> = query.get("sinceTime").map(|t| t.parse().unwrap());
            let lines = match query.flag("previous") {
                true => &c.previous,
                false => &c.current,
            };
            found(
                lines
                    .iter()
                    .filter(|(time, _)| since.is_none_or(|s| *time >= s))
                    .map(|(time, text)| match query.flag("timestamps") {
                        true => format!("{time} {text}\n"),
                        false => format!("{text}\n"),
                    })
                    .collect(),
            )
        }
    }

    impl Backend for GrowingLog {
        fn serve(
            &self,
            request: Request,
            _stopping: watch::Receiver<bool>,
        ) -> BoxFuture<'_, Result<Answer, super::super::backend::Refusal>> {
            let answer = self.answer(&request);
            Box::pin(async move { Ok(answer) })
        }

        fn check_exec(&self, _spec: ExecSpec) -> BoxFuture<'_, Result<(), ExecRefusal>> {
            Box::pin(async { Err(ExecRefusal::bad_request("no execs here".into())) })
        }

        fn relay_key(&self) -> Option<kubeplay_shared::node_protocol::RelayKey> {
            None
        }

        fn start_exec(&self, _spec: ExecSpec) -> BoxFuture<'_, Result<ExecHandle, ExecRefusal>> {
            Box::pin(async { Err(ExecRefusal::bad_request("no execs here".into())) })
        }
    }

    /// Follows `log` from its first line on, as [`follow`] does after its first answer.
    async fn following(
        log: &Arc<GrowingLog>,
    ) -> (mpsc::Receiver<Vec<u8>>, tokio::task::JoinHandle<()>) {
        let (stop, stopping) = watch::channel(false);
        let req = Request::get("/api/v1/namespaces/default/pods/web/log?follow=true");
        let backend: Arc<dyn Backend> = Arc::clone(log) as Arc<dyn Backend>;
        let pod = pod_now(backend.as_ref(), &req, &stopping).await.unwrap();
        let instance = ContainerInstance::of(&pod, None).unwrap();
        let mut cursor = LogCursor::default();
        let whole = read_request(&req, &cursor, false);
        let now = read(backend.as_ref(), &whole, &stopping).await;
        cursor.advance(&now.unwrap(), false);
        let (tx, rx) = mpsc::channel(8);
        let follow = Follow {
            backend,
            req,
            instance,
            timestamps: false,
        };
        let pump = tokio::spawn(async move {
            let _running = stop;
            follow.pump(cursor, tx, stopping).await
        });
        (rx, pump)
    }

    #[tokio::test]
    async fn a_backend_without_news_is_polled_for_new_lines_until_the_pod_is_gone() {
        let log = GrowingLog::running();
        log.print(0, "one");
        let (mut rx, pump) = following(&log).await;
        // Two lines of the same second as the last known one, and one after.
        log.print(0, "two");
        log.print(0, "three");
        assert_eq!(rx.recv().await.unwrap(), b"two\nthree\n");
        // The log is at its cap: old lines drop off the front, new ones still come.
        log.print(1, "four");
        assert_eq!(rx.recv().await.unwrap(), b"four\n");
        log.print(2, "five");
        log.print(2, "six");
        assert_eq!(rx.recv().await.unwrap(), b"five\nsix\n");
        *log.0.lock().unwrap() = None;
        assert_eq!(rx.recv().await, None, "the stream ends with its pod");
        pump.await.unwrap();
    }

    #[tokio::test]
    async fn the_follow_ends_with_its_container_after_its_last_lines() {
        let log = GrowingLog::running();
        log.print(0, "starting");
        let (mut rx, pump) = following(&log).await;
        log.with(|c| {
            c.current
                .push((Timestamp::from_second(1_800_000_001).unwrap(), "bye"));
            c.running = false;
        });
        assert_eq!(rx.recv().await.unwrap(), b"bye\n");
        assert_eq!(rx.recv().await, None, "the container exited");
        pump.await.unwrap();
    }

    #[tokio::test]
    async fn a_restart_ends_the_follow_with_the_old_instances_last_lines_only() {
        let log = GrowingLog::running();
        log.print(0, "first run");
        let (mut rx, pump) = following(&log).await;
        log.print(1, "crashing");
        log.restart();
        log.print(2, "second run");
        assert_eq!(rx.recv().await.unwrap(), b"crashing\n");
        assert_eq!(
            rx.recv().await,
            None,
            "the new instance is another follow's"
        );
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
    fn the_follow_reads_the_same_container_timestamped_from_its_cursor() {
        let req = Request::get(
            "/api/v1/namespaces/default/pods/web/log?container=app&follow=true&tailLines=10&timestamps=true",
        );
        let mut cursor = LogCursor::default();
        let whole = read_request(&req, &cursor, false);
        assert_eq!(whole.path, "/api/v1/namespaces/default/pods/web/log");
        assert_eq!(whole.query, "container=app&timestamps=true");
        cursor.advance("2027-01-15T08:00:01.5Z b\n", false);
        assert_eq!(
            read_request(&req, &cursor, true).query,
            "container=app&timestamps=true&sinceTime=2027-01-15T08:00:01.5Z&previous=true"
        );
    }
}
