//! What tests and the benchmark reach from JavaScript: `window.kubeplay.call(json)` sends a
//! protocol `Call` through the same client the panels use, and the page marks when it first
//! became interactive.

use crate::client::ClusterClient;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// `window.kubeplay = { call(callJson) -> Promise<replyJson> }`.
pub fn expose(client: &ClusterClient) {
    let Some(window) = web_sys::window() else { return };
    let api = js_sys::Object::new();
    let client = client.clone();
    let call = Closure::<dyn Fn(String) -> js_sys::Promise>::new(move |json: String| client.call_json(&json));
    let _ = js_sys::Reflect::set(&api, &"call".into(), call.as_ref().unchecked_ref());
    // Lives as long as the page.
    call.forget();
    let _ = js_sys::Reflect::set(&window, &"kubeplay".into(), &api);
}

/// Records the first moment the page shows a live cluster and accepts input:
/// `<html data-interactive>` and `window.kubeplayInteractiveMs` (ms since navigation start).
pub fn mark_interactive() {
    let Some(window) = web_sys::window() else { return };
    let Some(root) = window.document().and_then(|d| d.document_element()) else { return };
    if root.has_attribute("data-interactive") {
        return;
    }
    let ms = window.performance().map_or(0.0, |p| p.now());
    let _ = js_sys::Reflect::set(&window, &"kubeplayInteractiveMs".into(), &ms.into());
    let _ = root.set_attribute("data-interactive", "");
}
