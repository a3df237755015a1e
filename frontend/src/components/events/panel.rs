//! The Events timeline panel: newest first, Warnings stand out and can be shown alone.

use super::event_row::EventRow;
use crate::view::EventView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EventsPanelProps {
    /// Newest first, as the view carries them.
    pub events: Vec<EventView>,
}

#[function_component(EventsPanel)]
pub fn events_panel(props: &EventsPanelProps) -> Html {
    let warnings_only = use_state(|| false);
    let toggle = {
        let warnings_only = warnings_only.clone();
        Callback::from(move |_: Event| warnings_only.set(!*warnings_only))
    };
    let warnings = props.events.iter().filter(|e| e.kind == "Warning").count();
    let shown = props.events.iter().filter(|e| !*warnings_only || e.kind == "Warning");
    html! {
        <section class="events-panel" aria-label="Events">
            <header>
                <h3>{ "Events" }</h3>
                <span class="muted">{ "kubectl get events, newest first" }</span>
                <label class="toggle">
                    <input type="checkbox" checked={*warnings_only} onchange={toggle} />
                    { format!("Warnings only ({warnings})") }
                </label>
            </header>
            if props.events.is_empty() {
                <p class="hint">{ "No events yet. Create a Deployment and watch the controllers, the scheduler and the kubelet report." }</p>
            } else {
                <ol class="events" aria-live="polite" aria-relevant="additions">
                    { for shown.map(|e| html! { <EventRow event={e.clone()} /> }) }
                </ol>
            }
        </section>
    }
}
