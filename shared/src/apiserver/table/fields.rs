//! Reading optional fields of stored objects the way Go printers see them:
//! a missing field is its zero value (`""`, `0`, empty list), never an error.

use super::duration::parse_time;
use jiff::Timestamp;
use serde_json::{Map, Value};

/// The string at `pointer`, or `""`.
pub(super) fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The string at `pointer` if present (a Go `*string`).
pub(super) fn opt_str<'a>(obj: &'a Value, pointer: &str) -> Option<&'a str> {
    obj.pointer(pointer).and_then(Value::as_str)
}

/// The integer at `pointer`, or 0.
pub(super) fn int_at(obj: &Value, pointer: &str) -> i64 {
    opt_int(obj, pointer).unwrap_or(0)
}

/// The integer at `pointer` if present (a Go `*int32`).
pub(super) fn opt_int(obj: &Value, pointer: &str) -> Option<i64> {
    obj.pointer(pointer).and_then(Value::as_i64)
}

/// The bool at `pointer`, or false.
pub(super) fn bool_at(obj: &Value, pointer: &str) -> bool {
    obj.pointer(pointer)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The list at `pointer`, or an empty one.
pub(super) fn list_at<'a>(obj: &'a Value, pointer: &str) -> &'a [Value] {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The map at `pointer`, if any.
pub(super) fn map_at<'a>(obj: &'a Value, pointer: &str) -> Option<&'a Map<String, Value>> {
    obj.pointer(pointer).and_then(Value::as_object)
}

/// How many entries the map at `pointer` has.
pub(super) fn map_len(obj: &Value, pointer: &str) -> usize {
    map_at(obj, pointer).map_or(0, Map::len)
}

/// The time at `pointer`, if present and well-formed.
pub(super) fn time(obj: &Value, pointer: &str) -> Option<Timestamp> {
    opt_str(obj, pointer).and_then(parse_time)
}

/// A quantity (`1Gi`, `250m`) as stored; Kubernetes stores them canonical.
pub(super) fn quantity(obj: &Value, pointer: &str) -> Option<String> {
    match obj.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
