//! `kubectl logs -f`: the core answers a log request with what the container printed so far;
//! this keeps the response open and sends each new line as the runtime records it, as the
//! kubelet streams a followed log.
//!
//! After the first answer the stream reads the container's log again through the [`Backend`],
//! always with timestamps and from the time of the last line it knows (`sinceTime`), and sends
//! what is newer: a cursor in time rather than a line count, so a log at its length cap (old
//! lines dropping off the front) still yields its new lines, and a page answers only the few
//! lines since the last read rather than the whole log.
//!
//! It looks again whenever the backend's store changes (the embedded control plane says when),
//! else at a short interval: a page's store cannot be watched from here, and a log line is not
//! a store write anyway.
//!
//! As with a kubelet, the stream follows one instance of the container: it ends, after that
//! instance's last lines, once the instance is no longer running (it exited, or it was replaced
//! by a restart: the final read then asks for the `previous` log), so `kubectl logs -f` returns
//! when the container stops. A container that was not running at the start gets its log and
//! the end at once. The stream also ends when the pod is gone, the backend cannot answer, the
//! client goes away or the agent stops.

use super::backend::{Answer, Backend};
use super::watch_stream::chunked;
use jiff::Timestamp;
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

/// The same container's log, timestamped, from `since` on (inclusive) or whole.
fn read_request(req: &Request, since: Option<Timestamp>) -> Request {
    read_instance(req, since, false)
}

/// As [`read_request`], of the previous instance when `previous`.
fn read_instance(req: &Request, since: Option<Timestamp>, previous: bool) -> Request {
    let mut query: Vec<String> = req
        .query
        .split('&')
        .filter(|p| {
            let key = p.split_once('=').map_or(*p, |(k, _)| k);
            !p.is_empty() && !FIRST_ANSWER_ONLY.contains(&key)
        })
        .map(str::to_string)
        .collect();
    query.push("timestamps=true".into());
    if let Some(since) = since {
        query.push(format!("sinceTime={since}"));
    }
    if previous {
        query.push("previous=true".into());
    }
    let mut read = Request::new(Method::Get, &req.path);
    read.query = query.join("&");
    read
}

/// Where the follow is in the log: the time of the last line known, and how many lines of
/// that very time are known (several lines may share one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Cursor {
    last: Option<Timestamp>,
    known: usize,
}

impl Cursor {
    /// The new lines of a timestamped read (which starts at the cursor's time or earlier), with
    /// their timestamps only if the client asked for them; moves the cursor past them.
    fn advance(&mut self, read: &str, timestamps: bool) -> String {
        let (old_last, old_known) = (self.last, self.known);
        let mut seen_at_old = 0;
        let mut new = String::new();
        for line in read.lines() {
            let Some((time, text)) = line
                .split_once(' ')
                .and_then(|(t, text)| Some((t.parse::<Timestamp>().ok()?, text)))
            else {
                continue;
            };
            if let Some(old) = old_last {
                if time < old {
                    continue;
                }
                if time == old {
                    seen_at_old += 1;
                    if seen_at_old <= old_known {
                        continue;
                    }
                }
            }
            if self.last == Some(time) {
                self.known += 1;
            } else {
                self.last = Some(time);
                self.known = 1;
            }
            new.push_str(if timestamps { line } else { text });
            new.push('\n');
        }
        new
    }
}

/// One run of a container: what tells a restart from the same process going on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Instance {
    id: Option<String>,
    restarts: u64,
    running: bool,
}

impl Instance {
    /// The followed container's current instance in `pod`: the one the request names, else the
    /// pod's only (or first) container, as the API server defaults it.
    fn of(pod: &serde_json::Value, req: &Request) -> Option<Instance> {
        let named = query_pairs(&req.query).find_map(|(k, v)| (k == "container").then_some(v));
        let name = match named {
            Some(name) => name.to_string(),
            None => pod["spec"]["containers"][0]["name"].as_str()?.to_string(),
        };
        let statuses = ["containerStatuses", "initContainerStatuses"];
        let status = statuses
            .iter()
            .filter_map(|list| pod["status"][list].as_array())
            .flatten()
            .find(|s| s["name"] == name.as_str())?;
        Some(Instance {
            id: status["containerID"].as_str().map(str::to_string),
            restarts: status["restartCount"].as_u64().unwrap_or(0),
            running: status["state"]["running"].is_object(),
        })
    }

