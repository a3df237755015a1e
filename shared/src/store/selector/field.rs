use super::SelectorError;
use crate::api::Resource;
use serde_json::Value;
#[derive(Debug, Clone, Default)]
pub struct FieldSelector { reqs: Vec<(String, String)> }
impl FieldSelector {
    pub fn parse(_r: &Resource, s: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| SelectorError(format!("bad selector {part}")))?;
            reqs.push((k.trim().to_string(), v.trim_start_matches('=').trim().to_string()));
        }
        Ok(Self { reqs })
    }
    pub fn matches(&self, obj: &Value) -> bool {
        self.reqs.iter().all(|(k, v)| obj.pointer(&format!("/{}", k.replace('.', "/"))).and_then(Value::as_str).unwrap_or("") == v)
    }
    pub fn is_empty(&self) -> bool { self.reqs.is_empty() }
}
