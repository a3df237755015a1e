//! Decoded JSON printed the way Go's `%v` prints it.
//!
//! Kubernetes' strategic-merge errors embed the offending map with `%v`
//! (`map[image:nginx]`), so our messages render values the same way.

use crate::api::go_float;
use serde_json::{Number, Value};

/// `%v` of a value decoded into `interface{}`: `map[k:v]`, `[a b]`, `<nil>`.
pub fn go_value(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

/// The Go type name a decoded value has, as `reflect.TypeOf` prints it.
pub fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "%!s(<nil>)",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push_str("map[");
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, item);
            }
            out.push(']');
        }
    }
}

/// Integers print as digits; floats as Go's shortest `%g`.
fn go_number(n: &Number) -> String {
    match n.as_f64().filter(|_| n.is_f64()) {
        Some(f) => go_float::format_g(f, false),
        None => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_print_sorted_with_bare_strings() {
        let v = json!({"image": "nginx", "ports": [{"containerPort": 80}], "tty": true, "x": null});
        assert_eq!(
            go_value(&v),
            "map[image:nginx ports:[map[containerPort:80]] tty:true x:<nil>]"
        );
    }

    #[test]
    fn floats_follow_go_shortest_g() {
        assert_eq!(go_value(&json!(1.5)), "1.5");
        assert_eq!(go_value(&json!(1000000.0)), "1e+06");
        assert_eq!(go_value(&json!(0.00001)), "1e-05");
        assert_eq!(go_value(&json!(123456.0)), "123456");
    }

    #[test]
    fn type_names_match_reflect() {
        assert_eq!(go_type(&json!("a")), "string");
        assert_eq!(go_type(&json!([1])), "[]interface {}");
        assert_eq!(go_type(&json!({})), "map[string]interface {}");
    }
}
