//! The playground's root: provides the cluster client to every component and lays out the
//! header, the map and the dock (sharing the workspace through a splitter).
//!
//! How a panel plugs in: write it as a component under `components/<panel>/`, render it from
//! `panel` below for its dock tab, and reach the cluster only through
//! `hooks::use_cluster::use_cluster()`: `status.view` is the latest `ClusterView` (re-rendering
//! the panel when a new one arrives; a panel that doesn't draw the cluster should take only the
//! client from context, so hidden panels don't re-render), and `client` sends calls to the worker:
//! `Call::ApplyWhole` for the editor (a dry run of every document, then all or nothing, errors
//! at their line), `client.stream(Call::Kubectl { session, line, files }, on_output,
//! on_reply)` for a terminal line (`client.cancel(id)` is Ctrl-C), `Call::Complete` for Tab,
//! `client.api(ApiRequest, |response| ..)` for any REST request (object browser, logs), and
//! `Call::Node` for the node controls. The messages are documented in `protocol`.

use crate::automation;
use crate::browser_files;
use crate::client::{reply_message, ClusterClient};
use crate::components::agents::bar::AgentsBar;
use crate::components::layout::dock::{Dock, DockTab};
use crate::components::layout::header::Header;
use crate::components::layout::split::Split;
use crate::components::chaos::panel::ChaosPanel;
use crate::components::dns::panel::DnsPanel;
use crate::components::editor::panel::EditorPanel;
use crate::components::events::panel::EventsPanel;
use crate::components::lessons::LessonsPanel;
use crate::components::logs::{LogsPanel, PodKey};
use crate::components::map::panel::MapPanel;
use crate::components::objects::ObjectsPanel;
use crate::components::terminal::panel::TerminalPanel;
use crate::protocol::ApiRequest;
use crate::view::commands::NodeCommand;
use crate::view::ClusterView;
use kubeplay_shared::Request;
use std::rc::Rc;
use crate::hooks::use_cluster::use_cluster;
use crate::protocol::{Call, Reply};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The page's one connection to the control plane's worker.
    pub client: ClusterClient,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    html! {
        <ContextProvider<ClusterClient> context={props.client.clone()}>
            <Playground />
        </ContextProvider<ClusterClient>>
    }
}

/// What a panel may need: the latest view and the two ways the map and chaos controls act.
struct PanelInputs {
    view: Option<Rc<ClusterView>>,
    on_request: Callback<Request>,
    on_node_command: Callback<NodeCommand>,
    /// The pod the Logs tab shows, and how it changes it.
    logs_pod: Option<PodKey>,
    on_logs_pod: Callback<PodKey>,
}

/// The panel shown for a dock tab.
fn panel(tab: DockTab, inputs: &PanelInputs) -> Html {
    let waiting = || html! { <p class="panel-waiting">{ "Waiting for the cluster…" }</p> };
    match tab {
        DockTab::Objects => html! { <ObjectsPanel /> },
        DockTab::Editor => html! { <EditorPanel /> },
        DockTab::Terminal => html! { <TerminalPanel /> },
        DockTab::Events => match &inputs.view {
            Some(view) => html! { <EventsPanel events={view.events.clone()} /> },
            None => waiting(),
        },
        DockTab::Logs => html! { <LogsPanel target={inputs.logs_pod.clone()} on_target={inputs.on_logs_pod.clone()} /> },
        DockTab::Dns => match &inputs.view {
            Some(view) => html! { <DnsPanel dns={view.dns.clone()} /> },
            None => waiting(),
        },
        DockTab::Chaos => match &inputs.view {
            Some(view) => html! {
                <ChaosPanel view={view.clone()} on_request={inputs.on_request.clone()}
                    on_node_command={inputs.on_node_command.clone()} />
            },
            None => waiting(),
        },
    }
}

/// The `message` of a Kubernetes `Status` answer, or the body itself when it is not one.
fn status_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|status| status.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}

