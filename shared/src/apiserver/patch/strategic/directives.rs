//! The `$` keys of a strategic merge patch and what each one does.
//!
//! kubectl apply computes patches that carry these beside ordinary fields;
//! they steer the merge and must never reach the stored object.

use super::super::go_format::go_value;
use super::super::PatchError;
use serde_json::{Map, Value};

/// `$patch: replace | delete` on a map or a list item.
pub const PATCH: &str = "$patch";
/// `$retainKeys: [..]`: the only fields the map may keep.
pub const RETAIN_KEYS: &str = "$retainKeys";
/// `$setElementOrder/<list>: [..]`: the order the list's items must take.
pub const SET_ELEMENT_ORDER: &str = "$setElementOrder";
/// `$deleteFromPrimitiveList/<list>: [..]`: values to drop from a merging list of primitives.
pub const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// What a `$patch` on a map asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapDirective {
    /// Use the patch's map (minus the directive) instead of merging.
    Replace,
    /// Leave an empty map.
    Delete,
}

/// Reads `$patch` on a map. Kubernetes accepts only `replace` and `delete`
/// there; `merge` and anything else are errors.
pub fn map_directive(patch: &Map<String, Value>) -> Result<Option<MapDirective>, PatchError> {
    match patch.get(PATCH) {
        None => Ok(None),
        Some(Value::String(s)) if s == "replace" => Ok(Some(MapDirective::Replace)),
        Some(Value::String(s)) if s == "delete" => Ok(Some(MapDirective::Delete)),
        Some(other) => Err(PatchError::UnknownDirective {
            directive: go_value(other),
            map: go_value(&Value::Object(patch.clone())),
        }),
    }
}

/// The list field a parallel-list key names: `$setElementOrder/env` -> `env`.
pub fn parallel_field<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    key.split_once('/')
        .filter(|(p, _)| *p == prefix)
        .map(|(_, field)| field)
}

/// Applies `$retainKeys`: drops from `original` every field not listed, after
/// checking that the patch itself sets only listed fields.
pub fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(PatchError::BadRetainKeysFormat);
    };
    let retained = |key: &str| retain.iter().any(|k| k.as_str() == Some(key));
    let sets_unlisted_field = patch.iter().any(|(key, value)| {
        !value.is_null()
            && !key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !key.starts_with(SET_ELEMENT_ORDER)
            && !retained(key)
    });
    if sets_unlisted_field {
        return Err(PatchError::BadRetainKeysFormat);
    }
    original.retain(|key, _| retained(key));
    Ok(())
}

/// Applies `$patch` directives found among the items of a list merging by
/// `key`: `delete` items remove their match from `original`, a `replace` item
/// makes the other patch items the whole list. Returns the list to merge into
/// and the plain patch items left to merge.
pub fn apply_item_directives(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut replace = false;
    let mut plain = Vec::with_capacity(patch.len());
    for item in patch {
        let Value::Object(map) = &item else {
            plain.push(item);
            continue;
        };
        match map.get(PATCH) {
            None => plain.push(item),
            Some(Value::String(s)) if s == "delete" => {
                let id = map
                    .get(key)
                    .ok_or_else(|| PatchError::missing_merge_key(map, key))?;
                original.retain(|o| o.get(key) != Some(id));
            }
            Some(Value::String(s)) if s == "replace" => replace = true,
            Some(Value::String(s)) if s == "merge" => return Err(PatchError::ListMergeDirective),
            Some(other) => {
                return Err(PatchError::UnknownDirective {
                    directive: go_value(other),
                    map: go_value(&item),
                })
            }
        }
    }
    if replace {
        Ok((strip_list(plain), Vec::new()))
    } else {
        Ok((original, plain))
    }
}

/// Removes the values of a `$deleteFromPrimitiveList` list from `current`.
pub fn delete_from_list(current: &mut Vec<Value>, doomed: &[Value]) {
    current.retain(|v| !doomed.contains(v));
}

/// A patch value that lands where the object has nothing: directives have
/// nothing to act on, so they are dropped, as are `null` members. `None` when
/// the value itself is a directive (`{"$patch": "delete", ..}`) that leaves
/// nothing behind.
pub fn strip(value: Value) -> Option<Value> {
    match value {
        Value::Object(mut map) => match map.remove(PATCH) {
            Some(Value::String(s)) if s == "replace" => Some(Value::Object(strip_map(map))),
            Some(_) => None,
            None => Some(Value::Object(strip_map(map))),
        },
        Value::Array(items) => Some(Value::Array(strip_list(items))),
        other => Some(other),
    }
}

