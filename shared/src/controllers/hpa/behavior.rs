//! How fast an HPA may move: stabilization windows (act on the most cautious
//! recent recommendation) and scaling policies (at most N pods or P% per period).
//!
//! Kubernetes keeps this memory in the controller, not in the object, so a
//! restarted controller starts afresh; [`History`] is that memory for one HPA.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// The scale-down window used when `behavior` is absent or leaves it unset
/// (`--horizontal-pod-autoscaler-downscale-stabilization`).
pub const DEFAULT_DOWNSCALE_WINDOW: SignedDuration = SignedDuration::from_secs(300);

/// Without `behavior`, one step may at most double the replicas (and reach at least 4).
const LEGACY_SCALE_UP_FACTOR: f64 = 2.0;
const LEGACY_SCALE_UP_MINIMUM: i32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    Pods,
    Percent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub kind: PolicyType,
    pub value: i32,
    pub period_seconds: i64,
}

/// `behavior.scaleUp` or `behavior.scaleDown`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRules {
    pub stabilization_window: SignedDuration,
    pub select_policy: SelectPolicy,
    pub policies: Vec<Policy>,
    /// `tolerance`, when the HPA overrides the controller's 10%.
    pub tolerance: Option<f64>,
}

/// The HPA's `spec.behavior`, with Kubernetes' defaults for what it leaves out.
#[derive(Debug, Clone, PartialEq)]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

impl Behavior {
    /// Reads `spec.behavior`; `None` when absent, which keeps the legacy rules.
    pub fn from_spec(spec: &Value) -> Option<Behavior> {
        let b = spec.get("behavior").filter(|b| b.is_object())?;
        let up_default = ScalingRules {
            stabilization_window: SignedDuration::ZERO,
            select_policy: SelectPolicy::Max,
            policies: vec![
                Policy {
                    kind: PolicyType::Pods,
                    value: 4,
                    period_seconds: 15,
                },
                Policy {
                    kind: PolicyType::Percent,
                    value: 100,
                    period_seconds: 15,
                },
            ],
            tolerance: None,
        };
        let down_default = ScalingRules {
            stabilization_window: DEFAULT_DOWNSCALE_WINDOW,
            select_policy: SelectPolicy::Max,
            policies: vec![Policy {
                kind: PolicyType::Percent,
                value: 100,
                period_seconds: 15,
            }],
            tolerance: None,
        };
        Some(Behavior {
            scale_up: read_rules(b.get("scaleUp"), up_default),
            scale_down: read_rules(b.get("scaleDown"), down_default),
        })
    }
}

fn read_rules(rules: Option<&Value>, default: ScalingRules) -> ScalingRules {
    let Some(r) = rules.filter(|r| r.is_object()) else {
        return default;
    };
    let stabilization_window = r
        .get("stabilizationWindowSeconds")
        .and_then(Value::as_i64)
        .map_or(default.stabilization_window, SignedDuration::from_secs);
    let select_policy = match r.get("selectPolicy").and_then(Value::as_str) {
        Some("Min") => SelectPolicy::Min,
        Some("Disabled") => SelectPolicy::Disabled,
        Some(_) => SelectPolicy::Max,
        None => default.select_policy,
    };
    let policies = match r.get("policies").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(|p| {
                let kind = match p.get("type").and_then(Value::as_str)? {
                    "Pods" => PolicyType::Pods,
                    "Percent" => PolicyType::Percent,
                    _ => return None,
                };
                let value = i32::try_from(p.get("value")?.as_i64()?).ok()?;
                let period_seconds = p.get("periodSeconds")?.as_i64()?;
                Some(Policy {
                    kind,
                    value,
                    period_seconds,
                })
            })
            .collect(),
        None => default.policies,
    };
    let tolerance = r.get("tolerance").and_then(|t| match t {
        Value::String(s) => crate::api::quantity::Quantity::parse(s)
            .ok()
            .map(|q| q.millis() as f64 / 1000.0),
        other => other.as_f64(),
    });
    ScalingRules {
        stabilization_window,
        select_policy,
        policies,
        tolerance,
    }
}

