//! The `pod-template-hash`: a short, stable name for a pod template, which
//! tells a Deployment's ReplicaSets (and their pods) apart.
//!
//! Like Kubernetes: a 32-bit FNV-1a hash of the template (here its canonical
//! JSON, keys sorted) plus the collision count, its decimal digits written in
//! the vowel-free alphabet of generated names.

use serde_json::Value;

pub(crate) const POD_TEMPLATE_HASH: &str = "pod-template-hash";

fn fnv1a32(bytes: impl IntoIterator<Item = u8>, mut hash: u32) -> u32 {
    for b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Maps each byte into `bcdfghjklmnpqrstvwxz2456789`, as Kubernetes' SafeEncodeString.
fn safe_encode(s: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char)
        .collect()
}

/// The hash of `template`; a non-zero `collision_count` moves it to a fresh name.
pub(crate) fn pod_template_hash(template: &Value, collision_count: Option<i64>) -> String {
    let text = template.to_string();
    let mut hash = fnv1a32(text.bytes(), 0x811c_9dc5);
    if let Some(c) = collision_count.filter(|c| *c != 0) {
        hash = fnv1a32((c as u32).to_le_bytes(), hash);
    }
    safe_encode(&hash.to_string())
}

/// `template` without its `pod-template-hash` label (and no empty label map left behind).
fn without_hash(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(POD_TEMPLATE_HASH);
        if labels.is_empty() {
            if let Some(m) = t.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("labels");
            }
        }
    }
    t
}

/// Whether two templates are the same once the hash label is set aside: how a
/// Deployment finds the ReplicaSet of its current template (also after a rollback).
pub(crate) fn equal_ignoring_hash(a: &Value, b: &Value) -> bool {
    without_hash(a) == without_hash(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(image: &str) -> Value {
        json!({"metadata": {"labels": {"app": "my-api"}}, "spec": {"containers": [{"name": "api", "image": image}]}})
    }

    #[test]
    fn hash_is_stable_and_follows_the_template() {
        let a = pod_template_hash(&template("myapp:1.0"), None);
        assert_eq!(a, pod_template_hash(&template("myapp:1.0"), None));
        assert_ne!(a, pod_template_hash(&template("myapp:2.0"), None));
        assert_ne!(a, pod_template_hash(&template("myapp:1.0"), Some(1)));
        assert_eq!(a, pod_template_hash(&template("myapp:1.0"), Some(0)));
        assert!(
            a.len() <= 10 && a.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
            "{a}"
        );
    }

    #[test]
    fn templates_compare_without_their_hash_label() {
        let mut labelled = template("myapp:1.0");
        labelled["metadata"]["labels"][POD_TEMPLATE_HASH] = json!("5d8f7c9b6");
        assert!(equal_ignoring_hash(&labelled, &template("myapp:1.0")));
        assert!(!equal_ignoring_hash(&labelled, &template("myapp:2.0")));
    }
}
