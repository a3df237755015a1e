//! Reads the page URL's query string (`?bench=store&n=500`), which is how tests and the benchmark
//! harness configure the page without a UI.

/// The first value of `key` in a query string with or without its leading `?`.
pub fn param<'a>(search: &'a str, key: &str) -> Option<&'a str> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_finds_a_key_anywhere_in_the_query() {
        assert_eq!(param("?bench=store&n=500", "n"), Some("500"));
        assert_eq!(param("bench=store", "bench"), Some("store"));
        assert_eq!(param("?flag&x=1", "flag"), Some(""));
    }

    #[test]
    fn param_is_none_for_missing_or_prefix_keys() {
        assert_eq!(param("?bench=store", "seed"), None);
        assert_eq!(param("?nn=3", "n"), None);
        assert_eq!(param("", "n"), None);
    }
}
