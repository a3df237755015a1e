//! A pod as the scheduler sees it: its requests, ports, tolerations and
//! affinities, read once from JSON so filtering a thousand nodes never re-parses it.

use super::node_selector::NodeSelector;
use super::taints::Toleration;
use crate::api::meta;
use crate::api::quantity::Quantity;
use crate::store::selector::LabelSelector;
use serde_json::{Map, Value};

/// Namespace and name of a pod.
pub type PodKey = (String, String);

/// What a pod asks of a node, in the units the scheduler compares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    /// Extended resources (`nvidia.com/gpu`), rarely present, so a small list.
    pub scalar: Vec<(String, i64)>,
}

impl Resources {
    fn add(&mut self, other: &Resources) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        for (name, v) in &other.scalar {
            match self.scalar.iter_mut().find(|(n, _)| n == name) {
                Some((_, mine)) => *mine += v,
                None => self.scalar.push((name.clone(), *v)),
            }
        }
    }

    pub fn subtract(&mut self, other: &Resources) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        for (name, v) in &other.scalar {
            if let Some((_, mine)) = self.scalar.iter_mut().find(|(n, _)| n == name) {
                *mine -= v;
            }
        }
    }

    pub fn plus(&self, other: &Resources) -> Resources {
        let mut sum = self.clone();
        sum.add(other);
        sum
    }

    fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (name, v) in &other.scalar {
            match self.scalar.iter_mut().find(|(n, _)| n == name) {
                Some((_, mine)) => *mine = (*mine).max(*v),
                None => self.scalar.push((name.clone(), *v)),
            }
        }
    }

    pub fn scalar(&self, name: &str) -> i64 {
        self.scalar
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, v)| *v)
    }

    /// Reads a `requests`/`allocatable` map; unparsable quantities count as zero,
    /// validation having refused them already.
    pub fn from_map(map: Option<&Value>) -> Resources {
        let mut r = Resources::default();
        let Some(map) = map.and_then(Value::as_object) else {
            return r;
        };
        for (name, q) in map {
            let Some(q) = q.as_str().and_then(|s| Quantity::parse(s).ok()) else {
                continue;
            };
            match name.as_str() {
                "cpu" => r.milli_cpu = clamp(q.millis()),
                "memory" => r.memory = clamp(q.value()),
                "ephemeral-storage" => r.ephemeral_storage = clamp(q.value()),
                "pods" => {}
                other if is_extended(other) => r.scalar.push((other.to_string(), clamp(q.value()))),
                _ => {}
            }
        }
        r
    }
}

/// Resources the scheduler counts as extended: domain-prefixed names outside `kubernetes.io`,
/// plus hugepages.
fn is_extended(name: &str) -> bool {
    name.starts_with("hugepages-") || (name.contains('/') && !name.starts_with("kubernetes.io/"))
}

fn clamp(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// What scoring assumes for a container that requests nothing, so best-effort
/// pods still spread (Kubernetes' `DefaultMilliCPURequest`/`DefaultMemoryRequest`).
pub const DEFAULT_MILLI_CPU: i64 = 100;
pub const DEFAULT_MEMORY: i64 = 200 * 1024 * 1024;

/// A `hostPort` the pod claims on its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i64,
}

impl HostPort {
    /// Two claims clash on the same port and protocol when their addresses overlap (`0.0.0.0` is every address).
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip || self.ip == "0.0.0.0" || other.ip == "0.0.0.0")
    }
}

/// The namespaces a pod affinity term looks in.
#[derive(Debug, Clone, PartialEq)]
pub enum TermNamespaces {
    All,
    Listed(Vec<String>),
}

/// One `podAffinityTerm`: pods matching `selector` in `namespaces`, grouped by `topology_key`.
#[derive(Debug, Clone)]
pub struct PodAffinityTerm {
    pub selector: LabelSelector,
    pub namespaces: TermNamespaces,
    pub topology_key: String,
    /// For preferred terms; 1 for required ones.
    pub weight: i64,
}

impl PodAffinityTerm {
    pub fn matches(&self, namespace: &str, labels: Option<&Map<String, Value>>) -> bool {
        let ns_ok = match &self.namespaces {
            TermNamespaces::All => true,
            TermNamespaces::Listed(list) => list.iter().any(|n| n == namespace),
        };
        ns_ok && self.selector.matches(labels)
    }
}

/// The pod's own pod affinity and anti-affinity, required and preferred.
#[derive(Debug, Clone, Default)]
pub struct PodAffinities {
    pub required_affinity: Vec<PodAffinityTerm>,
    pub required_anti_affinity: Vec<PodAffinityTerm>,
    pub preferred_affinity: Vec<PodAffinityTerm>,
    pub preferred_anti_affinity: Vec<PodAffinityTerm>,
}

impl PodAffinities {
    pub fn is_empty(&self) -> bool {
        self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty()
    }
}

/// One `topologySpreadConstraints` entry.
#[derive(Debug, Clone)]
pub struct SpreadConstraint {
    pub max_skew: i64,
    pub topology_key: String,
    /// `DoNotSchedule` (a filter) rather than `ScheduleAnyway` (a score).
    pub hard: bool,
    pub selector: LabelSelector,
}

