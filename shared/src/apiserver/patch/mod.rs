//! The three PATCH body formats the API server accepts, as pure functions on
//! stored objects: kubectl apply, scale, patch, set image and rollout send them.
//!
//! [`apply_patch`] picks the format from the request's content type; the
//! result still has to pass validation and the update path like a PUT.

mod error;
mod go_format;
pub mod json;
pub mod merge;
mod pointer;
pub mod strategic;
mod three_way;

pub use error::{PatchError, UNPROCESSABLE_MESSAGE};
pub use three_way::three_way;

use crate::api::decode;
use serde_json::Value;

/// A PATCH body format, named by the request's `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    StrategicMerge,
}

impl PatchType {
    /// The patch type of a `Content-Type` header; parameters such as
    /// `; charset=utf-8` are ignored. `None` means 415 Unsupported Media Type.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let media_type = ct.split(';').next().unwrap_or_default().trim();
        [Self::Json, Self::Merge, Self::StrategicMerge]
            .into_iter()
            .find(|t| t.content_type().eq_ignore_ascii_case(media_type))
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json-patch+json",
            Self::Merge => "application/merge-patch+json",
            Self::StrategicMerge => "application/strategic-merge-patch+json",
        }
    }
}

/// Applies `patch` to `target`, an object of `kind` (`"Deployment"`), and
/// returns the patched object. `kind` decides which lists a strategic merge
/// patch merges by key. The result is always an object.
pub fn apply_patch(
    kind: &str,
    target: &Value,
    patch_type: PatchType,
    patch: &[u8],
) -> Result<Value, PatchError> {
    let patched = match patch_type {
        PatchType::Json => json::apply(target, patch)?,
        PatchType::Merge => merge::apply(target, patch)?,
        PatchType::StrategicMerge => strategic::apply(kind, target, patch)?,
    };
    if patched.is_object() {
        return Ok(patched);
    }
    // The server fails to decode the result into the kind's type; this is
    // the decoder's wording for a body that is not an object.
    Err(PatchError::NotAnObject {
        detail: decode::not_an_object_reason(decode::go_json_kind(&patched)),
        patched: patched.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::ApiError;
    use serde_json::json;

    #[test]
    fn content_types_name_the_three_formats() {
        assert_eq!(
            PatchType::from_content_type("application/json-patch+json"),
            Some(PatchType::Json)
        );
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json"),
            Some(PatchType::Merge)
        );
        assert_eq!(
            PatchType::from_content_type("application/strategic-merge-patch+json; charset=utf-8"),
            Some(PatchType::StrategicMerge)
        );
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml"),
            None
        );
        assert_eq!(PatchType::from_content_type("application/json"), None);
        assert_eq!(PatchType::from_content_type(""), None);
    }

    #[test]
    fn content_type_round_trips() {
        for t in [PatchType::Json, PatchType::Merge, PatchType::StrategicMerge] {
            assert_eq!(PatchType::from_content_type(t.content_type()), Some(t));
        }
    }

    #[test]
    fn each_type_dispatches_to_its_format() {
        let target = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}});
        let body = br#"{"spec":{"containers":[{"name":"b","image":"z"}]}}"#;
        let merged = apply_patch("Pod", &target, PatchType::Merge, body).unwrap();
        assert_eq!(
            merged["spec"]["containers"],
            json!([{"name": "b", "image": "z"}])
        );
        let strategic = apply_patch("Pod", &target, PatchType::StrategicMerge, body).unwrap();
        assert_eq!(
            strategic["spec"]["containers"],
            json!([{"name": "a", "image": "x"}, {"name": "b", "image": "z"}])
        );
        let json_patch = br#"[{"op":"replace","path":"/spec/containers/1/image","value":"z"}]"#;
        assert_eq!(
            apply_patch("Pod", &target, PatchType::Json, json_patch).unwrap(),
            strategic
        );
    }

    #[test]
    fn a_merge_patch_that_is_a_list_leaves_no_object() {
        let err = apply_patch("Pod", &json!({"a": 1}), PatchType::Merge, b"[1]").unwrap_err();
        assert!(matches!(err, PatchError::NotAnObject { ref patched, .. } if patched == "[1]"));
        let PatchError::NotAnObject { ref detail, .. } = err else {
            unreachable!()
        };
        assert_eq!(
            detail,
            r#"couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\"apiVersion,omitempty\""; Kind string "json:\"kind,omitempty\"" }"#
        );
        let status = ApiError::from(err).to_status();
        assert_eq!(status["code"], 422);
        assert_eq!(status["reason"], "Invalid");
    }

    #[test]
    fn strategic_body_must_be_an_object() {
        let err = apply_patch("Pod", &json!({}), PatchType::StrategicMerge, b"[]").unwrap_err();
        assert_eq!(
            err,
            PatchError::Malformed(
                "json: cannot unmarshal array into Go value of type map[string]interface {}".into()
            )
        );
        assert_eq!(ApiError::from(err).to_status()["code"], 400);
    }
}
