//! One Event: type, reason, object, message, how often and how long ago, as kubectl prints it.

use crate::view::EventView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EventRowProps {
    pub event: EventView,
}

#[function_component(EventRow)]
pub fn event_row(props: &EventRowProps) -> Html {
    let e = &props.event;
    let warning = e.kind == "Warning";
    html! {
        <li class={classes!("event", if warning { "warning" } else { "normal" })}>
            <span class="event-age" title="last seen">{ &e.last_seen }</span>
            <span class="event-type">{ &e.kind }</span>
            <span class="event-reason">{ &e.reason }</span>
            <code class="event-object">{ &e.object }</code>
            if e.count > 1 { <span class="event-count" title="times seen">{ format!("×{}", e.count) }</span> }
            <span class="event-message">{ &e.message }</span>
            <span class="event-source">{ &e.source }</span>
        </li>
    }
}
