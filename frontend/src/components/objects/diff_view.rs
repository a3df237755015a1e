//! A line diff drawn as `diff -u` prints it: removed lines red with `-`, added lines green with
//! `+`, unchanged stretches folded; the markers make it readable without colour too.

use crate::diff::DiffLine;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiffViewProps {
    pub lines: Vec<DiffLine>,
    /// What the two sides are (`opened → now`), for the heading and screen readers.
    pub caption: AttrValue,
}

#[function_component(DiffView)]
pub fn diff_view(props: &DiffViewProps) -> Html {
    let rows = props.lines.iter().map(|line| {
        let (class, text) = match line {
            DiffLine::Same(t) => ("diff-same", t.clone()),
            DiffLine::Added(t) => ("diff-add", t.clone()),
            DiffLine::Removed(t) => ("diff-del", t.clone()),
            DiffLine::Folded(n) => (
                "diff-fold",
                format!("{n} unchanged line{}", if *n == 1 { "" } else { "s" }),
            ),
        };
        html! {
            <div class={classes!("diff-line", class)}>
                <span class="diff-marker" aria-hidden="true">{ line.marker() }</span>
                <span class="diff-text">{ text }</span>
            </div>
        }
    });
    html! {
        <figure id="object-diff" class="object-diff" aria-label={props.caption.clone()}>
            <figcaption>{ props.caption.clone() }</figcaption>
            if props.lines.iter().all(|l| matches!(l, DiffLine::Same(_) | DiffLine::Folded(_))) {
                <p class="diff-none">{ "No changes." }</p>
            } else {
                <div class="diff-lines">{ for rows }</div>
            }
        </figure>
    }
}
