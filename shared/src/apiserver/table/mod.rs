//! Placeholder until the table printers land.
use crate::api::Resource;
use jiff::Timestamp;
use serde_json::{json, Value};
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject { None, Metadata, Object }
impl IncludeObject {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s { "None" => Self::None, "Metadata" => Self::Metadata, "Object" => Self::Object, _ => return None })
    }
}
pub struct ListMeta<'a> { pub resource_version: &'a str, pub continue_token: Option<&'a str> }
pub fn table(_r: &Resource, objects: &[&Value], _now: Timestamp, _i: IncludeObject, lm: ListMeta) -> Value {
    let rows: Vec<Value> = objects.iter().map(|o| json!({"cells": [crate::api::meta::name(o)]})).collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": lm.resource_version},
           "columnDefinitions": [{"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0}], "rows": rows})
}
