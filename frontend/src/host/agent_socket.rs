//! One WebSocket to a `kubeplay-agent`, from the worker. Browsers cannot set `Authorization`
//! on a WebSocket, so the join token travels as Kubernetes' bearer subprotocol
//! (`base64url.bearer.authorization.k8s.io.<token>`), never in the URL where it could end up
//! in logs or history.

use super::agents::SocketId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use gloo_timers::callback::Timeout;
use kubeplay_shared::node_protocol::Frame;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// The prefix the agent (like Kubernetes' API server) reads a bearer token from.
const TOKEN_SUBPROTOCOL_PREFIX: &str = "base64url.bearer.authorization.k8s.io.";

/// What a socket tells the worker.
pub enum SocketEvent {
    Opened,
    Frame(Frame),
    /// Closed, or never opened (a refused handshake looks the same to a page: code 1006).
    Closed,
}

type Handler = Rc<dyn Fn(SocketId, SocketEvent)>;

/// An open (or opening) socket; dropping it closes the socket and silences its callbacks.
pub struct AgentSocket {
    ws: Option<WebSocket>,
    _callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// The subprotocol entry that presents `token`.
pub fn token_subprotocol(token: &str) -> String {
    format!(
        "{TOKEN_SUBPROTOCOL_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(token.as_bytes())
    )
}

impl AgentSocket {
    /// Starts connecting; `on_event` gets what happens, never synchronously from this call.
    pub fn open(socket: SocketId, url: &str, token: &str, on_event: Handler) -> Self {
        let protocols = js_sys::Array::of1(&JsValue::from_str(&token_subprotocol(token)));
        let ws = match WebSocket::new_with_str_sequence(url, &protocols) {
            Ok(ws) => ws,
            Err(err) => {
                web_sys::console::warn_2(
                    &format!("kubeplay: cannot connect to {url}").into(),
                    &err,
                );
                Timeout::new(0, move || on_event(socket, SocketEvent::Closed)).forget();
                return Self {
                    ws: None,
                    _callbacks: Vec::new(),
                };
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let handler =
            |f: Box<dyn Fn(JsValue)>| Closure::<dyn FnMut(JsValue)>::new(move |v: JsValue| f(v));
        let opened = {
            let on_event = Rc::clone(&on_event);
            handler(Box::new(move |_| on_event(socket, SocketEvent::Opened)))
        };
        let message = {
            let on_event = Rc::clone(&on_event);
            handler(Box::new(move |event: JsValue| {
                let event: MessageEvent = event.unchecked_into();
                let data = event.data();
                let frame = match data.as_string() {
                    Some(text) => Frame::Text(text),
                    None => Frame::Binary(js_sys::Uint8Array::new(&data).to_vec()),
                };
                on_event(socket, SocketEvent::Frame(frame));
            }))
        };
        let closed = {
            let on_event = Rc::clone(&on_event);
            handler(Box::new(move |event: JsValue| {
                let event: CloseEvent = event.unchecked_into();
                if !event.reason().is_empty() {
                    web_sys::console::info_1(
                        &format!(
                            "kubeplay: agent closed the link: {} {}",
                            event.code(),
                            event.reason()
                        )
                        .into(),
                    );
                }
                on_event(socket, SocketEvent::Closed)
            }))
        };
        ws.set_onopen(Some(opened.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(closed.as_ref().unchecked_ref()));
        Self {
            ws: Some(ws),
            _callbacks: vec![opened, message, closed],
        }
    }

    pub fn send(&self, frame: &Frame) {
        let Some(ws) = &self.ws else { return };
        let sent = match frame {
            Frame::Text(text) => ws.send_with_str(text),
            Frame::Binary(bytes) => ws.send_with_u8_array(bytes),
        };
        if let Err(err) = sent {
            web_sys::console::warn_2(&"kubeplay: cannot send to the agent".into(), &err);
        }
    }
}

impl Drop for AgentSocket {
    fn drop(&mut self) {
        if let Some(ws) = &self.ws {
            ws.set_onopen(None);
            ws.set_onmessage(None);
            ws.set_onclose(None);
            let _ = ws.close();
        }
    }
}
