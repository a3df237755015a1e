//! JSON patch (RFC 6902): `kubectl patch --type=json` sends a list of operations.
//!
//! Behaves as the API server's library (evanphx/json-patch v4) does, including
//! its leniencies: `replace` of a missing member adds it, negative indices
//! count from the end in `add` and `remove`, and the root cannot be targeted.

use super::pointer;
use super::PatchError;
use serde_json::Value;

/// Applies a JSON patch body to `target`. Either every operation applies or
/// the error of the first failing one is returned.
pub fn apply(target: &Value, body: &[u8]) -> Result<Value, PatchError> {
    let ops = decode(body)?;
    let mut doc = target.clone();
    for op in &ops {
        apply_op(&mut doc, op)?;
    }
    Ok(doc)
}

/// The operation list, rejected as the server's Go decoder would reject it.
fn decode(body: &[u8]) -> Result<Vec<Value>, PatchError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| PatchError::Malformed(e.to_string()))?;
    let ops = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(ops) => ops,
        other => return Err(PatchError::cannot_unmarshal(&other, "jsonpatch.Patch")),
    };
    if let Some(bad) = ops
        .iter()
        .find(|op| !matches!(op, Value::Object(_) | Value::Null))
    {
        return Err(PatchError::cannot_unmarshal(bad, "jsonpatch.Operation"));
    }
    Ok(ops)
}

fn fail(message: String) -> PatchError {
    PatchError::JsonPatchOperation(message)
}

fn apply_op(doc: &mut Value, op: &Value) -> Result<(), PatchError> {
    let kind = op.get("op").and_then(Value::as_str).unwrap_or("unknown");
    let path = || {
        op.get("path").and_then(Value::as_str).ok_or_else(|| {
            fail(format!(
                "{kind} operation failed to decode path: missing value"
            ))
        })
    };
    let from = || {
        op.get("from").and_then(Value::as_str).ok_or_else(|| {
            fail(format!(
                "{kind} operation failed to decode from: missing value"
            ))
        })
    };
    // An absent `value` reads as JSON null, as in the server's library.
    let value = || op.get("value").cloned().unwrap_or(Value::Null);
    match kind {
        "add" => add(doc, path()?, value()),
        "remove" => remove(doc, path()?).map(drop),
        "replace" => replace(doc, path()?, value()),
        "move" => {
            let (from, path) = (from()?, path()?);
            let moved = take(doc, from, "move")?;
            add_at(doc, path, moved, "move", "destination path")
        }
        "copy" => {
            let (from, path) = (from()?, path()?);
            let copied = get(doc, from, "copy")?;
            add_at(doc, path, copied, "copy", "destination path")
        }
        "test" => test(doc, path()?, &value()),
        other => Err(fail(format!("Unexpected kind: {other}"))),
    }
}

/// The container holding the value `path` names, and that value's key.
fn parent_mut<'a>(doc: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let mut tokens = pointer::parse(path)?;
    let last = tokens.pop()?;
    let mut node = doc;
    for token in &tokens {
        node = match node {
            Value::Object(map) => map.get_mut(token)?,
            Value::Array(items) => {
                let i = usize::try_from(pointer::index(token)?).ok()?;
                items.get_mut(i)?
            }
            _ => return None,
        };
    }
    matches!(node, Value::Object(_) | Value::Array(_)).then_some((node, last))
}

fn missing_path(op: &str, what: &str, path: &str) -> PatchError {
    fail(format!(
        "{op} operation does not apply: doc is missing {what}: {path}: missing value"
    ))
}

fn invalid_index(op: &str, path: &str, key: &str) -> PatchError {
    fail(format!(
        "error in {op} for path: '{path}': Unable to access invalid index: {key}: invalid index referenced"
    ))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), PatchError> {
    add_at(doc, path, value, "add", "path")
}