impl SpreadConstraint {
    fn from_value(v: &Value) -> SpreadConstraint {
        SpreadConstraint {
            max_skew: v.get("maxSkew").and_then(Value::as_i64).unwrap_or(1),
            topology_key: str_at(v, "topologyKey").to_string(),
            hard: str_at(v, "whenUnsatisfiable") != "ScheduleAnyway",
            selector: LabelSelector::from_label_selector_json(
                v.get("labelSelector").unwrap_or(&Value::Null),
            )
            .unwrap_or_else(|_| LabelSelector::nothing()),
        }
    }
}

/// A pod, parsed for scheduling.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: Map<String, Value>,
    pub node_name: String,
    pub priority: i64,
    /// Effective requests: containers (with sidecars), init containers' peak, overhead.
    pub requests: Resources,
    /// The same with defaults for unset cpu/memory, used only to score.
    pub non_zero_cpu: i64,
    pub non_zero_memory: i64,
    pub host_ports: Vec<HostPort>,
    pub tolerations: Vec<Toleration>,
    pub node_selector: Map<String, Value>,
    pub required_node_affinity: Option<NodeSelector>,
    pub preferred_node_affinity: Vec<(i64, NodeSelector)>,
    pub affinity: PodAffinities,
    pub claims: Vec<String>,
    pub spread_constraints: Vec<SpreadConstraint>,
    /// The controller that owns the pod (its uid), for spreading replicas.
    pub owner: Option<String>,
}

impl PodInfo {
    pub fn key(&self) -> PodKey {
        (self.namespace.clone(), self.name.clone())
    }