/// A replica count after stabilization and rate limits, with the conditions that explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub replicas: i32,
    /// `AbleToScale` reason and message.
    pub able_to_scale: (&'static str, &'static str),
    /// `ScalingLimited`: whether the count was cut, the reason and message.
    pub limited: (bool, &'static str, &'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ScaleEvent {
    change: i32,
    at: Timestamp,
}

/// One HPA's recent recommendations and scale events.
#[derive(Debug, Clone, Default)]
pub struct History {
    recommendations: Vec<(i32, Timestamp)>,
    scale_ups: Vec<ScaleEvent>,
    scale_downs: Vec<ScaleEvent>,
}

const WITHIN_RANGE: (&str, &str) = (
    "DesiredWithinRange",
    "the desired count is within the acceptable range",
);
const TOO_FEW: (&str, &str) = (
    "TooFewReplicas",
    "the desired replica count is less than the minimum replica count",
);
const TOO_MANY: (&str, &str) = (
    "TooManyReplicas",
    "the desired replica count is more than the maximum replica count",
);
const UP_LIMIT: (&str, &str) = (
    "ScaleUpLimit",
    "the desired replica count is increasing faster than the maximum scale rate",
);
const DOWN_LIMIT: (&str, &str) = (
    "ScaleDownLimit",
    "the desired replica count is decreasing faster than the maximum scale rate",
);
const READY: (&str, &str) = ("ReadyForNewScale", "recommended size matches current size");
const DOWN_STABILIZED: (&str, &str) =
    ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation");
const UP_STABILIZED: (&str, &str) = (
    "ScaleUpStabilized",
    "recent recommendations were lower than current one, applying the lowest recent recommendation",
);

fn limited(
    replicas: i32,
    wanted: i32,
    (reason, message): (&'static str, &'static str),
) -> (bool, &'static str, &'static str) {
    (replicas != wanted, reason, message)
}

impl History {
    /// A new HPA (or a restarted controller) starts from the current size, so
    /// it does not scale down before a full window of recommendations.
    pub fn record_initial(&mut self, current: i32, now: Timestamp) {
        if self.recommendations.is_empty() {
            self.recommendations.push((current, now));
        }
    }

    /// Keeps `desired`, replacing a sample older than every window (the list stays small).
    fn remember(&mut self, desired: i32, now: Timestamp, stale: Option<usize>) {
        match stale {
            Some(i) => self.recommendations[i] = (desired, now),
            None => self.recommendations.push((desired, now)),
        }
    }

    /// Kubernetes' rules for an HPA without `behavior`: the highest
    /// recommendation of the last five minutes, and at most doubling per step.
    pub fn normalize_legacy(
        &mut self,
        current: i32,
        desired: i32,
        min: i32,
        max: i32,
        now: Timestamp,
    ) -> Normalized {
        let cutoff = now - DEFAULT_DOWNSCALE_WINDOW;
        let mut stabilized = desired;
        let mut stale = None;
        for (i, (rec, at)) in self.recommendations.iter().enumerate() {
            if *at < cutoff {
                stale = Some(i);
            } else {
                stabilized = stabilized.max(*rec);
            }
        }
        self.remember(desired, now, stale);
        let able_to_scale = if stabilized != desired {
            DOWN_STABILIZED
        } else {
            READY
        };

        let scale_up_limit =
            ((LEGACY_SCALE_UP_FACTOR * f64::from(current)) as i32).max(LEGACY_SCALE_UP_MINIMUM);
        let (ceiling, over) = if max > scale_up_limit {
            (scale_up_limit, UP_LIMIT)
        } else {
            (max, TOO_MANY)
        };
        let (replicas, why) = if stabilized < min {
            (min, TOO_FEW)
        } else if stabilized > ceiling {
            (ceiling, over)
        } else {
            (stabilized, WITHIN_RANGE)
        };
        Normalized {
            replicas,
            able_to_scale,
            limited: limited(replicas, stabilized, why),
        }
    }

    /// Kubernetes' rules for an HPA with `behavior`: stabilize within each
    /// direction's window, then apply that direction's policies.
    pub fn normalize_with_behavior(
        &mut self,
        b: &Behavior,
        current: i32,
        desired: i32,
        min: i32,
        max: i32,
        now: Timestamp,
    ) -> Normalized {
        let up_cutoff = now - b.scale_up.stabilization_window;
        let down_cutoff = now - b.scale_down.stabilization_window;
        let (mut up, mut down) = (desired, desired);
        let mut stale = None;
        for (i, (rec, at)) in self.recommendations.iter().enumerate() {
            if *at > up_cutoff {
                up = up.min(*rec);
            }
            if *at > down_cutoff {
                down = down.max(*rec);
            }
            if *at < up_cutoff && *at < down_cutoff {
                stale = Some(i);
            }
        }
        let stabilized = current.max(up).min(down);
        self.remember(desired, now, stale);
        let able_to_scale = if stabilized == desired {
            READY
        } else if desired >= current {
            UP_STABILIZED
        } else {
            DOWN_STABILIZED
        };

        let (replicas, why) = if stabilized > current {
            let limit = scale_up_limit(
                current,
                &self.scale_ups,
                &self.scale_downs,
                &b.scale_up,
                now,
            )
            .max(current);
            let (ceiling, over) = if max > limit {
                (limit, UP_LIMIT)
            } else {
                (max, TOO_MANY)
            };
            if stabilized > ceiling {
                (ceiling, over)
            } else {
                (stabilized, WITHIN_RANGE)
            }
        } else if stabilized < current {
            let limit = scale_down_limit(
                current,
                &self.scale_ups,
                &self.scale_downs,
                &b.scale_down,
                now,
            )
            .min(current);
            let (floor, under) = if min < limit {
                (limit, DOWN_LIMIT)
            } else {
                (min, TOO_FEW)
            };
            if stabilized < floor {
                (floor, under)
            } else {
                (stabilized, WITHIN_RANGE)
            }
        } else {
            (stabilized, WITHIN_RANGE)
        };
        Normalized {
            replicas,
            able_to_scale,
            limited: limited(replicas, stabilized, why),
        }
    }

    /// Remembers a rescale for the policies' periods (only HPAs with `behavior` use them).
    pub fn record_scale(
        &mut self,
        behavior: Option<&Behavior>,
        previous: i32,
        new: i32,
        now: Timestamp,
    ) {
        let Some(b) = behavior else { return };
        let (events, rules, change) = if new > previous {
            (&mut self.scale_ups, &b.scale_up, new - previous)
        } else {
            (&mut self.scale_downs, &b.scale_down, previous - new)
        };
        let longest = rules
            .policies
            .iter()
            .map(|p| p.period_seconds)
            .max()
            .unwrap_or(0);
        let cutoff = now - SignedDuration::from_secs(longest);
        let event = ScaleEvent { change, at: now };
        match events.iter().rposition(|e| e.at < cutoff) {
            Some(i) => events[i] = event,
            None => events.push(event),
        }
    }
}

/// Replicas added (or removed) within the last `period_seconds`.
fn changed_within(events: &[ScaleEvent], period_seconds: i64, now: Timestamp) -> i32 {
    let cutoff = now - SignedDuration::from_secs(period_seconds);
    events
        .iter()
        .filter(|e| e.at > cutoff)
        .map(|e| e.change)
        .sum()
}

/// The most replicas the scale-up policies allow now.
fn scale_up_limit(
    current: i32,
    ups: &[ScaleEvent],
    downs: &[ScaleEvent],
    rules: &ScalingRules,
    now: Timestamp,
) -> i32 {
    let pick: fn(i32, i32) -> i32 = match rules.select_policy {
        SelectPolicy::Disabled => return current,
        SelectPolicy::Min => i32::min,
        SelectPolicy::Max => i32::max,
    };
    let mut result: Option<i32> = None;
    for p in &rules.policies {
        let start = current - changed_within(ups, p.period_seconds, now)
            + changed_within(downs, p.period_seconds, now);
        let proposed = match p.kind {
            PolicyType::Pods => start.saturating_add(p.value),
            PolicyType::Percent => {
                (f64::from(start) * (1.0 + f64::from(p.value) / 100.0)).ceil() as i32
            }
        };
        result = Some(result.map_or(proposed, |r| pick(r, proposed)));
    }
    // No policies (validation forbids it): nothing limits.
    result.unwrap_or(i32::MAX)
}

/// The fewest replicas the scale-down policies allow now.
fn scale_down_limit(
    current: i32,
    ups: &[ScaleEvent],
    downs: &[ScaleEvent],
    rules: &ScalingRules,
    now: Timestamp,
) -> i32 {
    // For scaling down, the smallest change ("Min") is the highest count.
    let pick: fn(i32, i32) -> i32 = match rules.select_policy {
        SelectPolicy::Disabled => return current,
        SelectPolicy::Min => i32::max,
        SelectPolicy::Max => i32::min,
    };
    let mut result: Option<i32> = None;
    for p in &rules.policies {
        let start = current + changed_within(downs, p.period_seconds, now)
            - changed_within(ups, p.period_seconds, now);
        let proposed = match p.kind {
            PolicyType::Pods => start - p.value,
            PolicyType::Percent => (f64::from(start) * (1.0 - f64::from(p.value) / 100.0)) as i32,
        };
        result = Some(result.map_or(proposed, |r| pick(r, proposed)));
    }
    result.unwrap_or(i32::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(secs: i64) -> Timestamp {
        "2026-01-01T00:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_secs(secs)
    }

    fn behavior(b: Value) -> Behavior {
        Behavior::from_spec(&json!({"behavior": b})).unwrap()
    }

    /// Runs one sync: normalize, and record the rescale as the controller does.
    fn step(
        h: &mut History,
        b: Option<&Behavior>,
        current: i32,
        desired: i32,
        min: i32,
        max: i32,
        t: i64,
    ) -> Normalized {
        let n = match b {
            Some(b) => h.normalize_with_behavior(b, current, desired, min, max, at(t)),
            None => h.normalize_legacy(current, desired, min, max, at(t)),
        };
        if n.replicas != current {
            h.record_scale(b, current, n.replicas, at(t));
        }
        n
    }

    #[test]
    fn absent_behavior_keeps_the_legacy_rules() {
        assert_eq!(Behavior::from_spec(&json!({"maxReplicas": 3})), None);
        let mut h = History::default();
        h.record_initial(2, at(0));
        let mut current = 2;
        let mut sizes = vec![];
        for i in 1..=4 {
            current = step(&mut h, None, current, 40, 1, 10, 15 * i).replicas;
            sizes.push(current);
        }
        assert_eq!(
            sizes,
            [4, 8, 10, 10],
            "doubling per step (at least 4), capped by maxReplicas"
        );
    }

    #[test]
    fn default_scale_up_adds_4_pods_or_100_percent_per_15_seconds() {
        let b = behavior(json!({}));
        let mut h = History::default();
        h.record_initial(2, at(0));
        let n = step(&mut h, Some(&b), 2, 40, 1, 100, 15);
        assert_eq!(n.replicas, 6, "max(2 + 4, 2 × 2)");
        assert_eq!(n.limited, (true, UP_LIMIT.0, UP_LIMIT.1));
        // 5 s later the same period still holds the +4: no further growth.
        assert_eq!(step(&mut h, Some(&b), 6, 40, 1, 100, 20).replicas, 6);
        // A full period later, from 6: max(6 + 4, 12).
        assert_eq!(step(&mut h, Some(&b), 6, 40, 1, 100, 30).replicas, 12);
        assert_eq!(step(&mut h, Some(&b), 12, 40, 1, 100, 45).replicas, 24);
    }

    #[test]
    fn select_policy_min_takes_the_smaller_step() {
        let b = behavior(json!({"scaleUp": {"selectPolicy": "Min", "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]}}));
        let mut h = History::default();
        assert_eq!(step(&mut h, Some(&b), 10, 40, 1, 100, 15).replicas, 14);
        assert_eq!(step(&mut h, Some(&b), 2, 40, 1, 100, 100).replicas, 4);
    }

    #[test]
    fn disabled_direction_never_moves() {
        let b = behavior(json!({"scaleDown": {"selectPolicy": "Disabled"}}));
        let mut h = History::default();
        let n = step(&mut h, Some(&b), 8, 2, 1, 10, 1000);
        assert_eq!(n.replicas, 8);
        assert_eq!(n.limited, (true, DOWN_LIMIT.0, DOWN_LIMIT.1));
        assert_eq!(
            step(&mut h, Some(&b), 8, 10, 1, 10, 1015).replicas,
            10,
            "scale-up still works"
        );
    }

    #[test]
    fn scale_down_waits_for_the_window_then_follows_the_policy() {
        let b = behavior(
            json!({"scaleDown": {"policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]}}),
        );
        let mut h = History::default();
        h.record_initial(10, at(0));
        // Low load from t=15 on; the initial 10 holds for the 300 s window.
        let mut current = 10;
        let mut changes = vec![];
        for i in 1..=40 {
            let t = 15 * i;
            let n = step(&mut h, Some(&b), current, 2, 2, 10, t);
            if t < 300 {
                assert_eq!(n.able_to_scale, DOWN_STABILIZED, "t={t}");
            }
            if n.replicas != current {
                changes.push((t, n.replicas));
            }
            current = n.replicas;
        }
        assert_eq!(changes, [(300, 8), (360, 6), (420, 4), (480, 2)]);
    }

    #[test]
    fn legacy_scale_down_takes_the_highest_recommendation_of_five_minutes() {
        let mut h = History::default();
        h.record_initial(4, at(0));
        assert_eq!(step(&mut h, None, 4, 6, 1, 10, 15).replicas, 6);
        let n = step(&mut h, None, 6, 2, 1, 10, 30);
        assert_eq!((n.replicas, n.able_to_scale), (6, DOWN_STABILIZED));
        // The 6 recorded at t=15 is older than 300 s at t=316.
        assert_eq!(step(&mut h, None, 6, 2, 1, 10, 316).replicas, 2);
    }

    #[test]
    fn clamps_report_why_scaling_is_limited() {
        let mut h = History::default();
        let n = h.normalize_legacy(2, 1, 2, 10, at(0));
        assert_eq!((n.replicas, n.limited), (2, (true, TOO_FEW.0, TOO_FEW.1)));
        let n = h.normalize_legacy(10, 14, 2, 10, at(400));
        assert_eq!(
            (n.replicas, n.limited),
            (10, (true, TOO_MANY.0, TOO_MANY.1))
        );
        let n = h.normalize_legacy(3, 4, 2, 10, at(800));
        assert_eq!(
            (n.replicas, n.limited),
            (4, (false, WITHIN_RANGE.0, WITHIN_RANGE.1))
        );
    }

    #[test]
    fn explicit_rules_are_read_and_defaults_fill_the_rest() {
        let b = behavior(
            json!({"scaleUp": {"stabilizationWindowSeconds": 60, "selectPolicy": "Min",
            "policies": [{"type": "Percent", "value": 50, "periodSeconds": 30}], "tolerance": "50m"}}),
        );
        assert_eq!(
            b.scale_up.stabilization_window,
            SignedDuration::from_secs(60)
        );
        assert_eq!(b.scale_up.select_policy, SelectPolicy::Min);
        assert_eq!(
            b.scale_up.policies,
            [Policy {
                kind: PolicyType::Percent,
                value: 50,
                period_seconds: 30
            }]
        );
        assert_eq!(b.scale_up.tolerance, Some(0.05));
        assert_eq!(b.scale_down.stabilization_window, DEFAULT_DOWNSCALE_WINDOW);
    }
}
