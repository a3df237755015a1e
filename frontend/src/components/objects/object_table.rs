//! The object list as `kubectl get` prints it: whatever columns the API server's Table gives.
//! A row opens its object (click, or Enter/Space on the focused row); rows carry
//! `data-object="kind/namespace/name"` for tests.

use crate::kinds::ObjectKind;
use crate::table::Table;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ObjectTableProps {
    pub kind: ObjectKind,
    pub namespace: String,
    pub table: Table,
    pub loading: bool,
    /// The name of the open object, if it is of this kind and namespace.
    #[prop_or_default]
    pub selected: Option<String>,
    #[prop_or_default]
    pub on_select: Callback<String>,
}

/// The kind as Kubernetes names it, lower-cased (`deployment`), for `data-object`.
pub fn kind_id(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Pod => "pod",
        ObjectKind::Deployment => "deployment",
        ObjectKind::ReplicaSet => "replicaset",
        ObjectKind::Service => "service",
        ObjectKind::ConfigMap => "configmap",
        ObjectKind::Node => "node",
    }
}

#[function_component(ObjectTable)]
pub fn object_table(props: &ObjectTableProps) -> Html {
    let Table { columns, rows } = &props.table;
    let namespace = if props.kind.namespaced() { props.namespace.as_str() } else { "" };
    let body = if rows.is_empty() {
        let note = if props.loading {
            "Loading…".to_string()
        } else {
            format!("No resources found in {} namespace.", props.namespace)
        };
        let span = columns.len().max(1).to_string();
        html! { <tr class="empty"><td colspan={span}>{ note }</td></tr> }
    } else {
        rows.iter()
            .map(|row| {
                let selected = props.selected.as_deref() == Some(row.name.as_str());
                let onclick = {
                    let (on_select, name) = (props.on_select.clone(), row.name.clone());
                    Callback::from(move |_: MouseEvent| on_select.emit(name.clone()))
                };
                let onkeydown = {
                    let (on_select, name) = (props.on_select.clone(), row.name.clone());
                    Callback::from(move |e: KeyboardEvent| {
                        if e.key() == "Enter" || e.key() == " " {
                            e.prevent_default();
                            on_select.emit(name.clone());
                        }
                    })
                };
                html! {
                    <tr key={row.name.clone()} data-name={row.name.clone()} class={classes!("object-row", selected.then_some("selected"))}
                        data-object={format!("{}/{namespace}/{}", kind_id(props.kind), row.name)}
                        tabindex="0" aria-selected={selected.to_string()} {onclick} {onkeydown}>
                        { for row.cells.iter().map(|cell| html! { <td>{ cell }</td> }) }
                    </tr>
                }
            })
            .collect::<Html>()
    };
    html! {
        <table id="objects" data-kind={props.kind.plural()}>
            <thead><tr>{ for columns.iter().map(|c| html! { <th>{ c }</th> }) }</tr></thead>
            <tbody>{ body }</tbody>
        </table>
    }
}
