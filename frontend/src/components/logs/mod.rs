//! The Logs tab: one container's log, read by running `kubectl logs` in the worker exactly as
//! the terminal would (so `-f` follows the same way and errors read the same), with pickers for
//! namespace, pod and container, and follow, previous, tail and timestamps switches.
//!
//! The output sticks to its end while new lines come, and stops moving as soon as the student
//! scrolls up to read; "Jump to the end" (or scrolling down) resumes it.

pub mod buffer;
pub mod command;

use crate::hooks::use_cluster::use_cluster;
use crate::protocol::{ApiRequest, Call, Reply};
use buffer::{LogAction, LogBuffer, LogLine};
use command::{LogOptions, TAILS};
use serde_json::Value;
use yew::prelude::*;

/// The kubectl session the viewer's lines run in (its own, not the terminal's).
const SESSION: &str = "logs-viewer";
/// How close to the end (px) still counts as "at the end".
const STICK_SLACK: i32 = 12;

/// (namespace, name) of a pod.
pub type PodKey = (String, String);

#[derive(Properties, PartialEq)]
pub struct LogsPanelProps {
    /// The pod to show (from the map's "Logs"); `None` shows the first pod.
    pub target: Option<PodKey>,
    /// The student picked another pod here.
    pub on_target: Callback<PodKey>,
}

/// The switches that are not the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Switches {
    container: String,
    follow: bool,
    previous: bool,
    tail: Option<u32>,
    timestamps: bool,
}

impl Default for Switches {
    fn default() -> Self {
        Self {
            container: String::new(),
            follow: true,
            previous: false,
            tail: Some(500),
            timestamps: false,
        }
    }
}

fn tail_label(tail: Option<u32>) -> String {
    tail.map_or_else(|| "all".to_string(), |n| n.to_string())
}

/// Container names of a pod object: its containers (the first is kubectl's default), then its
/// init containers, which `kubectl logs -c` also reads.
fn containers_of(pod: &Value) -> Vec<String> {
    ["/spec/containers", "/spec/initContainers"]
        .iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// Consecutive lines of the same stream as one block of text, so thousands of lines are a few
/// DOM nodes.
fn blocks<'a>(lines: impl Iterator<Item = &'a LogLine>) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for line in lines {
        match out.last_mut() {
            Some((stderr, text)) if *stderr == line.stderr => {
                text.push_str(&line.text);
                text.push('\n');
            }
            _ => out.push((line.stderr, format!("{}\n", line.text))),
        }
    }
    out
}

