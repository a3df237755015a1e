//! The strategic merge patch `kubectl apply` computes and sends (client-side
//! apply): last-applied, new manifest and live object reduced to one patch.
//!
//! Mirrors apimachinery's `CreateThreeWayMergePatch` with `overwrite=true`:
//! deletions come from last-applied -> manifest, everything else from
//! live -> manifest, so fields only the server or other clients set survive.

mod combine;
mod diff;

use super::strategic::merge_keys::Schema;
use super::PatchError;
use diff::DiffOptions;
use serde_json::{Map, Value};

/// The strategic merge patch kubectl apply sends: from `original` (the
/// last-applied configuration, None if the live object has none), `modified`
/// (the new manifest, already carrying the new last-applied annotation), and
/// `current` (the live object).
///
/// `{}` means there is nothing to change: kubectl then prints `unchanged`
/// and sends no request. Server-set metadata (`resourceVersion`, `uid`,
/// `managedFields`, ...) and `status` never appear, because the manifest
/// does not mention them and the live object is never a source of deletions.
pub fn three_way(
    kind: &str,
    original: Option<&Value>,
    modified: &Value,
    current: &Value,
) -> Result<Value, PatchError> {
    let schema = Schema::for_kind(kind);
    let original = original.map(document).transpose()?.unwrap_or_default();
    let modified = document(modified)?;
    let current = document(current)?;

    // What the manifest sets that the live object lacks or holds differently.
    let delta = diff::diff_maps(
        &current,
        &modified,
        schema,
        DiffOptions {
            ignore_deletions: true,
            ..DiffOptions::default()
        },
    )?;
    // What the previous apply set that the manifest no longer mentions.
    let deletions = diff::diff_maps(
        &original,
        &modified,
        schema,
        DiffOptions {
            ignore_changes_and_additions: true,
            ..DiffOptions::default()
        },
    )?;
    Ok(Value::Object(combine::combine_maps(
        deletions, delta, schema,
    )?))
}

/// kubectl decodes each document into a `map[string]interface{}`; `null`
/// decodes to an empty one.
fn document(v: &Value) -> Result<Map<String, Value>, PatchError> {
    match v {
        Value::Object(map) => Ok(map.clone()),
        Value::Null => Ok(Map::new()),
        other => Err(PatchError::cannot_unmarshal(
            other,
            "map[string]interface {}",
        )),
    }
}

/// Fields tagged `patchStrategy:"retainKeys"` (alone or with `merge`) in
/// k8s.io/api: the patch then lists the keys the manifest keeps, so the
/// server drops the other members of a one-of (switching a Deployment to
/// `Recreate` clears `rollingUpdate`; changing a volume's source clears the
/// old one). `merge_keys` leaves this out because only patch creation and
/// `$retainKeys` need it.
pub(crate) fn retains_keys(schema: Schema, field: &str) -> bool {
    matches!(
        (schema, field),
        // Only Deployment has a `strategy` among the kinds sharing this schema.
        (Schema::TemplateOwnerSpec, "strategy") | (Schema::PodSpec, "volumes" | "resourceClaims")
    )
}

#[cfg(test)]
mod tests;
