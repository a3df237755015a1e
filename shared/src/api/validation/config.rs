//! Secret, ConfigMap and ServiceAccount validation: key formats, size limits,
//! typed-Secret required keys, and the `immutable: true` lock.

use super::metadata::{validate_object_meta, validate_object_meta_update};
use super::read::{bool_at, obj_at, string_at};
use super::{FieldError, FieldPath};
use crate::api::names;
use base64::Engine;
use serde_json::Value;

/// Secrets and ConfigMaps are capped at 1 MiB of data.
const MAX_SIZE: usize = 1024 * 1024;

fn validate_keys(obj: &Value, field: &str) -> (Vec<FieldError>, usize) {
    let mut errs = Vec::new();
    let mut size = 0;
    if let Some(data) = obj_at(obj, field) {
        for (k, v) in data {
            for msg in names::is_config_map_key(k) {
                errs.push(FieldError::invalid(
                    FieldPath::root(field).key(k),
                    k.as_str(),
                    msg,
                ));
            }
            size += v.as_str().map_or(0, str::len);
        }
    }
    (errs, size)
}

fn decoded_len(v: &Value) -> usize {
    v.as_str()
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .map_or(0, |b| b.len())
}

pub fn validate_secret(secret: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(secret, true, names::name_is_dns_subdomain);
    let (key_errs, _) = validate_keys(secret, "data");
    errs.extend(key_errs);
    let data = obj_at(secret, "data");
    if data.map_or(0, |d| d.values().map(decoded_len).sum::<usize>()) > MAX_SIZE {
        errs.push(FieldError::too_long("data", MAX_SIZE));
    }
    let has_key = |k: &str| data.is_some_and(|d| d.contains_key(k));
    let data_key = |k: &str| FieldPath::root("data").key(k);
    match string_at(secret, "type") {
        "kubernetes.io/service-account-token" => {
            let sa = secret
                .pointer("/metadata/annotations/kubernetes.io~1service-account.name")
                .and_then(Value::as_str);
            if sa.is_none_or(str::is_empty) {
                errs.push(FieldError::required(
                    FieldPath::root("metadata")
                        .child("annotations")
                        .key("kubernetes.io/service-account.name"),
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" if !has_key(".dockercfg") => {
            errs.push(FieldError::required(data_key(".dockercfg"), ""))
        }
        "kubernetes.io/dockerconfigjson" if !has_key(".dockerconfigjson") => {
            errs.push(FieldError::required(data_key(".dockerconfigjson"), ""))
        }
        "kubernetes.io/basic-auth" if !has_key("username") && !has_key("password") => {
            errs.push(FieldError::required(data_key("username"), ""));
            errs.push(FieldError::required(data_key("password"), ""));
        }
        "kubernetes.io/ssh-auth" if !has_key("ssh-privatekey") => {
            errs.push(FieldError::required(data_key("ssh-privatekey"), ""))
        }
        "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if !has_key(k) {
                    errs.push(FieldError::required(data_key(k), ""));
                }
            }
        }
        _ => {}
    }
    errs
}

fn validate_immutable_lock(new: &Value, old: &Value, fields: &[&str]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if bool_at(old, "immutable") != Some(true) {
        return errs;
    }
    if bool_at(new, "immutable") != Some(true) {
        errs.push(FieldError::forbidden(
            "immutable",
            "field is immutable when `immutable` is set",
        ));
    }
    for f in fields {
        if new.get(*f) != old.get(*f) {
            errs.push(FieldError::forbidden(
                *f,
                "field is immutable when `immutable` is set",
            ));
        }
    }
    errs
}

pub fn validate_secret_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    let (nt, ot) = (string_at(new, "type"), string_at(old, "type"));
    if nt != ot {
        errs.push(FieldError::invalid("type", nt, "field is immutable"));
    }
    errs.extend(validate_immutable_lock(new, old, &["data"]));
    errs.extend(validate_secret(new));
    errs
}

pub fn validate_config_map(cm: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(cm, true, names::name_is_dns_subdomain);
    let (key_errs, data_size) = validate_keys(cm, "data");
    errs.extend(key_errs);
    if let (Some(data), Some(binary)) = (obj_at(cm, "data"), obj_at(cm, "binaryData")) {
        for k in data.keys().filter(|k| binary.contains_key(*k)) {
            errs.push(FieldError::invalid(
                FieldPath::root("data").key(k),
                k.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
    }
    let (bin_errs, _) = validate_keys(cm, "binaryData");
    errs.extend(bin_errs);
    let binary_size: usize =
        obj_at(cm, "binaryData").map_or(0, |b| b.values().map(decoded_len).sum());
    if data_size + binary_size > MAX_SIZE {
        errs.push(FieldError::too_long("", MAX_SIZE));
    }
    errs
}

pub fn validate_config_map_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(new, old);
    errs.extend(validate_immutable_lock(new, old, &["data", "binaryData"]));
    errs.extend(validate_config_map(new));
    errs
}

pub fn validate_service_account(sa: &Value) -> Vec<FieldError> {
    validate_object_meta(sa, true, names::name_is_dns_subdomain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::test_support::messages;
    use serde_json::json;

    #[test]
    fn seed_config_map_is_valid_and_bad_keys_are_not() {
        let cm = json!({"metadata": {"name": "app-config", "namespace": "default"},
            "data": {"APP_ENV": "production", "LOG_LEVEL": "info", "MAX_CONNECTIONS": "100"}});
        assert!(validate_config_map(&cm).is_empty());
        let bad = json!({"metadata": {"name": "c", "namespace": "d"}, "data": {"my key": "v"}});
        assert_eq!(
            messages(&validate_config_map(&bad)),
            vec![
                r#"data[my key]: Invalid value: "my key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"#
            ]
        );
    }

    #[test]
    fn secret_keys_and_tls_requirements() {
        let s = json!({"metadata": {"name": "s", "namespace": "d"}, "type": "kubernetes.io/tls", "data": {"..x": "YQ=="}});
        assert_eq!(
            messages(&validate_secret(&s)),
            vec![
                r#"data[..x]: Invalid value: "..x": must not start with '..'"#,
                "data[tls.crt]: Required value",
                "data[tls.key]: Required value",
            ]
        );
    }

    #[test]
    fn immutable_config_maps_refuse_data_changes() {
        let old = json!({"metadata": {"name": "c", "namespace": "d"}, "immutable": true, "data": {"a": "1"}});
        let mut new = old.clone();
        new["data"]["a"] = json!("2");
        assert_eq!(
            messages(&validate_config_map_update(&new, &old)),
            vec!["data: Forbidden: field is immutable when `immutable` is set"]
        );
        new["immutable"] = json!(false);
        assert_eq!(messages(&validate_config_map_update(&new, &old)).len(), 2);
    }

    #[test]
    fn secret_type_is_immutable() {
        let old = json!({"metadata": {"name": "s", "namespace": "d"}, "type": "Opaque"});
        let mut new = old.clone();
        new["type"] = json!("kubernetes.io/basic-auth");
        new["data"] = json!({"username": "YQ=="});
        assert_eq!(
            messages(&validate_secret_update(&new, &old)),
            vec![r#"type: Invalid value: "kubernetes.io/basic-auth": field is immutable"#]
        );
    }
}
