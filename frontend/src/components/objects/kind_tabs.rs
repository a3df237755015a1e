//! One tab per object kind; choosing one lists that kind in the selected namespace.

use crate::kinds::ObjectKind;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct KindTabsProps {
    pub selected: ObjectKind,
    pub on_select: Callback<ObjectKind>,
}

#[function_component(KindTabs)]
pub fn kind_tabs(props: &KindTabsProps) -> Html {
    let tabs = ObjectKind::ALL.iter().map(|&kind| {
        let onclick = {
            let on_select = props.on_select.clone();
            Callback::from(move |_: MouseEvent| on_select.emit(kind))
        };
        let class = classes!("tab", (kind == props.selected).then_some("selected"));
        html! { <button key={kind.plural()} {class} {onclick} data-kind={kind.plural()}>{ kind.label() }</button> }
    });
    html! { <div class="tabs" role="tablist">{ for tabs }</div> }
}
