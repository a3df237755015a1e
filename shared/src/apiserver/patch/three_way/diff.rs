//! One two-way strategic diff, the building block of the three-way patch.
//!
//! Run twice with different blind spots (deletions only, or changes and
//! additions only); how lists are sorted and walked follows Kubernetes, since
//! the order of items and directives is visible in the patch kubectl sends.

use super::super::go_format::{go_type, go_value};
use super::super::strategic::directives::{
    DELETE_FROM_PRIMITIVE_LIST, PATCH, RETAIN_KEYS, SET_ELEMENT_ORDER,
};
use super::super::strategic::merge_keys::{FieldMeta, Schema, Strategy};
use super::super::PatchError;
use super::retains_keys;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Which differences a pass records. `$setElementOrder` lists are always
/// built, as in every patch kubectl computes.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Record only removals (the last-applied -> manifest pass).
    pub ignore_changes_and_additions: bool,
    /// Record only additions and changes (the live -> manifest pass).
    pub ignore_deletions: bool,
    /// The map being diffed sits under a `retainKeys` field.
    pub build_retain_keys: bool,
}

/// The patch that turns `original` into `modified`, limited by `opts`.
pub fn diff_maps(
    original: &Map<String, Value>,
    modified: &Map<String, Value>,
    schema: Schema,
    opts: DiffOptions,
) -> Result<Map<String, Value>, PatchError> {
    let mut patch = Map::new();
    let mut retained = Vec::new();
    for (key, new) in modified {
        if opts.build_retain_keys && !new.is_null() {
            retained.push(Value::String(key.clone()));
        }
        let Some(old) = original.get(key) else {
            if !opts.ignore_changes_and_additions {
                patch.insert(key.clone(), new.clone());
            }
            continue;
        };
        if key == PATCH {
            diff_directive(old, new, &mut patch)?;
            continue;
        }
        if go_type(old) != go_type(new) {
            if !opts.ignore_changes_and_additions {
                patch.insert(key.clone(), new.clone());
            }
            continue;
        }
        match (old, new) {
            (Value::Object(old), Value::Object(new)) => {
                diff_map_field(key, old, new, &mut patch, schema, opts)?
            }
            (Value::Array(old), Value::Array(new)) => {
                diff_list_field(key, old, new, &mut patch, schema, opts)?
            }
            _ => replace_if_changed(key, old, new, &mut patch, opts),
        }
    }
    if !opts.ignore_deletions {
        for key in original.keys() {
            if !modified.contains_key(key) {
                patch.insert(key.clone(), Value::Null);
            }
        }
    }
    // The key list goes out whenever the map changes or the old map holds
    // members the new one drops, so the server can clear them.
    if !retained.is_empty() && (!patch.is_empty() || drops_a_member(original, modified)) {
        sort_scalars(&mut retained);
        patch.insert(RETAIN_KEYS.to_string(), Value::Array(retained));
    }
    Ok(patch)
}

/// A `$patch` found in both documents: only a changed value is recorded.
fn diff_directive(
    old: &Value,
    new: &Value,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    match (old, new) {
        (Value::String(old), Value::String(new)) => {
            if old != new {
                patch.insert(PATCH.to_string(), Value::String(new.clone()));
            }
            Ok(())
        }
        _ => Err(PatchError::Malformed(format!(
            "invalid value for special key: {PATCH}"
        ))),
    }
}

fn drops_a_member(original: &Map<String, Value>, modified: &Map<String, Value>) -> bool {
    original
        .iter()
        .any(|(k, v)| !v.is_null() && !modified.contains_key(k))
}

fn replace_if_changed(
    key: &str,
    old: &Value,
    new: &Value,
    patch: &mut Map<String, Value>,
    opts: DiffOptions,
) {
    if !opts.ignore_changes_and_additions && old != new {
        patch.insert(key.to_string(), new.clone());
    }
}

fn diff_map_field(
    key: &str,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Schema,
    opts: DiffOptions,
) -> Result<(), PatchError> {
    let meta = schema.field(key);
    let opts = DiffOptions {
        build_retain_keys: retains_keys(schema, key),
        ..opts
    };
    if meta.strategy == Strategy::ReplaceMap {
        // Kubernetes sends a replaced map whole, changed or not.
        if !opts.ignore_changes_and_additions {
            patch.insert(key.to_string(), Value::Object(new.clone()));
        }
        return Ok(());
    }
    let sub = diff_maps(old, new, meta.schema, opts)?;
    if !sub.is_empty() {
        patch.insert(key.to_string(), Value::Object(sub));
    }
    Ok(())
}

