//! The object list as `kubectl get` prints it: whatever columns the API server's Table gives.

use crate::kinds::ObjectKind;
use crate::table::Table;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ObjectTableProps {
    pub kind: ObjectKind,
    pub namespace: String,
    pub table: Table,
    pub loading: bool,
}

#[function_component(ObjectTable)]
pub fn object_table(props: &ObjectTableProps) -> Html {
    let Table { columns, rows } = &props.table;
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
                html! {
                    <tr key={row.name.clone()} data-name={row.name.clone()}>
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
