//! Taints on nodes and the tolerations that let pods past them, matched the
//! way Kubernetes matches them (empty key with `Exists` tolerates everything).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

impl Taint {
    pub fn from_value(v: &Value) -> Taint {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Taint {
            key: s("key"),
            value: s("value"),
            effect: s("effect"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toleration {
    pub key: String,
    pub exists: bool,
    pub value: String,
    /// Empty tolerates every effect.
    pub effect: String,
}

impl Toleration {
    pub fn from_value(v: &Value) -> Toleration {
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Toleration {
            key: s("key"),
            exists: s("operator") == "Exists",
            value: s("value"),
            effect: s("effect"),
        }
    }

    pub fn tolerates(&self, taint: &Taint) -> bool {
        if !self.effect.is_empty() && self.effect != taint.effect {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        self.exists || self.value == taint.value
    }
}

pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exists_without_key_tolerates_every_taint_of_its_effect() {
        let taint =
            Taint::from_value(&json!({"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}));
        assert!(Toleration::from_value(&json!({"operator": "Exists"})).tolerates(&taint));
        assert!(
            Toleration::from_value(&json!({"key": "dedicated", "value": "gpu"})).tolerates(&taint)
        );
        assert!(
            !Toleration::from_value(&json!({"key": "dedicated", "value": "cpu"})).tolerates(&taint)
        );
        assert!(
            !Toleration::from_value(&json!({"operator": "Exists", "effect": "NoExecute"}))
                .tolerates(&taint)
        );
    }
}