/// [`strip`] for each member of a map; `$` keys and `null` members go.
pub fn strip_map(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter()
        .filter(|(key, value)| !key.starts_with('$') && !value.is_null())
        .filter_map(|(key, value)| strip(value).map(|v| (key, v)))
        .collect()
}

/// [`strip`] for each item of a list; directive-only items go.
pub fn strip_list(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().filter_map(strip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn only_replace_and_delete_are_map_directives() {
        assert_eq!(
            map_directive(&map(json!({"$patch": "replace"}))).unwrap(),
            Some(MapDirective::Replace)
        );
        assert_eq!(
            map_directive(&map(json!({"$patch": "delete"}))).unwrap(),
            Some(MapDirective::Delete)
        );
        assert_eq!(map_directive(&map(json!({"a": 1}))).unwrap(), None);
        let err = map_directive(&map(json!({"$patch": "merge", "a": 1}))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown patch type: merge in map: map[$patch:merge a:1]"
        );
    }

    #[test]
    fn parallel_keys_name_their_list() {
        assert_eq!(
            parallel_field("$setElementOrder/containers", SET_ELEMENT_ORDER),
            Some("containers")
        );
        assert_eq!(
            parallel_field("$setElementOrderX/containers", SET_ELEMENT_ORDER),
            None
        );
        assert_eq!(parallel_field("$setElementOrder", SET_ELEMENT_ORDER), None);
    }

    #[test]
    fn retain_keys_drops_unlisted_fields() {
        let mut original = map(json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}));
        let mut patch =
            map(json!({"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null}));
        apply_retain_keys(&mut original, &mut patch).unwrap();
        assert_eq!(Value::Object(original), json!({"type": "RollingUpdate"}));
        assert!(!patch.contains_key(RETAIN_KEYS));
    }

    #[test]
    fn retain_keys_must_list_every_field_the_patch_sets() {
        let mut original = Map::new();
        let mut patch = map(json!({"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}));
        assert_eq!(
            apply_retain_keys(&mut original, &mut patch),
            Err(PatchError::BadRetainKeysFormat)
        );
        let mut patch = map(json!({"$retainKeys": "type"}));
        assert_eq!(
            apply_retain_keys(&mut original, &mut patch),
            Err(PatchError::BadRetainKeysFormat)
        );
    }

    #[test]
    fn delete_items_remove_their_match() {
        let original = vec![json!({"name": "a"}), json!({"name": "b"})];
        let patch = vec![
            json!({"name": "a", "$patch": "delete"}),
            json!({"name": "c"}),
        ];
        let (original, plain) = apply_item_directives(original, patch, "name").unwrap();
        assert_eq!(original, vec![json!({"name": "b"})]);
        assert_eq!(plain, vec![json!({"name": "c"})]);
    }

    #[test]
    fn replace_item_makes_the_patch_the_list() {
        let original = vec![json!({"name": "a"})];
        let patch = vec![
            json!({"$patch": "replace"}),
            json!({"name": "c", "x": null}),
        ];
        let (original, plain) = apply_item_directives(original, patch, "name").unwrap();
        assert_eq!(original, vec![json!({"name": "c"})]);
        assert!(plain.is_empty());
    }

    #[test]
    fn merge_item_and_keyless_delete_are_errors() {
        let err = apply_item_directives(
            vec![],
            vec![json!({"name": "a", "$patch": "merge"})],
            "name",
        )
        .unwrap_err();
        assert_eq!(err, PatchError::ListMergeDirective);
        let err =
            apply_item_directives(vec![], vec![json!({"$patch": "delete"})], "name").unwrap_err();
        assert_eq!(
            err.to_string(),
            "map: map[$patch:delete] does not contain declared merge key: name"
        );
    }

    #[test]
    fn strip_removes_every_directive_and_null() {
        let v = json!({
            "$setElementOrder/env": [{"name": "A"}],
            "$retainKeys": ["a"],
            "a": {"$patch": "replace", "b": 1, "c": null},
            "gone": {"$patch": "delete"},
            "env": [{"name": "A"}, {"name": "B", "$patch": "delete"}]
        });
        assert_eq!(
            strip(v),
            Some(json!({"a": {"b": 1}, "env": [{"name": "A"}]}))
        );
    }
}
