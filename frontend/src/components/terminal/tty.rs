//! The raw terminal view of a `kubectl exec -i[t]` session into a real container: draws the
//! emulator's screen as spans (classes for colours, text as text), sends every key as the bytes
//! a terminal sends, and keeps the process's TTY the size of the panel in character cells
//! (measured from a hidden row, followed with a ResizeObserver). Without `-t` it acts as the
//! local terminal in cooked mode does: echoes, edits and sends a line at Enter.

use crate::client::ClusterClient;
use crate::protocol::CallId;
use crate::vt::cooked::{self, LineDiscipline};
use crate::vt::keys::{self, Key};
use crate::vt::screen::{self, Screen};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, ResizeObserver};
use yew::prelude::*;

/// The size the screen has before the panel is measured.
const FIRST_SIZE: (u16, u16) = (24, 80);

/// One running session: the emulator and what the panel needs to talk to the process.
pub struct Session {
    pub id: CallId,
    pub tty: bool,
    screen: RefCell<Screen>,
    /// Without a TTY: the line typed so far, sent at Enter.
    line: RefCell<LineDiscipline>,
    /// Bumped on every change, so the view redraws.
    revision: Cell<u64>,
    client: ClusterClient,
}

impl Session {
    pub fn new(client: ClusterClient, id: CallId, tty: bool) -> Self {
        Self {
            id,
            tty,
            screen: RefCell::new(Screen::new(FIRST_SIZE.0, FIRST_SIZE.1)),
            line: RefCell::new(LineDiscipline::default()),
            revision: Cell::new(0),
            client,
        }
    }

    pub fn revision(&self) -> u64 {
        self.revision.get()
    }

    fn changed(&self) {
        self.revision.set(self.revision.get() + 1);
    }

    /// What the process wrote (without a TTY, as the local terminal's output processing
    /// shows it); the emulator's answers to queries go back to the process.
    pub fn output(&self, data: &[u8]) {
        let mut screen = self.screen.borrow_mut();
        if self.tty {
            screen.feed(data);
        } else {
            screen.feed(&cooked::output(data));
        }
        let replies = screen.take_replies();
        if self.tty && !replies.is_empty() {
            self.client.stdin(self.id, replies);
        }
        drop(screen);
        self.changed();
    }

    /// Everything shown, for the kubectl scrollback once the session ends.
    pub fn transcript(&self) -> String {
        self.screen.borrow().transcript()
    }

    /// A key press; whether it was the terminal's (and not the browser's).
    fn key(&self, key: Key<'_>) -> bool {
        if !self.tty {
            return self.cooked_key(key);
        }
        let app_cursor = self.screen.borrow().app_cursor_keys();
        match keys::encode(key, app_cursor) {
            Some(bytes) => {
                self.client.stdin(self.id, bytes);
                true
            }
            None => false,
        }
    }

    /// Line editing as a cooked-mode terminal does it; Ctrl+C interrupts kubectl itself.
    fn cooked_key(&self, key: Key<'_>) -> bool {
        let Some(bytes) = keys::encode(key, false) else {
            return false;
        };
        let cooked = self.line.borrow_mut().key(&bytes);
        if !cooked.echo.is_empty() {
            self.screen.borrow_mut().feed(&cooked.echo);
            self.changed();
        }
        if let Some(line) = cooked.send {
            self.client.stdin(self.id, line);
        }
        if cooked.interrupt {
            self.client.cancel(self.id);
        }
        true
    }

    fn paste(&self, text: &str) {
        if self.tty {
            let bracketed = self.screen.borrow().bracketed_paste();
            self.client.stdin(self.id, keys::paste(text, bracketed));
        } else {
            for ch in text.chars() {
                let s = ch.to_string();
                let key = if ch == '\n' { "Enter" } else { s.as_str() };
                self.cooked_key(Key {
                    key,
                    ..Key::default()
                });
            }
        }
    }

    /// The panel now holds `rows`×`cols` cells: the screen and the process's TTY follow.
    fn resize(&self, rows: u16, cols: u16) {
        if self.screen.borrow().size() == (rows, cols) {
            return;
        }
        self.screen.borrow_mut().resize(rows, cols);
        if self.tty {
            self.client.resize(self.id, cols, rows);
        }
        self.changed();
    }
}

#[derive(Properties, Clone)]
pub struct TtyProps {
    pub session: Rc<Session>,
    /// The session's revision when the panel drew: a new one redraws.
    pub revision: u64,
}

impl PartialEq for TtyProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session) && self.revision == other.revision
    }
}

/// The panel's size in cells of the measuring row's size.
fn measure(screen: &HtmlElement, probe: &HtmlElement) -> Option<(u16, u16)> {
    let cell = probe.get_bounding_client_rect();
    let (width, height) = (cell.width() / f64::from(PROBE.len() as u32), cell.height());
    if width <= 0.0 || height <= 0.0 {
        return None;
    }
    let cols = (f64::from(screen.client_width()) / width)
        .floor()
        .clamp(2.0, 1000.0) as u16;
    let rows = (f64::from(screen.client_height()) / height)
        .floor()
        .clamp(1.0, 1000.0) as u16;
    Some((rows, cols))
}

