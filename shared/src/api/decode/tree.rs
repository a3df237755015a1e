//! A JSON document kept in the order it was written, duplicates included.
//!
//! `serde_json::Value` sorts keys and silently keeps the last of a repeated key,
//! but Kubernetes reports unknown and duplicate fields in document order, so the
//! body is first read into this tree and only then into typed objects.

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// One JSON value; strings borrow from the body or the `Value` they came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<Entry<'a>>),
}

/// One `"key": value` pair of an object, in document order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry<'a> {
    pub key: Cow<'a, str>,
    pub value: Node<'a>,
    /// The key already appeared earlier in the same object.
    pub repeated: bool,
}

impl<'a> Node<'a> {
    /// Parses a request body; errors are serde_json's, for the caller to word.
    pub fn parse(body: &'a [u8]) -> Result<Self, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let node = Node::deserialize(&mut de)?;
        de.end()?;
        Ok(node)
    }

    /// Views an already parsed value (which cannot hold duplicate keys).
    pub fn borrow(value: &'a Value) -> Self {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.clone()),
            Value::String(s) => Node::Str(Cow::Borrowed(s)),
            Value::Array(items) => Node::Array(items.iter().map(Node::borrow).collect()),
            Value::Object(map) => Node::Object(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: Cow::Borrowed(k),
                        value: Node::borrow(v),
                        repeated: false,
                    })
                    .collect(),
            ),
        }
    }

    /// The value of `key` in an object (the last one, as decoding keeps it).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(entries) => entries
                .iter()
                .rev()
                .find(|e| e.key == key)
                .map(|e| &e.value),
            _ => None,
        }
    }

    /// How Go's decoder names this kind of JSON value in type errors.
    pub fn go_kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "bool",
            Node::Number(_) => "number",
            Node::Str(_) => "string",
            Node::Array(_) => "array",
            Node::Object(_) => "object",
        }
    }

    /// Back to a plain value (last duplicate wins, as in Go).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::Str(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// Marks every entry whose key was already seen earlier in the same object.
fn mark_repeats(entries: &mut [Entry<'_>]) {
    // Small objects (nearly all of them) are cheaper to scan than to hash.
    if entries.len() <= 8 {
        for i in 1..entries.len() {
            let (before, rest) = entries.split_at_mut(i);
            rest[0].repeated = before.iter().any(|e| e.key == rest[0].key);
        }
        return;
    }
    let mut seen = HashSet::with_capacity(entries.len());
    let flags: Vec<bool> = entries
        .iter()
        .map(|e| !seen.insert(e.key.clone()))
        .collect();
    for (entry, repeated) in entries.iter_mut().zip(flags) {
        entry.repeated = repeated;
    }
}

impl<'de> Deserialize<'de> for Node<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Node::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Number::from_f64(v)
            .map(Node::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Node::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Node::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Node::Str(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value()?;
            entries.push(Entry {
                key,
                value,
                repeated: false,
            });
        }
        mark_repeats(&mut entries);
        Ok(Node::Object(entries))
    }
}

/// Reads an object key, borrowing it from the body when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_keep_document_order() {
        let node = Node::parse(br#"{"z": 1, "a": 2}"#).unwrap();
        let Node::Object(entries) = node else {
            panic!("not an object")
        };
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_ref()).collect();
        assert_eq!(keys, ["z", "a"]);
    }

    #[test]
    fn repeated_keys_are_marked_after_their_first_use() {
        let node = Node::parse(br#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        let Node::Object(entries) = &node else {
            panic!("not an object")
        };
        let flags: Vec<bool> = entries.iter().map(|e| e.repeated).collect();
        assert_eq!(flags, [false, false, true]);
        assert_eq!(
            node.get("a"),
            Some(&Node::Number(3.into())),
            "last one wins"
        );
    }

    #[test]
    fn repeats_are_found_in_large_objects_too() {
        let mut body = String::from("{");
        for i in 0..20 {
            body.push_str(&format!("\"k{i}\": {i},"));
        }
        body.push_str("\"k3\": 0}");
        let Node::Object(entries) = Node::parse(body.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(entries.iter().filter(|e| e.repeated).count(), 1);
        assert!(entries.last().unwrap().repeated);
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(Node::parse(b"{} x").is_err());
    }

    #[test]
    fn borrowed_values_round_trip() {
        let v = json!({"a": [1, "x", null, true, 1.5], "b": {}});
        assert_eq!(Node::borrow(&v).to_value(), v);
    }
}
