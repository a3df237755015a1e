//! A serde `Deserializer` over a [`Node`] tree that behaves like Kubernetes' Go
//! JSON decoder: same accepted inputs, same error wording, strict-field log.
//!
//! k8s-openapi types ask for what they expect (`deserialize_i32`, a struct with
//! these field names); this reader answers from the tree, notes unknown and
//! duplicate fields with their full path, and words type errors as Go does.

use super::go_names::{go_type_of, quote};
use super::go_time;
use super::tree::{Entry, Node};
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use std::cell::RefCell;
use std::fmt::{self, Write as _};

/// Go stops collecting strict errors after this many.
const MAX_STRICT_ERRORS: usize = 100;

/// Unknown and duplicate fields met while reading, in document order.
#[derive(Debug, Default)]
pub(crate) struct StrictLog {
    enabled: bool,
    found: RefCell<Vec<String>>,
}

impl StrictLog {
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            found: RefCell::default(),
        }
    }

    pub fn into_errors(self) -> Vec<String> {
        self.found.into_inner()
    }

    fn record(&self, what: &str, parent: &Seg<'_>, key: &str) {
        if !self.enabled {
            return;
        }
        let mut found = self.found.borrow_mut();
        if found.len() >= MAX_STRICT_ERRORS {
            return;
        }
        let mut path = String::new();
        parent.write_strict(&mut path);
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        let message = format!("{what} {}", quote(&path));
        if !found.contains(&message) {
            found.push(message);
        }
    }
}

/// Where in the document a value sits; built on the stack, printed only on need.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'r> {
    Root,
    Field {
        parent: &'r Seg<'r>,
        name: &'r str,
        of_struct: bool,
    },
    Index {
        parent: &'r Seg<'r>,
        index: usize,
    },
}

