//! The object list, laid out like `kubectl get`: name, a kind-specific status column, creation time.

use crate::kinds::ObjectKind;
use crate::rows::ObjectRow;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ObjectTableProps {
    pub kind: ObjectKind,
    pub rows: Vec<ObjectRow>,
    pub loading: bool,
}

#[function_component(ObjectTable)]
pub fn object_table(props: &ObjectTableProps) -> Html {
    let body = if props.rows.is_empty() {
        let note = if props.loading {
            "Loading…".to_string()
        } else {
            format!("No {} found.", props.kind.plural())
        };
        html! { <tr class="empty"><td colspan="3">{ note }</td></tr> }
    } else {
        props
            .rows
            .iter()
            .map(|row| {
                html! {
                    <tr key={row.name.clone()} data-name={row.name.clone()}>
                        <td>{ &row.name }</td>
                        <td>{ &row.status }</td>
                        <td>{ &row.created }</td>
                    </tr>
                }
            })
            .collect::<Html>()
    };
    html! {
        <table id="objects" data-kind={props.kind.plural()}>
            <thead><tr><th>{ "NAME" }</th><th>{ "STATUS" }</th><th>{ "CREATED" }</th></tr></thead>
            <tbody>{ body }</tbody>
        </table>
    }
}
