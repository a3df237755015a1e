//! Strategic merge patch: Kubernetes' JSON merge patch that knows which lists
//! merge by key, the format of `kubectl apply`, `set image` and `rollout`.
//!
//! Follows apimachinery's `strategicpatch` as the API server runs it (parallel
//! lists merged, unmatched nulls dropped), with merge keys from [`merge_keys`].

pub mod directives;
pub mod merge_keys;
pub mod order;

use super::PatchError;
use directives::{MapDirective, DELETE_FROM_PRIMITIVE_LIST};
use merge_keys::{FieldMeta, Schema};
use serde_json::{Map, Value};

/// Applies a strategic-merge-patch body to `target`, an object of `kind`.
pub fn apply(kind: &str, target: &Value, body: &[u8]) -> Result<Value, PatchError> {
    let patch: Value =
        serde_json::from_slice(body).map_err(|e| PatchError::Malformed(e.to_string()))?;
    let patch = match patch {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => {
            return Err(PatchError::cannot_unmarshal(
                &other,
                "map[string]interface {}",
            ))
        }
    };
    let original = target.as_object().cloned().unwrap_or_default();
    Ok(Value::Object(merge_map(
        original,
        patch,
        Schema::for_kind(kind),
    )?))
}

/// Merges `patch` into `original`, a map at position `schema`.
pub fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Schema,
) -> Result<Map<String, Value>, PatchError> {
    match directives::map_directive(&patch)? {
        Some(MapDirective::Replace) => return Ok(directives::strip_map(patch)),
        Some(MapDirective::Delete) => return Ok(Map::new()),
        None => {}
    }
    directives::apply_retain_keys(&mut original, &mut patch)?;
    order::apply_set_element_order(&mut original, &mut patch, schema)?;

    let mut deletions = Vec::new();
    for (key, value) in patch {
        if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            let field = directives::parallel_field(&key, DELETE_FROM_PRIMITIVE_LIST)
                .ok_or(PatchError::BadPrimitiveListFormat)?;
            deletions.push((field.to_string(), value));
            continue;
        }
        if key.starts_with('$') {
            // Not a directive we know: no Kubernetes type has such a field.
            continue;
        }
        if value.is_null() {
            original.remove(&key);
            continue;
        }
        let meta = schema.field(&key);
        let merged = match original.remove(&key) {
            Some(current) => merge_value(current, value, meta, &key)?,
            None => directives::strip(value),
        };
        if let Some(merged) = merged {
            original.insert(key, merged);
        }
    }
    for (field, doomed) in deletions {
        delete_from_primitive_list(&mut original, &field, doomed)?;
    }
    Ok(original)
}

/// Combines the stored value of a field with the patch's value for it.
fn merge_value(
    current: Value,
    patch: Value,
    meta: FieldMeta,
    field: &str,
) -> Result<Option<Value>, PatchError> {
    Ok(match (current, patch) {
        (Value::Object(current), Value::Object(patch))
            if meta.strategy != merge_keys::Strategy::ReplaceMap =>
        {
            Some(Value::Object(merge_map(current, patch, meta.schema)?))
        }
        (Value::Array(current), Value::Array(patch)) => {
            Some(Value::Array(merge_list(current, patch, meta, field)?))
        }
        (_, patch) => directives::strip(patch),
    })
}

/// The kind of items a merging list holds; one kind per list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Items {
    Maps,
    Primitives,
}

fn item_kind(current: &[Value], patch: &[Value]) -> Result<Items, PatchError> {
    let tag = |v: &Value| match v {
        Value::Object(_) => 0,
        Value::String(_) => 1,
        Value::Number(_) => 2,
        Value::Bool(_) => 3,
        Value::Null => 4,
        Value::Array(_) => 5,
    };
    let mut seen = None;
    for item in current.iter().chain(patch) {
        if item.is_array() {
            return Err(PatchError::ListOfLists);
        }
        match seen {
            None => seen = Some(tag(item)),
            Some(t) if t != tag(item) => {
                let both = Value::Array(vec![
                    Value::Array(current.to_vec()),
                    Value::Array(patch.to_vec()),
                ]);
                return Err(PatchError::MixedElementTypes(super::go_format::go_value(
                    &both,
                )));
            }
            Some(_) => {}
        }
    }
    Ok(if seen == Some(0) {
        Items::Maps
    } else {
        Items::Primitives
    })
}

/// Merges a patch list into the stored list of field `field`: replaced
/// unless its position merges; merged by key for maps, as a set for primitives.
pub fn merge_list(
    current: Vec<Value>,
    patch: Vec<Value>,
    meta: FieldMeta,
    field: &str,
) -> Result<Vec<Value>, PatchError> {
    if !meta.merges_lists() {
        return Ok(directives::strip_list(patch));
    }
    if current.is_empty() && patch.is_empty() {
        return Ok(current);
    }
    match item_kind(&current, &patch)? {
        Items::Primitives => {
            let mut merged: Vec<Value> = Vec::with_capacity(current.len() + patch.len());
            for item in current.iter().chain(&patch) {
                if !merged.contains(item) {
                    merged.push(item.clone());
                }
            }
            let (named, server_only) = order::partition(merged, &patch, None)?;
            order::normalize(named, server_only, &patch, &current, None)
        }
        Items::Maps => {
            let key = meta
                .merge_key()
                .ok_or_else(|| PatchError::NoMergeKey(field.to_string()))?;
            let (current, patch) = directives::apply_item_directives(current, patch, key)?;
            let merged = merge_items(current.clone(), &patch, key, meta.schema)?;
            let (named, server_only) = order::partition(merged, &patch, Some(key))?;
            order::normalize(named, server_only, &patch, &current, Some(key))
        }
    }
}

/// Merges each patch item into the stored item with the same key value, or
/// appends it when there is none.
fn merge_items(
    mut current: Vec<Value>,
    patch: &[Value],
    key: &str,
    schema: Schema,
) -> Result<Vec<Value>, PatchError> {
    for item in patch {
        let Value::Object(item) = item else {
            continue;
        };
        let id = item
            .get(key)
            .ok_or_else(|| PatchError::missing_merge_key(item, key))?;
        match current.iter().position(|c| c.get(key) == Some(id)) {
            Some(i) => {
                let Value::Object(existing) = std::mem::take(&mut current[i]) else {
                    continue;
                };
                current[i] = Value::Object(merge_map(existing, item.clone(), schema)?);
            }
            None => current.extend(directives::strip(Value::Object(item.clone()))),
        }
    }
    Ok(current)
}

/// Applies `$deleteFromPrimitiveList/<field>`. A `null` list deletes the
/// field, as in Kubernetes; a list whose field is absent changes nothing.
fn delete_from_primitive_list(
    original: &mut Map<String, Value>,
    field: &str,
    doomed: Value,
) -> Result<(), PatchError> {
    if doomed.is_null() {
        original.remove(field);
        return Ok(());
    }
    if let (Some(Value::Array(current)), Value::Array(doomed)) = (original.get_mut(field), doomed) {
        item_kind(current, &doomed)?;
        directives::delete_from_list(current, &doomed);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
