//! The cells kubectl would print for a set of objects, taken from the API server's own Table
//! printers so the map's STATUS, ROLES and PORT(S) always read exactly as `kubectl get` does.

use kubeplay_shared::api::Resource;
use kubeplay_shared::apiserver::table::{table, IncludeObject, ListMeta};
use kubeplay_shared::Timestamp;
use serde_json::Value;

/// One row of printed cells per object, in the printer's column order.
pub(crate) fn cells(resource: &Resource, objects: &[&Value], now: Timestamp) -> Vec<Vec<String>> {
    let printed = table(resource, objects, now, IncludeObject::None, ListMeta::default());
    let rows = printed["rows"].as_array().map(Vec::as_slice).unwrap_or_default();
    let mut out: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let cells = row["cells"].as_array().map(Vec::as_slice).unwrap_or_default();
            cells
                .iter()
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    // A printer that drops a row (it never should) must not shift the others' cells.
    out.resize(objects.len(), Vec::new());
    out
}

/// Cell `i` of a printed row, empty when absent.
pub(crate) fn cell(row: &[String], i: usize) -> &str {
    row.get(i).map(String::as_str).unwrap_or("")
}
