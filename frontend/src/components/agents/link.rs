//! The join link a presenter shares (`/?agent=ws://host:port&token=…`): read once, then taken
//! out of the address bar with `history.replaceState`, so the token does not stay in the URL,
//! the history or a bookmark.

use crate::query;

/// The agent URL and token the page was opened with, if any; strips them from the URL.
pub fn take_from_location() -> Option<(String, String)> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().ok()?;
    let decode = |v: &str| {
        js_sys::decode_uri_component(&v.replace('+', " "))
            .ok()
            .map(String::from)
    };
    let url = decode(query::param(&search, "agent")?)?;
    let token = query::param(&search, "token")
        .and_then(decode)
        .unwrap_or_default();
    let rest = without(&search, &["agent", "token"]);
    let path = location.pathname().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{rest}{hash}")),
        );
    }
    Some((url, token))
}

/// The query string without `keys` (with its `?`, or empty).
pub fn without(search: &str, keys: &[&str]) -> String {
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && !keys.contains(&pair.split('=').next().unwrap_or("")))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::without;

    #[test]
    fn the_agent_and_token_leave_the_query_and_the_rest_stays() {
        assert_eq!(
            without("?agent=ws://h:1&token=abc", &["agent", "token"]),
            ""
        );
        assert_eq!(
            without("?seed=3&agent=x&token=y&n=1", &["agent", "token"]),
            "?seed=3&n=1"
        );
    }
}