/// Ten cells of text whose box gives one cell's size.
const PROBE: &str = "MMMMMMMMMM";

#[function_component(TtyView)]
pub fn tty_view(props: &TtyProps) -> Html {
    let root = use_node_ref();
    let screen_ref = use_node_ref();
    let probe = use_node_ref();
    let redraw = use_force_update();

    {
        let (root, screen_ref, probe, session, redraw) = (
            root.clone(),
            screen_ref.clone(),
            probe.clone(),
            props.session.clone(),
            redraw.clone(),
        );
        let screen_observed = screen_ref.clone();
        use_effect_with(Rc::as_ptr(&props.session) as usize, move |_| {
            if let Some(root) = root.cast::<HtmlElement>() {
                let _ = root.focus();
            }
            let fit = move || {
                if let (Some(screen), Some(probe)) = (
                    screen_ref.cast::<HtmlElement>(),
                    probe.cast::<HtmlElement>(),
                ) {
                    if let Some((rows, cols)) = measure(&screen, &probe) {
                        let before = session.revision();
                        session.resize(rows, cols);
                        if session.revision() != before {
                            redraw.force_update();
                        }
                    }
                }
            };
            fit();
            let callback = Closure::<dyn FnMut()>::new(fit);
            let observer = ResizeObserver::new(callback.as_ref().unchecked_ref()).ok();
            // The screen's own box: it also shrinks when the window or the panel does.
            if let (Some(observer), Some(screen)) =
                (&observer, screen_observed.cast::<web_sys::Element>())
            {
                observer.observe(&screen);
            }
            move || {
                if let Some(observer) = observer {
                    observer.disconnect();
                }
                drop(callback);
            }
        });
    }

    {
        // New output keeps the bottom in view.
        let screen_ref = screen_ref.clone();
        use_effect_with(props.revision, move |_| {
            if let Some(screen) = screen_ref.cast::<HtmlElement>() {
                screen.set_scroll_top(screen.scroll_height());
            }
        });
    }

    let onkeydown = {
        let session = props.session.clone();
        Callback::from(move |e: KeyboardEvent| {
            let key_name = e.key();
            let key = Key {
                key: &key_name,
                ctrl: e.ctrl_key(),
                alt: e.alt_key(),
                shift: e.shift_key(),
                meta: e.meta_key(),
            };
            if session.key(key) {
                e.prevent_default();
                // The page's own shortcuts (Esc closing things) do not see the terminal's keys.
                e.stop_propagation();
            }
        })
    };
    let onpaste = {
        let session = props.session.clone();
        Callback::from(move |e: Event| {
            let Some(e) = e.dyn_ref::<web_sys::ClipboardEvent>() else {
                return;
            };
            if let Some(text) = e.clipboard_data().and_then(|d| d.get_data("text").ok()) {
                e.prevent_default();
                session.paste(&text);
            }
        })
    };

    let screen = props.session.screen.borrow();
    let (size_rows, size_cols) = screen.size();
    let cursor = screen.cursor();
    let old = screen
        .scrollback()
        .map(|row| html! { <div class="vt-row">{ for row_spans(row, None) }</div> });
    let rows = screen.rows().iter().enumerate().map(|(i, row)| {
        let at = cursor.filter(|(r, _)| *r == i).map(|(_, c)| c);
        html! { <div class="vt-row">{ for row_spans(row, at) }</div> }
    });
    let hint = if props.session.tty {
        "Terminal of the container's process. Keys go to it; leave by typing exit or pressing Ctrl+D."
    } else {
        "The process's stdin (no TTY, kubectl exec -i): lines go at Enter; Ctrl+C stops kubectl."
    };
    html! {
        <div ref={root} class="vt" tabindex="0" role="application" aria-roledescription="terminal"
            aria-label="Container terminal" aria-describedby="vt-hint"
            data-rows={size_rows.to_string()} data-cols={size_cols.to_string()} {onkeydown} {onpaste}>
            <div id="vt-hint" class="vt-hint">{ hint }</div>
            <div ref={screen_ref} class="vt-screen">
                <div ref={probe} class="vt-row vt-probe" aria-hidden="true">{ PROBE }</div>
                { for old }
                { for rows }
            </div>
        </div>
    }
}

fn row_spans(row: &[screen::Cell], cursor: Option<usize>) -> Vec<Html> {
    screen::runs(row, cursor)
        .into_iter()
        .map(|run| {
            let mut class = run.style.classes();
            if run.cursor {
                class.push_str(" vt-cursor");
            }
            let class = (!class.trim().is_empty()).then(|| class.trim().to_string());
            html! { <span class={class} style={run.style.inline()}>{ run.text }</span> }
        })
        .collect()
}