    /// How the follow ends, seen from the container's instance `now`: `None` while this one
    /// runs on, else whether the final read is of the previous instance (it was replaced).
    fn ended(&self, now: Option<&Instance>) -> Option<bool> {
        match now {
            Some(now) if now.id == self.id && now.restarts == self.restarts => {
                (!now.running).then_some(false)
            }
            Some(_) => Some(true),
            None => Some(false),
        }
    }
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
    let instance = pod.as_ref().and_then(|p| Instance::of(p, req));
    let mut cursor = Cursor::default();
    if let Some(now) = read(backend.as_ref(), &read_request(req, None), &stopping).await {
        cursor.advance(&now, false);
    }
    let req = req.clone();
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        let running = instance.filter(|i| i.running);
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
    instance: Instance,
    timestamps: bool,
}

impl Follow {
    async fn pump(
        self,
        mut cursor: Cursor,
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
            let ended = self.instance.ended(Instance::of(&pod, &self.req).as_ref());
            let previous = ended == Some(true);
            let request = read_instance(&self.req, cursor.last, previous);
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

        fn start_exec(&self, _spec: ExecSpec) -> BoxFuture<'_, Result<ExecHandle, ExecRefusal>> {
            Box::pin(async { Err(ExecRefusal::bad_request("no execs here".into())) })
        }
    }

    /// Follows `log` from its first line on, as [`follow`] does after its first answer.
    async fn following(
        log: &Arc<GrowingLog>,
    ) -> (mpsc::Receiver<Vec<u8>>, tokio::task::JoinHandle<()>) {
        let (_stop, stopping) = watch::channel(false);
        let req = Request::get("/api/v1/namespaces/default/pods/web/log?follow=true");
        let backend: Arc<dyn Backend> = Arc::clone(log) as Arc<dyn Backend>;
        let pod = pod_now(backend.as_ref(), &req, &stopping).await.unwrap();
        let instance = Instance::of(&pod, &req).unwrap();
        let mut cursor = Cursor::default();
        let now = read(backend.as_ref(), &read_request(&req, None), &stopping).await;
        cursor.advance(&now.unwrap(), false);
        let (tx, rx) = mpsc::channel(8);
        let follow = Follow {
            backend,
            req,
            instance,
            timestamps: false,
        };
        let pump = tokio::spawn(async move {
            let _stop = _stop;
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
    fn an_instance_ends_when_it_stops_running_or_is_replaced() {
        let running = Instance {
            id: Some("docker://a".into()),
            restarts: 0,
            running: true,
        };
        assert_eq!(running.ended(Some(&running)), None);
        let exited = Instance {
            running: false,
            ..running.clone()
        };
        assert_eq!(running.ended(Some(&exited)), Some(false));
        let replaced = Instance {
            id: Some("docker://b".into()),
            restarts: 1,
            running: true,
        };
        assert_eq!(
            running.ended(Some(&replaced)),
            Some(true),
            "read the previous log"
        );
        assert_eq!(running.ended(None), Some(false));
    }

    #[test]
    fn the_cursor_passes_lines_it_knows_and_keeps_timestamps_only_when_asked() {
        let mut cursor = Cursor::default();
        let first = "2027-01-15T08:00:00Z a\n2027-01-15T08:00:01.5Z b\n";
        assert_eq!(cursor.advance(first, false), "a\nb\n");
        // Read again from b's time: b is known, c shares its time, d is later.
        let again = "2027-01-15T08:00:01.5Z b\n2027-01-15T08:00:01.5Z c\n2027-01-15T08:00:02Z d\n";
        assert_eq!(
            cursor.advance(again, true),
            "2027-01-15T08:00:01.5Z c\n2027-01-15T08:00:02Z d\n"
        );
        assert_eq!(cursor.advance(again, false), "", "nothing twice");
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
        let whole = read_request(&req, None);
        assert_eq!(whole.path, "/api/v1/namespaces/default/pods/web/log");
        assert_eq!(whole.query, "container=app&timestamps=true");
        let since = "2027-01-15T08:00:01.5Z".parse().unwrap();
        assert_eq!(
            read_request(&req, Some(since)).query,
            "container=app&timestamps=true&sinceTime=2027-01-15T08:00:01.5Z"
        );
    }
}
