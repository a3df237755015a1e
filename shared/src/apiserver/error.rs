//! API errors and their one mapping to Kubernetes `Status` objects.
//!
//! Everything below the request layer returns an [`ApiError`]; the request layer
//! turns it into the `Status` body and HTTP code that kubectl understands.

use crate::api::validation::FieldError;
use serde_json::{json, Value};

/// `Status.reason` values we produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    BadRequest,
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    Gone,
    Expired,
    MethodNotAllowed,
    NotAcceptable,
    UnsupportedMediaType,
    Forbidden,
    Unauthorized,
    InternalError,
    ServiceUnavailable,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "BadRequest",
            Self::NotFound => "NotFound",
            Self::AlreadyExists => "AlreadyExists",
            Self::Conflict => "Conflict",
            Self::Invalid => "Invalid",
            Self::Gone => "Gone",
            Self::Expired => "Expired",
            Self::MethodNotAllowed => "MethodNotAllowed",
            Self::NotAcceptable => "NotAcceptable",
            Self::UnsupportedMediaType => "UnsupportedMediaType",
            Self::Forbidden => "Forbidden",
            Self::Unauthorized => "Unauthorized",
            Self::InternalError => "InternalError",
            Self::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    pub fn code(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::NotAcceptable => 406,
            Self::AlreadyExists | Self::Conflict => 409,
            Self::Gone | Self::Expired => 410,
            Self::UnsupportedMediaType => 415,
            Self::Invalid => 422,
            Self::InternalError => 500,
            Self::ServiceUnavailable => 503,
        }
    }
}

/// An API failure with what kubectl needs to explain it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub reason: Reason,
    pub message: String,
    /// Boxed: errors travel through every `Result` of the request path, and
    /// most carry no details.
    pub details: Option<Box<Details>>,
}

/// `details` of a `Status`: which object, and the field errors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    pub name: String,
    pub group: String,
    /// The kind (for Invalid) or the resource's plural (for NotFound and the like), as Kubernetes fills it.
    pub kind: String,
    pub causes: Vec<FieldError>,
}

impl ApiError {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self { reason, message: message.into(), details: None }
    }

    /// The field errors of an Invalid error (empty for other errors).
    pub fn causes(&self) -> &[FieldError] {
        self.details.as_ref().map_or(&[], |d| &d.causes)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Reason::BadRequest, message)
    }

    /// `pods "web" not found`, with details as Kubernetes fills them.
    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        let gr = group_resource(group, plural);
        Self::new(Reason::NotFound, format!("{gr} {name:?} not found")).with_details(group, plural, name)
    }

    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        let gr = group_resource(group, plural);
        Self::new(Reason::AlreadyExists, format!("{gr} {name:?} already exists")).with_details(group, plural, name)
    }

    /// The optimistic-concurrency failure kubectl retries on.
    pub fn conflict(group: &str, plural: &str, name: &str, why: &str) -> Self {
        let gr = group_resource(group, plural);
        Self::new(Reason::Conflict, format!("Operation cannot be fulfilled on {gr} {name:?}: {why}"))
            .with_details(group, plural, name)
    }

    /// `Deployment.apps "x" is invalid: [a, b]`: one message for all causes.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<FieldError>) -> Self {
        let gk = if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
        let list: Vec<String> = causes.iter().map(ToString::to_string).collect();
        let joined = if list.len() == 1 { list[0].clone() } else { format!("[{}]", list.join(", ")) };
        let mut e = Self::new(Reason::Invalid, format!("{gk} {name:?} is invalid: {joined}"));
        e.details = Some(Box::new(Details { name: name.into(), group: group.into(), kind: kind.into(), causes }));
        e
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(Reason::Gone, message)
    }

    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(Reason::Expired, message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(Reason::MethodNotAllowed, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Reason::InternalError, message)
    }

    fn with_details(mut self, group: &str, plural: &str, name: &str) -> Self {
        self.details = Some(Box::new(Details { name: name.into(), group: group.into(), kind: plural.into(), causes: Vec::new() }));
        self
    }

    /// The `Status` object sent to clients.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason.as_str(),
            "code": self.reason.code(),
        });
        let mut details = serde_json::Map::new();
        if let Some(d) = &self.details {
            details.insert("name".into(), json!(d.name));
            if !d.group.is_empty() {
                details.insert("group".into(), json!(d.group));
            }
            details.insert("kind".into(), json!(d.kind));
            if !d.causes.is_empty() {
                let causes: Vec<Value> = d
                    .causes
                    .iter()
                    .map(|c| json!({"reason": c.kind.cause_reason(), "message": c.cause_message(), "field": c.field}))
                    .collect();
                details.insert("causes".into(), Value::Array(causes));
            }
        }
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        status
    }
}

fn group_resource(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

/// A successful `Status`, as returned by some deletes.
pub fn success_status(details: Value) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_reads_like_kubernetes() {
        let s = ApiError::not_found("apps", "deployments", "web").to_status();
        assert_eq!(s["message"], "deployments.apps \"web\" not found");
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"]["kind"], "deployments");
    }

    #[test]
    fn invalid_lists_causes_with_fields() {
        let e = ApiError::invalid(
            "apps",
            "Deployment",
            "web",
            vec![FieldError::invalid("spec.replicas", -1, "must be greater than or equal to 0")],
        );
        let s = e.to_status();
        assert_eq!(s["code"], 422);
        assert_eq!(
            s["message"],
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(s["details"]["causes"][0]["field"], "spec.replicas");
        assert_eq!(s["details"]["causes"][0]["reason"], "FieldValueInvalid");
    }
}
