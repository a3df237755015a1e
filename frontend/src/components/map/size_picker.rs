//! Pick a node size, then confirm with a button: a select that acted on change would fire on
//! every arrow key for keyboard users.

use crate::view::commands::NODE_SIZES;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SizePickerProps {
    /// The button's text (`Add node`, `Resize`).
    pub action: AttrValue,
    /// What the select is for, for screen readers.
    pub label: AttrValue,
    /// The index into [`NODE_SIZES`] chosen.
    pub on_pick: Callback<usize>,
}

#[function_component(SizePicker)]
pub fn size_picker(props: &SizePickerProps) -> Html {
    let chosen = use_state(|| None::<usize>);
    let onchange = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            chosen.set(select.value().parse().ok());
        })
    };
    let onclick = {
        let (chosen, on_pick) = (chosen.clone(), props.on_pick.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = *chosen {
                on_pick.emit(i);
            }
        })
    };
    html! {
        <span class="size-picker">
            <select aria-label={props.label.clone()} {onchange}>
                <option value="" selected={chosen.is_none()}>{ "size…" }</option>
                { for NODE_SIZES.iter().enumerate().map(|(i, (label, ..))| html! {
                    <option value={i.to_string()} selected={*chosen == Some(i)}>{ *label }</option>
                }) }
            </select>
            <button type="button" {onclick} disabled={chosen.is_none()}>{ props.action.clone() }</button>
        </span>
    }
}
