//! The tabbed dock under the map: one tab per panel, arrow keys move between tabs as in any
//! tablist. Panels whose state a student would miss (the editor's open file, cursor and
//! results; the terminal's scrollback) stay mounted and hidden while another tab shows; the
//! others are rendered only while selected, so they cost nothing in the background.

use yew::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DockTab {
    Editor,
    Terminal,
    Objects,
    Events,
    Logs,
    Dns,
    Chaos,
}

impl DockTab {
    pub const ALL: [DockTab; 7] = [
        Self::Editor,
        Self::Terminal,
        Self::Objects,
        Self::Events,
        Self::Logs,
        Self::Dns,
        Self::Chaos,
    ];

    /// The `data-dock` attribute tests select tabs by.
    pub fn id(self) -> &'static str {
        match self {
            Self::Editor => "editor",
            Self::Terminal => "terminal",
            Self::Objects => "objects",
            Self::Events => "events",
            Self::Logs => "logs",
            Self::Dns => "dns",
            Self::Chaos => "chaos",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Editor => "Editor",
            Self::Terminal => "Terminal",
            Self::Objects => "Objects",
            Self::Events => "Events",
            Self::Logs => "Logs",
            Self::Dns => "DNS",
            Self::Chaos => "Chaos & traffic",
        }
    }

    /// Whether the panel stays mounted (hidden) while another tab is selected. Neither
    /// subscribes to the cluster's view, so hidden they do not re-render.
    pub fn keeps_state(self) -> bool {
        matches!(self, Self::Editor | Self::Terminal)
    }

    /// The tab `step` places away, wrapping around (arrow-key navigation).
    pub fn step(self, step: isize) -> Self {
        let len = Self::ALL.len() as isize;
        let at = Self::ALL.iter().position(|t| *t == self).unwrap_or(0) as isize;
        Self::ALL[(at + step).rem_euclid(len) as usize]
    }
}

#[derive(Properties, PartialEq)]
pub struct DockProps {
    pub selected: DockTab,
    pub on_select: Callback<DockTab>,
    /// The panels to mount: the selected tab's, and every tab's that [`DockTab::keeps_state`].
    pub panels: Vec<(DockTab, Html)>,
}

#[function_component(Dock)]
pub fn dock(props: &DockProps) -> Html {
    let selected = props.selected;
    let onkeydown = {
        let on_select = props.on_select.clone();
        Callback::from(move |event: KeyboardEvent| {
            let step = match event.key().as_str() {
                "ArrowRight" => 1,
                "ArrowLeft" => -1,
                _ => return,
            };
            event.prevent_default();
            let next = selected.step(step);
            on_select.emit(next);
            // Keyboard users follow the selection, as in any tablist.
            let tab = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("tab-{}", next.id())))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok());
            if let Some(tab) = tab {
                let _ = tab.focus();
            }
        })
    };
    let tabs = DockTab::ALL.iter().map(|&tab| {
        let onclick = props.on_select.reform(move |_: MouseEvent| tab);
        let is_selected = tab == selected;
        html! {
            <button key={tab.id()} role="tab" id={format!("tab-{}", tab.id())} data-dock={tab.id()}
                class={classes!("dock-tab", is_selected.then_some("selected"))}
                aria-selected={is_selected.to_string()} aria-controls={format!("panel-{}", tab.id())}
                tabindex={if is_selected { "0" } else { "-1" }} {onclick}>
                { tab.label() }
            </button>
        }
    });
    let panels = props.panels.iter().map(|(tab, content)| {
        html! {
            <div key={tab.id()} id={format!("panel-{}", tab.id())} class="dock-panel" role="tabpanel"
                data-panel={tab.id()} aria-labelledby={format!("tab-{}", tab.id())} hidden={*tab != selected}>
                { content.clone() }
            </div>
        }
    });
    html! {
        <section class="dock">
            <div class="dock-tabs" role="tablist" aria-label="Panels" {onkeydown}>{ for tabs }</div>
            { for panels }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrow_keys_wrap_around_the_tabs() {
        assert_eq!(DockTab::Editor.step(1), DockTab::Terminal);
        assert_eq!(DockTab::Editor.step(-1), DockTab::Chaos);
        assert_eq!(DockTab::Chaos.step(1), DockTab::Editor);
    }
}
