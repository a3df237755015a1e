//! Secret defaults: type `Opaque`, and `stringData` folded into base64 `data`
//! (stringData wins on conflicts) and then dropped, as the API server stores it.

use super::default_field;
use base64::Engine;
use serde_json::{json, Map, Value};

pub fn apply_secret(secret: &mut Value) {
    default_field(secret, "type", json!("Opaque"));
    let Some(obj) = secret.as_object_mut() else {
        return;
    };
    let Some(string_data) = obj.remove("stringData") else {
        return;
    };
    let Some(string_data) = string_data.as_object().filter(|m| !m.is_empty()) else {
        return;
    };
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Some(data) = data.as_object_mut() {
        for (k, v) in string_data {
            let text = v.as_str().unwrap_or_default();
            data.insert(
                k.clone(),
                json!(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_secret_string_data_is_folded_into_data() {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-credentials"}, "type": "Opaque",
            "stringData": {"DB_PASSWORD": "supersecret123", "API_KEY": "sk-abc123"}});
        apply_secret(&mut s);
        assert!(s.get("stringData").is_none());
        assert_eq!(
            s["data"],
            json!({"DB_PASSWORD": "c3VwZXJzZWNyZXQxMjM=", "API_KEY": "c2stYWJjMTIz"})
        );
    }

    #[test]
    fn string_data_wins_and_type_defaults() {
        let mut s = json!({"data": {"a": "b2xk", "b": "YmI="}, "stringData": {"a": "new"}});
        apply_secret(&mut s);
        assert_eq!(s["type"], "Opaque");
        assert_eq!(s["data"], json!({"a": "bmV3", "b": "YmI="}));
    }
}
