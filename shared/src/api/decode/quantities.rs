//! Quantities are parsed while Kubernetes decodes a body, before validation:
//! a malformed one makes the whole body undecodable (400 BadRequest).

use crate::api::defaults::quantities;
use crate::api::quantity::QuantityError;
use crate::api::Resource;
use serde_json::Value;

/// The first quantity field of `obj` that does not parse, if any.
pub fn check(resource: &Resource, obj: &Value) -> Result<(), QuantityError> {
    let mut first = None;
    quantities::visit(resource, obj, &mut |_, text| {
        if first.is_none() {
            if let Err(e) = crate::api::quantity::Quantity::parse(text) {
                first = Some(e);
            }
        }
    });
    match first {
        None => Ok(()),
        Some(cause) => Err(cause),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources::by_kind;
    use serde_json::json;

    #[test]
    fn bad_quantity_reads_like_the_api_server() {
        let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"template": {"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "abc"}}}]}}}});
        let err = super::super::decode_value(by_kind("Deployment").unwrap(), &d, super::super::FieldValidation::Strict).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Deployment in version "v1" cannot be handled as a Deployment: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"#
        );
        let ok = json!({"spec": {"containers": [{"name": "a", "resources": {"limits": {"memory": "256Mi"}}}]}});
        assert!(check(by_kind("Pod").unwrap(), &ok).is_ok());
    }
}
