//! Shared fixtures for the printer tests: a fixed "now", times relative to it,
//! and shortcuts to one row's cells or a kind's column headers.

use super::{table, IncludeObject, ListMeta};
use crate::api::resources::by_api_version_kind;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// The fixed current time every printer test runs at.
pub(crate) fn now() -> Timestamp {
    "2025-06-01T12:00:00Z".parse().unwrap()
}

/// An RFC 3339 time `seconds` before [`now`].
pub(crate) fn ago(seconds: i64) -> String {
    let t = now() - SignedDuration::from_secs(seconds);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The table for `objects`, which must all be of the first one's kind.
pub(crate) fn table_of(objects: &[&Value]) -> Value {
    table_with(objects, IncludeObject::None)
}

/// [`table_of`], with each row carrying `include` of its object.
pub(crate) fn table_with(objects: &[&Value], include: IncludeObject) -> Value {
    let first = objects[0];
    let api_version = first["apiVersion"].as_str().unwrap();
    let kind = first["kind"].as_str().unwrap();
    let resource = by_api_version_kind(api_version, kind).unwrap();
    table(resource, objects, now(), include, ListMeta::default())
}

/// The cells of `obj`'s row.
pub(crate) fn cells(obj: &Value) -> Value {
    table_of(&[obj])["rows"][0]["cells"].clone()
}

/// `(name, type, priority)` of every column of `obj`'s kind.
pub(crate) fn headers(obj: &Value) -> Vec<(String, String, u64)> {
    table_of(&[obj])["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["type"].as_str().unwrap().to_string(),
                c["priority"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Builds the expected header list from `(name, type, priority)` literals.
pub(crate) fn expect_headers(list: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    list.iter()
        .map(|(n, t, p)| (n.to_string(), t.to_string(), *p))
        .collect()
}
