//! How Go spells the types and values that appear in decode errors.
//!
//! Kubernetes' type errors name Go types (`int32`, `[]v1.Container`); we derive
//! them from the Rust type the k8s-openapi field has, which mirrors the Go one.

use serde_json::Value;

/// The Go spelling of a Rust type name from `std::any::type_name`.
///
/// `alloc::vec::Vec<k8s_openapi::api::core::v1::container::Container>` becomes
/// `[]v1.Container`; `core::option::Option<i32>` becomes `int32` (Go reports the
/// pointed-to type, not the pointer).
pub(crate) fn go_type(rust: &str) -> String {
    let rust = rust.trim();
    if let Some((outer, args)) = split_generic(rust) {
        let args = split_args(args);
        return match (last_segment(outer), args.as_slice()) {
            ("Option" | "Box", [inner]) => go_type(inner),
            ("Vec", [inner]) => format!("[]{}", go_type(inner)),
            ("BTreeMap" | "HashMap", [k, v]) => format!("map[{}]{}", go_type(k), go_type(v)),
            _ => last_segment(outer).to_string(),
        };
    }
    match rust {
        "alloc::string::String" | "str" | "&str" => "string".into(),
        "i8" | "i16" | "i32" | "i64" => format!("int{}", &rust[1..]),
        "u8" | "u16" | "u32" | "u64" => format!("uint{}", &rust[1..]),
        "f32" | "f64" => format!("float{}", &rust[1..]),
        "bool" => "bool".into(),
        "k8s_openapi::ByteString" | "k8s_openapi::_byte_string::ByteString" => "[]uint8".into(),
        // metav1.Time reads its JSON as a string before parsing it.
        "jiff::timestamp::Timestamp" => "string".into(),
        "serde_json::value::Value" => "interface {}".into(),
        _ => {
            let segments: Vec<&str> = rust.split("::").collect();
            match segments.as_slice() {
                // k8s_openapi::api::apps::v1::deployment_spec::DeploymentSpec
                [.., package, _file, name] => format!("{package}.{name}"),
                _ => last_segment(rust).to_string(),
            }
        }
    }
}

/// Go's name for the type `T` (see [`go_type`]).
pub(crate) fn go_type_of<T: ?Sized>() -> String {
    go_type(std::any::type_name::<T>())
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// `Vec<A>` into (`Vec`, `A`), if the name has generic arguments.
fn split_generic(name: &str) -> Option<(&str, &str)> {
    let open = name.find('<')?;
    let inner = name[open + 1..].strip_suffix('>')?;
    Some((&name[..open], inner))
}

/// Splits `K, V` at top-level commas only.
fn split_args(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in args.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(args[start..].trim());
    out
}

/// How Go's JSON decoder names what it found in a type error
/// (`cannot unmarshal array into ...`); the decode tree's `Node::go_kind` agrees.
pub fn go_json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Go's `strconv.Quote` for the strings that appear in field paths.
pub(crate) fn quote(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Container;
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use std::collections::BTreeMap;

    #[test]
    fn json_kinds_read_like_gos_decoder() {
        assert_eq!(go_json_kind(&serde_json::json!([1])), "array");
        assert_eq!(go_json_kind(&serde_json::json!("x")), "string");
        assert_eq!(go_json_kind(&serde_json::json!({})), "object");
    }

    #[test]
    fn scalars_read_like_go() {
        assert_eq!(go_type_of::<i32>(), "int32");
        assert_eq!(go_type_of::<Option<i64>>(), "int64");
        assert_eq!(go_type_of::<String>(), "string");
        assert_eq!(go_type_of::<bool>(), "bool");
        assert_eq!(go_type_of::<f64>(), "float64");
    }

    #[test]
    fn kubernetes_types_carry_their_package() {
        assert_eq!(go_type_of::<Vec<Container>>(), "[]v1.Container");
        assert_eq!(
            go_type_of::<k8s_openapi::api::apps::v1::DeploymentSpec>(),
            "v1.DeploymentSpec"
        );
        assert_eq!(
            go_type_of::<BTreeMap<String, String>>(),
            "map[string]string"
        );
        assert_eq!(
            go_type_of::<BTreeMap<String, Quantity>>(),
            "map[string]resource.Quantity"
        );
        assert_eq!(go_type_of::<k8s_openapi::ByteString>(), "[]uint8");
    }
}
