//! Field errors: what validation reports, worded as Kubernetes words it.
//!
//! Each error names the field path (`spec.template.spec.containers[0].image`)
//! so the API can return it as a `Status` cause and the UI can point at the
//! YAML line that holds the field.

use serde_json::Value;
use std::fmt;

/// The kinds of field error Kubernetes distinguishes; each maps to a `Status`
/// cause reason such as `FieldValueInvalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorType {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    TypeInvalid,
}

impl FieldErrorType {
    /// The `reason` of a `Status` cause.
    pub fn cause_reason(self) -> &'static str {
        match self {
            Self::NotFound => "FieldValueNotFound",
            Self::Required => "FieldValueRequired",
            Self::Duplicate => "FieldValueDuplicate",
            Self::Invalid => "FieldValueInvalid",
            Self::NotSupported => "FieldValueNotSupported",
            Self::Forbidden => "FieldValueForbidden",
            Self::TooLong => "FieldValueTooLong",
            Self::TooMany => "FieldValueTooMany",
            Self::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Required => "Required value",
            Self::Duplicate => "Duplicate value",
            Self::Invalid => "Invalid value",
            Self::NotSupported => "Unsupported value",
            Self::Forbidden => "Forbidden",
            Self::TooLong => "Too long",
            Self::TooMany => "Too many",
            Self::TypeInvalid => "Invalid value",
        }
    }

    /// Whether Kubernetes prints the offending value in the message.
    fn shows_value(self) -> bool {
        matches!(
            self,
            Self::NotFound
                | Self::Duplicate
                | Self::Invalid
                | Self::NotSupported
                | Self::TypeInvalid
        )
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub kind: FieldErrorType,
    /// Dotted path with list indices: `spec.ports[0].port`.
    pub field: String,
    pub value: Option<Value>,
    pub detail: String,
}

impl FieldError {
    pub fn new(
        kind: FieldErrorType,
        field: impl Into<String>,
        value: Option<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            field: field.into(),
            value,
            detail: detail.into(),
        }
    }

    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(FieldErrorType::Required, field, None, detail)
    }

    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(FieldErrorType::Invalid, field, Some(value.into()), detail)
    }

    pub fn not_supported(
        field: impl Into<String>,
        value: impl Into<Value>,
        supported: &[&str],
    ) -> Self {
        let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        Self::new(
            FieldErrorType::NotSupported,
            field,
            Some(value.into()),
            format!("supported values: {}", list.join(", ")),
        )
    }

    pub fn duplicate(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(FieldErrorType::Duplicate, field, Some(value.into()), "")
    }

    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(FieldErrorType::Forbidden, field, None, detail)
    }

    pub fn not_found(field: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::new(FieldErrorType::NotFound, field, Some(value.into()), "")
    }

    /// `Too long: may not be more than N bytes`, for size limits on whole maps.
    pub fn too_long(field: impl Into<String>, max_bytes: usize) -> Self {
        Self::new(
            FieldErrorType::TooLong,
            field,
            None,
            format!("may not be more than {max_bytes} bytes"),
        )
    }

    /// An `Invalid value` whose value Kubernetes prints as a Go literal
    /// (`map[string]string{"app":"x"}`, `v1.LabelSelector{...}`) rather than JSON.
    pub fn invalid_literal(
        field: impl Into<String>,
        literal: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(
            FieldErrorType::Invalid,
            field,
            Some(go_literal(literal)),
            detail,
        )
    }

    /// An `Unsupported value` whose value is printed as a Go literal.
    pub fn not_supported_literal(
        field: impl Into<String>,
        literal: impl Into<String>,
        supported: &[&str],
    ) -> Self {
        let mut e = Self::not_supported(field, Value::Null, supported);
        e.value = Some(go_literal(literal));
        e
    }

    /// The message of the `Status` cause: the error without its field path.
    pub fn cause_message(&self) -> String {
        let mut s = self.kind.label().to_string();
        if self.kind.shows_value() {
            if let Some(v) = &self.value {
                s.push_str(": ");
                s.push_str(&go_value(v));
            }
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.cause_message())
    }
}

/// The key under which a pre-rendered Go literal travels in `FieldError::value`.
const GO_LITERAL_KEY: &str = "$goLiteral";

fn go_literal(literal: impl Into<String>) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(GO_LITERAL_KEY.to_string(), Value::String(literal.into()));
    Value::Object(m)
}

/// Prints a value the way Kubernetes' `%#v`-style messages do for the common
/// cases: strings quoted, numbers and booleans bare.
fn go_value(v: &Value) -> String {
    if let Some(Value::String(lit)) = v
        .as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.get(GO_LITERAL_KEY))
    {
        return lit.clone();
    }
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A field path under construction: `FieldPath::root("spec").child("ports").index(0)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(String);

impl FieldPath {
    pub fn root(name: &str) -> Self {
        Self(name.to_string())
    }

    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Self(name.to_string())
        } else {
            Self(format!("{}.{}", self.0, name))
        }
    }

    pub fn index(&self, i: usize) -> Self {
        Self(format!("{}[{}]", self.0, i))
    }

    /// A map entry, as Kubernetes prints it: `metadata.labels[app]`.
    pub fn key(&self, k: &str) -> Self {
        Self(format!("{}[{}]", self.0, k))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<FieldPath> for String {
    fn from(p: FieldPath) -> String {
        p.0
    }
}

impl From<&FieldPath> for String {
    fn from(p: &FieldPath) -> String {
        p.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_read_like_kubernetes() {
        let e = FieldError::invalid(
            "spec.replicas",
            json!(-1),
            "must be greater than or equal to 0",
        );
        assert_eq!(
            e.to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        let e = FieldError::required("metadata.name", "name or generateName is required");
        assert_eq!(
            e.to_string(),
            "metadata.name: Required value: name or generateName is required"
        );
        let e = FieldError::not_supported("spec.type", "Foo", &["ClusterIP", "NodePort"]);
        assert_eq!(
            e.to_string(),
            r#"spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "NodePort""#
        );
    }

    #[test]
    fn go_literals_print_bare() {
        let e = FieldError::invalid_literal(
            "spec.template.metadata.labels",
            r#"map[string]string{"app":"x"}"#,
            "`selector` does not match template `labels`",
        );
        assert_eq!(
            e.to_string(),
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`"#
        );
        assert_eq!(
            FieldError::not_found("spec.volumes", "data").to_string(),
            r#"spec.volumes: Not found: "data""#
        );
    }

    #[test]
    fn paths_compose() {
        let p = FieldPath::root("spec")
            .child("containers")
            .index(0)
            .child("ports")
            .index(1);
        assert_eq!(p.as_str(), "spec.containers[0].ports[1]");
        assert_eq!(
            FieldPath::root("metadata")
                .child("labels")
                .key("app")
                .as_str(),
            "metadata.labels[app]"
        );
    }
}
