//! Request bodies decoded as the Kubernetes API server decodes them, so kubectl's
//! default `fieldValidation=Strict` refuses typos with Kubernetes' own words.
//!
//! The body is read in document order (to report unknown and duplicate fields as
//! Go does), decoded into the k8s-openapi type of its resource (which drops
//! unknown fields and checks every field's JSON type) and written back as JSON:
//! the normalised object the store keeps.

mod go_names;
mod go_time;
mod kinds;
mod quantities;
mod reader;
mod tree;

pub use go_names::go_json_kind;

use crate::api::resources::{by_api_version_kind, split_api_version};
use crate::api::Resource;
use crate::apiserver::ApiError;
use reader::{Reader, StrictLog};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tree::Node;

/// The `fieldValidation` query parameter: what to do with unknown or duplicate
/// fields in a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Drop them silently.
    Ignore,
    /// Drop them and tell the client (`Warning:` lines in kubectl). The API
    /// server's default when the parameter is absent.
    #[default]
    Warn,
    /// Refuse the request (kubectl's default since 1.27).
    Strict,
}

impl FieldValidation {
    /// Parses the query value; `""` means the server default. Anything else
    /// Kubernetes refuses (`Unsupported value`), so it is `None` here.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" => Some(Self::default()),
            "Ignore" => Some(Self::Ignore),
            "Warn" => Some(Self::Warn),
            "Strict" => Some(Self::Strict),
            _ => None,
        }
    }
}

/// A decoded body.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The object in Kubernetes' form: unknown fields dropped, `null`s and
    /// empty optional lists and maps gone, `apiVersion` and `kind` filled in.
    pub object: Value,
    /// Under `Warn`, one `unknown field "spec.replica"` per problem.
    pub warnings: Vec<String>,
}

/// Why a body could not be decoded; every case is a 400 BadRequest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or not an object: Kubernetes cannot even find its kind.
    #[error(
        "the object provided is unrecognized (must be of type {target}): {reason} ({summary})"
    )]
    Unrecognized {
        target: String,
        reason: String,
        summary: String,
    },
    /// A field of the wrong type, or a kind this endpoint does not take.
    #[error("{kind} in version {version:?} cannot be handled as a {target}: {reason}")]
    CannotHandle {
        kind: String,
        version: String,
        target: String,
        reason: String,
    },
    /// The body is for another group-version of the same kind.
    #[error(
        "the API version in the data ({data}) does not match the expected API version ({expected})"
    )]
    ApiVersionMismatch { data: String, expected: String },
    /// Unknown or duplicate fields under `fieldValidation=Strict`.
    #[error("strict decoding error: {}", .0.join(", "))]
    Strict(Vec<String>),
}

