//! Where items land after a list merge, and `$setElementOrder`.
//!
//! Kubernetes orders merged lists the same way every time: items named by the
//! patch (or by `$setElementOrder`) in the patch's order, with the items only
//! the server has slotted in where the server's own order places them.

use super::super::go_format::{go_type, go_value};
use super::super::PatchError;
use super::directives::{parallel_field, strip_list, PATCH, SET_ELEMENT_ORDER};
use super::merge_keys::Schema;
use serde_json::{Map, Value};

/// What identifies an item for ordering: its merge-key value, or the item
/// itself in a list of primitives.
fn identity<'a>(item: &'a Value, key: Option<&str>) -> Option<&'a Value> {
    match key {
        Some(key) => item.get(key),
        None => Some(item),
    }
}

fn position(list: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    let id = identity(item, key)?;
    list.iter()
        .position(|candidate| identity(candidate, key) == Some(id))
}

/// Checks that every item of `lists` is a map holding `key`.
fn require_key(key: &str, lists: &[&[Value]]) -> Result<(), PatchError> {
    for item in lists.iter().flat_map(|list| list.iter()) {
        let map = item.as_object().ok_or_else(|| PatchError::BadArgType {
            expected: "map[string]interface {}",
            actual: go_type(item),
        })?;
        if !map.contains_key(key) {
            return Err(PatchError::missing_merge_key(map, key));
        }
    }
    Ok(())
}

/// Splits `merged` into the items named in `by` and the others, each in
/// their current order.
pub fn partition(
    merged: Vec<Value>,
    by: &[Value],
    key: Option<&str>,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    if let Some(key) = key {
        require_key(key, &[&merged])?;
    }
    let (named, others): (Vec<Value>, Vec<Value>) =
        merged.into_iter().partition(|item| match key {
            Some(key) => by
                .iter()
                .any(|b| b.get(key).is_some() && b.get(key) == item.get(key)),
            None => by.contains(item),
        });
    Ok((named, others))
}

/// Sorts `patch_items` by `patch_order` and `server_only` by `server_order`,
/// then interleaves them: a server-only item goes before a patch item only
/// when the server's list already had it before that item.
pub fn normalize(
    mut patch_items: Vec<Value>,
    mut server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, PatchError> {
    if let Some(key) = key {
        require_key(
            key,
            &[&patch_items, patch_order, &server_only, server_order],
        )?;
    }
    // Items missing from their order list cannot occur in patches kubectl
    // builds; they go last rather than wherever Go's sort would leave them.
    patch_items.sort_by_key(|item| position(patch_order, item, key).unwrap_or(usize::MAX));
    server_only.sort_by_key(|item| position(server_order, item, key).unwrap_or(usize::MAX));

    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut server = server_only.into_iter().peekable();
    let mut patch = patch_items.into_iter().peekable();
    loop {
        let server_first = match (server.peek(), patch.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(s), Some(p)) => {
                matches!((position(server_order, s, key), position(server_order, p, key)), (Some(i), Some(j)) if i < j)
            }
        };
        let next = if server_first {
            server.next()
        } else {
            patch.next()
        };
        out.extend(next);
    }
    Ok(out)
}

/// Whether two items share a merge-key value (or are equal primitives).
fn same_item(a: &Value, b: &Value, key: Option<&str>) -> Result<bool, PatchError> {
    let Some(key) = key else {
        return Ok(a == b);
    };
    let id = |v: &Value| -> Result<Value, PatchError> {
        let map = v.as_object().ok_or_else(|| PatchError::BadArgType {
            expected: "map[string]interface {}",
            actual: go_type(v),
        })?;
        map.get(key)
            .cloned()
            .ok_or_else(|| PatchError::missing_merge_key(map, key))
    };
    Ok(id(a)? == id(b)?)
}

/// The patch list must name its items in the order `$setElementOrder` gives,
/// and name nothing `$setElementOrder` leaves out.
fn check_against_order(
    patch_list: &[Value],
    order: &[Value],
    key: Option<&str>,
) -> Result<(), PatchError> {
    if patch_list.is_empty() || order.is_empty() {
        return Ok(());
    }
    let is_directive = |v: &Value| v.get(PATCH).is_some();
    let items: Vec<&Value> = patch_list
        .iter()
        .filter(|v| key.is_none() || v.get(PATCH).and_then(Value::as_str) != Some("delete"))
        .collect();
    let (mut p, mut o) = (0, 0);
    while p < items.len() && o < order.len() {
        if is_directive(items[p]) {
            p += 1;
            continue;
        }
        if same_item(items[p], &order[o], key)? {
            p += 1;
        }
        o += 1;
    }
    if p < items.len() {
        return Err(PatchError::OrderMismatch {
            patch: go_value(&Value::Array(patch_list.to_vec())),
            order: go_value(&Value::Array(order.to_vec())),
        });
    }
    Ok(())
}