fn add_at(
    doc: &mut Value,
    path: &str,
    value: Value,
    op: &str,
    what: &str,
) -> Result<(), PatchError> {
    let Some((parent, key)) = parent_mut(doc, path) else {
        return Err(missing_path(op, what, &format!("{path:?}")));
    };
    match parent {
        Value::Object(map) => {
            map.insert(key, value);
            Ok(())
        }
        Value::Array(items) => {
            if key == "-" {
                items.push(value);
                return Ok(());
            }
            let Some(i) = pointer::index(&key) else {
                return Err(fail(format!(
                    "error in {op} for path: '{path}': value was not a proper array index: '{key}'"
                )));
            };
            let slots = items.len() as i64 + 1;
            let i = if i < 0 { i + slots } else { i };
            if !(0..slots).contains(&i) {
                return Err(invalid_index(op, path, &key));
            }
            items.insert(i as usize, value);
            Ok(())
        }
        _ => Err(missing_path(op, what, &format!("{path:?}"))),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, PatchError> {
    let Some((parent, key)) = parent_mut(doc, path) else {
        return Err(missing_path("remove", "path", &format!("{path:?}")));
    };
    match parent {
        Value::Object(map) => map.remove(&key).ok_or_else(|| {
            fail(format!(
                "error in remove for path: '{path}': Unable to remove nonexistent key: {key}: missing value"
            ))
        }),
        Value::Array(items) => {
            let len = items.len() as i64;
            let i = pointer::index(&key).ok_or_else(|| invalid_index("remove", path, &key))?;
            let i = if i < 0 { i + len } else { i };
            if !(0..len).contains(&i) {
                return Err(invalid_index("remove", path, &key));
            }
            Ok(items.remove(i as usize))
        }
        _ => Err(missing_path("remove", "path", &format!("{path:?}"))),
    }
}

/// Removes the value at `from` for a `move`.
fn take(doc: &mut Value, from: &str, op: &str) -> Result<Value, PatchError> {
    remove(doc, from).map_err(|_| missing_path(op, "from path", from))
}

/// Reads the value at `from` for a `copy`.
fn get(doc: &mut Value, from: &str, op: &str) -> Result<Value, PatchError> {
    let Some((parent, key)) = parent_mut(doc, from) else {
        return Err(missing_path(op, "from path", from));
    };
    let found = match parent {
        Value::Object(map) => map.get(&key),
        Value::Array(items) => pointer::index(&key)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| items.get(i)),
        _ => None,
    };
    found
        .cloned()
        .ok_or_else(|| missing_path(op, "from path", from))
}

fn replace(doc: &mut Value, path: &str, value: Value) -> Result<(), PatchError> {
    let Some((parent, key)) = parent_mut(doc, path) else {
        return Err(missing_path("replace", "path", path));
    };
    match parent {
        // The server's library sets a missing member rather than failing.
        Value::Object(map) => {
            map.insert(key, value);
            Ok(())
        }
        Value::Array(items) => {
            let slot = pointer::index(&key)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| items.get_mut(i))
                .ok_or_else(|| missing_path("replace", "key", path))?;
            *slot = value;
            Ok(())
        }
        _ => Err(missing_path("replace", "path", path)),
    }
}

