//! The worker's effectful half: receives the UI's messages, wakes the control plane when it
//! asks, posts views at most every [`VIEW_MS`] and saves the cluster every [`SAVE_MS`] (when
//! it changed) to IndexedDB, from where the next page load restores it. It also owns the
//! WebSockets to the agents the engine drives, and keeps their list (URL and token) in the
//! same IndexedDB, which only this origin can read, so a reload reconnects. It draws the
//! page's relay key at start, which the engine hands every agent it registers.

use super::agent_socket::{AgentSocket, SocketEvent};
use super::agents::{SocketCommand, SocketId};
use super::engine::Engine;
use super::storage::Storage;
use crate::clock;
use crate::protocol::{self, Call, FromWorker, Reply, SavedAgent, Speed, ToWorker};
use gloo_timers::callback::{Interval, Timeout};
use kubeplay_shared::node_protocol::relay_key::RELAY_KEY_BYTES;
use kubeplay_shared::node_protocol::RelayKey;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// At most four views a second: smooth enough to watch a rollout, cheap for the UI.
const VIEW_MS: u32 = 250;
/// How often a changed cluster is written to IndexedDB.
const SAVE_MS: u32 = 2_000;
/// How soon after a user's call its change is saved, so a quick reload still finds it.
const SAVE_AFTER_CALL_MS: u32 = 300;
/// Where the cluster's snapshot (JSON) is kept.
const SNAPSHOT_KEY: &str = "cluster";
/// Where the agents' list (JSON of [`SavedAgent`]s) is kept.
const AGENTS_KEY: &str = "agents";

struct Host {
    engine: RefCell<Engine>,
    scope: DedicatedWorkerGlobalScope,
    storage: Option<Storage>,
    /// The control plane's next wake-up; replacing it cancels the one before.
    wake: RefCell<Option<Timeout>>,
    /// The save a user's call asked for; replacing it postpones it.
    save_soon: RefCell<Option<Timeout>>,
    /// What was saved last: store revision and speed.
    saved: Cell<Option<(u64, Speed)>>,
    saving: Cell<bool>,
    /// The agents' sockets, by the id the engine gave each attempt.
    sockets: RefCell<HashMap<SocketId, AgentSocket>>,
    /// The agents' list as last saved (JSON).
    saved_agents: RefCell<Option<String>>,
}

/// Boots the control plane in this worker: the cluster saved in this browser if there is one,
/// else a fresh one. `seed` fixes generated names and addresses.
pub fn start(seed: u64) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    wasm_bindgen_futures::spawn_local(async move {
        let (storage, mut problem) = match Storage::open().await {
            Ok(storage) => (Some(storage), None),
            Err(err) => (None, Some(err.to_string())),
        };
        let saved = match &storage {
            Some(storage) => storage.get(SNAPSHOT_KEY).await.unwrap_or_else(|err| {
                problem = Some(err.to_string());
                None
            }),
            None => None,
        };
        let saved_agents = match &storage {
            Some(storage) => storage.get(AGENTS_KEY).await.ok().flatten(),
            None => None,
        };
        let now = clock::now();
        let restored = saved.and_then(|text| match Engine::restore(seed, &text, now) {
            Ok(engine) => Some(engine),
            Err(err) => {
                problem = Some(format!("the saved cluster could not be restored ({err}); starting afresh"));
                None
            }
        });
        let was_restored = restored.is_some();
        let mut engine = restored.unwrap_or_else(|| Engine::new(seed, now));
        let agents: Vec<SavedAgent> = saved_agents.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
        // Before any agent connects: every one this page registers gets the same key.
        match random_relay_key() {
            Ok(key) => engine.set_relay_key(key),
            Err(err) => web_sys::console::warn_1(
                &format!("kubeplay worker: no random relay key ({err}): Services reach only pods on the agent's own machine").into(),
            ),
        }
        engine.restore_agents(&agents);
        if let Some(origin) = js_sys::Reflect::get(&js_sys::global(), &"origin".into()).ok().and_then(|o| o.as_string()) {
            engine.set_page_origin(origin);
        }
        let host = Rc::new(Host {
            saved: Cell::new(was_restored.then(|| (engine.revision(), engine.speed()))),
            engine: RefCell::new(engine),
            scope,
            storage,
            wake: RefCell::new(None),
            save_soon: RefCell::new(None),
            saving: Cell::new(false),
            sockets: RefCell::new(HashMap::new()),
            saved_agents: RefCell::new(saved_agents),
        });
        host.listen();
        host.post(&FromWorker::Ready { restored: was_restored });
        if let Some(message) = problem {
            host.post(&FromWorker::StorageFailed { message });
        }
        host.post(&FromWorker::Speed { speed: host.engine.borrow().speed() });
        host.post_view();
        host.flush_agents();
        host.schedule(Some(0));
        let views = Rc::clone(&host);
        Interval::new(VIEW_MS, move || {
            views.post_terminals();
            views.post_view();
        })
        .forget();
        let saves = Rc::clone(&host);
        Interval::new(SAVE_MS, move || saves.save()).forget();
    });
}

