//! Stands in for a panel that is not built yet, saying so plainly.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PlaceholderProps {
    pub title: AttrValue,
    pub note: AttrValue,
}

#[function_component(Placeholder)]
pub fn placeholder(props: &PlaceholderProps) -> Html {
    html! {
        <div class="placeholder">
            <h2>{ &props.title }</h2>
            <p>{ &props.note }</p>
        </div>
    }
}
