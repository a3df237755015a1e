//! The facts a kubelet reports about its machine — cores, memory, kernel, OS, runtime, address —
//! read from this machine, so `kubectl describe node` tells the truth about where pods run.
//!
//! Reading (`NodeFacts::gather`) is separate from the parsers and from building the Node's
//! status, which are plain functions tested on fixed input.

use kubeplay_shared::api::names::is_dns1123_subdomain;
use kubeplay_shared::node_protocol::node::{
    NodeAddress, NodeCondition, NodeInfo, NodeRegistration, NodeStatusReport, ResourceList,
};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, UdpSocket};

/// Kubernetes' default `--max-pods`.
pub const MAX_PODS: u32 = 110;
/// The kubelet's default hard eviction threshold `memory.available<100Mi`, which Kubernetes
/// subtracts from capacity to get allocatable memory.
const EVICTION_HARD_MEMORY_KIB: u64 = 100 * 1024;

/// What the kubelet version string says this node is.
pub fn kubelet_version() -> String {
    let (major, minor) = kubeplay_shared::apiserver::KUBERNETES_VERSION;
    format!("v{major}.{minor}.0-kubeplay")
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NodeNameError {
    #[error("node name {name:?} is not a valid Kubernetes name: {reasons}")]
    Invalid { name: String, reasons: String },
}

/// The node name: the one given, else the host name in lower case (as the kubelet does).
pub fn node_name(given: Option<&str>, hostname: &str) -> Result<String, NodeNameError> {
    let name = match given {
        Some(n) => n.to_string(),
        None => hostname.trim().to_ascii_lowercase(),
    };
    let reasons = is_dns1123_subdomain(&name);
    if reasons.is_empty() {
        Ok(name)
    } else {
        Err(NodeNameError::Invalid {
            name,
            reasons: reasons.join("; "),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFacts {
    pub name: String,
    pub hostname: String,
    pub cpu_cores: u32,
    pub memory_kib: u64,
    pub architecture: String,
    pub kernel_version: String,
    pub os_image: String,
    /// `docker://<engine version>`.
    pub container_runtime_version: String,
    pub machine_id: String,
    pub boot_id: String,
    pub internal_ip: IpAddr,
}

impl NodeFacts {
    /// Reads this machine. Anything unreadable falls back to what the kubelet would show for
    /// an unknown value, never to an invented number: cores and memory always come from the OS.
    pub fn gather(node_name: String, docker_version: &str) -> NodeFacts {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let hostname = read("/proc/sys/kernel/hostname").trim().to_string();
        let cpu_cores = count_processors(&read("/proc/cpuinfo"))
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32));
        NodeFacts {
            name: node_name,
            hostname,
            cpu_cores,
            memory_kib: meminfo_kib(&read("/proc/meminfo"), "MemTotal").unwrap_or(0),
            architecture: kube_architecture(std::env::consts::ARCH).to_string(),
            kernel_version: read("/proc/sys/kernel/osrelease").trim().to_string(),
            os_image: os_image(&read("/etc/os-release")),
            container_runtime_version: format!("docker://{docker_version}"),
            machine_id: read("/etc/machine-id").trim().to_string(),
            boot_id: read("/proc/sys/kernel/random/boot_id")
                .trim()
                .replace('-', ""),
            internal_ip: primary_ip(),
        }
    }

    pub fn allocatable_memory_kib(&self) -> u64 {
        self.memory_kib.saturating_sub(EVICTION_HARD_MEMORY_KIB)
    }

    /// What the agent registers as: the Node's capacity, nodeInfo, addresses and kubelet labels.
    pub fn registration(&self) -> NodeRegistration {
        let resources = |memory_kib: u64| -> ResourceList {
            [
                ("cpu", self.cpu_cores.to_string()),
                ("memory", format!("{memory_kib}Ki")),
                ("pods", MAX_PODS.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
        };
        let labels = [
            ("kubernetes.io/hostname", self.name.as_str()),
            ("kubernetes.io/os", "linux"),
            ("kubernetes.io/arch", self.architecture.as_str()),
            ("beta.kubernetes.io/os", "linux"),
            ("beta.kubernetes.io/arch", self.architecture.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
        NodeRegistration {
            node_name: self.name.clone(),
            capacity: resources(self.memory_kib),
            allocatable: resources(self.allocatable_memory_kib()),
            node_info: NodeInfo {
                machine_id: self.machine_id.clone(),
                system_uuid: self.machine_id.clone(),
                boot_id: self.boot_id.clone(),
                kernel_version: self.kernel_version.clone(),
                os_image: self.os_image.clone(),
                container_runtime_version: self.container_runtime_version.clone(),
                kubelet_version: kubelet_version(),
                kube_proxy_version: String::new(),
                operating_system: "linux".to_string(),
                architecture: self.architecture.clone(),
            },
            addresses: vec![
                NodeAddress {
                    kind: "InternalIP".into(),
                    address: self.internal_ip.to_string(),
                },
                NodeAddress {
                    kind: "Hostname".into(),
                    address: self.hostname.clone(),
                },
            ],
            labels,
            features: Vec::new(),
        }
    }
}

/// The node's conditions as the kubelet words them; the control plane stamps the times.
pub fn status_report(memory_pressure: bool) -> NodeStatusReport {
    let condition = |kind: &str, status: bool, reason: &str, message: &str| NodeCondition {
        kind: kind.to_string(),
        status: if status { "True" } else { "False" }.to_string(),
        reason: reason.to_string(),
        message: message.to_string(),
    };
    let memory = if memory_pressure {
        condition(
            "MemoryPressure",
            true,
            "KubeletHasInsufficientMemory",
            "kubelet has insufficient memory available",
        )
    } else {
        condition(
            "MemoryPressure",
            false,
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        )
    };
    NodeStatusReport {
        conditions: vec![
            memory,
            condition(
                "DiskPressure",
                false,
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            ),
            condition(
                "PIDPressure",
                false,
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            ),
            condition(
                "Ready",
                true,
                "KubeletReady",
                "kubelet is posting ready status",
            ),
        ],
        images: Vec::new(),
    }
}

/// Whether the machine is under the kubelet's memory eviction threshold right now.
pub fn memory_pressure() -> bool {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| meminfo_kib(&text, "MemAvailable"))
        .is_some_and(|available| available < EVICTION_HARD_MEMORY_KIB)
}

/// Kubernetes (Go) names for Rust's target architectures.
pub fn kube_architecture(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

fn count_processors(cpuinfo: &str) -> Option<u32> {
    let n = cpuinfo
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count() as u32;
    (n > 0).then_some(n)
}

/// A `/proc/meminfo` field in KiB (the file says "kB" and means KiB).
fn meminfo_kib(meminfo: &str, field: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let (key, rest) = line.split_once(':')?;
        (key.trim() == field).then(|| rest.split_whitespace().next()?.parse().ok())?
    })
}

/// `PRETTY_NAME` from os-release, as the kubelet reports `osImage`.
fn os_image(os_release: &str) -> String {
    os_release
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "Linux".to_string())
}

/// The address of the interface that holds the default route: connecting a UDP socket picks the
/// route without sending anything. Loopback when the machine has no route out.
fn primary_ip() -> IpAddr {
    let probe = || -> std::io::Result<IpAddr> {
        let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
        Ok(socket.local_addr()?.ip())
    };
    probe().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> NodeFacts {
        NodeFacts {
            name: "pi-1".into(),
            hostname: "pi-1".into(),
            cpu_cores: 4,
            memory_kib: 8_000_000,
            architecture: "arm64".into(),
            kernel_version: "6.6.31+rpt-rpi-v8".into(),
            os_image: "Debian GNU/Linux 12 (bookworm)".into(),
            container_runtime_version: "docker://27.3.1".into(),
            machine_id: "abc".into(),
            boot_id: "def".into(),
            internal_ip: "192.168.1.20".parse().unwrap(),
        }
    }

    #[test]
    fn memory_is_read_in_kib_and_allocatable_keeps_the_eviction_threshold() {
        let meminfo = "MemTotal:        8000000 kB\nMemFree:  100 kB\nMemAvailable:   50000 kB\n";
        assert_eq!(meminfo_kib(meminfo, "MemTotal"), Some(8_000_000));
        assert_eq!(meminfo_kib(meminfo, "MemAvailable"), Some(50_000));
        let registration = facts().registration();
        assert_eq!(registration.capacity["memory"], "8000000Ki");
        assert_eq!(registration.allocatable["memory"], "7897600Ki");
        assert_eq!(registration.capacity["pods"], "110");
        assert_eq!(registration.capacity["cpu"], "4");
    }

    #[test]
    fn processors_are_counted_from_cpuinfo() {
        let cpuinfo = "processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\nmodel name\t: x\n";
        assert_eq!(count_processors(cpuinfo), Some(2));
        assert_eq!(count_processors(""), None);
    }

    #[test]
    fn architectures_use_kubernetes_names() {
        assert_eq!(kube_architecture("x86_64"), "amd64");
        assert_eq!(kube_architecture("aarch64"), "arm64");
    }

    #[test]
    fn os_image_is_the_pretty_name() {
        let text = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(os_image(text), "Debian GNU/Linux 12 (bookworm)");
        assert_eq!(os_image(""), "Linux");
    }

    #[test]
    fn the_registration_carries_kubelet_labels_runtime_and_addresses() {
        let registration = facts().registration();
        assert_eq!(registration.labels["kubernetes.io/arch"], "arm64");
        let info = &registration.node_info;
        assert_eq!(info.container_runtime_version, "docker://27.3.1");
        assert_eq!(info.kubelet_version, kubelet_version());
        assert_eq!(info.operating_system, "linux");
        assert_eq!(registration.addresses[0].kind, "InternalIP");
        assert_eq!(registration.addresses[0].address, "192.168.1.20");
        assert_eq!(registration.addresses[1].address, "pi-1");
    }

    #[test]
    fn the_node_is_ready_and_memory_pressure_turns_its_condition_true() {
        let calm = status_report(false);
        assert_eq!(
            (
                calm.conditions[3].kind.as_str(),
                calm.conditions[3].status.as_str()
            ),
            ("Ready", "True")
        );
        assert_eq!(calm.conditions[0].status, "False");
        let pressed = status_report(true);
        assert_eq!(pressed.conditions[0].status, "True");
        assert_eq!(pressed.conditions[0].reason, "KubeletHasInsufficientMemory");
    }

    #[test]
    fn node_names_default_to_the_lowercased_host_name_and_must_be_valid() {
        assert_eq!(node_name(None, "MyPi\n").unwrap(), "mypi");
        assert_eq!(node_name(Some("worker-2"), "x").unwrap(), "worker-2");
        assert!(matches!(
            node_name(Some("Bad_Name"), "x"),
            Err(NodeNameError::Invalid { .. })
        ));
    }

    #[test]
    fn kubelet_version_names_the_kubernetes_minor() {
        assert!(kubelet_version().starts_with("v1."));
        assert!(kubelet_version().ends_with(".0-kubeplay"));
    }

    #[test]
    fn gathering_reads_this_machine() {
        let facts = NodeFacts::gather("n".into(), "20.10.24");
        assert!(facts.cpu_cores >= 1);
        assert!(facts.memory_kib > 0);
        assert!(!facts.kernel_version.is_empty());
        assert_eq!(facts.container_runtime_version, "docker://20.10.24");
    }
}
