//! Checks Kubernetes makes while decoding a request body, before validation:
//! a malformed quantity makes the whole body undecodable (400 BadRequest).

use crate::api::defaults::quantities;
use crate::api::quantity::QuantityError;
use crate::api::Resource;
use serde_json::Value;

/// The body could not be turned into the kind's Go type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} in version {version:?} cannot be handled as a {kind}: {cause}")]
pub struct DecodeError {
    pub kind: String,
    pub version: String,
    pub cause: QuantityError,
}

/// `Err` with Kubernetes' BadRequest wording when a quantity field does not parse.
pub fn check(resource: &Resource, obj: &Value) -> Result<(), DecodeError> {
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
        Some(cause) => Err(DecodeError {
            kind: resource.kind.into(),
            version: resource.version.into(),
            cause,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::resources::by_kind;
    use serde_json::json;

    #[test]
    fn bad_quantity_reads_like_the_api_server() {
        let d = json!({"spec": {"template": {"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "abc"}}}]}}}});
        let err = check(by_kind("Deployment").unwrap(), &d).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Deployment in version "v1" cannot be handled as a Deployment: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"#
        );
        let ok = json!({"spec": {"containers": [{"name": "a", "resources": {"limits": {"memory": "256Mi"}}}]}});
        assert!(check(by_kind("Pod").unwrap(), &ok).is_ok());
    }
}