#[function_component(LogsPanel)]
pub fn logs_panel(props: &LogsPanelProps) -> Html {
    let cluster = use_cluster();
    let switches = use_state_eq(Switches::default);
    let containers = use_state_eq(Vec::<String>::new);
    let buffer = use_reducer_eq(LogBuffer::default);
    let runs = use_mut_ref(|| 0u64);
    let stick = use_mut_ref(|| true);
    let paused = use_state_eq(|| false);
    let output_ref = use_node_ref();

    let pods: Vec<PodKey> = cluster
        .status
        .view
        .as_ref()
        .map(|v| {
            v.pods
                .iter()
                .map(|p| (p.namespace.clone(), p.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let first_running = cluster.status.view.as_ref().and_then(|v| {
        v.pods
            .iter()
            .find(|p| p.status == "Running")
            .or(v.pods.first())
            .map(|p| (p.namespace.clone(), p.name.clone()))
    });
    let pod: Option<PodKey> = props.target.clone().or(first_running);
    // Without a target, the pod picked by default stays picked while others come and go.
    {
        let on_target = props.on_target.clone();
        use_effect_with(
            (props.target.is_none(), pod.clone()),
            move |(untargeted, pod)| {
                if let (true, Some(pod)) = (*untargeted, pod) {
                    on_target.emit(pod.clone());
                }
            },
        );
    }

    // The pod's containers, read again when another pod is chosen.
    {
        let (client, containers, switches) =
            (cluster.client.clone(), containers.clone(), switches.clone());
        use_effect_with(pod.clone(), move |pod| {
            containers.set(Vec::new());
            if let Some((namespace, name)) = pod {
                let path = format!("/api/v1/namespaces/{namespace}/pods/{name}");
                let current = (*switches).clone();
                client.api(ApiRequest::get(&path), move |response| {
                    let names = if response.is_success() {
                        containers_of(&response.json())
                    } else {
                        Vec::new()
                    };
                    if !current.container.is_empty() && !names.contains(&current.container) {
                        switches.set(Switches {
                            container: String::new(),
                            ..current
                        });
                    }
                    containers.set(names);
                });
            }
        });
    }

    let options = pod.as_ref().map(|(namespace, name)| LogOptions {
        namespace: namespace.clone(),
        pod: name.clone(),
        container: switches.container.clone(),
        follow: switches.follow,
        previous: switches.previous,
        tail: switches.tail,
        timestamps: switches.timestamps,
    });

    // One `kubectl logs` run per choice of options; a new choice ends the old run.
    {
        let (client, dispatch, runs, stick, paused) = (
            cluster.client.clone(),
            buffer.dispatcher(),
            runs.clone(),
            stick.clone(),
            paused.clone(),
        );
        use_effect_with(options.clone(), move |options| {
            let run = {
                let mut runs = runs.borrow_mut();
                *runs += 1;
                *runs
            };
            dispatch.dispatch(LogAction::Start(run));
            *stick.borrow_mut() = true;
            paused.set(false);
            let id = options.as_ref().filter(|o| o.is_complete()).map(|options| {
                let call = Call::Kubectl {
                    session: SESSION.into(),
                    line: options.kubectl_line(),
                    files: Vec::new(),
                };
                let (out, end) = (dispatch.clone(), dispatch.clone());
                client.stream(
                    call,
                    move |text, stderr| out.dispatch(LogAction::Output { run, text, stderr }),
                    move |reply| {
                        let exit_code = match reply {
                            Reply::Done { exit_code, .. } => exit_code,
                            other => {
                                let text = format!("{}\n", crate::client::reply_message(&other));
                                end.dispatch(LogAction::Output {
                                    run,
                                    text,
                                    stderr: true,
                                });
                                1
                            }
                        };
                        end.dispatch(LogAction::Ended { run, exit_code });
                    },
                )
            });
            move || {
                if let Some(id) = id {
                    client.cancel(id);
                }
            }
        });
    }

    // Keep the end in view while stuck to it.
    {
        let (output_ref, stick) = (output_ref.clone(), stick.clone());
        use_effect_with(buffer.version, move |_| {
            if *stick.borrow() {
                if let Some(el) = output_ref.cast::<web_sys::Element>() {
                    el.set_scroll_top(el.scroll_height());
                }
            }
        });
    }
    let onscroll = {
        let (stick, paused) = (stick.clone(), paused.clone());
        Callback::from(move |e: Event| {
            let el: web_sys::Element = e.target_unchecked_into();
            let at_end = el.scroll_top() + el.client_height() >= el.scroll_height() - STICK_SLACK;
            *stick.borrow_mut() = at_end;
            paused.set(!at_end);
        })
    };
    let jump = {
        let (output_ref, stick, paused) = (output_ref.clone(), stick.clone(), paused.clone());
        Callback::from(move |_: MouseEvent| {
            *stick.borrow_mut() = true;
            paused.set(false);
            if let Some(el) = output_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        })
    };

    let on_namespace = {
        let (on_target, pods) = (props.on_target.clone(), pods.clone());
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let namespace = select.value();
            if let Some(first) = pods.iter().find(|(ns, _)| *ns == namespace) {
                on_target.emit(first.clone());
            }
        })
    };
    let on_pod = {
        let (on_target, namespace) = (
            props.on_target.clone(),
            pod.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
        );
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            on_target.emit((namespace.clone(), select.value()));
        })
    };
    let on_container = {
        let switches = switches.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            switches.set(Switches {
                container: select.value(),
                ..(*switches).clone()
            });
        })
    };
    let on_tail = {
        let switches = switches.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let tail = TAILS
                .iter()
                .copied()
                .find(|t| tail_label(*t) == select.value())
                .unwrap_or(None);
            switches.set(Switches {
                tail,
                ..(*switches).clone()
            });
        })
    };
    let toggle = |change: fn(&mut Switches, bool)| {
        let switches = switches.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let mut next = (*switches).clone();
            change(&mut next, input.checked());
            switches.set(next);
        })
    };
    let clear = {
        let dispatch = buffer.dispatcher();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(LogAction::Clear))
    };

    let mut namespaces: Vec<&str> = pods.iter().map(|(ns, _)| ns.as_str()).collect();
    namespaces.dedup();
    let chosen_ns = pod.as_ref().map(|p| p.0.as_str()).unwrap_or("");
    let chosen_pod = pod.as_ref().map(|p| p.1.as_str()).unwrap_or("");
    let pod_known = pods
        .iter()
        .any(|(ns, name)| ns == chosen_ns && name == chosen_pod);
    let state = match (&options, buffer.ended) {
        (None, _) => "No pods yet: apply a Deployment and its pods' logs show here.".to_string(),
        (Some(_), Some(0)) => "End of log.".to_string(),
        (Some(_), Some(code)) => format!("kubectl exited with code {code}."),
        (Some(o), None) if o.follow && !o.previous => "Following new lines…".to_string(),
        (Some(_), None) => "Reading…".to_string(),
    };
    let command = options
        .as_ref()
        .map(LogOptions::kubectl_line)
        .unwrap_or_default();
    html! {
        <section class="logs-panel" aria-label="Container logs">
            <div class="logs-controls" role="group" aria-label="What to show">
                <label>{ "Namespace " }
                    <select id="logs-namespace" onchange={on_namespace}>
                        { for namespaces.iter().map(|ns| html! { <option value={ns.to_string()} selected={*ns == chosen_ns}>{ *ns }</option> }) }
                    </select>
                </label>
                <label>{ "Pod " }
                    <select id="logs-pod" onchange={on_pod}>
                        if !pod_known && !chosen_pod.is_empty() {
                            <option value={chosen_pod.to_string()} selected={true}>{ format!("{chosen_pod} (gone)") }</option>
                        }
                        { for pods.iter().filter(|(ns, _)| ns == chosen_ns).map(|(_, name)| html! {
                            <option value={name.clone()} selected={name == chosen_pod}>{ name }</option>
                        }) }
                    </select>
                </label>
                <label>{ "Container " }
                    <select id="logs-container" onchange={on_container} disabled={containers.len() < 2}>
                        { for containers.iter().enumerate().map(|(i, c)| {
                            let value = if i == 0 { String::new() } else { c.clone() };
                            html! { <option value={value.clone()} selected={value == switches.container}>{ c }</option> }
                        }) }
                    </select>
                </label>
                <label class="switch">
                    <input type="checkbox" id="logs-follow" checked={switches.follow} disabled={switches.previous}
                        onchange={toggle(|s, on| s.follow = on)} />
                    { " Follow (-f)" }
                </label>
                <label class="switch" title="The container instance before its last restart">
                    <input type="checkbox" id="logs-previous" checked={switches.previous} onchange={toggle(|s, on| s.previous = on)} />
                    { " Previous (-p)" }
                </label>
                <label class="switch">
                    <input type="checkbox" id="logs-timestamps" checked={switches.timestamps} onchange={toggle(|s, on| s.timestamps = on)} />
                    { " Timestamps" }
                </label>
                <label>{ "Tail " }
                    <select id="logs-tail" onchange={on_tail}>
                        { for TAILS.iter().map(|t| html! {
                            <option value={tail_label(*t)} selected={*t == switches.tail}>{ tail_label(*t) }</option>
                        }) }
                    </select>
                </label>
                <button type="button" id="logs-clear" onclick={clear}>{ "Clear" }</button>
            </div>
            <p class="logs-status">
                <code class="logs-command">{ command }</code>
                <span class="logs-state" role="status">{ state }</span>
                if *paused {
                    <button type="button" id="logs-resume" class="logs-resume" onclick={jump}>{ "Paused while you read: jump to the end ↓" }</button>
                }
            </p>
            <pre id="logs-output" class="logs-output" ref={output_ref} {onscroll} tabindex="0" aria-label="Log output" aria-live="off"
                data-run={buffer.run.to_string()} data-lines={buffer.lines.len().to_string()}>
                if buffer.dropped > 0 {
                    <span class="logs-dropped">{ format!("… {} earlier lines not kept\n", buffer.dropped) }</span>
                }
                { for blocks(buffer.all()).into_iter().map(|(stderr, text)| html! {
                    <span class={classes!(stderr.then_some("logs-stderr"))}>{ text }</span>
                }) }
                if buffer.received == 0 && buffer.is_empty() && buffer.ended.is_some() {
                    <span class="logs-empty">{ "(no output)" }</span>
                }
            </pre>
        </section>
    }
}