impl Seg<'_> {
    /// `spec.template.spec.containers[0].image`, as strict errors print it.
    fn write_strict(&self, out: &mut String) {
        match self {
            Seg::Root => {}
            Seg::Field { parent, name, .. } => {
                parent.write_strict(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Seg::Index { parent, index } => {
                parent.write_strict(out);
                let _ = write!(out, "[{index}]");
            }
        }
    }

    /// `spec.template.spec.containers.image`: Go's type errors name struct
    /// fields only, without list indices or map keys.
    fn write_go_fields(&self, out: &mut String) {
        match self {
            Seg::Root => {}
            Seg::Field {
                parent,
                name,
                of_struct,
            } => {
                parent.write_go_fields(out);
                if *of_struct {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
            }
            Seg::Index { parent, .. } => parent.write_go_fields(out),
        }
    }
}

/// A decode failure, worded as Go's decoder words it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeError {
    what: What,
    /// Go struct containing the field, and the field path, once located.
    at: Option<(Option<&'static str>, String)>,
    go_type: String,
}

#[derive(Debug, Clone, PartialEq)]
enum What {
    /// A JSON value of the wrong kind: `string`, `number 3.5`, `object`.
    Type(String),
    /// Any other message, printed as it is.
    Message(String),
}

impl DeError {
    fn type_mismatch(found: impl Into<String>) -> Self {
        Self {
            what: What::Type(found.into()),
            at: None,
            go_type: String::new(),
        }
    }

    pub fn message(message: impl Into<String>) -> Self {
        Self {
            what: What::Message(message.into()),
            at: None,
            go_type: String::new(),
        }
    }

    /// Pins the error to the innermost place it passed through.
    fn locate(mut self, place: &Place<'_>, go_type: impl FnOnce() -> String) -> Self {
        if self.at.is_none() {
            let mut field = String::new();
            place.seg.write_go_fields(&mut field);
            self.at = Some((place.owner, field));
            self.go_type = go_type();
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.what, &self.at) {
            (What::Message(m), _) => f.write_str(m),
            (What::Type(found), Some((Some(owner), field))) => write!(
                f,
                "json: cannot unmarshal {found} into Go struct field {owner}.{field} of type {}",
                self.go_type
            ),
            (What::Type(found), _) => {
                write!(
                    f,
                    "json: cannot unmarshal {found} into Go value of type {}",
                    self.go_type
                )
            }
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::message(go_base64_message(&msg.to_string()))
    }

    fn invalid_type(unexp: de::Unexpected<'_>, _exp: &dyn de::Expected) -> Self {
        use de::Unexpected as U;
        let found = match unexp {
            U::Bool(_) => "bool",
            U::Unsigned(_) | U::Signed(_) | U::Float(_) => "number",
            U::Char(_) | U::Str(_) => "string",
            U::Unit | U::Option => "null",
            U::Seq => "array",
            U::Map => "object",
            _ => "value",
        };
        Self::type_mismatch(found)
    }
}

/// Rewords the base64 crate's errors (from `Secret.data`) as Go's decoder.
fn go_base64_message(msg: &str) -> String {
    let offset = |s: &str| {
        s.rsplit("offset ")
            .next()
            .map(|n| n.trim_end_matches('.').to_string())
    };
    if msg.starts_with("Invalid symbol") || msg.starts_with("Invalid last symbol") {
        if let Some(n) = offset(msg) {
            return format!("illegal base64 data at input byte {n}");
        }
    }
    if let Some(len) = msg
        .strip_prefix("Invalid input length: ")
        .and_then(|n| n.parse::<usize>().ok())
    {
        return format!("illegal base64 data at input byte {}", len - len % 4);
    }
    if msg == "Invalid padding" {
        return "illegal base64 data at input byte 0".into();
    }
    msg.to_string()
}

/// Position of the value being read, for error messages.
#[derive(Clone, Copy)]
struct Place<'r> {
    seg: &'r Seg<'r>,
    /// The Go struct whose field holds this value (inherited through lists and maps).
    owner: Option<&'static str>,
}

/// Reads one node; the `Deserializer` k8s-openapi types are fed from.
pub(crate) struct Reader<'r> {
    node: &'r Node<'r>,
    place: Place<'r>,
    log: &'r StrictLog,
}

pub(crate) static ROOT: Seg<'static> = Seg::Root;

impl<'r> Reader<'r> {
    pub fn root(node: &'r Node<'r>, log: &'r StrictLog) -> Self {
        Self {
            node,
            place: Place {
                seg: &ROOT,
                owner: None,
            },
            log,
        }
    }

    fn mismatch<T>(&self) -> Result<T, DeError> {
        Err(DeError::type_mismatch(self.node.go_kind()))
    }

    /// An integer for a Go integer field: floats and out-of-range values are
    /// refused as Go refuses them (`number 3.5`).
    fn integer(&self, min: i128, max: i128) -> Result<Option<i128>, DeError> {
        match self.node {
            Node::Null => Ok(None),
            Node::Number(n) => {
                let v = n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from));
                match v {
                    Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                    _ => Err(DeError::type_mismatch(format!("number {n}"))),
                }
            }
            _ => self.mismatch(),
        }
    }

    fn object<'de, V: de::Visitor<'de>>(self, visitor: V, mode: Mode) -> Result<V::Value, DeError> {
        match self.node {
            Node::Object(entries) => visitor.visit_map(ObjectAccess {
                entries,
                next: 0,
                mode,
                parent: self.place,
                log: self.log,
            }),
            // Go leaves a struct or map untouched on null; here that is "empty".
            Node::Null => visitor.visit_map(ObjectAccess {
                entries: &[],
                next: 0,
                mode,
                parent: self.place,
                log: self.log,
            }),
            _ => self.mismatch(),
        }
    }

    fn seq<'de, V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node {
            Node::Array(items) => visitor.visit_seq(ArrayAccess {
                items,
                next: 0,
                parent: self.place,
                log: self.log,
            }),
            Node::Null => visitor.visit_seq(ArrayAccess {
                items: &[],
                next: 0,
                parent: self.place,
                log: self.log,
            }),
            _ => self.mismatch(),
        }
    }

    fn str<'de, V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node {
            Node::Str(s) => visitor.visit_str(s),
            Node::Null => visitor.visit_str(""),
            _ => self.mismatch(),
        }
    }
}

