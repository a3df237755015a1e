//! The UI's end of the worker protocol: starts the control plane's worker, sends calls and
//! routes each reply to whoever asked, and keeps the latest view, speed and save state for
//! the components (which never see the worker or the core).
//!
//! Calls made before the worker says it is ready wait in a queue, so nothing is lost while it
//! boots and restores the saved cluster.

use crate::protocol::{
    self, AgentStatus, ApiRequest, ApiResponse, ApplyReport, Call, CallId, FromWorker, Reply, Speed, ToWorker,
};
use crate::view::ClusterView;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker, WorkerOptions};

/// The worker's loader, written by Trunk for the `data-type="worker"` link in index.html.
pub const WORKER_SCRIPT: &str = "./kubeplay-worker_loader.js";

/// What the page knows about the cluster without asking: the worker pushes all of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterStatus {
    /// The worker is up and answering.
    pub ready: bool,
    /// The cluster came back from this browser's storage rather than starting fresh.
    pub restored: bool,
    /// The latest view; `None` until the first arrives.
    pub view: Option<Rc<ClusterView>>,
    pub speed: Speed,
    /// The store revision last written to the browser's storage.
    pub saved: Option<u64>,
    /// Why the worker could not start or save; shown to the user.
    pub problem: Option<String>,
    /// The real machines the cluster drives.
    pub agents: Vec<AgentStatus>,
}

type OnReply = Box<dyn FnOnce(Reply)>;
/// Gets each output chunk and whether it is stderr.
type OnOutput = Rc<dyn Fn(String, bool)>;
type OnSession = Rc<dyn Fn(SessionEvent)>;
type Listener = Rc<dyn Fn(Rc<ClusterStatus>)>;

/// What a kubectl line that became a `kubectl exec -i[t]` session hears besides its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The process runs; `tty`: with a terminal of its own.
    Opened { tty: bool },
    /// What the process wrote (raw bytes).
    Output(Vec<u8>),
}

struct Pending {
    on_reply: OnReply,
    on_output: Option<OnOutput>,
    on_session: Option<OnSession>,
}

struct Inner {
    worker: Option<Worker>,
    ready: Cell<bool>,
    /// Calls sent before the worker was ready, in order.
    queue: RefCell<Vec<String>>,
    next_id: Cell<CallId>,
    pending: RefCell<HashMap<CallId, Pending>>,
    status: RefCell<Rc<ClusterStatus>>,
    listeners: RefCell<Vec<(u64, Listener)>>,
    next_listener: Cell<u64>,
    /// A view decoded but not yet drawn, and the timer that will draw it: decoding and
    /// drawing run as separate tasks, so neither holds the UI thread for long, and a view
    /// superseded before it was drawn is never drawn.
    unshown_view: RefCell<Option<Rc<ClusterView>>>,
    view_timer: RefCell<Option<gloo_timers::callback::Timeout>>,
}

/// A cheap, clonable handle on the page's one worker.
#[derive(Clone)]
pub struct ClusterClient {
    inner: Rc<Inner>,
}

impl PartialEq for ClusterClient {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// Keeps a status listener registered; dropping it unsubscribes.
pub struct Subscription {
    inner: std::rc::Weak<Inner>,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.upgrade() {
            inner.listeners.borrow_mut().retain(|(id, _)| *id != self.id);
        }
    }
}

