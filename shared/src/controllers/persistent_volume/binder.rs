//! Matching claims to volumes the way Kubernetes' binder does: same class,
//! every requested access mode, same volume mode, the selector, and the
//! smallest volume that is big enough.

use crate::api::meta;
use crate::api::quantity::Quantity;
use crate::store::selector::LabelSelector;
use serde_json::{json, Value};

/// Annotations the binder leaves on claims and volumes.
pub const BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
pub const BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
pub const STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";
pub const BETA_STORAGE_PROVISIONER: &str = "volume.beta.kubernetes.io/storage-provisioner";

/// The `claimRef` a volume bound to `claim` carries.
pub fn claim_ref(claim: &Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "namespace": meta::namespace(claim), "name": meta::name(claim),
        "uid": meta::uid(claim), "resourceVersion": meta::resource_version(claim),
    })
}

pub fn requested_storage(claim: &Value) -> Option<Quantity> {
    Quantity::parse(
        claim
            .pointer("/spec/resources/requests/storage")?
            .as_str()?,
    )
    .ok()
}

pub fn capacity(volume: &Value) -> Option<Quantity> {
    Quantity::parse(volume.pointer("/spec/capacity/storage")?.as_str()?).ok()
}

/// A volume's class; no class and `""` are the same to the binder.
pub fn volume_class(volume: &Value) -> &str {
    volume
        .pointer("/spec/storageClassName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn modes(obj: &Value) -> Vec<&str> {
    obj.pointer("/spec/accessModes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn volume_mode(obj: &Value) -> &str {
    obj.pointer("/spec/volumeMode")
        .and_then(Value::as_str)
        .unwrap_or("Filesystem")
}

/// Whether `volume` names this claim in its `claimRef` (a pre-bound volume may leave out the uid).
pub fn is_claimed_by(volume: &Value, claim: &Value) -> bool {
    let Some(r) = volume.pointer("/spec/claimRef").filter(|r| r.is_object()) else {
        return false;
    };
    r["name"] == meta::name(claim)
        && r["namespace"] == meta::namespace(claim)
        && r.get("uid")
            .and_then(Value::as_str)
            .is_none_or(|u| u.is_empty() || u == meta::uid(claim))
}

/// Whether `volume` could serve `claim` of class `class`.
pub fn fits(claim: &Value, class: &str, volume: &Value) -> bool {
    if meta::is_terminating(volume) {
        return false;
    }
    let claimed = volume
        .pointer("/spec/claimRef")
        .is_some_and(|r| r.is_object());
    if claimed && !is_claimed_by(volume, claim) {
        return false;
    }
    if volume_class(volume) != class || volume_mode(volume) != volume_mode(claim) {
        return false;
    }
    let offered = modes(volume);
    if !modes(claim).iter().all(|m| offered.contains(m)) {
        return false;
    }
    if let Some(sel) = claim.pointer("/spec/selector").filter(|s| s.is_object()) {
        match LabelSelector::from_label_selector_json(sel) {
            Ok(s) if s.matches(meta::labels(volume)) => {}
            _ => return false,
        }
    }
    match (requested_storage(claim), capacity(volume)) {
        (Some(want), Some(have)) => have >= want,
        _ => false,
    }
}

/// The best volume for a claim: one already naming it, else the smallest that fits.
pub fn best_match<'a>(
    claim: &Value,
    class: &str,
    volumes: impl Iterator<Item = &'a Value>,
) -> Option<&'a Value> {
    let mut best: Option<(&Value, Quantity)> = None;
    for v in volumes.filter(|v| fits(claim, class, v)) {
        if is_claimed_by(v, claim) {
            return Some(v);
        }
        let Some(size) = capacity(v) else { continue };
        if best.as_ref().is_none_or(|(_, b)| size < *b) {
            best = Some((v, size));
        }
    }
    best.map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(size: &str, modes: Value) -> Value {
        json!({"metadata": {"name": "data", "namespace": "default", "uid": "c1"},
            "spec": {"accessModes": modes, "resources": {"requests": {"storage": size}}}})
    }

    fn volume(name: &str, size: &str, modes: Value, class: &str) -> Value {
        json!({"metadata": {"name": name, "labels": {"tier": "fast"}},
            "spec": {"accessModes": modes, "capacity": {"storage": size}, "storageClassName": class}})
    }

    #[test]
    fn the_smallest_sufficient_volume_of_the_class_with_the_modes_wins() {
        let vols = [
            volume("small", "1Gi", json!(["ReadWriteOnce"]), "manual"),
            volume("huge", "100Gi", json!(["ReadWriteOnce"]), "manual"),
            volume(
                "right",
                "10Gi",
                json!(["ReadWriteOnce", "ReadOnlyMany"]),
                "manual",
            ),
            volume("other-class", "5Gi", json!(["ReadWriteOnce"]), "slow"),
            volume("read-only", "5Gi", json!(["ReadOnlyMany"]), "manual"),
        ];
        let c = claim("5Gi", json!(["ReadWriteOnce"]));
        assert_eq!(
            best_match(&c, "manual", vols.iter()).map(meta::name),
            Some("right")
        );
        assert_eq!(
            best_match(
                &claim("200Gi", json!(["ReadWriteOnce"])),
                "manual",
                vols.iter()
            ),
            None
        );
    }

    #[test]
    fn a_volume_claimed_by_another_claim_is_not_offered() {
        let mut v = volume("v", "10Gi", json!(["ReadWriteOnce"]), "");
        v["spec"]["claimRef"] = json!({"name": "other", "namespace": "default", "uid": "x"});
        assert!(!fits(&claim("1Gi", json!(["ReadWriteOnce"])), "", &v));
        v["spec"]["claimRef"] = json!({"name": "data", "namespace": "default"});
        assert!(
            fits(&claim("1Gi", json!(["ReadWriteOnce"])), "", &v),
            "pre-bound by name"
        );
    }

    #[test]
    fn a_selector_must_match_the_volume_labels() {
        let v = volume("v", "10Gi", json!(["ReadWriteOnce"]), "");
        let mut c = claim("1Gi", json!(["ReadWriteOnce"]));
        c["spec"]["selector"] = json!({"matchLabels": {"tier": "slow"}});
        assert!(!fits(&c, "", &v));
        c["spec"]["selector"] = json!({"matchLabels": {"tier": "fast"}});
        assert!(fits(&c, "", &v));
    }
}