macro_rules! read_integer {
    ($method:ident, $ty:ty, $visit:ident) => {
        fn $method<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let place = self.place;
            let result = match self.integer(i128::from(<$ty>::MIN), i128::from(<$ty>::MAX)) {
                // In range by the check above.
                Ok(v) => visitor.$visit(v.unwrap_or(0) as $ty),
                Err(e) => Err(e),
            };
            result.map_err(|e| e.locate(&place, go_type_of::<V::Value>))
        }
    };
}

/// How an object is being read, which decides what counts as unknown.
#[derive(Clone, Copy)]
enum Mode {
    /// A Go struct with these JSON field names.
    Struct {
        name: &'static str,
        fields: &'static [&'static str],
    },
    /// A Go map: every key is welcome, repeats are duplicates.
    Map,
    /// Free-form JSON (RawExtension): nothing is checked, as in Go.
    Free,
}

impl<'de> Deserializer<'de> for Reader<'_> {
    type Error = DeError;

    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let place = self.place;
        let result = match self.node {
            Node::Null => visitor.visit_unit(),
            Node::Bool(b) => visitor.visit_bool(*b),
            Node::Number(n) => {
                if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or_default())
                }
            }
            Node::Str(s) => visitor.visit_str(s),
            Node::Array(_) => self.seq(visitor),
            Node::Object(_) => self.object(visitor, Mode::Free),
        };
        result.map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_bool<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let place = self.place;
        let result = match self.node {
            Node::Bool(b) => visitor.visit_bool(*b),
            Node::Null => visitor.visit_bool(false),
            _ => self.mismatch(),
        };
        result.map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    read_integer!(deserialize_i8, i8, visit_i8);
    read_integer!(deserialize_i16, i16, visit_i16);
    read_integer!(deserialize_i32, i32, visit_i32);
    read_integer!(deserialize_i64, i64, visit_i64);
    read_integer!(deserialize_u8, u8, visit_u8);
    read_integer!(deserialize_u16, u16, visit_u16);
    read_integer!(deserialize_u32, u32, visit_u32);
    read_integer!(deserialize_u64, u64, visit_u64);

    fn deserialize_f32<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let place = self.place;
        let result = match self.node {
            Node::Number(n) => visitor.visit_f64(n.as_f64().unwrap_or_default()),
            Node::Null => visitor.visit_f64(0.0),
            _ => self.mismatch(),
        };
        result.map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_char<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let place = self.place;
        self.str(visitor)
            .map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_string<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if matches!(self.node, Node::Null) || self.is_omitted_when_empty::<V::Value>() {
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let place = self.place;
        let result = match self.node {
            Node::Null => visitor.visit_unit(),
            _ => self.mismatch(),
        };
        result.map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_unit_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let place = self.place;
        if name == "Time" {
            // metav1.Time reads a string first, then parses it as RFC 3339.
            match self.node {
                Node::Str(s) => {
                    if let Err(message) = go_time::check_rfc3339(s) {
                        return Err(DeError::message(message).locate(&place, String::new));
                    }
                }
                Node::Null => {}
                _ => {
                    return Err(DeError::type_mismatch(self.node.go_kind())
                        .locate(&place, || "string".into()))
                }
            }
        }
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let place = self.place;
        self.seq(visitor)
            .map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_tuple<V: de::Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let place = self.place;
        self.object(visitor, Mode::Map)
            .map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let place = self.place;
        self.object(visitor, Mode::Struct { name, fields })
            .map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let place = self.place;
        let result = match self.node {
            Node::Str(s) => visitor.visit_enum(s.as_ref().into_deserializer()),
            _ => self.mismatch(),
        };
        result.map_err(|e| e.locate(&place, go_type_of::<V::Value>))
    }

    fn deserialize_identifier<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