/// This page's relay key (see `relay_key` in the node protocol), from the browser's
/// `crypto.getRandomValues`, new on every load: the agents get it again as they reconnect.
fn random_relay_key() -> Result<RelayKey, getrandom::Error> {
    let mut bytes = [0u8; RELAY_KEY_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(RelayKey::from_bytes(bytes))
}

impl Host {
    fn listen(self: &Rc<Self>) {
        let host = Rc::clone(self);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else { return };
            match protocol::decode::<ToWorker>(&text) {
                Ok(ToWorker::Call { id, call }) => host.call(id, call),
                Ok(ToWorker::Cancel { id }) => {
                    let messages = host.engine.borrow_mut().cancel(id, clock::now());
                    for message in &messages {
                        host.post(message);
                    }
                    host.flush_agents();
                }
                Ok(ToWorker::Stdin { id, data }) => {
                    host.engine.borrow_mut().session_input(id, &data);
                    host.flush_agents();
                }
                Ok(ToWorker::Resize { id, cols, rows }) => {
                    host.engine.borrow_mut().session_resize(id, cols, rows);
                    host.flush_agents();
                }
                Err(err) => web_sys::console::warn_1(&format!("kubeplay worker: {err}").into()),
            }
        });
        self.scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
    }

    fn call(self: &Rc<Self>, id: protocol::CallId, call: Call) {
        let reset = matches!(call, Call::Reset);
        let speed = matches!(call, Call::SetSpeed { .. });
        let messages = self.engine.borrow_mut().call(id, call, clock::now());
        for message in &messages {
            self.post(message);
        }
        let ok = messages.iter().any(|m| matches!(m, FromWorker::Reply { reply: Reply::Ok, .. }));
        if reset && ok {
            self.forget_saved();
        }
        if reset || speed {
            self.post(&FromWorker::Speed { speed: self.engine.borrow().speed() });
        }
        self.flush_agents();
        // The call may have given the controllers work: let them run right after.
        self.schedule(Some(0));
        let host = Rc::clone(self);
        *self.save_soon.borrow_mut() = Some(Timeout::new(SAVE_AFTER_CALL_MS, move || host.save()));
    }

    /// Arms the wake-up timer `delay_ms` from now (`None`: the cluster waits for nothing).
    fn schedule(self: &Rc<Self>, delay_ms: Option<u32>) {
        let timer = delay_ms.map(|delay| {
            let host = Rc::clone(self);
            Timeout::new(delay, move || host.wake())
        });
        *self.wake.borrow_mut() = timer;
    }

    fn wake(self: &Rc<Self>) {
        let now = clock::now();
        let next = self.engine.borrow_mut().tick(now);
        self.flush_agents();
        self.schedule(next.map(|at| clock::millis_until(at, clock::now())));
    }

    /// Carries out what the engine's agent links asked for: sockets to open, frames to send,
    /// sockets to close; posts exec output and the agents' status; saves a changed agent list.
    fn flush_agents(self: &Rc<Self>) {
        let (commands, messages, statuses) = self.engine.borrow_mut().take_agent_io();
        for command in commands {
            match command {
                SocketCommand::Open { socket, url, token } => {
                    let host = Rc::downgrade(self);
                    let on_event = Rc::new(move |socket: SocketId, event: SocketEvent| {
                        if let Some(host) = host.upgrade() {
                            host.on_socket(socket, event);
                        }
                    });
                    let opened = AgentSocket::open(socket, &url, &token, on_event);
                    self.sockets.borrow_mut().insert(socket, opened);
                }
                SocketCommand::Send { socket, frame } => {
                    if let Some(s) = self.sockets.borrow().get(&socket) {
                        s.send(&frame);
                    }
                }
                SocketCommand::Close { socket } => {
                    self.sockets.borrow_mut().remove(&socket);
                }
            }
        }
        for message in &messages {
            self.post(message);
        }
        if let Some(agents) = statuses {
            self.post(&FromWorker::Agents { agents });
            let list = serde_json::to_string(&self.engine.borrow().saved_agents()).unwrap_or_default();
            if self.saved_agents.borrow().as_deref() != Some(list.as_str()) {
                self.save_agents(list);
            }
        }
    }

    fn on_socket(self: &Rc<Self>, socket: SocketId, event: SocketEvent) {
        let now = clock::now();
        match event {
            SocketEvent::Opened => self.engine.borrow_mut().agent_opened(socket),
            SocketEvent::Frame(frame) => self.engine.borrow_mut().agent_frame(socket, &frame, now),
            SocketEvent::Closed => {
                self.sockets.borrow_mut().remove(&socket);
                self.engine.borrow_mut().agent_closed(socket, now);
            }
        }
        self.flush_agents();
        // What the agent reported may give the controllers work; a burst of frames
        // coalesces into one wake, as each replaces the timer before it.
        self.schedule(Some(0));
    }

    fn save_agents(self: &Rc<Self>, list: String) {
        let host = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(storage) = &host.storage else { return };
            match storage.put_all(&[(AGENTS_KEY, &list)]).await {
                Ok(()) => *host.saved_agents.borrow_mut() = Some(list),
                Err(err) => host.post(&FromWorker::StorageFailed { message: err.to_string() }),
            }
        });
    }

    /// Posts what running kubectl follows printed; called with every view tick.
    fn post_terminals(&self) {
        let messages = self.engine.borrow_mut().poll_terminals(clock::now());
        for message in &messages {
            self.post(message);
        }
    }

    fn post_view(&self) {
        let view = self.engine.borrow_mut().view_if_changed(clock::now());
        if let Some(view) = view {
            self.post(&FromWorker::View { view: Box::new(view) });
        }
    }

    fn post(&self, message: &FromWorker) {
        let text = protocol::encode(message);
        if let Err(err) = self.scope.post_message(&JsValue::from_str(&text)) {
            web_sys::console::error_2(&"kubeplay worker: cannot post".into(), &err);
        }
    }

    /// Writes the cluster to IndexedDB if it changed since the last save.
    fn save(self: &Rc<Self>) {
        if self.storage.is_none() || self.saving.get() {
            return;
        }
        let (revision, speed) = {
            let engine = self.engine.borrow();
            (engine.revision(), engine.speed())
        };
        if self.saved.get() == Some((revision, speed)) {
            return;
        }
        let snapshot = self.engine.borrow().snapshot(clock::now());
        self.saving.set(true);
        let host = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(storage) = &host.storage else { return };
            let result = storage.put_all(&[(SNAPSHOT_KEY, &snapshot)]).await;
            host.saving.set(false);
            match result {
                Ok(()) => {
                    host.saved.set(Some((revision, speed)));
                    host.post(&FromWorker::Saved { revision });
                }
                Err(err) => host.post(&FromWorker::StorageFailed { message: err.to_string() }),
            }
        });
    }

    /// Reset: the stored cluster goes too, so a reload starts fresh.
    fn forget_saved(self: &Rc<Self>) {
        self.saved.set(None);
        let host = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(storage) = &host.storage else { return };
            if let Err(err) = storage.clear().await {
                host.post(&FromWorker::StorageFailed { message: err.to_string() });
            }
            // The agents stay connected to the fresh cluster: keep their list.
            let list = serde_json::to_string(&host.engine.borrow().saved_agents()).unwrap_or_default();
            host.save_agents(list);
        });
    }
}