fn diff_list_field(
    key: &str,
    old: &[Value],
    new: &[Value],
    patch: &mut Map<String, Value>,
    schema: Schema,
    opts: DiffOptions,
) -> Result<(), PatchError> {
    let meta = schema.field(key);
    if !meta.merges_lists() {
        replace_if_changed(
            key,
            &Value::Array(old.to_vec()),
            &Value::Array(new.to_vec()),
            patch,
            opts,
        );
        return Ok(());
    }
    let opts = DiffOptions {
        build_retain_keys: retains_keys(schema, key),
        ..opts
    };
    let ListDiff {
        items,
        deleted_primitives,
        order,
    } = diff_lists(old, new, meta, opts)?;
    if !items.is_empty() {
        patch.insert(key.to_string(), Value::Array(items));
    }
    if !deleted_primitives.is_empty() {
        patch.insert(
            format!("{DELETE_FROM_PRIMITIVE_LIST}/{key}"),
            Value::Array(deleted_primitives),
        );
    }
    if !order.is_empty() {
        patch.insert(format!("{SET_ELEMENT_ORDER}/{key}"), Value::Array(order));
    }
    Ok(())
}

/// The patch of one merging list: its patch items (with `$patch: delete`
/// items last), values to delete from a list of primitives, and the
/// `$setElementOrder` list.
#[derive(Debug, Default)]
struct ListDiff {
    items: Vec<Value>,
    deleted_primitives: Vec<Value>,
    order: Vec<Value>,
}

