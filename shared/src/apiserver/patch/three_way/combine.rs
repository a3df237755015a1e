//! Folds the additions-and-changes diff into the deletions diff, the way
//! kubectl's client-side merge does it: directives are kept, not applied.
//!
//! Unlike the server's merge, `null` survives (it is the deletion being sent)
//! and `$retainKeys`/`$setElementOrder` are carried over instead of consumed.

use super::super::go_format::{go_type, go_value};
use super::super::strategic::directives::{
    self, parallel_field, DELETE_FROM_PRIMITIVE_LIST, PATCH, RETAIN_KEYS, SET_ELEMENT_ORDER,
};
use super::super::strategic::merge_keys::{FieldMeta, Schema, Strategy};
use super::super::strategic::order;
use super::super::PatchError;
use super::diff::deduplicate;
use serde_json::{Map, Value};

/// Merges the patch `patch` into the patch `original`, both maps at `schema`.
pub fn combine_maps(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Schema,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.remove(PATCH) {
        return match directive.as_str() {
            Some("replace") => Ok(patch),
            Some("delete") => Ok(Map::new()),
            _ => {
                patch.insert(PATCH.to_string(), directive.clone());
                Err(PatchError::UnknownDirective {
                    directive: go_value(&directive),
                    map: go_value(&Value::Object(patch)),
                })
            }
        };
    }
    if let Some(retain) = patch.remove(RETAIN_KEYS) {
        // Both passes derive the list from the manifest, so they agree.
        match original.get(RETAIN_KEYS) {
            Some(existing) if *existing != retain => return Err(PatchError::BadRetainKeysFormat),
            Some(_) => {}
            None => {
                original.insert(RETAIN_KEYS.to_string(), retain);
            }
        }
    }
    carry_element_orders(&mut original, &mut patch, schema)?;

    for (key, value) in patch {
        if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            original.insert(key, value);
            continue;
        }
        if value.is_null() {
            original.insert(key, value);
            continue;
        }
        let Some(existing) = original.remove(&key) else {
            original.insert(key, value);
            continue;
        };
        if go_type(&existing) != go_type(&value) {
            original.insert(key, value);
            continue;
        }
        let meta = schema.field(&key);
        let combined = match (existing, value) {
            (Value::Object(existing), Value::Object(value)) => {
                if meta.strategy == Strategy::ReplaceMap {
                    Value::Object(value)
                } else {
                    Value::Object(combine_maps(existing, value, meta.schema)?)
                }
            }
            (Value::Array(existing), Value::Array(value)) if meta.merges_lists() => {
                Value::Array(combine_lists(existing, value, meta, &key)?)
            }
            (_, value) => value,
        };
        original.insert(key, combined);
    }
    Ok(original)
}

/// Moves each `$setElementOrder/<list>` of `patch` into `original` and
/// merges the list it names there, ordered as the directive says.
fn carry_element_orders(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
) -> Result<(), PatchError> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive_key in keys {
        let Some(order_value) = patch.remove(&directive_key) else {
            continue;
        };
        match original.get(&directive_key) {
            Some(existing) if *existing != order_value => {
                return Err(PatchError::BadSetElementOrderFormat)
            }
            Some(_) => {}
            None => {
                original.insert(directive_key.clone(), order_value.clone());
            }
        }
        let Value::Array(order_list) = order_value else {
            return Err(PatchError::expected_list(&order_value));
        };
        let field = parallel_field(&directive_key, SET_ELEMENT_ORDER)
            .ok_or(PatchError::BadSetElementOrderFormat)?
            .to_string();
        let meta = schema.field(&field);
        let key = meta.merge_key();
        let existing = list_at(original, &field)?;
        let incoming = list_at(patch, &field)?;
        let server_order = existing.clone().unwrap_or_default();
        let merged = match (existing, incoming) {
            (Some(existing), None) => existing,
            (None, Some(incoming)) => incoming,
            (Some(existing), Some(incoming)) => combine_lists(existing, incoming, meta, &field)?,
            (None, None) => continue,
        };
        let (named, others) = order::partition(merged, &order_list, key)?;
        let ordered = order::normalize(named, others, &order_list, &server_order, key)?;
        original.insert(field.clone(), Value::Array(ordered));
        patch.remove(&field);
    }
    Ok(())
}

fn list_at(map: &Map<String, Value>, field: &str) -> Result<Option<Vec<Value>>, PatchError> {
    match map.get(field) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(PatchError::expected_list(other)),
    }
}

/// Merges two patch lists of a merging field: items with the same merge key
/// combine, `$patch: delete` items of `original` stay (they are the
/// deletions being sent), new items are added.
fn combine_lists(
    original: Vec<Value>,
    patch: Vec<Value>,
    meta: FieldMeta,
    field: &str,
) -> Result<Vec<Value>, PatchError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let holds_maps = original.iter().chain(&patch).any(Value::is_object);
    let Some(key) = meta.merge_key().filter(|_| holds_maps) else {
        if holds_maps {
            return Err(PatchError::NoMergeKey(field.to_string()));
        }
        let mut both = original.clone();
        both.extend(patch.iter().cloned());
        let merged = deduplicate(both);
        let (named, others) = order::partition(merged, &patch, None)?;
        return order::normalize(named, others, &patch, &original, None);
    };
    let (mut base, incoming) = directives::apply_item_directives(original, patch, key)?;
    let server_order = base.clone();
    for item in &incoming {
        let Value::Object(item) = item else {
            return Err(PatchError::BadArgType {
                expected: "map[string]interface {}",
                actual: go_type(item),
            });
        };
        let id = item
            .get(key)
            .ok_or_else(|| PatchError::missing_merge_key(item, key))?;
        match base.iter().position(|b| b.get(key) == Some(id)) {
            Some(i) => {
                let existing = match std::mem::take(&mut base[i]) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                base[i] = Value::Object(combine_maps(existing, item.clone(), meta.schema)?);
            }
            None => base.push(Value::Object(item.clone())),
        }
    }
    let (named, others) = order::partition(base, &incoming, Some(key))?;
    order::normalize(named, others, &incoming, &server_order, Some(key))
}
