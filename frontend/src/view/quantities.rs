//! Resource quantities (`250m`, `8Gi`, `1500000n`) as plain numbers for bars and percentages.

use kubeplay_shared::api::quantity::Quantity;
use serde_json::Value;

/// CPU in millicores; 0 for a missing or malformed quantity.
pub(crate) fn millicores(q: Option<&Value>) -> u64 {
    parse(q).map_or(0, |q| u64::try_from(q.millis()).unwrap_or(0))
}

/// A whole quantity such as bytes or a pod count; 0 for a missing or malformed one.
pub(crate) fn whole(q: Option<&Value>) -> u64 {
    parse(q).map_or(0, |q| u64::try_from(q.value()).unwrap_or(0))
}

fn parse(q: Option<&Value>) -> Option<Quantity> {
    match q? {
        Value::String(s) => Quantity::parse(s).ok(),
        Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cpu_and_memory_quantities_become_numbers() {
        assert_eq!(millicores(Some(&json!("250m"))), 250);
        assert_eq!(millicores(Some(&json!("4"))), 4000);
        assert_eq!(millicores(Some(&json!("1500000n"))), 2, "rounded up as Kubernetes does");
        assert_eq!(whole(Some(&json!("8Gi"))), 8 * 1024 * 1024 * 1024);
        assert_eq!(whole(Some(&json!(110))), 110);
        assert_eq!(whole(Some(&json!("lots"))), 0);
        assert_eq!(millicores(None), 0);
    }
}
