//! JSON Pointer (RFC 6901): the paths JSON patch operations address.
//!
//! Kept apart from the operations so escaping and array-index rules are
//! decided once.

/// Splits `/a/b~1c` into `["a", "b/c"]`. `None` for a path that is not a
/// pointer (no leading `/`); the empty path is the whole document.
pub fn parse(path: &str) -> Option<Vec<String>> {
    if path.is_empty() {
        return Some(Vec::new());
    }
    let rest = path.strip_prefix('/')?;
    Some(rest.split('/').map(unescape).collect())
}

/// `~1` is `/` and `~0` is `~`, decoded in that order so that `~01` means `~1`.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Reads an array index the way the API server's JSON-patch library does
/// (Go's `strconv.Atoi`): an optional sign and decimal digits.
pub fn index(token: &str) -> Option<i64> {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unescaped_slash_before_tilde() {
        assert_eq!(
            parse("/metadata/annotations/a~1b~0c").unwrap(),
            ["metadata", "annotations", "a/b~c"]
        );
        assert_eq!(parse("/x~01").unwrap(), ["x~1"]);
    }

    #[test]
    fn empty_path_is_the_document_and_a_bare_name_is_not_a_pointer() {
        assert_eq!(parse("").unwrap(), Vec::<String>::new());
        assert_eq!(parse("/").unwrap(), [""]);
        assert!(parse("spec").is_none());
    }

    #[test]
    fn indices_are_signed_decimal() {
        assert_eq!(index("0"), Some(0));
        assert_eq!(index("12"), Some(12));
        assert_eq!(index("-1"), Some(-1));
        assert_eq!(index("-"), None);
        assert_eq!(index("1a"), None);
        assert_eq!(index(""), None);
    }
}
