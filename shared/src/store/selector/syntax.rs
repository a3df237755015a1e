//! Label key and value syntax as selectors check it: the same rules as object
//! validation (in `api::names`), but selectors word a length limit in bytes.

use crate::api::names::{self, LengthUnit};

/// Problems with a label key (`[prefix/]name`), empty if it is valid.
pub(crate) fn label_key_errors(key: &str) -> Vec<String> {
    names::label_key_errors(key, LengthUnit::Bytes)
}

/// Problems with a label value, empty if it is valid.
pub(crate) fn label_value_errors(value: &str) -> Vec<String> {
    names::label_value_errors(value, LengthUnit::Bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_keys_and_values_pass() {
        for key in ["app", "app.kubernetes.io/name", "a", "A-b_c.d", "x/y"] {
            assert!(label_key_errors(key).is_empty(), "{key}");
        }
        for value in ["", "web", "v1.2_3-x"] {
            assert!(label_value_errors(value).is_empty(), "{value}");
        }
    }

    #[test]
    fn bad_keys_read_like_kubernetes() {
        assert_eq!(
            label_key_errors("-app"),
            ["name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]
        );
        assert_eq!(label_key_errors("/app"), ["prefix part must be non-empty"]);
        assert_eq!(label_key_errors("Example.com/app").len(), 1);
        assert!(label_key_errors("Example.com/app")[0]
            .starts_with("prefix part a lowercase RFC 1123 subdomain"));
        assert_eq!(label_key_errors("a/b/c").len(), 1);
        assert!(label_key_errors("a/b/c")[0].starts_with("a valid label key must consist"));
        assert_eq!(
            label_key_errors("a/").len(),
            2,
            "empty name is both empty and malformed"
        );
        assert_eq!(
            label_key_errors(&"k".repeat(64)),
            ["name part must be no more than 63 bytes"]
        );
    }

    #[test]
    fn bad_values_read_like_kubernetes() {
        assert_eq!(
            label_value_errors("a b"),
            ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]
        );
        assert_eq!(
            label_value_errors(&"v".repeat(64)),
            ["must be no more than 63 bytes"]
        );
    }
}
