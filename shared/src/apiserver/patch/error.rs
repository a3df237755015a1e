//! Why a patch could not be applied, and the `Status` Kubernetes answers with.
//!
//! Texts follow the libraries the API server uses (evanphx/json-patch v4,
//! apimachinery's strategicpatch), so kubectl users see familiar wording.

use super::go_format::{go_type, go_value};
use crate::api::decode::go_json_kind;
use crate::api::validation::FieldError;
use crate::apiserver::{ApiError, Reason};
use serde_json::Value;

/// The API server's answer to a JSON patch that decodes but does not apply:
/// the operation's own error is not passed on to the client.
pub const UNPROCESSABLE_MESSAGE: &str =
    "the server rejected our request due to an error in our request";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    /// The body is not a document of the declared patch type.
    #[error("{0}")]
    Malformed(String),

    /// A merge patch that is not JSON or is `null`.
    #[error("Invalid JSON Patch")]
    InvalidMergePatch,

    /// A JSON-patch operation failed: a `test` that did not hold, a path
    /// that does not exist, an index out of range, an unknown `op`.
    #[error("{0}")]
    JsonPatchOperation(String),

    /// The patch produced something other than an object.
    #[error("{detail}")]
    NotAnObject { patched: String, detail: String },

    #[error("invalid patch format of primitive list")]
    BadPrimitiveListFormat,

    #[error("invalid patch format of retainKeys")]
    BadRetainKeysFormat,

    #[error("invalid patch format of setElementOrder list")]
    BadSetElementOrderFormat,

    #[error("lists of lists are not supported")]
    ListOfLists,

    /// A list item in a patch (or in the stored list) lacks the list's merge key.
    #[error("map: {item} does not contain declared merge key: {key}")]
    MissingMergeKey { item: String, key: String },

    /// A `$patch` value other than `replace` or `delete` on a map.
    #[error("unknown patch type: {directive} in map: {map}")]
    UnknownDirective { directive: String, map: String },

    /// `$patch: merge` on a list item, which Kubernetes has never supported.
    #[error("merging lists cannot yet be specified in the patch")]
    ListMergeDirective,

    /// Items of the patch list are missing from, or out of order with, the
    /// `$setElementOrder` list sent beside it.
    #[error("the order in patch list:\n{patch}\n doesn't match $setElementOrder list:\n{order}")]
    OrderMismatch { patch: String, order: String },

    /// A list of maps whose position declares no merge key, yet asks to merge.
    #[error("cannot merge lists without merge key for {0}")]
    NoMergeKey(String),

    #[error("list element types are not identical: {0}")]
    MixedElementTypes(String),

    /// A directive's value has the wrong JSON type.
    #[error("expected a {expected}, but received a {actual}")]
    BadArgType {
        expected: &'static str,
        actual: &'static str,
    },
}

impl PatchError {
    pub(crate) fn missing_merge_key(item: &serde_json::Map<String, Value>, key: &str) -> Self {
        Self::MissingMergeKey {
            item: go_value(&Value::Object(item.clone())),
            key: key.to_string(),
        }
    }

    /// A body of the wrong JSON type, worded as Go's decoder words it.
    pub(crate) fn cannot_unmarshal(v: &Value, go_type: &str) -> Self {
        Self::Malformed(format!(
            "json: cannot unmarshal {} into Go value of type {go_type}",
            go_json_kind(v)
        ))
    }

    pub(crate) fn expected_list(actual: &Value) -> Self {
        Self::BadArgType {
            expected: "[]interface {}",
            actual: go_type(actual),
        }
    }
}

impl From<PatchError> for ApiError {
    /// Kubernetes sorts these three ways: a body that does not parse as the
    /// declared type is a 400; a JSON patch that fails and a list of lists are
    /// a 422 with a fixed message; strategic-merge failures it does not
    /// classify reach the client as a 500 carrying the library's text (the
    /// real server leaves `reason` empty there, which `Reason` cannot express).
    fn from(e: PatchError) -> Self {
        match e {
            PatchError::Malformed(_)
            | PatchError::InvalidMergePatch
            | PatchError::BadPrimitiveListFormat
            | PatchError::BadRetainKeysFormat
            | PatchError::BadSetElementOrderFormat => ApiError::bad_request(e.to_string()),
            PatchError::JsonPatchOperation(_) | PatchError::ListOfLists => {
                ApiError::new(Reason::Invalid, UNPROCESSABLE_MESSAGE)
            }
            PatchError::NotAnObject { patched, detail } => ApiError::invalid(
                "",
                "",
                "",
                vec![FieldError::invalid("patch", patched, detail)],
            ),
            PatchError::MissingMergeKey { .. }
            | PatchError::UnknownDirective { .. }
            | PatchError::ListMergeDirective
            | PatchError::OrderMismatch { .. }
            | PatchError::NoMergeKey(_)
            | PatchError::MixedElementTypes(_)
            | PatchError::BadArgType { .. } => ApiError::new(Reason::InternalError, e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn malformed_bodies_are_bad_requests() {
        let status = ApiError::from(PatchError::InvalidMergePatch).to_status();
        assert_eq!(status["code"], 400);
        assert_eq!(status["reason"], "BadRequest");
        assert_eq!(status["message"], "Invalid JSON Patch");
        let status = ApiError::from(PatchError::BadRetainKeysFormat).to_status();
        assert_eq!(status["message"], "invalid patch format of retainKeys");
    }

    #[test]
    fn failed_json_patch_is_invalid_with_the_generic_message() {
        let e = PatchError::JsonPatchOperation(
            "testing value /spec/replicas failed: test failed".into(),
        );
        let status = ApiError::from(e).to_status();
        assert_eq!(status["code"], 422);
        assert_eq!(status["reason"], "Invalid");
        assert_eq!(status["message"], UNPROCESSABLE_MESSAGE);
    }

    #[test]
    fn missing_merge_key_names_the_map_go_style() {
        let item = json!({"image": "nginx:1.27"});
        let e = PatchError::missing_merge_key(item.as_object().unwrap(), "name");
        assert_eq!(
            e.to_string(),
            "map: map[image:nginx:1.27] does not contain declared merge key: name"
        );
        assert_eq!(ApiError::from(e).to_status()["code"], 500);
    }

    #[test]
    fn non_object_result_is_reported_on_the_patch_field() {
        let e = PatchError::NotAnObject {
            patched: "[1]".into(),
            detail: "not an object".into(),
        };
        let status = ApiError::from(e).to_status();
        assert_eq!(status["code"], 422);
        assert_eq!(status["details"]["causes"][0]["field"], "patch");
    }
}