fn test(doc: &mut Value, path: &str, expected: &Value) -> Result<(), PatchError> {
    let failed = || fail(format!("testing value {path} failed: test failed"));
    let Some((parent, key)) = parent_mut(doc, path) else {
        return Err(fail(format!(
            "test operation does not apply: is missing path: {path}: missing value"
        )));
    };
    let actual = match parent {
        Value::Object(map) => map.get(&key),
        Value::Array(items) => {
            let i = pointer::index(&key)
                .and_then(|i| usize::try_from(i).ok())
                .filter(|i| *i < items.len())
                .ok_or_else(|| invalid_index("test", path, &key))?;
            items.get(i)
        }
        _ => None,
    };
    match actual {
        // A missing member equals an absent or null `value`.
        None if expected.is_null() => Ok(()),
        Some(actual) if actual == expected => Ok(()),
        _ => Err(failed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(target: Value, ops: Value) -> Result<Value, PatchError> {
        apply(&target, ops.to_string().as_bytes())
    }

    fn deployment() -> Value {
        json!({
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [
                    {"name": "app", "image": "nginx:1.26", "args": ["-a"]},
                    {"name": "log", "image": "busybox"}
                ]}}
            }
        })
    }

    #[test]
    fn replace_changes_one_container_image() {
        let out = patch(
            deployment(),
            json!([{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.27"}]),
        )
        .unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1.27"
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][1]["image"],
            "busybox"
        );
    }

    #[test]
    fn add_appends_with_dash_and_inserts_at_index() {
        let out = patch(
            deployment(),
            json!([
                {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "-z"},
                {"op": "add", "path": "/spec/template/spec/containers/0/args/0", "value": "-first"},
                {"op": "add", "path": "/metadata/labels/tier", "value": "front"}
            ]),
        )
        .unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["args"],
            json!(["-first", "-a", "-z"])
        );
        assert_eq!(
            out["metadata"]["labels"],
            json!({"app": "web", "tier": "front"})
        );
    }

    #[test]
    fn add_past_the_end_is_an_invalid_index() {
        let err = patch(
            deployment(),
            json!([{"op": "add", "path": "/spec/template/spec/containers/5", "value": {}}]),
        )
        .unwrap_err();
        assert!(
            matches!(err, PatchError::JsonPatchOperation(ref m) if m.contains("invalid index")),
            "{err}"
        );
    }

    #[test]
    fn escaped_pointer_tokens_address_annotation_keys() {
        let target = json!({"metadata": {"annotations": {"example.com/a~b": "1"}}});
        let out = patch(
            target,
            json!([
                {"op": "replace", "path": "/metadata/annotations/example.com~1a~0b", "value": "2"},
                {"op": "add", "path": "/metadata/annotations/kubernetes.io~1change-cause", "value": "x"}
            ]),
        )
        .unwrap();
        assert_eq!(
            out["metadata"]["annotations"],
            json!({"example.com/a~b": "2", "kubernetes.io/change-cause": "x"})
        );
    }

    #[test]
    fn remove_deletes_members_and_items() {
        let out = patch(
            deployment(),
            json!([
                {"op": "remove", "path": "/metadata/labels/app"},
                {"op": "remove", "path": "/spec/template/spec/containers/1"}
            ]),
        )
        .unwrap();
        assert_eq!(out["metadata"]["labels"], json!({}));
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn negative_index_removes_from_the_end() {
        let out = patch(
            json!({"a": [1, 2, 3]}),
            json!([{"op": "remove", "path": "/a/-1"}]),
        )
        .unwrap();
        assert_eq!(out, json!({"a": [1, 2]}));
    }

    #[test]
    fn removing_a_missing_member_fails() {
        let err = patch(
            deployment(),
            json!([{"op": "remove", "path": "/metadata/labels/nope"}]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("Unable to remove nonexistent key: nope"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_parent_fails_every_operation() {
        for op in ["add", "remove", "replace", "test"] {
            let err = patch(
                deployment(),
                json!([{"op": op, "path": "/spec/nope/x", "value": 1}]),
            )
            .unwrap_err();
            assert!(
                matches!(err, PatchError::JsonPatchOperation(_)),
                "{op}: {err}"
            );
        }
    }

    #[test]
    fn replace_of_missing_member_adds_it_as_the_server_library_does() {
        let out = patch(
            deployment(),
            json!([{"op": "replace", "path": "/spec/paused", "value": true}]),
        )
        .unwrap();
        assert_eq!(out["spec"]["paused"], true);
    }

    #[test]
    fn replace_of_missing_index_fails() {
        let err = patch(
            deployment(),
            json!([{"op": "replace", "path": "/spec/template/spec/containers/2", "value": {}}]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("doc is missing key"), "{err}");
    }

    #[test]
    fn move_and_copy_relocate_values() {
        let out = patch(
            json!({"a": {"x": 1}, "b": [1, 2]}),
            json!([
                {"op": "copy", "from": "/a/x", "path": "/b/-"},
                {"op": "move", "from": "/a", "path": "/c"}
            ]),
        )
        .unwrap();
        assert_eq!(out, json!({"b": [1, 2, 1], "c": {"x": 1}}));
    }

    #[test]
    fn move_into_its_own_child_fails() {
        let err = patch(
            json!({"a": {"b": {}}}),
            json!([{"op": "move", "from": "/a", "path": "/a/b/c"}]),
        )
        .unwrap_err();
        assert!(matches!(err, PatchError::JsonPatchOperation(_)));
    }

    #[test]
    fn copy_from_a_missing_path_fails() {
        let err = patch(
            json!({"a": 1}),
            json!([{"op": "copy", "from": "/nope", "path": "/b"}]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("missing from path"), "{err}");
    }

    #[test]
    fn test_guards_later_operations() {
        let ok = patch(
            deployment(),
            json!([
                {"op": "test", "path": "/spec/replicas", "value": 2},
                {"op": "replace", "path": "/spec/replicas", "value": 3}
            ]),
        )
        .unwrap();
        assert_eq!(ok["spec"]["replicas"], 3);

        let err = patch(
            deployment(),
            json!([
                {"op": "test", "path": "/spec/replicas", "value": 5},
                {"op": "replace", "path": "/spec/replicas", "value": 3}
            ]),
        )
        .unwrap_err();
        assert_eq!(
            err,
            PatchError::JsonPatchOperation(
                "testing value /spec/replicas failed: test failed".into()
            )
        );
    }

    #[test]
    fn test_compares_structures_not_text() {
        let ok = patch(
            deployment(),
            json!([{"op": "test", "path": "/metadata/labels", "value": {"app": "web"}}]),
        );
        assert!(ok.is_ok());
        let missing_is_null = patch(
            deployment(),
            json!([{"op": "test", "path": "/spec/paused", "value": null}]),
        );
        assert!(missing_is_null.is_ok());
    }

    #[test]
    fn failure_leaves_no_partial_result() {
        let target = deployment();
        let err = patch(
            target.clone(),
            json!([
                {"op": "replace", "path": "/spec/replicas", "value": 9},
                {"op": "remove", "path": "/nope"}
            ]),
        );
        assert!(err.is_err());
        assert_eq!(target["spec"]["replicas"], 2);
    }

    #[test]
    fn unknown_operation_is_rejected() {
        let err = patch(deployment(), json!([{"op": "frobnicate", "path": "/spec"}])).unwrap_err();
        assert_eq!(
            err,
            PatchError::JsonPatchOperation("Unexpected kind: frobnicate".into())
        );
    }

    #[test]
    fn root_path_is_not_addressable() {
        let err = patch(
            deployment(),
            json!([{"op": "replace", "path": "", "value": {}}]),
        )
        .unwrap_err();
        assert!(matches!(err, PatchError::JsonPatchOperation(_)));
    }

    #[test]
    fn a_body_that_is_not_a_list_is_malformed() {
        let err = apply(&deployment(), br#"{"op":"add","path":"/a","value":1}"#).unwrap_err();
        assert_eq!(
            err,
            PatchError::Malformed(
                "json: cannot unmarshal object into Go value of type jsonpatch.Patch".into()
            )
        );
        assert!(matches!(
            apply(&deployment(), b"[{"),
            Err(PatchError::Malformed(_))
        ));
        let err = apply(&deployment(), br#"["add"]"#).unwrap_err();
        assert!(err.to_string().contains("jsonpatch.Operation"));
    }

    #[test]
    fn null_and_empty_bodies_change_nothing() {
        assert_eq!(apply(&deployment(), b"null").unwrap(), deployment());
        assert_eq!(apply(&deployment(), b"[]").unwrap(), deployment());
    }
}