impl From<DecodeError> for ApiError {
    fn from(e: DecodeError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}

/// Decodes a request body for `resource`.
pub fn decode(
    resource: &Resource,
    body: &[u8],
    validation: FieldValidation,
) -> Result<Decoded, DecodeError> {
    let tree = Node::parse(body).map_err(|e| DecodeError::Unrecognized {
        target: resource.kind.to_string(),
        reason: format!(
            "couldn't get version/kind; json parse error: {}",
            go_syntax_error(&e, body)
        ),
        summary: summarize(body),
    })?;
    decode_tree(resource, &tree, validation, || summarize(body))
}

/// Decodes an object already parsed (a patch result, a controller's write);
/// duplicate keys cannot occur in a `Value`, unknown fields still can.
pub fn decode_value(
    resource: &Resource,
    value: &Value,
    validation: FieldValidation,
) -> Result<Decoded, DecodeError> {
    let tree = Node::borrow(value);
    decode_tree(resource, &tree, validation, || {
        summarize(value.to_string().as_bytes())
    })
}

/// Reads a JSON value into a k8s-openapi (or any serde) type, with the same
/// Go-worded type errors as [`decode`]; unknown fields are ignored.
pub fn to_typed<T: DeserializeOwned>(v: &Value) -> Result<T, DecodeError> {
    let tree = Node::borrow(v);
    let log = StrictLog::new(false);
    T::deserialize(Reader::root(&tree, &log)).map_err(|e| {
        let target = go_names::go_type_of::<T>();
        let target = target.rsplit('.').next().unwrap_or(&target).to_string();
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or(&target)
            .to_string();
        let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        DecodeError::CannotHandle {
            kind,
            version: split_api_version(api_version).1.to_string(),
            target,
            reason: e.to_string(),
        }
    })
}

fn decode_tree(
    resource: &Resource,
    tree: &Node<'_>,
    validation: FieldValidation,
    summary: impl FnOnce() -> String,
) -> Result<Decoded, DecodeError> {
    let (api_version, kind) =
        type_meta(resource, tree).map_err(|reason| DecodeError::Unrecognized {
            target: resource.kind.to_string(),
            reason,
            summary: summary(),
        })?;
    check_kind(resource, &api_version, &kind)?;

    let log = StrictLog::new(validation != FieldValidation::Ignore);
    let object = match kinds::round_trip(resource, Reader::root(tree, &log)) {
        Some(Ok(object)) => object,
        Some(Err(e)) => {
            return Err(DecodeError::CannotHandle {
                kind,
                version: split_api_version(&api_version).1.to_string(),
                target: resource.kind.to_string(),
                reason: e.to_string(),
            })
        }
        None => tree.to_value(),
    };
    if let Err(cause) = quantities::check(resource, &object) {
        return Err(DecodeError::CannotHandle {
            kind,
            version: split_api_version(&api_version).1.to_string(),
            target: resource.kind.to_string(),
            reason: cause.to_string(),
        });
    }
    let found = log.into_errors();
    match validation {
        FieldValidation::Strict if !found.is_empty() => Err(DecodeError::Strict(found)),
        FieldValidation::Warn => Ok(Decoded {
            object,
            warnings: found,
        }),
        _ => Ok(Decoded {
            object,
            warnings: Vec::new(),
        }),
    }
}

/// Go's type for the `apiVersion`/`kind` probe Kubernetes decodes every body into first.
const FIND_KIND: &str = r#"struct { APIVersion string "json:\"apiVersion,omitempty\""; Kind string "json:\"kind,omitempty\"" }"#;
const TYPE_META_PREFIX: &str =
    "couldn't get version/kind; json parse error: json: cannot unmarshal";

/// Why Kubernetes cannot read a body that is not a JSON object (a request body
/// or a patch result): it cannot even find its kind. `found` is Go's word for
/// what the body is instead (see [`go_json_kind`]).
pub fn not_an_object_reason(found: &str) -> String {
    format!("{TYPE_META_PREFIX} {found} into Go value of type {FIND_KIND}")
}

/// The body's `apiVersion` and `kind`, defaulted from the endpoint when absent,
/// or why Kubernetes could not read them.
fn type_meta(resource: &Resource, tree: &Node<'_>) -> Result<(String, String), String> {
    if !matches!(tree, Node::Object(_)) {
        return Err(not_an_object_reason(tree.go_kind()));
    }
    let field = |name: &str| match tree.get(name) {
        None | Some(Node::Null) => Ok(String::new()),
        Some(Node::Str(s)) => Ok(s.to_string()),
        Some(other) => Err(format!(
            "{TYPE_META_PREFIX} {} into Go struct field .{name} of type string",
            other.go_kind()
        )),
    };
    let mut api_version = field("apiVersion")?;
    let mut kind = field("kind")?;
    if api_version.is_empty() {
        api_version = resource.api_version();
    }
    if kind.is_empty() {
        kind = resource.kind.to_string();
    }
    Ok((api_version, kind))
}

/// Refuses a body for another kind or version, as the API server does.
fn check_kind(resource: &Resource, api_version: &str, kind: &str) -> Result<(), DecodeError> {
    if api_version == resource.api_version() && kind == resource.kind {
        return Ok(());
    }
    let cannot = |reason: String| DecodeError::CannotHandle {
        kind: kind.to_string(),
        version: split_api_version(api_version).1.to_string(),
        target: resource.kind.to_string(),
        reason,
    };
    match by_api_version_kind(api_version, kind) {
        None => Err(cannot(format!(
            "no kind {kind:?} is registered for version {api_version:?} in scheme \"pkg/api/legacyscheme/scheme.go:30\""
        ))),
        Some(other)
            if other.kind == resource.kind
                && kinds::internal_package(other.group) == kinds::internal_package(resource.group) =>
        {
            Err(DecodeError::ApiVersionMismatch { data: api_version.to_string(), expected: resource.api_version() })
        }
        Some(other) => Err(cannot(format!(
            "converting ({}.{}) to ({}.{}): unknown conversion",
            other.version,
            other.kind,
            kinds::internal_package(resource.group),
            resource.kind
        ))),
    }
}

/// The body as Kubernetes quotes it in "unrecognized" errors: up to 30 bytes,
/// as text if it looks like an object, else in hex.
fn summarize(body: &[u8]) -> String {
    const MAX: usize = 30;
    let (head, more) = if body.len() > MAX {
        (&body[..MAX], " ...")
    } else {
        (body, "")
    };
    match body.first() {
        None => "<empty>".into(),
        Some(b'{') => format!("{}{more}", String::from_utf8_lossy(head)),
        Some(_) => {
            let hex: String = head.iter().map(|b| format!("{b:02x}")).collect();
            format!("{hex}{more}")
        }
    }
}

/// serde_json's syntax error reworded as Go's `encoding/json` reports it.
fn go_syntax_error(e: &serde_json::Error, body: &[u8]) -> String {
    if e.classify() == serde_json::error::Category::Eof {
        return "unexpected end of JSON input".into();
    }
    let text = e.to_string();
    let what = text.split(" at line ").next().unwrap_or(&text);
    let at = byte_at(body, e.line(), e.column());
    let c = at.map(char::from).unwrap_or(' ');
    let context = match what {
        "expected `:`" => "after object key",
        "expected `,` or `}`" => "after object key:value pair",
        "key must be a string" => "looking for beginning of object key string",
        "expected `,` or `]`" => "after array element",
        "trailing characters" => "after top-level value",
        "trailing comma" if c == '}' => "looking for beginning of object key string",
        w if w.starts_with("control character") => "in string literal",
        w if w.starts_with("invalid escape") => "in string escape code",
        "expected ident" => return go_literal_error(body, e.line(), e.column(), c),
        _ => "looking for beginning of value",
    };
    format!("invalid character {c:?} {context}")
}

/// Go's error for a misspelt `null`, `true` or `false`.
fn go_literal_error(body: &[u8], line: usize, column: usize, c: char) -> String {
    let generic = format!("invalid character {c:?} looking for beginning of value");
    let Some(at) = offset_of(body, line, column) else {
        return generic;
    };
    let start = body[..at]
        .iter()
        .rposition(|b| !b.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    let literal = match body.get(start) {
        Some(b'n') => "null",
        Some(b't') => "true",
        Some(b'f') => "false",
        _ => return generic,
    };
    match literal.chars().nth(at - start) {
        Some(expecting) => {
            format!("invalid character {c:?} in literal {literal} (expecting {expecting:?})")
        }
        None => generic,
    }
}

/// The byte serde_json stopped at (its line and column are 1-based).
fn byte_at(body: &[u8], line: usize, column: usize) -> Option<u8> {
    body.get(offset_of(body, line, column)?).copied()
}

fn offset_of(body: &[u8], line: usize, column: usize) -> Option<usize> {
    let line_start = if line <= 1 {
        0
    } else {
        body.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    Some(line_start + column.checked_sub(1)?)
}

#[cfg(test)]
mod tests;