fn as_list(value: Option<&Value>) -> Result<Option<Vec<Value>>, PatchError> {
    match value {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(PatchError::expected_list(other)),
    }
}

/// Handles every `$setElementOrder/<list>` in `patch`: merges the list it
/// names (taking that list out of `patch`) and orders the result as told,
/// keeping items only the server has.
pub fn apply_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> Result<(), PatchError> {
    let directive_keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive_key in directive_keys {
        let Some(order) = patch.remove(&directive_key) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(PatchError::expected_list(&order));
        };
        let field = parallel_field(&directive_key, SET_ELEMENT_ORDER)
            .ok_or(PatchError::BadSetElementOrderFormat)?
            .to_string();
        let meta = schema.field(&field);
        let key = meta.merge_key();
        let current = as_list(original.get(&field))?;
        let patch_list = as_list(patch.get(&field))?;
        check_against_order(patch_list.as_deref().unwrap_or_default(), &order, key)?;

        let server_order = current.clone().unwrap_or_default();
        let merged = match (current, patch_list) {
            (Some(current), None) => current,
            (None, Some(list)) => strip_list(list),
            (Some(current), Some(list)) => super::merge_list(current, list, meta, &field)?,
            (None, None) => continue,
        };
        let (named, server_only) = partition(merged, &order, key)?;
        let ordered = normalize(named, server_only, &order, &server_order, key)?;
        original.insert(field.clone(), Value::Array(ordered));
        patch.remove(&field);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(list: &[Value]) -> Vec<&str> {
        list.iter()
            .map(|v| v["name"].as_str().unwrap_or("?"))
            .collect()
    }

    fn items(names: &[&str]) -> Vec<Value> {
        names.iter().map(|n| json!({"name": n})).collect()
    }

    #[test]
    fn server_only_items_keep_their_place_before_later_patch_items() {
        // Live [B, C, A]; patch names A, B, D: C stays ahead of A as it was.
        let server = items(&["B", "C", "A"]);
        let patch = items(&["A", "B", "D"]);
        let out = normalize(
            items(&["B", "A", "D"]),
            items(&["C"]),
            &patch,
            &server,
            Some("name"),
        )
        .unwrap();
        assert_eq!(names(&out), ["C", "A", "B", "D"]);
    }

    #[test]
    fn a_new_patch_item_comes_before_unrelated_server_items() {
        let server = items(&["a", "b"]);
        let out = normalize(
            items(&["n"]),
            server.clone(),
            &items(&["n"]),
            &server,
            Some("name"),
        )
        .unwrap();
        assert_eq!(names(&out), ["n", "a", "b"]);
    }

    #[test]
    fn primitives_order_by_value() {
        let server = vec![json!("x"), json!("y")];
        let out = normalize(
            vec![json!("y")],
            vec![json!("x")],
            &[json!("y")],
            &server,
            None,
        )
        .unwrap();
        assert_eq!(out, vec![json!("x"), json!("y")]);
    }

    #[test]
    fn partition_splits_by_merge_key() {
        let (named, others) =
            partition(items(&["a", "b", "c"]), &items(&["c", "a"]), Some("name")).unwrap();
        assert_eq!(names(&named), ["a", "c"]);
        assert_eq!(names(&others), ["b"]);
    }

    #[test]
    fn items_without_the_merge_key_cannot_be_ordered() {
        let err = partition(vec![json!({"image": "x"})], &[], Some("name")).unwrap_err();
        assert!(matches!(err, PatchError::MissingMergeKey { .. }));
    }

    #[test]
    fn patch_items_must_follow_the_element_order() {
        let order = items(&["a", "b"]);
        assert!(check_against_order(&items(&["a", "b"]), &order, Some("name")).is_ok());
        assert!(check_against_order(&items(&["b"]), &order, Some("name")).is_ok());
        let err = check_against_order(&items(&["b", "a"]), &order, Some("name")).unwrap_err();
        assert!(matches!(err, PatchError::OrderMismatch { .. }));
        let err = check_against_order(&items(&["z"]), &order, Some("name")).unwrap_err();
        assert!(matches!(err, PatchError::OrderMismatch { .. }));
    }

    #[test]
    fn deletions_are_exempt_from_the_element_order() {
        let patch = vec![
            json!({"name": "gone", "$patch": "delete"}),
            json!({"name": "a"}),
        ];
        assert!(check_against_order(&patch, &items(&["a"]), Some("name")).is_ok());
    }
}