    pub fn from_value(pod: &Value) -> PodInfo {
        let spec = pod.get("spec").unwrap_or(&Value::Null);
        let namespace = meta::namespace(pod).to_string();
        let (requests, non_zero_cpu, non_zero_memory) = effective_requests(spec);
        let affinity = spec.get("affinity").unwrap_or(&Value::Null);
        let node_affinity = affinity.get("nodeAffinity").unwrap_or(&Value::Null);
        PodInfo {
            name: meta::name(pod).to_string(),
            uid: meta::uid(pod).to_string(),
            labels: meta::labels(pod).cloned().unwrap_or_default(),
            node_name: str_at(spec, "nodeName").to_string(),
            priority: spec.get("priority").and_then(Value::as_i64).unwrap_or(0),
            requests,
            non_zero_cpu,
            non_zero_memory,
            host_ports: host_ports(spec),
            tolerations: list(spec, "tolerations")
                .iter()
                .map(Toleration::from_value)
                .collect(),
            node_selector: spec
                .get("nodeSelector")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            required_node_affinity: node_affinity
                .get("requiredDuringSchedulingIgnoredDuringExecution")
                .filter(|v| !v.is_null())
                .map(NodeSelector::from_value),
            preferred_node_affinity: list(
                node_affinity,
                "preferredDuringSchedulingIgnoredDuringExecution",
            )
            .iter()
            .map(|p| {
                (
                    p.get("weight").and_then(Value::as_i64).unwrap_or(0),
                    NodeSelector::from_term(p.get("preference")),
                )
            })
            .collect(),
            affinity: pod_affinities(affinity, &namespace),
            claims: list(spec, "volumes")
                .iter()
                .filter_map(|v| {
                    v.pointer("/persistentVolumeClaim/claimName")
                        .and_then(Value::as_str)
                })
                .map(str::to_string)
                .collect(),
            spread_constraints: list(spec, "topologySpreadConstraints")
                .iter()
                .map(SpreadConstraint::from_value)
                .collect(),
            owner: list(
                pod.get("metadata").unwrap_or(&Value::Null),
                "ownerReferences",
            )
            .iter()
            .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
            .map(|o| str_at(o, "uid").to_string()),
            namespace,
        }
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// One container's requests, and its cpu/memory with scoring defaults filled in.
fn container_requests(c: &Value) -> (Resources, i64, i64) {
    let requests = c.pointer("/resources/requests");
    let r = Resources::from_map(requests);
    let has = |name: &str| requests.and_then(|m| m.get(name)).is_some();
    let cpu = if has("cpu") {
        r.milli_cpu
    } else {
        DEFAULT_MILLI_CPU
    };
    let mem = if has("memory") {
        r.memory
    } else {
        DEFAULT_MEMORY
    };
    (r, cpu, mem)
}

/// Kubernetes' effective pod request: app containers plus sidecars, or the
/// peak of the init phase if higher, plus the runtime class overhead.
fn effective_requests(spec: &Value) -> (Resources, i64, i64) {
    let mut sum = Resources::default();
    let (mut sum_cpu, mut sum_mem) = (0, 0);
    for c in list(spec, "containers") {
        let (r, cpu, mem) = container_requests(c);
        sum.add(&r);
        sum_cpu += cpu;
        sum_mem += mem;
    }
    let mut sidecars = Resources::default();
    let (mut side_cpu, mut side_mem) = (0, 0);
    let mut init_peak = Resources::default();
    let (mut peak_cpu, mut peak_mem) = (0, 0);
    for c in list(spec, "initContainers") {
        let (r, cpu, mem) = container_requests(c);
        if str_at(c, "restartPolicy") == "Always" {
            sidecars.add(&r);
            side_cpu += cpu;
            side_mem += mem;
            init_peak.max_with(&sidecars);
            peak_cpu = peak_cpu.max(side_cpu);
            peak_mem = peak_mem.max(side_mem);
        } else {
            init_peak.max_with(&r.plus(&sidecars));
            peak_cpu = peak_cpu.max(cpu + side_cpu);
            peak_mem = peak_mem.max(mem + side_mem);
        }
    }
    sum.add(&sidecars);
    sum.max_with(&init_peak);
    let (mut cpu, mut mem) = (
        (sum_cpu + side_cpu).max(peak_cpu),
        (sum_mem + side_mem).max(peak_mem),
    );
    // Pod-level resources, when set, replace the containers' sum.
    if let Some(pod_level) = spec
        .pointer("/resources/requests")
        .filter(|v| v.is_object())
    {
        let p = Resources::from_map(Some(pod_level));
        if pod_level.get("cpu").is_some() {
            sum.milli_cpu = p.milli_cpu;
            cpu = p.milli_cpu;
        }
        if pod_level.get("memory").is_some() {
            sum.memory = p.memory;
            mem = p.memory;
        }
    }
    let overhead = Resources::from_map(spec.get("overhead"));
    sum.add(&overhead);
    (sum, cpu + overhead.milli_cpu, mem + overhead.memory)
}

fn host_ports(spec: &Value) -> Vec<HostPort> {
    let mut ports = Vec::new();
    for list_name in ["initContainers", "containers"] {
        for c in list(spec, list_name) {
            for p in list(c, "ports") {
                let port = p.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
                if port <= 0 {
                    continue;
                }
                let ip = match str_at(p, "hostIP") {
                    "" => "0.0.0.0",
                    ip => ip,
                };
                let protocol = match str_at(p, "protocol") {
                    "" => "TCP",
                    proto => proto,
                };
                ports.push(HostPort {
                    ip: ip.to_string(),
                    protocol: protocol.to_string(),
                    port,
                });
            }
        }
    }
    ports
}

fn pod_affinities(affinity: &Value, own_namespace: &str) -> PodAffinities {
    let terms = |section: &str, field: &str, weighted: bool| -> Vec<PodAffinityTerm> {
        let Some(section) = affinity.get(section) else {
            return Vec::new();
        };
        list(section, field)
            .iter()
            .map(|t| {
                let (term, weight) = if weighted {
                    (
                        t.get("podAffinityTerm").unwrap_or(&Value::Null),
                        t.get("weight").and_then(Value::as_i64).unwrap_or(0),
                    )
                } else {
                    (t, 1)
                };
                affinity_term(term, own_namespace, weight)
            })
            .collect()
    };
    PodAffinities {
        required_affinity: terms(
            "podAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            false,
        ),
        required_anti_affinity: terms(
            "podAntiAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            false,
        ),
        preferred_affinity: terms(
            "podAffinity",
            "preferredDuringSchedulingIgnoredDuringExecution",
            true,
        ),
        preferred_anti_affinity: terms(
            "podAntiAffinity",
            "preferredDuringSchedulingIgnoredDuringExecution",
            true,
        ),
    }
}

fn affinity_term(term: &Value, own_namespace: &str, weight: i64) -> PodAffinityTerm {
    let selector =
        LabelSelector::from_label_selector_json(term.get("labelSelector").unwrap_or(&Value::Null))
            .unwrap_or_else(|_| LabelSelector::nothing());
    let listed: Vec<String> = list(term, "namespaces")
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    // An empty `namespaceSelector` means every namespace; with neither field, the pod's own.
    let namespaces = match term.get("namespaceSelector") {
        Some(sel) if sel.as_object().is_some_and(Map::is_empty) => TermNamespaces::All,
        _ if listed.is_empty() => TermNamespaces::Listed(vec![own_namespace.to_string()]),
        _ => TermNamespaces::Listed(listed),
    };
    PodAffinityTerm {
        selector,
        namespaces,
        topology_key: str_at(term, "topologyKey").to_string(),
        weight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_add_containers_and_take_the_init_peak_plus_overhead() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "200m", "memory": "100Mi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "300m"}}}
            ],
            "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "1", "memory": "50Mi"}}}],
            "overhead": {"cpu": "10m"}
        }});
        let info = PodInfo::from_value(&pod);
        assert_eq!(info.requests.milli_cpu, 1010);
        assert_eq!(info.requests.memory, 100 * 1024 * 1024);
        assert_eq!(info.non_zero_memory, 100 * 1024 * 1024 + DEFAULT_MEMORY);
    }

    #[test]
    fn sidecars_run_alongside_the_app_containers() {
        let pod = json!({"spec": {
            "containers": [{"name": "a", "resources": {"requests": {"cpu": "500m"}}}],
            "initContainers": [{"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "200m"}}}]
        }});
        assert_eq!(PodInfo::from_value(&pod).requests.milli_cpu, 700);
    }
}