fn diff_lists(
    old: &[Value],
    new: &[Value],
    meta: FieldMeta,
    opts: DiffOptions,
) -> Result<ListDiff, PatchError> {
    if old.is_empty() {
        // Kubernetes adds the whole new list, without an order list.
        if new.is_empty() || opts.ignore_changes_and_additions {
            return Ok(ListDiff::default());
        }
        return Ok(ListDiff {
            items: new.to_vec(),
            ..ListDiff::default()
        });
    }
    if holds_maps(old, new)? {
        let key = meta.merge_key().unwrap_or_default();
        let (mut items, deletions) = diff_lists_of_maps(old, new, key, meta.schema, opts)?;
        items.sort_by_key(|item| position(new, item, Some(key)));
        let order_same =
            old.len() == new.len() && old.iter().zip(new).all(|(o, n)| o.get(key) == n.get(key));
        items.extend(deletions);
        let wants_order = (!opts.ignore_changes_and_additions
            && (!items.is_empty() || !order_same))
            || (!opts.ignore_deletions && !items.is_empty());
        let order = if wants_order {
            new.iter()
                .map(|item| {
                    let mut id = Map::new();
                    id.insert(
                        key.to_string(),
                        item.get(key).cloned().unwrap_or(Value::Null),
                    );
                    Value::Object(id)
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(ListDiff {
            items,
            deleted_primitives: Vec::new(),
            order,
        })
    } else {
        let (mut added, deleted) = diff_lists_of_scalars(old, new, opts);
        added.sort_by_key(|item| position(new, item, None));
        let mut sorted_old = old.to_vec();
        sort_scalars(&mut sorted_old);
        // Kubernetes compares the new list with the old one *sorted*, so an
        // unsorted list of primitives always carries its order list.
        let wants_order = (!opts.ignore_deletions && !deleted.is_empty())
            || (!opts.ignore_changes_and_additions && sorted_old != new);
        Ok(ListDiff {
            items: added,
            order: if wants_order {
                new.to_vec()
            } else {
                Vec::new()
            },
            deleted_primitives: deleted,
        })
    }
}

/// Whether both lists hold maps; mixed item types and nested lists are
/// errors, as in Kubernetes.
fn holds_maps(old: &[Value], new: &[Value]) -> Result<bool, PatchError> {
    let mut first: Option<&Value> = None;
    for item in old.iter().chain(new) {
        match first {
            None if item.is_array() => return Err(PatchError::ListOfLists),
            None => first = Some(item),
            Some(f) if go_type(f) != go_type(item) => {
                let both =
                    Value::Array(vec![Value::Array(old.to_vec()), Value::Array(new.to_vec())]);
                return Err(PatchError::MixedElementTypes(go_value(&both)));
            }
            Some(_) => {}
        }
    }
    Ok(first.is_some_and(Value::is_object))
}

/// Where `item` sits in `list`, by merge-key value or by value; items not
/// found sort last.
fn position(list: &[Value], item: &Value, key: Option<&str>) -> usize {
    let id = |v: &Value| match key {
        Some(k) => v.get(k).cloned(),
        None => Some(v.clone()),
    };
    let wanted = id(item);
    list.iter()
        .position(|candidate| id(candidate) == wanted)
        .unwrap_or(usize::MAX)
}

/// An item of a merging list with the `%v` text of its merge key, by which
/// Kubernetes sorts and matches items.
type KeyedItem<'a> = (String, &'a Map<String, Value>);

fn keyed<'a>(list: &'a [Value], key: &str) -> Result<Vec<KeyedItem<'a>>, PatchError> {
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let map = item.as_object().ok_or_else(|| PatchError::BadArgType {
            expected: "map[string]interface {}",
            actual: go_type(item),
        })?;
        let id = map
            .get(key)
            .ok_or_else(|| PatchError::missing_merge_key(map, key))?;
        out.push((go_value(id), map));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Walks both lists sorted by merge key: matching items are diffed, new ones
/// added whole, missing ones become `{key: v, $patch: delete}`.
fn diff_lists_of_maps(
    old: &[Value],
    new: &[Value],
    key: &str,
    item_schema: Schema,
    opts: DiffOptions,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let (old, new) = (keyed(old, key)?, keyed(new, key)?);
    let (mut items, mut deletions) = (Vec::new(), Vec::new());
    let (mut o, mut n) = (0, 0);
    while o < old.len() || n < new.len() {
        let step = match (old.get(o), new.get(n)) {
            (Some(a), Some(b)) => a.0.cmp(&b.0),
            (None, _) => Ordering::Greater,
            (_, None) => Ordering::Less,
        };
        match step {
            Ordering::Equal => {
                let (a, b) = (old[o].1, new[n].1);
                let mut sub = diff_maps(a, b, item_schema, opts)?;
                if !sub.is_empty() {
                    sub.insert(key.to_string(), b.get(key).cloned().unwrap_or(Value::Null));
                    items.push(Value::Object(sub));
                }
                o += 1;
                n += 1;
            }
            Ordering::Greater => {
                if !opts.ignore_changes_and_additions {
                    items.push(Value::Object(new[n].1.clone()));
                }
                n += 1;
            }
            Ordering::Less => {
                if !opts.ignore_deletions {
                    let mut doomed = Map::new();
                    doomed.insert(
                        key.to_string(),
                        old[o].1.get(key).cloned().unwrap_or(Value::Null),
                    );
                    doomed.insert(PATCH.to_string(), Value::String("delete".into()));
                    deletions.push(Value::Object(doomed));
                }
                o += 1;
            }
        }
    }
    Ok((items, deletions))
}

/// Walks both lists sorted by `%v` text: returns values only the new list
/// has, and (deduplicated) values only the old one has.
fn diff_lists_of_scalars(
    old: &[Value],
    new: &[Value],
    opts: DiffOptions,
) -> (Vec<Value>, Vec<Value>) {
    let text = |list: &[Value]| {
        let mut out: Vec<(String, Value)> = list.iter().map(|v| (go_value(v), v.clone())).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    };
    let (old, new) = (text(old), text(new));
    let (mut added, mut deleted) = (Vec::new(), Vec::new());
    let (mut o, mut n) = (0, 0);
    while o < old.len() || n < new.len() {
        let step = match (old.get(o), new.get(n)) {
            (Some(a), Some(b)) => a.0.cmp(&b.0),
            (None, _) => Ordering::Greater,
            (_, None) => Ordering::Less,
        };
        match step {
            Ordering::Equal => {
                o += 1;
                n += 1;
            }
            Ordering::Greater => {
                if !opts.ignore_changes_and_additions {
                    added.push(new[n].1.clone());
                }
                n += 1;
            }
            Ordering::Less => {
                if !opts.ignore_deletions {
                    deleted.push(old[o].1.clone());
                }
                o += 1;
            }
        }
    }
    (added, deduplicate(deleted))
}

/// Kubernetes' in-place deduplication: a duplicate is overwritten by the
/// last item, which changes the order the survivors are sent in.
pub fn deduplicate(mut items: Vec<Value>) -> Vec<Value> {
    let mut i = 0;
    while i < items.len() {
        let mut j = i + 1;
        while j < items.len() {
            if items[i] == items[j] {
                items.swap_remove(j);
            } else {
                j += 1;
            }
        }
        i += 1;
    }
    items
}

/// Sorts primitives by their `%v` text, as Kubernetes orders `$retainKeys`
/// and compares lists of primitives.
fn sort_scalars(items: &mut [Value]) {
    items.sort_by_cached_key(go_value);
}
