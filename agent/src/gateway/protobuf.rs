//! Request bodies in Kubernetes' protobuf encoding, turned into the JSON the core reads.
//!
//! client-go's typed clients send protobuf for built-in kinds and do not fall back to JSON, so
//! helm (which stores its releases in Secrets) and kubectl's typed calls (`create namespace`)
//! need it. The body is Kubernetes' envelope, `k8s\0` followed by a `runtime.Unknown` that
//! holds the object's `apiVersion`, `kind` and encoded bytes. Only the kinds such clients write
//! are described here; any other is left for the caller to refuse with 415.

use base64::Engine as _;
use serde_json::{json, Map, Value};

/// The envelope's magic prefix.
const MAGIC: &[u8] = b"k8s\0";

/// How one field of a message is written in JSON.
#[derive(Clone, Copy)]
enum Field {
    String(&'static str),
    Bool(&'static str),
    Int(&'static str),
    Time(&'static str),
    /// `resource.Quantity`: its string form (field 1).
    Quantity(&'static str),
    Message(&'static str, &'static [(u32, Field)]),
    Strings(&'static str),
    Messages(&'static str, &'static [(u32, Field)]),
    StringMap(&'static str),
    /// Values are bytes, base64 in JSON (Secret `data`, ConfigMap `binaryData`).
    BytesMap(&'static str),
}

const OWNER_REFERENCE: &[(u32, Field)] = &[
    (1, Field::String("kind")),
    (3, Field::String("name")),
    (4, Field::String("uid")),
    (5, Field::String("apiVersion")),
    (6, Field::Bool("controller")),
    (7, Field::Bool("blockOwnerDeletion")),
];

const OBJECT_META: &[(u32, Field)] = &[
    (1, Field::String("name")),
    (2, Field::String("generateName")),
    (3, Field::String("namespace")),
    (5, Field::String("uid")),
    (6, Field::String("resourceVersion")),
    (7, Field::Int("generation")),
    (8, Field::Time("creationTimestamp")),
    (11, Field::StringMap("labels")),
    (12, Field::StringMap("annotations")),
    (13, Field::Messages("ownerReferences", OWNER_REFERENCE)),
    (14, Field::Strings("finalizers")),
];

const SECRET: &[(u32, Field)] = &[
    (1, Field::Message("metadata", OBJECT_META)),
    (2, Field::BytesMap("data")),
    (3, Field::String("type")),
    (4, Field::StringMap("stringData")),
    (5, Field::Bool("immutable")),
];

const CONFIG_MAP: &[(u32, Field)] = &[
    (1, Field::Message("metadata", OBJECT_META)),
    (2, Field::StringMap("data")),
    (3, Field::BytesMap("binaryData")),
    (4, Field::Bool("immutable")),
];

const NAMESPACE_SPEC: &[(u32, Field)] = &[(1, Field::Strings("finalizers"))];

const NAMESPACE: &[(u32, Field)] = &[
    (1, Field::Message("metadata", OBJECT_META)),
    (2, Field::Message("spec", NAMESPACE_SPEC)),
];

const CROSS_VERSION_OBJECT_REFERENCE: &[(u32, Field)] = &[
    (1, Field::String("kind")),
    (2, Field::String("name")),
    (3, Field::String("apiVersion")),
];

const METRIC_TARGET: &[(u32, Field)] = &[
    (1, Field::String("type")),
    (2, Field::Quantity("value")),
    (3, Field::Quantity("averageValue")),
    (4, Field::Int("averageUtilization")),
];

const RESOURCE_METRIC_SOURCE: &[(u32, Field)] = &[
    (1, Field::String("name")),
    (2, Field::Message("target", METRIC_TARGET)),
];

const CONTAINER_RESOURCE_METRIC_SOURCE: &[(u32, Field)] = &[
    (1, Field::String("name")),
    (2, Field::Message("target", METRIC_TARGET)),
    (3, Field::String("container")),
];

const METRIC_SPEC: &[(u32, Field)] = &[
    (1, Field::String("type")),
    (4, Field::Message("resource", RESOURCE_METRIC_SOURCE)),
    (
        7,
        Field::Message("containerResource", CONTAINER_RESOURCE_METRIC_SOURCE),
    ),
];

const HPA_SPEC: &[(u32, Field)] = &[
    (
        1,
        Field::Message("scaleTargetRef", CROSS_VERSION_OBJECT_REFERENCE),
    ),
    (2, Field::Int("minReplicas")),
    (3, Field::Int("maxReplicas")),
    (4, Field::Messages("metrics", METRIC_SPEC)),
];

const HORIZONTAL_POD_AUTOSCALER: &[(u32, Field)] = &[
    (1, Field::Message("metadata", OBJECT_META)),
    (2, Field::Message("spec", HPA_SPEC)),
];

const PRECONDITIONS: &[(u32, Field)] = &[
    (1, Field::String("uid")),
    (2, Field::String("resourceVersion")),
];

const DELETE_OPTIONS: &[(u32, Field)] = &[
    (1, Field::Int("gracePeriodSeconds")),
    (2, Field::Message("preconditions", PRECONDITIONS)),
    (3, Field::Bool("orphanDependents")),
    (4, Field::String("propagationPolicy")),
    (5, Field::Strings("dryRun")),
];

/// The kinds described here, by `apiVersion` and `kind` (for `kubectl autoscale`, the
/// HorizontalPodAutoscaler with resource metrics; for deletes, their DeleteOptions).
fn schema(api_version: &str, kind: &str) -> Option<&'static [(u32, Field)]> {
    match (api_version, kind) {
        ("v1", "Secret") => Some(SECRET),
        ("v1", "ConfigMap") => Some(CONFIG_MAP),
        ("v1", "Namespace") => Some(NAMESPACE),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => Some(HORIZONTAL_POD_AUTOSCALER),
        ("v1" | "meta.k8s.io/v1", "DeleteOptions") => Some(DELETE_OPTIONS),
        _ => None,
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtobufError {
    #[error("the body is not a Kubernetes protobuf envelope")]
    NoEnvelope,
    #[error("malformed protobuf: {0}")]
    Malformed(&'static str),
    #[error("protobuf bodies of {kind} ({api_version}) are not supported: send JSON")]
    Unsupported { api_version: String, kind: String },
}

/// The envelope's object as JSON.
pub fn to_json(body: &[u8]) -> Result<Value, ProtobufError> {
    let unknown = body.strip_prefix(MAGIC).ok_or(ProtobufError::NoEnvelope)?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for field in Fields(unknown) {
        match field? {
            (1, Wire::Bytes(type_meta)) => {
                for f in Fields(type_meta) {
                    match f? {
                        (1, Wire::Bytes(v)) => api_version = text(v)?,
                        (2, Wire::Bytes(v)) => kind = text(v)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(bytes)) => raw = bytes,
            _ => {}
        }
    }
    let fields = schema(&api_version, &kind).ok_or_else(|| ProtobufError::Unsupported {
        api_version: api_version.clone(),
        kind: kind.clone(),
    })?;
    let mut object = message(raw, fields)?;
    object.insert("apiVersion".into(), json!(api_version));
    object.insert("kind".into(), json!(kind));
    Ok(Value::Object(object))
}

fn message(bytes: &[u8], fields: &[(u32, Field)]) -> Result<Map<String, Value>, ProtobufError> {
    let mut out = Map::new();
    for field in Fields(bytes) {
        let (number, wire) = field?;
        let Some((_, field)) = fields.iter().find(|(n, _)| *n == number) else {
            continue;
        };
        match (*field, wire) {
            (Field::String(name), Wire::Bytes(v)) => {
                out.insert(name.into(), json!(text(v)?));
            }
            (Field::Bool(name), Wire::Varint(v)) => {
                out.insert(name.into(), json!(v != 0));
            }
            (Field::Int(name), Wire::Varint(v)) => {
                // Two's complement, as protobuf writes a negative int64.
                out.insert(name.into(), json!(v as i64));
            }
            (Field::Quantity(name), Wire::Bytes(v)) => {
                let mut quantity = String::new();
                for f in Fields(v) {
                    if let (1, Wire::Bytes(text_bytes)) = f? {
                        quantity = text(text_bytes)?;
                    }
                }
                out.insert(name.into(), json!(quantity));
            }
            (Field::Time(name), Wire::Bytes(v)) => {
                out.insert(name.into(), time(v)?);
            }
            (Field::Message(name, inner), Wire::Bytes(v)) => {
                out.insert(name.into(), Value::Object(message(v, inner)?));
            }
            (Field::Strings(name), Wire::Bytes(v)) => push(&mut out, name, json!(text(v)?)),
            (Field::Messages(name, inner), Wire::Bytes(v)) => {
                push(&mut out, name, Value::Object(message(v, inner)?));
            }
            (Field::StringMap(name), Wire::Bytes(v)) => {
                let (key, value) = entry(v)?;
                insert(&mut out, name, key, json!(text(value)?));
            }
            (Field::BytesMap(name), Wire::Bytes(v)) => {
                let (key, value) = entry(v)?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(value);
                insert(&mut out, name, key, json!(encoded));
            }
            _ => {
                return Err(ProtobufError::Malformed(
                    "a field of an unexpected wire type",
                ))
            }
        }
    }
    Ok(out)
}

fn push(out: &mut Map<String, Value>, name: &str, item: Value) {
    if let Value::Array(items) = out
        .entry(name.to_string())
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        items.push(item);
    }
}

fn insert(out: &mut Map<String, Value>, name: &str, key: String, value: Value) {
    if let Some(map) = out
        .entry(name.to_string())
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
    {
        map.insert(key, value);
    }
}

/// A map entry: key (field 1) and value (field 2).
fn entry(bytes: &[u8]) -> Result<(String, &[u8]), ProtobufError> {
    let (mut key, mut value) = (String::new(), &[][..]);
    for field in Fields(bytes) {
        match field? {
            (1, Wire::Bytes(k)) => key = text(k)?,
            (2, Wire::Bytes(v)) => value = v,
            _ => {}
        }
    }
    Ok((key, value))
}

/// `metav1.Time`: seconds (field 1) and nanos (field 2) since the epoch, as RFC 3339.
fn time(bytes: &[u8]) -> Result<Value, ProtobufError> {
    let mut seconds = 0i64;
    for field in Fields(bytes) {
        if let (1, Wire::Varint(s)) = field? {
            seconds = s as i64;
        }
    }
    let at = jiff::Timestamp::from_second(seconds)
        .map_err(|_| ProtobufError::Malformed("a time out of range"))?;
    Ok(json!(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

fn text(bytes: &[u8]) -> Result<String, ProtobufError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ProtobufError::Malformed("a string that is not UTF-8"))
}

/// One field's payload by wire type (fixed-width payloads are skipped by the caller).
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of a message, in order.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Wire<'a>), ProtobufError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        Some(self.read())
    }
}

impl<'a> Fields<'a> {
    fn read(&mut self) -> Result<(u32, Wire<'a>), ProtobufError> {
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .map_err(|_| ProtobufError::Malformed("a field number out of range"))?;
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            2 => {
                let len = usize::try_from(self.varint()?)
                    .map_err(|_| ProtobufError::Malformed("a length out of range"))?;
                Wire::Bytes(self.take(len)?)
            }
            1 => {
                self.take(8)?;
                Wire::Fixed
            }
            5 => {
                self.take(4)?;
                Wire::Fixed
            }
            _ => return Err(ProtobufError::Malformed("an unknown wire type")),
        };
        Ok((number, wire))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], ProtobufError> {
        if len > self.0.len() {
            self.0 = &[];
            return Err(ProtobufError::Malformed("a field longer than the message"));
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some((&byte, rest)) = self.0.split_first() else {
                self.0 = &[];
                return Err(ProtobufError::Malformed("a truncated varint"));
            };
            self.0 = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        self.0 = &[];
        Err(ProtobufError::Malformed("a varint longer than 64 bits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn bytes_field(number: u32, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        varint(u64::from(number) << 3 | 2, &mut out);
        varint(payload.len() as u64, &mut out);
        out.extend_from_slice(payload);
        out
    }

    fn entry(key: &str, value: &[u8]) -> Vec<u8> {
        [bytes_field(1, key.as_bytes()), bytes_field(2, value)].concat()
    }

    #[test]
    fn a_helm_release_secret_decodes_to_its_json() {
        let meta = [
            bytes_field(1, b"sh.helm.release.v1.hello.v1"),
            bytes_field(11, &entry("owner", b"helm")),
            bytes_field(11, &entry("name", b"hello")),
        ]
        .concat();
        let secret = [
            bytes_field(1, &meta),
            bytes_field(2, &entry("release", b"\x01\x02")),
            bytes_field(3, b"helm.sh/release.v1"),
        ]
        .concat();
        let type_meta = [bytes_field(1, b"v1"), bytes_field(2, b"Secret")].concat();
        let body = [
            MAGIC.to_vec(),
            bytes_field(1, &type_meta),
            bytes_field(2, &secret),
        ]
        .concat();
        assert_eq!(
            to_json(&body).unwrap(),
            json!({
                "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
                "metadata": {"name": "sh.helm.release.v1.hello.v1", "labels": {"owner": "helm", "name": "hello"}},
                "data": {"release": "AQI="},
            })
        );
    }

    fn varint_field(number: u32, value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        varint(u64::from(number) << 3, &mut out);
        varint(value, &mut out);
        out
    }

    #[test]
    fn an_autoscaler_from_kubectl_autoscale_decodes_with_its_cpu_target() {
        let target = [bytes_field(1, b"Utilization"), varint_field(4, 70)].concat();
        let resource = [bytes_field(1, b"cpu"), bytes_field(2, &target)].concat();
        let metric = [bytes_field(1, b"Resource"), bytes_field(4, &resource)].concat();
        let reference = [
            bytes_field(1, b"Deployment"),
            bytes_field(2, b"my-api"),
            bytes_field(3, b"apps/v1"),
        ]
        .concat();
        let spec = [
            bytes_field(1, &reference),
            varint_field(2, 2),
            varint_field(3, 10),
            bytes_field(4, &metric),
        ]
        .concat();
        let hpa = [
            bytes_field(1, &bytes_field(1, b"my-api")),
            bytes_field(2, &spec),
        ]
        .concat();
        let type_meta = [
            bytes_field(1, b"autoscaling/v2"),
            bytes_field(2, b"HorizontalPodAutoscaler"),
        ]
        .concat();
        let body = [
            MAGIC.to_vec(),
            bytes_field(1, &type_meta),
            bytes_field(2, &hpa),
        ]
        .concat();
        let json = to_json(&body).unwrap();
        assert_eq!(json["spec"]["maxReplicas"], 10);
        assert_eq!(json["spec"]["scaleTargetRef"]["apiVersion"], "apps/v1");
        assert_eq!(
            json["spec"]["metrics"],
            json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}])
        );
    }

    #[test]
    fn delete_options_decode_with_their_propagation_policy() {
        let options = [varint_field(1, 0), bytes_field(4, b"Background")].concat();
        let type_meta = [bytes_field(1, b"v1"), bytes_field(2, b"DeleteOptions")].concat();
        let body = [
            MAGIC.to_vec(),
            bytes_field(1, &type_meta),
            bytes_field(2, &options),
        ]
        .concat();
        assert_eq!(
            to_json(&body).unwrap(),
            json!({"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0, "propagationPolicy": "Background"})
        );
    }

    #[test]
    fn other_kinds_and_broken_bodies_are_refused() {
        let type_meta = [bytes_field(1, b"apps/v1"), bytes_field(2, b"Deployment")].concat();
        let body = [MAGIC.to_vec(), bytes_field(1, &type_meta)].concat();
        assert!(matches!(
            to_json(&body),
            Err(ProtobufError::Unsupported { .. })
        ));
        assert_eq!(to_json(b"{}"), Err(ProtobufError::NoEnvelope));
        let truncated = [MAGIC.to_vec(), vec![0x0a, 0x10, 0x01]].concat();
        assert!(matches!(
            to_json(&truncated),
            Err(ProtobufError::Malformed(_))
        ));
    }
}