impl ClusterClient {
    /// Starts the worker with the cluster seeded by `seed`. A browser that cannot start it
    /// gets a client whose status explains why.
    pub fn start(seed: u64) -> Self {
        let options = WorkerOptions::new();
        options.set_name(&format!("seed={seed}"));
        let worker = Worker::new_with_options(WORKER_SCRIPT, &options);
        let problem = worker
            .as_ref()
            .err()
            .map(|e| format!("The cluster's worker did not start: {e:?}"));
        let client = Self {
            inner: Rc::new(Inner {
                worker: worker.ok(),
                ready: Cell::new(false),
                queue: RefCell::new(Vec::new()),
                next_id: Cell::new(1),
                pending: RefCell::new(HashMap::new()),
                status: RefCell::new(Rc::new(ClusterStatus {
                    problem,
                    ..ClusterStatus::default()
                })),
                listeners: RefCell::new(Vec::new()),
                next_listener: Cell::new(1),
                unshown_view: RefCell::new(None),
                view_timer: RefCell::new(None),
            }),
        };
        if let Some(worker) = &client.inner.worker {
            let weak = Rc::downgrade(&client.inner);
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let (Some(inner), Some(text)) = (weak.upgrade(), event.data().as_string()) else {
                    return;
                };
                match protocol::decode::<FromWorker>(&text) {
                    Ok(message) => ClusterClient { inner }.receive(message),
                    Err(err) => web_sys::console::warn_1(&format!("kubeplay: {err}").into()),
                }
            });
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            // The page keeps one worker for its whole life.
            on_message.forget();
            // A worker that fails to load or crashes says so, instead of a page that waits forever.
            let weak = Rc::downgrade(&client.inner);
            let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
                let Some(inner) = weak.upgrade() else { return };
                let message = format!("The cluster stopped: {}. Reload the page to start it again.", event.message());
                ClusterClient { inner }.update(|s| s.problem = Some(message));
            });
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            on_error.forget();
        }
        client
    }

    pub fn status(&self) -> Rc<ClusterStatus> {
        Rc::clone(&self.inner.status.borrow())
    }

    /// Calls `listener` with the new status whenever the worker pushes something.
    pub fn subscribe(&self, listener: impl Fn(Rc<ClusterStatus>) + 'static) -> Subscription {
        let id = self.inner.next_listener.get();
        self.inner.next_listener.set(id + 1);
        self.inner
            .listeners
            .borrow_mut()
            .push((id, Rc::new(listener)));
        Subscription {
            inner: Rc::downgrade(&self.inner),
            id,
        }
    }

    /// Sends `call`; `on_reply` gets the one reply.
    pub fn call(&self, call: Call, on_reply: impl FnOnce(Reply) + 'static) -> CallId {
        self.send(call, Box::new(on_reply), None, None)
    }

    /// Sends a streaming call (kubectl): `on_output` gets each chunk (text, is-stderr), then
    /// `on_reply` the end.
    pub fn stream(
        &self,
        call: Call,
        on_output: impl Fn(String, bool) + 'static,
        on_reply: impl FnOnce(Reply) + 'static,
    ) -> CallId {
        self.send(call, Box::new(on_reply), Some(Rc::new(on_output)), None)
    }

    /// A kubectl line that may become a `kubectl exec -i[t]` session: as [`Self::stream`],
    /// and `on_session` hears the session open and its process's output.
    pub fn stream_session(
        &self,
        call: Call,
        on_output: impl Fn(String, bool) + 'static,
        on_session: impl Fn(SessionEvent) + 'static,
        on_reply: impl FnOnce(Reply) + 'static,
    ) -> CallId {
        self.send(call, Box::new(on_reply), Some(Rc::new(on_output)), Some(Rc::new(on_session)))
    }

    /// Keys typed into session `id`, for its process's stdin.
    pub fn stdin(&self, id: CallId, data: Vec<u8>) {
        self.post(protocol::encode(&ToWorker::Stdin { id, data }));
    }

    /// The terminal of session `id` is now `cols`×`rows` cells.
    pub fn resize(&self, id: CallId, cols: u16, rows: u16) {
        self.post(protocol::encode(&ToWorker::Resize { id, cols, rows }));
    }

    /// Asks the worker to end a streaming call (its reply still comes).
    pub fn cancel(&self, id: CallId) {
        self.post(protocol::encode(&ToWorker::Cancel { id }));
    }

    /// One API request; a failed call arrives as a 500 `Status`, so callers handle one shape.
    pub fn api(&self, request: ApiRequest, on_response: impl FnOnce(ApiResponse) + 'static) {
        self.call(Call::Api { request }, move |reply| {
            on_response(match reply {
                Reply::Api { response } => response,
                other => failure_response(&other),
            })
        });
    }

    /// `kubectl apply` of `yaml` with `namespace` for documents that name none.
    pub fn apply(
        &self,
        yaml: String,
        namespace: String,
        on_report: impl FnOnce(Result<ApplyReport, String>) + 'static,
    ) {
        self.call(Call::Apply { yaml, namespace }, move |reply| {
            on_report(match reply {
                Reply::Applied { report } => Ok(report),
                other => Err(reply_message(&other)),
            })
        });
    }

    pub fn set_speed(&self, speed: Speed) {
        self.call(Call::SetSpeed { speed }, |_| {});
    }

    /// Sends a call given as protocol JSON and resolves with the reply as JSON (plus `output`,
    /// what a kubectl line printed): the hook end-to-end tests and the benchmark drive the
    /// page through (`window.kubeplay.call`).
    pub fn call_json(&self, call: &str) -> js_sys::Promise {
        let call = protocol::decode::<Call>(call);
        let client = self.clone();
        js_sys::Promise::new(&mut move |resolve, reject| match call.clone() {
            Ok(call) => {
                let output = Rc::new(RefCell::new(String::new()));
                let collected = Rc::clone(&output);
                let on_output = move |text: String, _stderr: bool| collected.borrow_mut().push_str(&text);
                client.stream(call, on_output, move |reply| {
                    // kubectl's printed text rides along as `output`.
                    let mut answer = serde_json::to_value(&reply).unwrap_or_default();
                    let output = output.take();
                    if !output.is_empty() {
                        answer["output"] = output.into();
                    }
                    let _ = resolve.call1(&JsValue::NULL, &answer.to_string().into());
                });
            }
            Err(err) => {
                let _ = reject.call1(&JsValue::NULL, &err.to_string().into());
            }
        })
    }

    fn send(&self, call: Call, on_reply: OnReply, on_output: Option<OnOutput>, on_session: Option<OnSession>) -> CallId {
        let id = self.inner.next_id.get();
        self.inner.next_id.set(id + 1);
        if self.inner.worker.is_none() {
            let message = self.status().problem.clone().unwrap_or_default();
            on_reply(Reply::Failed { message });
            return id;
        }
        self.inner.pending.borrow_mut().insert(id, Pending { on_reply, on_output, on_session });
        self.post(protocol::encode(&ToWorker::Call { id, call }));
        id
    }

    fn post(&self, text: String) {
        if !self.inner.ready.get() {
            self.inner.queue.borrow_mut().push(text);
            return;
        }
        if let Some(worker) = &self.inner.worker {
            if let Err(err) = worker.post_message(&JsValue::from_str(&text)) {
                web_sys::console::error_2(&"kubeplay: cannot reach the worker".into(), &err);
            }
        }
    }

    fn receive(&self, message: FromWorker) {
        match message {
            FromWorker::Reply { id, reply } => {
                let pending = self.inner.pending.borrow_mut().remove(&id);
                if let Some(pending) = pending {
                    (pending.on_reply)(reply);
                }
            }
            FromWorker::Output { id, text, stderr } => {
                let on_output = self
                    .inner
                    .pending
                    .borrow()
                    .get(&id)
                    .and_then(|p| p.on_output.clone());
                if let Some(on_output) = on_output {
                    on_output(text, stderr);
                }
            }
            FromWorker::ExecOpened { id, tty } => self.session_event(id, SessionEvent::Opened { tty }),
            FromWorker::ExecOutput { id, data } => self.session_event(id, SessionEvent::Output(data)),
            FromWorker::Ready { restored } => {
                self.inner.ready.set(true);
                let queued = std::mem::take(&mut *self.inner.queue.borrow_mut());
                for text in queued {
                    self.post(text);
                }
                self.update(|s| {
                    s.ready = true;
                    s.restored = restored;
                });
            }
            FromWorker::View { view } => {
                *self.inner.unshown_view.borrow_mut() = Some(Rc::new(*view));
                if self.inner.view_timer.borrow().is_some() {
                    return;
                }
                let weak = Rc::downgrade(&self.inner);
                let timer = gloo_timers::callback::Timeout::new(0, move || {
                    let Some(inner) = weak.upgrade() else { return };
                    inner.view_timer.borrow_mut().take();
                    let view = inner.unshown_view.borrow_mut().take();
                    if let Some(view) = view {
                        ClusterClient { inner }.update(|s| s.view = Some(view));
                    }
                });
                *self.inner.view_timer.borrow_mut() = Some(timer);
            }
            FromWorker::Speed { speed } => self.update(|s| s.speed = speed),
            FromWorker::Saved { revision } => self.update(|s| {
                s.saved = Some(revision);
                s.problem = None;
            }),
            FromWorker::Agents { agents } => self.update(|s| s.agents = agents),
            FromWorker::StorageFailed { message } => {
                self.update(|s| s.problem = Some(format!("The cluster is not being saved: {message}")))
            }
        }
    }

    fn session_event(&self, id: CallId, event: SessionEvent) {
        let on_session = self.inner.pending.borrow().get(&id).and_then(|p| p.on_session.clone());
        if let Some(on_session) = on_session {
            on_session(event);
        }
    }

    fn update(&self, change: impl FnOnce(&mut ClusterStatus)) {
        let status = {
            let mut slot = self.inner.status.borrow_mut();
            let mut next = (**slot).clone();
            change(&mut next);
            *slot = Rc::new(next);
            Rc::clone(&slot)
        };
        let listeners: Vec<_> = self.inner.listeners.borrow().iter().map(|(_, l)| Rc::clone(l)).collect();
        for listener in listeners {
            listener(Rc::clone(&status));
        }
    }
}

/// What went wrong with a reply that is not the one expected.
pub fn reply_message(reply: &Reply) -> String {
    match reply {
        Reply::Failed { message } => message.clone(),
        other => format!("unexpected reply from the cluster: {other:?}"),
    }
}

fn failure_response(reply: &Reply) -> ApiResponse {
    let status = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure",
        "message": reply_message(reply), "reason": "InternalError", "code": 500,
    });
    ApiResponse {
        status: 500,
        body: status.to_string(),
        warnings: Vec::new(),
    }
}
