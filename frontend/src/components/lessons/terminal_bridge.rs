//! "Copy to terminal": puts a lesson step into the terminal's prompt as if typed, once the
//! dock shows the terminal, so the student reads it, may edit it, and presses Enter.

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

/// How long the dock gets to render the terminal before the line goes in.
const RENDER_MS: u32 = 80;

pub fn type_into_terminal(line: String) {
    Timeout::new(RENDER_MS, move || {
        let input = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("terminal-input"))
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok());
        let Some(input) = input else { return };
        if input.read_only() {
            return;
        }
        input.set_value(&line);
        // The terminal keeps its line in state, updated from `input` events; Yew listens at
        // the root, so the event must bubble.
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        if let Ok(event) = web_sys::Event::new_with_event_init_dict("input", &init) {
            let _ = input.dispatch_event(&event);
        }
        let _ = input.focus();
    })
    .forget();
}
