//! The control plane box: API server, etcd, scheduler and controller manager, each lit while
//! it acts, with what it did since the last view.

use crate::view::ActivityView;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlPlaneProps {
    pub activity: ActivityView,
}

#[derive(Properties, PartialEq)]
struct ComponentProps {
    name: &'static str,
    role: &'static str,
    /// What it did since the last view; 0 leaves it dark.
    count: u64,
    unit: &'static str,
    #[prop_or_default]
    detail: Option<String>,
    class: &'static str,
}

#[function_component(Component)]
fn component(props: &ComponentProps) -> Html {
    let active = props.count > 0;
    let class = classes!("cp-component", props.class, active.then_some("active"));
    html! {
        <div {class} title={props.role}>
            <span class="cp-head">
                <span class="cp-name">{ props.name }</span>
                <span class="cp-count">
                    { if active { format!("+{} {}", props.count, props.unit) } else { "idle".to_string() } }
                </span>
            </span>
            // While the controller manager works, which loops worked replaces its role line.
            <span class="cp-role">{ props.detail.clone().unwrap_or_else(|| props.role.to_string()) }</span>
        </div>
    }
}

#[function_component(ControlPlane)]
pub fn control_plane(props: &ControlPlaneProps) -> Html {
    let a = &props.activity;
    let controllers = (!a.controllers.is_empty()).then(|| {
        a.controllers.iter().take(3).map(|c| c.name.trim_end_matches("-controller").to_string()).collect::<Vec<_>>().join(", ")
    });
    html! {
        <section class="control-plane" aria-label="Control plane">
            <h3>{ "Control plane" }</h3>
            <div class="cp-grid">
                <Component name="etcd" role="stores every object" count={a.store_writes} unit="writes" class="cp-etcd" />
                <Component name="API Server" role="the only way in: validates and stores" count={a.api_server()} unit="calls" class="cp-api" />
                <Component name="Scheduler" role="picks a node for each new pod" count={a.scheduler} unit="writes" class="cp-scheduler" />
                <Component name="Controller Manager" role="makes actual match desired" count={a.controller_manager()} unit="writes" detail={controllers} class="cp-controllers" />
            </div>
        </section>
    }
}