impl Reader<'_> {
    /// Go drops empty slices and maps of `omitempty` fields when it writes an
    /// object back, so `labels: {}` or `ports: []` never reach storage. Every
    /// optional list or map in the Kubernetes API is `omitempty` except the few
    /// listed here.
    fn is_omitted_when_empty<T>(&self) -> bool {
        let empty = match self.node {
            Node::Array(items) => items.is_empty(),
            Node::Object(entries) => entries.is_empty(),
            _ => false,
        };
        if !empty {
            return false;
        }
        let rust = std::any::type_name::<T>();
        let list_or_map = [
            "Option<alloc::vec::Vec<",
            "Option<alloc::collections::btree::map::BTreeMap<",
        ]
        .iter()
        .any(|p| {
            rust.strip_prefix("core::option::")
                .is_some_and(|r| r.starts_with(p))
        });
        list_or_map && !self.keeps_empty()
    }

    /// Optional lists that Go writes even when empty (no `omitempty` on the Go
    /// field), as (Go struct, JSON field).
    fn keeps_empty(&self) -> bool {
        const KEPT: &[(&str, &str)] = &[
            // An empty list means "no ports", an absent one "all ports".
            ("EndpointSlice", "ports"),
            ("EndpointSlice", "endpoints"),
            ("HorizontalPodAutoscalerStatus", "currentMetrics"),
            ("ContainerImage", "names"),
            ("TopologySelectorLabelRequirement", "values"),
        ];
        match (self.place.owner, self.place.seg) {
            (
                Some(owner),
                Seg::Field {
                    name,
                    of_struct: true,
                    ..
                },
            ) => KEPT.contains(&(owner, *name)),
            _ => false,
        }
    }
}

struct ObjectAccess<'r> {
    entries: &'r [Entry<'r>],
    next: usize,
    mode: Mode,
    parent: Place<'r>,
    log: &'r StrictLog,
}

impl<'de> MapAccess<'de> for ObjectAccess<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        while let Some(entry) = self.entries.get(self.next) {
            match self.mode {
                Mode::Struct { fields, .. } if !fields.contains(&entry.key.as_ref()) => {
                    self.log
                        .record("unknown field", self.parent.seg, &entry.key);
                    // Unknown fields are dropped, as Go drops them.
                    self.next += 1;
                    continue;
                }
                Mode::Struct { .. } | Mode::Map if entry.repeated => {
                    self.log
                        .record("duplicate field", self.parent.seg, &entry.key);
                }
                _ => {}
            }
            return seed.deserialize(KeyReader(&entry.key)).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(entry) = self.entries.get(self.next) else {
            return Err(DeError::message("value requested before key"));
        };
        self.next += 1;
        let (of_struct, owner) = match self.mode {
            Mode::Struct { name, .. } => (true, Some(name)),
            Mode::Map | Mode::Free => (false, self.parent.owner),
        };
        let seg = Seg::Field {
            parent: self.parent.seg,
            name: &entry.key,
            of_struct,
        };
        seed.deserialize(Reader {
            node: &entry.value,
            place: Place { seg: &seg, owner },
            log: self.log,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

struct ArrayAccess<'r> {
    items: &'r [Node<'r>],
    next: usize,
    parent: Place<'r>,
    log: &'r StrictLog,
}

impl<'de> SeqAccess<'de> for ArrayAccess<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(item) = self.items.get(self.next) else {
            return Ok(None);
        };
        let seg = Seg::Index {
            parent: self.parent.seg,
            index: self.next,
        };
        self.next += 1;
        let place = Place {
            seg: &seg,
            owner: self.parent.owner,
        };
        seed.deserialize(Reader {
            node: item,
            place,
            log: self.log,
        })
        .map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

/// An object key handed to a field-name or map-key visitor.
struct KeyReader<'r>(&'r str);

impl<'de> Deserializer<'de> for KeyReader<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_str(self.0)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}
