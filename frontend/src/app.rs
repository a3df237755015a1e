//! The playground's root component: wires state, the cluster hook and the components together.

use crate::components::{
    error_banner::ErrorBanner, header::Header, kind_tabs::KindTabs, namespace_list::NamespaceList,
    object_table::ObjectTable,
};
use crate::hooks::use_cluster::use_cluster;
use crate::kinds::ObjectKind;
use crate::state::{Action, State};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// Fixes every uid, IP and generated name the core hands out.
    pub seed: u64,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let state = use_reducer(State::default);
    let cluster = use_cluster(props.seed);

    {
        let (cluster, dispatch) = (cluster.clone(), state.dispatcher());
        use_effect_with((), move |_| cluster.load_namespaces(&dispatch));
    }
    {
        let (cluster, dispatch) = (cluster.clone(), state.dispatcher());
        use_effect_with(
            (state.kind, state.namespace.clone()),
            move |(kind, namespace)| {
                let refresh = cluster.follow_objects(*kind, namespace.clone(), dispatch);
                move || drop(refresh)
            },
        );
    }

    let on_namespace = {
        let dispatch = state.dispatcher();
        Callback::from(move |namespace: String| {
            dispatch.dispatch(Action::SelectNamespace(namespace))
        })
    };
    let on_kind = {
        let dispatch = state.dispatcher();
        Callback::from(move |kind: ObjectKind| dispatch.dispatch(Action::SelectKind(kind)))
    };

    html! {
        <div class="app">
            <Header seed={props.seed} />
            <ErrorBanner message={state.error.clone()} />
            <main>
                <NamespaceList
                    namespaces={state.namespaces.clone()}
                    selected={state.namespace.clone()}
                    on_select={on_namespace}
                />
                <section class="objects">
                    <KindTabs selected={state.kind} on_select={on_kind} />
                    <ObjectTable
                        kind={state.kind}
                        namespace={state.namespace.clone()}
                        table={state.table.clone()}
                        loading={state.loading}
                    />
                </section>
            </main>
        </div>
    }
}