#[function_component(Playground)]
fn playground() -> Html {
    let cluster = use_cluster();
    let tab = use_state_eq(|| DockTab::Editor);
    let large_text = use_state_eq(|| false);
    let notice = use_state_eq(|| None::<String>);
    let logs_pod = use_state_eq(|| None::<PodKey>);

    let has_view = cluster.status.view.is_some();
    use_effect_with(has_view, |has_view| {
        if *has_view {
            automation::mark_interactive();
        }
    });

    let client = cluster.client.clone();
    let on_speed = {
        let client = client.clone();
        Callback::from(move |speed| client.set_speed(speed))
    };
    let on_reset = {
        let (client, notice) = (client.clone(), notice.clone());
        Callback::from(move |()| {
            let notice = notice.clone();
            client.call(Call::Reset, move |reply| {
                notice.set((reply != Reply::Ok).then(|| reply_message(&reply)))
            });
        })
    };
    let on_export = {
        let (client, notice) = (client.clone(), notice.clone());
        Callback::from(move |()| {
            let notice = notice.clone();
            client.call(Call::Export, move |reply| match reply {
                Reply::Exported { yaml } => {
                    notice.set(browser_files::download("kubeplay.yaml", &yaml, "text/yaml").err())
                }
                other => notice.set(Some(reply_message(&other))),
            });
        })
    };
    let on_import = {
        let (client, notice) = (client.clone(), notice.clone());
        Callback::from(move |input: web_sys::HtmlInputElement| {
            let (client, notice) = (client.clone(), notice.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let text = browser_files::read_chosen(&input).await;
                input.set_value("");
                let yaml = match text {
                    Ok(yaml) => yaml,
                    Err(err) => return notice.set(Some(err)),
                };
                client.call(Call::Import { yaml }, move |reply| match reply {
                    Reply::Applied { report } if report.all_applied() => notice.set(None),
                    Reply::Applied { report } => notice.set(Some(report.lines().join("\n"))),
                    other => notice.set(Some(reply_message(&other))),
                });
            });
        })
    };
    let on_large_text = {
        let large_text = large_text.clone();
        Callback::from(move |on| large_text.set(on))
    };
    let on_tab = {
        let tab = tab.clone();
        Callback::from(move |next| tab.set(next))
    };
    let on_request = {
        let (client, notice) = (client.clone(), notice.clone());
        Callback::from(move |request: Request| {
            let notice = notice.clone();
            let call = Call::Api { request: ApiRequest::from_request(&request) };
            client.call(call, move |reply| match reply {
                Reply::Api { response } if response.status < 400 => notice.set(None),
                Reply::Api { response } => notice.set(Some(status_message(&response.body))),
                other => notice.set(Some(reply_message(&other))),
            });
        })
    };
    let on_node_command = {
        let (client, notice) = (client.clone(), notice.clone());
        Callback::from(move |command: NodeCommand| {
            let notice = notice.clone();
            client.call(Call::Node { command }, move |reply| {
                notice.set((reply != Reply::Ok).then(|| reply_message(&reply)))
            });
        })
    };
    let on_show_terminal = {
        let tab = tab.clone();
        Callback::from(move |()| tab.set(DockTab::Terminal))
    };
    let on_logs_pod = {
        let logs_pod = logs_pod.clone();
        Callback::from(move |pod: PodKey| logs_pod.set(Some(pod)))
    };
    // The map's "Logs" on a pod: that pod's log in the Logs tab.
    let on_logs = {
        let (logs_pod, tab) = (logs_pod.clone(), tab.clone());
        Callback::from(move |pod: PodKey| {
            logs_pod.set(Some(pod));
            tab.set(DockTab::Logs);
        })
    };
    let inputs = PanelInputs {
        view: cluster.status.view.clone(),
        on_request: on_request.clone(),
        on_node_command: on_node_command.clone(),
        logs_pod: (*logs_pod).clone(),
        on_logs_pod,
    };
    let map = match cluster.status.view.clone() {
        Some(view) => html! { <MapPanel {view} {on_request} {on_node_command} {on_logs} /> },
        None => html! { <section id="map" class="map loading" aria-busy="true">{ "Starting the cluster…" }</section> },
    };
    let panels: Vec<(DockTab, Html)> = DockTab::ALL
        .into_iter()
        .filter(|t| t.keeps_state() || *t == *tab)
        .map(|t| (t, panel(t, &inputs)))
        .collect();
    let dock = html! { <Dock selected={*tab} on_select={on_tab} {panels} /> };
    let problem = cluster.status.problem.clone().or_else(|| (*notice).clone());
    html! {
        <div class={classes!("app", large_text.then_some("large-text"))}>
            <Header
                speed={cluster.status.speed}
                {on_speed}
                saved={cluster.status.saved}
                {on_reset}
                {on_export}
                {on_import}
                large_text={*large_text}
                {on_large_text}
            />
            <AgentsBar />
            if let Some(problem) = problem {
                <div id="problem" class="error" role="alert">{ problem }</div>
            }
            <main class="workspace">
                <Split first={map} second={dock} />
                <LessonsPanel {on_show_terminal} />
            </main>
        </div>
    }
}
