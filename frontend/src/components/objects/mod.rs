//! The Objects tab: namespaces on the side, one tab per kind, and the server-side Table
//! `kubectl get` prints, read from the worker every [`REFRESH_MS`] so ages and states move.
//! Choosing a row opens the object beside the table: its YAML, an editor and a diff.

pub mod diff_view;
pub mod edit;
pub mod inspector;
pub mod kind_tabs;
pub mod namespace_list;
pub mod object_table;

use crate::components::error_banner::ErrorBanner;
use crate::hooks::use_cluster::use_cluster;
use crate::kinds::ObjectKind;
use crate::protocol::{ApiRequest, ApiResponse};
use crate::state::{Action, State};
use crate::table::{Table, ACCEPT_TABLE};
use gloo_timers::callback::Interval;
use inspector::ObjectInspector;
use kind_tabs::KindTabs;
use namespace_list::NamespaceList;
use object_table::ObjectTable;
use serde_json::Value;
use yew::prelude::*;

const REFRESH_MS: u32 = 1_000;

/// The API's message for a refused request, as the page shows it.
fn refusal(path: &str, response: &ApiResponse) -> String {
    let body = response.json();
    let message = body.get("message").and_then(Value::as_str).unwrap_or("no message");
    format!("GET {path}: {} {message}", response.status)
}

fn namespaces_of(response: &ApiResponse) -> Option<Vec<String>> {
    let body = response.json();
    let items = body.get("items")?.as_array()?;
    Some(
        items
            .iter()
            .filter_map(|ns| ns.pointer("/metadata/name").and_then(Value::as_str))
            .map(str::to_string)
            .collect(),
    )
}

#[function_component(ObjectsPanel)]
pub fn objects_panel() -> Html {
    let state = use_reducer(State::default);
    let cluster = use_cluster();
    // The open object: (kind, namespace, name) as chosen; shown only while its kind and
    // namespace are the ones listed.
    let open = use_state_eq(|| None::<(ObjectKind, String, String)>);

    {
        let (client, dispatch) = (cluster.client.clone(), state.dispatcher());
        use_effect_with((state.kind, state.namespace.clone()), move |(kind, namespace)| {
            let load = {
                let (kind, namespace) = (*kind, namespace.clone());
                move || {
                    let path = "/api/v1/namespaces";
                    let on_namespaces = dispatch.clone();
                    client.api(ApiRequest::get(path), move |response| {
                        on_namespaces.dispatch(match namespaces_of(&response) {
                            Some(names) if response.is_success() => Action::NamespacesLoaded(names),
                            _ => Action::RequestFailed(refusal(path, &response)),
                        })
                    });
                    let path = kind.list_path(&namespace);
                    let on_table = dispatch.clone();
                    let request = ApiRequest::get(&path).with_header("Accept", ACCEPT_TABLE);
                    client.api(request, move |response| {
                        if !response.is_success() {
                            return on_table.dispatch(Action::RequestFailed(refusal(&path, &response)));
                        }
                        on_table.dispatch(match Table::from_json(&response.json()) {
                            Ok(table) => Action::TableLoaded(table),
                            Err(err) => Action::RequestFailed(format!("GET {path}: {err}")),
                        })
                    });
                }
            };
            load();
            let refresh = Interval::new(REFRESH_MS, load);
            move || drop(refresh)
        });
    }

    let on_namespace = {
        let dispatch = state.dispatcher();
        Callback::from(move |namespace: String| dispatch.dispatch(Action::SelectNamespace(namespace)))
    };
    let on_kind = {
        let dispatch = state.dispatcher();
        Callback::from(move |kind: ObjectKind| dispatch.dispatch(Action::SelectKind(kind)))
    };
    let open_here = open
        .as_ref()
        .filter(|(kind, namespace, _)| *kind == state.kind && (!kind.namespaced() || *namespace == state.namespace))
        .cloned();
    let on_open = {
        let (open, kind, namespace) = (open.clone(), state.kind, state.namespace.clone());
        Callback::from(move |name: String| open.set(Some((kind, namespace.clone(), name))))
    };
    let on_close = {
        let open = open.clone();
        Callback::from(move |()| open.set(None))
    };
    html! {
        <div class={classes!("objects-panel", open_here.is_some().then_some("inspecting"))}>
            <NamespaceList
                namespaces={state.namespaces.clone()}
                selected={state.namespace.clone()}
                on_select={on_namespace}
            />
            <section class="objects">
                <ErrorBanner message={state.error.clone()} />
                <KindTabs selected={state.kind} on_select={on_kind} />
                <ObjectTable
                    kind={state.kind}
                    namespace={state.namespace.clone()}
                    table={state.table.clone()}
                    loading={state.loading}
                    selected={open_here.as_ref().map(|(_, _, name)| name.clone())}
                    on_select={on_open}
                />
            </section>
            if let Some((kind, namespace, name)) = open_here {
                <ObjectInspector {kind} {namespace} {name} {on_close} />
            }
        </div>
    }
}
