//! The terminal panel: renders the scrollback and the prompt, and turns keys into worker calls
//! (Enter runs a line, Tab completes, Up/Down recall history, Ctrl+C stops a follow, Ctrl+L
//! clears). A line that becomes a `kubectl exec -i[t]` session into a real container hands
//! the panel to the raw terminal view until the process exits; what it showed stays in the
//! scrollback, followed by kubectl's own last words.

use super::model::{Action, LineKind, Terminal};
use super::tty::{Session, TtyView};
use crate::client::{ClusterClient, SessionEvent};
use crate::protocol::{Call, Reply};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The kubectl session (kubeconfig and shell state) this terminal uses in the worker.
const SESSION: &str = "terminal";

#[function_component(TerminalPanel)]
pub fn terminal_panel() -> Html {
    // The client only, not the cluster's view: the panel stays mounted behind other tabs and
    // must not re-render for every view.
    let client = use_context::<ClusterClient>().expect("the terminal needs the App's ClusterClient");
    let term = use_reducer(Terminal::default);
    let running = use_mut_ref(|| None);
    let input_ref = use_node_ref();
    let end_ref = use_node_ref();
    // The exec session in progress: its output changes it in place, `redraw` shows that.
    let session = use_mut_ref(|| None::<Rc<Session>>);
    let redraw = use_force_update();
    let in_session = session.borrow().is_some();

    let was_in_session = use_mut_ref(|| false);
    {
        // Back from a session: the prompt takes the keys again (not on the first draw, where
        // the focus stays wherever the page put it).
        let input_ref = input_ref.clone();
        use_effect_with(in_session, move |in_session| {
            let was = std::mem::replace(&mut *was_in_session.borrow_mut(), *in_session);
            if was && !*in_session {
                if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                    if input.owner_document().and_then(|d| d.active_element()).is_none_or(|a| a.tag_name() == "BODY") {
                        let _ = input.focus();
                    }
                }
            }
        });
    }

    {
        let end_ref = end_ref.clone();
        use_effect_with(term.lines.len(), move |_| {
            if let Some(end) = end_ref.cast::<web_sys::Element>() {
                end.scroll_into_view();
            }
        });
    }

    let oninput = {
        let term = term.dispatcher();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            term.dispatch(Action::Type(input.value()));
        })
    };

    let onkeydown = {
        let (term, client, running, session, redraw) =
            (term.clone(), client.clone(), running.clone(), session.clone(), redraw.clone());
        Callback::from(move |e: KeyboardEvent| {
            let ctrl = e.ctrl_key() || e.meta_key();
            match e.key().as_str() {
                "Enter" if !term.running => {
                    e.prevent_default();
                    let line = term.input.clone();
                    term.dispatch(Action::Submit);
                    if line.trim() == "clear" {
                        term.dispatch(Action::Clear);
                        term.dispatch(Action::Done { prompt: term.shell_prompt.clone() });
                        return;
                    }
                    let (out, done, running_done) = (term.dispatcher(), term.dispatcher(), running.clone());
                    // Leaving a session: what it showed goes to the scrollback first.
                    let end_session = {
                        let (session, redraw, out) = (session.clone(), redraw.clone(), term.dispatcher());
                        Rc::new(move || {
                            if let Some(ended) = session.borrow_mut().take() {
                                let text = ended.transcript();
                                if !text.is_empty() {
                                    out.dispatch(Action::Output { text, stderr: false });
                                }
                                redraw.force_update();
                            }
                        })
                    };
                    let on_session = {
                        let (session, redraw, running, client) = (session.clone(), redraw.clone(), running.clone(), client.clone());
                        move |event| match event {
                            SessionEvent::Opened { tty } => {
                                let Some(id) = *running.borrow() else { return };
                                *session.borrow_mut() = Some(Rc::new(Session::new(client.clone(), id, tty)));
                                redraw.force_update();
                            }
                            SessionEvent::Output(data) => {
                                let current = session.borrow().clone();
                                if let Some(current) = current {
                                    current.output(&data);
                                    redraw.force_update();
                                }
                            }
                        }
                    };
                    let call = Call::Kubectl { session: SESSION.into(), line, files: crate::workspace::storage::files_for_kubectl() };
                    let end_before_output = end_session.clone();
                    let id = client.stream_session(
                        call,
                        move |text, stderr| {
                            end_before_output();
                            out.dispatch(Action::Output { text, stderr })
                        },
                        on_session,
                        move |reply| {
                            end_session();
                            *running_done.borrow_mut() = None;
                            match reply {
                                Reply::Done { prompt, .. } => done.dispatch(Action::Done { prompt }),
                                other => {
                                    let text = crate::client::reply_message(&other);
                                    done.dispatch(Action::Output { text, stderr: true });
                                    done.dispatch(Action::Done { prompt: None });
                                }
                            }
                        },
                    );
                    *running.borrow_mut() = Some(id);
                }
                "Tab" => {
                    e.prevent_default();
                    let words = term.dispatcher();
                    let call = Call::Complete { session: SESSION.into(), line: term.input.clone() };
                    client.call(call, move |reply| {
                        if let Reply::Completions { words: found } = reply {
                            words.dispatch(Action::Completions(found));
                        }
                    });
                }
                "ArrowUp" => {
                    e.prevent_default();
                    term.dispatch(Action::Up);
                }
                "ArrowDown" => {
                    e.prevent_default();
                    term.dispatch(Action::Down);
                }
                "c" if ctrl => {
                    if let Some(id) = running.borrow_mut().take() {
                        e.prevent_default();
                        client.cancel(id);
                        term.dispatch(Action::Output { text: "^C".into(), stderr: false });
                    }
                }
                "l" if ctrl => {
                    e.prevent_default();
                    term.dispatch(Action::Clear);
                }
                _ => {}
            }
        })
    };

    let focus = {
        let input_ref = input_ref.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        })
    };

    let lines = term.lines.iter().map(|line| {
        let class = match line.kind {
            LineKind::Input => "term-input",
            LineKind::Stdout => "term-out",
            LineKind::Stderr => "term-err",
        };
        html! { <div class={class}>{ &line.text }</div> }
    });
    let current = session.borrow().clone();
    if let Some(current) = current {
        let revision = current.revision();
        return html! {
            <section id="terminal" class="terminal" aria-label="Terminal">
                <TtyView session={current} {revision} />
            </section>
        };
    }
    html! {
        <section id="terminal" class="terminal" aria-label="Terminal" onclick={focus}>
            <div class="term-scroll" role="log" aria-live="polite">
                <div class="term-out">{ "kubectl runs here against the playground's API server. Try: kubectl apply -f ./k8s/ · kubectl get pods -o wide · Tab completes, ↑/↓ history, Ctrl+C stops -w/-f." }</div>
                { for lines }
                <div class="term-line">
                    <span class="term-prompt">{ term.prompt() }</span>
                    <input
                        ref={input_ref}
                        id="terminal-input"
                        class="term-field"
                        aria-label="Command"
                        autocomplete="off"
                        spellcheck="false"
                        value={term.input.clone()}
                        // Read-only rather than disabled while a command runs, so the
                        // field keeps focus and Ctrl+C still reaches it.
                        readonly={term.running}
                        aria-busy={term.running.to_string()}
                        {oninput}
                        {onkeydown}
                    />
                </div>
                <div ref={end_ref}></div>
            </div>
        </section>
    }
}
