//! Simulated load: a Service annotated `kubeplay.dev/traffic-rps: "200"` spreads
//! that many requests per second over its ready pods, which costs them CPU.

use crate::sim::images::Image;
use serde_json::Value;

pub const TRAFFIC_ANNOTATION: &str = "kubeplay.dev/traffic-rps";

/// A Service's requests per second, if it is annotated.
pub fn rps_of(service: &Value) -> Option<f64> {
    crate::api::meta::annotation(service, TRAFFIC_ANNOTATION)?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|r| *r >= 0.0)
}

/// Each of `ready` pods' share of `rps`, evenly, as kube-proxy's random choice averages out.
pub fn share(rps: f64, ready: usize) -> f64 {
    if ready == 0 {
        0.0
    } else {
        rps / ready as f64
    }
}

/// CPU millicores a container uses serving `rps`, throttled at its CPU limit.
pub fn cpu_millicores(image: &Image, rps: f64, limit_millicores: Option<i64>) -> i64 {
    let wanted =
        image.cpu_idle_millicores + (rps * image.cpu_millicores_per_request).round() as i64;
    limit_millicores.map_or(wanted, |l| wanted.min(l))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::images::lookup;

    #[test]
    fn load_is_spread_and_throttled_at_the_limit() {
        let app = lookup("myapp:1.0", false).unwrap();
        assert_eq!(share(200.0, 4), 50.0);
        assert_eq!(cpu_millicores(app, 50.0, None), 102);
        assert_eq!(cpu_millicores(app, 50.0, Some(100)), 100);
        assert_eq!(share(200.0, 0), 0.0);
    }
}
