//! The page's second program: the control plane in a dedicated Web Worker, started by the UI
//! (`kubeplay`) with `new Worker("kubeplay-worker_loader.js", { name: "seed=N" })`.

use kubeplay_frontend::{host, query};

fn main() {
    console_error_panic_hook_set();
    let scope: web_sys::DedicatedWorkerGlobalScope = wasm_bindgen::JsCast::unchecked_into(js_sys::global());
    let seed = query::param(&scope.name(), "seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(kubeplay_frontend::DEFAULT_SEED);
    host::runtime::start(seed);
}

/// Panics show in the browser console with their message, not as "unreachable".
fn console_error_panic_hook_set() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("kubeplay worker: {info}").into());
    }));
}
