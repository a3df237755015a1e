//! JSON merge patch (RFC 7386): `kubectl scale` and `--type=merge` send these.
//!
//! Objects merge member by member, `null` deletes, everything else replaces;
//! as in the server's library, nulls are also pruned from values put in place.

use super::PatchError;
use serde_json::{Map, Value};

/// Applies a merge-patch body to `target`.
pub fn apply(target: &Value, body: &[u8]) -> Result<Value, PatchError> {
    let patch: Value = serde_json::from_slice(body).map_err(|_| PatchError::InvalidMergePatch)?;
    match patch {
        Value::Object(_) | Value::Array(_) => Ok(merge(target, &patch)),
        // The server's library refuses `null` and bare scalars as patches.
        _ => Err(PatchError::InvalidMergePatch),
    }
}

/// RFC 7386 `MergePatch(target, patch)`.
pub fn merge(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch) = patch else {
        return without_nulls(patch.clone());
    };
    let mut result = match target {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    for (key, value) in patch {
        if value.is_null() {
            result.remove(key);
        } else {
            let merged = merge(result.get(key).unwrap_or(&Value::Null), value);
            result.insert(key.clone(), merged);
        }
    }
    Value::Object(result)
}

/// Drops `null` members of objects at any depth; `null` list items stay.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn scale_sets_replicas_and_keeps_the_rest() {
        let target = json!({"metadata": {"name": "web"}, "spec": {"replicas": 2, "paused": false}});
        let out = apply(&target, br#"{"spec":{"replicas":5}}"#).unwrap();
        assert_eq!(
            out,
            json!({"metadata": {"name": "web"}, "spec": {"replicas": 5, "paused": false}})
        );
    }

    #[test]
    fn null_deletes_a_member() {
        let target = json!({"metadata": {"labels": {"app": "web", "tier": "front"}}});
        let out = apply(&target, br#"{"metadata":{"labels":{"tier":null}}}"#).unwrap();
        assert_eq!(out, json!({"metadata": {"labels": {"app": "web"}}}));
    }

    #[test]
    fn lists_are_replaced_whole() {
        let target = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        let out = apply(&target, br#"{"spec":{"containers":[{"name":"c"}]}}"#).unwrap();
        assert_eq!(out["spec"]["containers"], json!([{"name": "c"}]));
    }

    #[test]
    fn new_members_lose_their_nulls() {
        let out = apply(
            &json!({}),
            br#"{"spec":{"a":{"b":null,"c":1},"l":[{"x":null},null]}}"#,
        )
        .unwrap();
        assert_eq!(out, json!({"spec": {"a": {"c": 1}, "l": [{}, null]}}));
    }

    #[test]
    fn an_object_replaces_a_scalar_and_a_scalar_an_object() {
        let out = apply(&json!({"a": 1, "b": {"c": 1}}), br#"{"a":{"x":1},"b":"s"}"#).unwrap();
        assert_eq!(out, json!({"a": {"x": 1}, "b": "s"}));
    }

    #[test]
    fn null_scalar_and_broken_bodies_are_invalid() {
        for body in [&b"null"[..], b"\"x\"", b"3", b"{"] {
            assert_eq!(
                apply(&json!({}), body),
                Err(PatchError::InvalidMergePatch),
                "{body:?}"
            );
        }
    }

    /// The merge patch that turns `from` into `to` (the inverse of `merge`).
    fn diff(from: &Value, to: &Value) -> Value {
        match (from, to) {
            (Value::Object(a), Value::Object(b)) => {
                let mut patch = Map::new();
                for key in a.keys().filter(|k| !b.contains_key(*k)) {
                    patch.insert(key.clone(), Value::Null);
                }
                for (key, new) in b {
                    match a.get(key) {
                        Some(old) if old == new => {}
                        Some(old @ Value::Object(_)) if new.is_object() => {
                            patch.insert(key.clone(), diff(old, new));
                        }
                        _ => {
                            patch.insert(key.clone(), new.clone());
                        }
                    }
                }
                Value::Object(patch)
            }
            (_, to) => to.clone(),
        }
    }

    /// JSON as stored objects hold it: no nulls, objects at the top.
    fn stored_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            "[a-z]{0,3}".prop_map(Value::String),
        ];
        let tree = leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-d]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        prop::collection::btree_map("[a-d]", tree, 0..5)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    proptest! {
        #[test]
        fn applying_the_diff_yields_the_target(from in stored_json(), to in stored_json()) {
            let patch = diff(&from, &to);
            prop_assert_eq!(apply(&from, patch.to_string().as_bytes()).unwrap(), to);
        }

        #[test]
        fn empty_patch_is_identity(target in stored_json()) {
            prop_assert_eq!(apply(&target, b"{}").unwrap(), target);
        }

        #[test]
        fn merge_is_idempotent(target in stored_json(), patch in stored_json()) {
            let once = merge(&target, &patch);
            prop_assert_eq!(merge(&once, &patch), once);
        }
    }
}
