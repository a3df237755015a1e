//! The namespace sidebar: every namespace the API lists, the selected one highlighted.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NamespaceListProps {
    pub namespaces: Vec<String>,
    pub selected: String,
    pub on_select: Callback<String>,
}

#[function_component(NamespaceList)]
pub fn namespace_list(props: &NamespaceListProps) -> Html {
    let items = props.namespaces.iter().map(|name| {
        let onclick = {
            let (on_select, name) = (props.on_select.clone(), name.clone());
            Callback::from(move |_: MouseEvent| on_select.emit(name.clone()))
        };
        let class = classes!("namespace", (*name == props.selected).then_some("selected"));
        html! {
            <li key={name.clone()} {class} data-namespace={name.clone()}>
                <button {onclick}>{ name }</button>
            </li>
        }
    });
    html! {
        <nav class="namespaces">
            <h2>{ "Namespaces" }</h2>
            <ul id="namespaces">{ for items }</ul>
        </nav>
    }
}
