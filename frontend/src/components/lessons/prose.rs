//! A lesson's text as HTML: paragraphs split at blank lines, `code` in backticks. Nothing
//! else is interpreted, so a lesson file cannot inject markup.

use yew::prelude::*;

/// One line of text with its backticked parts as `<code>`.
pub fn inline(text: &str) -> Html {
    let parts = text.split('`').enumerate().map(|(i, part)| {
        if i % 2 == 1 {
            html! { <code>{ part }</code> }
        } else {
            html! { { part } }
        }
    });
    html! { <>{ for parts }</> }
}

/// Paragraphs of text.
pub fn paragraphs(text: &str) -> Html {
    let paragraphs = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| html! { <p>{ inline(&p.replace('\n', " ")) }</p> });
    html! { <>{ for paragraphs }</> }
}
