//! Shows the API's answer when a request fails, so a broken core is visible rather than an empty page.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    pub message: Option<String>,
}

#[function_component(ErrorBanner)]
pub fn error_banner(props: &ErrorBannerProps) -> Html {
    match &props.message {
        Some(message) => html! { <div id="error" class="error" role="alert">{ message }</div> },
        None => html! {},
    }
}
