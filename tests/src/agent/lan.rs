//! Machines on one LAN, made on this machine, for tests that must be honest about the network
//! between agents.
//!
//! A [`Machine`] is a network namespace joined to the host by a veth pair (the machine at
//! `10.250.N.2`, the host's end at `10.250.N.1`, its default route) with a Docker bridge
//! network of its own (`172.29.N.0/24`) for its agent's pods (`--pod-network`). Routes and
//! firewall rules give each machine what a laptop on a LAN has, and no more:
//! - its agent reaches its own pods, and its pods reach their agent: traffic from the machine's
//!   bridge to the Service ranges (cluster IPs, cluster DNS, LoadBalancer IPs) is routed to the
//!   machine, where the agent makes those ranges local as on a real host;
//! - the machines reach each other's addresses, and the host (the test, a browser) reaches all;
//! - a machine never reaches another machine's pods: Docker keeps the bridges apart, and a rule
//!   drops anything from one machine to another's bridge. What crosses machines must go through
//!   an agent's relay, node ports or ingress, as between real machines.
//!
//! The agent process runs inside the namespace (`ip netns exec`), sharing the host's files and
//! its Docker engine socket. Needs root (namespaces, routes, iptables) and Docker;
//! [`Lan::build_or_skip`] skips loudly without them and fails under `CI=true`.
//!
//! An agent in the host's own namespace (other tests) makes the Service ranges local to the
//! host, and the kernel consults the local table first: the bridges' routing rules are
//! therefore put ahead of it ([`BRIDGE_RULE_PREF`]), the local table's rule moved behind them
//! while a LAN exists. Run LAN tests one at a time.

use super::{AgentHarnessError, Result};
use crate::policy::is_ci;
use std::net::Ipv4Addr;
use std::process::Command;

/// The ranges a node's agent makes local: Service cluster IPs (and cluster DNS) and the
/// playground's LoadBalancer IPs.
const SERVICE_RANGES: [&str; 2] = ["10.96.0.0/12", "172.18.255.192/26"];

/// The priority of the bridges' routing rules, ahead of [`LOCAL_RULE_PREF`].
const BRIDGE_RULE_PREF: u32 = 100;
/// Where the local table's rule (normally first, at 0) goes while a LAN exists.
const LOCAL_RULE_PREF: u32 = 200;

/// One machine of the LAN.
#[derive(Debug, Clone)]
pub struct Machine {
    /// The network namespace the machine's agent runs in.
    pub namespace: String,
    /// The machine's address on the LAN (its agent's node InternalIP).
    pub address: Ipv4Addr,
    /// The Docker network the machine's pods join.
    pub pod_network: String,
    /// The host's end of the machine's veth pair.
    host_link: String,
    /// The Linux bridge of [`Machine::pod_network`].
    bridge: String,
    /// The routing table that sends the bridge's Service traffic to the machine.
    table: u32,
}

/// Machines made by [`Lan::build`], taken apart on drop.
pub struct Lan {
    pub machines: Vec<Machine>,
}

impl Lan {
    /// `count` machines named after `tag` (a short word unique to the test, at most 4 bytes,
    /// used in interface names). Leftovers of an earlier run with the same tag are removed first.
    pub fn build(tag: &str, first: u8, count: u8) -> Result<Lan> {
        let machines: Vec<Machine> = (0..count)
            .map(|i| {
                let n = first + i;
                Machine {
                    namespace: format!("kplan-{tag}-{i}"),
                    address: Ipv4Addr::new(10, 250, n, 2),
                    pod_network: format!("kplan-{tag}-{i}"),
                    host_link: format!("kp{tag}{i}h"),
                    bridge: format!("kp{tag}{i}b"),
                    table: 2500 + u32::from(n),
                }
            })
            .collect();
        let mut lan = Lan { machines };
        lan.tear_down();
        local_rule_at(LOCAL_RULE_PREF)?;
        for (i, m) in lan.machines.iter().enumerate() {
            add_machine(m, first + i as u8)?;
        }
        for spec in lan.firewall() {
            let mut args = vec!["-I", "DOCKER-USER"];
            args.extend(spec.iter().map(String::as_str));
            run("iptables", &args)?;
        }
        Ok(lan)
    }

    /// [`Lan::build`], or `None` after a loud notice when this machine cannot make namespaces
    /// (not root, no `ip` or `iptables`); under `CI=true` that fails the test.
    pub fn build_or_skip(test: &str, tag: &str, first: u8, count: u8) -> Option<Lan> {
        let missing = if !is_root() {
            Some("needs root (network namespaces, routes, iptables)".to_string())
        } else {
            [("ip", "-V"), ("iptables", "--version")]
                .into_iter()
                .find(|(tool, version)| run(tool, &[version]).is_err())
                .map(|(tool, _)| format!("needs `{tool}`"))
        };
        if let Some(why) = missing {
            if is_ci() {
                panic!("{test}: CI=true requires the LAN tests to run, but it {why}");
            }
            eprintln!("\n######## SKIPPED LAN test {test}: it {why} ########\n");
            return None;
        }
        match Lan::build(tag, first, count) {
            Ok(lan) => Some(lan),
            Err(e) => panic!("{test}: could not build the LAN: {e}"),
        }
    }

    /// The firewall rules of the LAN, as `iptables` arguments after the chain. They go at the
    /// top of `DOCKER-USER`, which Docker consults before its own rules.
    fn firewall(&self) -> Vec<Vec<String>> {
        let mut rules = Vec::new();
        let rule = |i: &str, o: &str, verdict: &str| {
            ["-i", i, "-o", o, "-j", verdict]
                .map(str::to_string)
                .to_vec()
        };
        for m in &self.machines {
            rules.push(rule(&m.host_link, &m.bridge, "ACCEPT"));
            rules.push(rule(&m.bridge, &m.host_link, "ACCEPT"));
            for other in self.machines.iter().filter(|o| o.host_link != m.host_link) {
                rules.push(rule(&m.host_link, &other.host_link, "ACCEPT"));
                rules.push(rule(&m.host_link, &other.bridge, "DROP"));
            }
        }
        rules
    }

    /// Removes everything [`Lan::build`] makes, whether or not it is there.
    fn tear_down(&mut self) {
        // Each rule as often as it is there: a run that died before its drop leaves its own.
        for spec in self.firewall() {
            let mut args = vec!["-D", "DOCKER-USER"];
            args.extend(spec.iter().map(String::as_str));
            while run("iptables", &args).is_ok() {}
        }
        for m in &self.machines {
            let table = m.table.to_string();
            let rule = format!("ip rule del iif {} lookup {table}", m.bridge);
            while sh(&rule).is_ok() {}
            let _ = run("ip", &["route", "flush", "table", &table]);
            let _ = run("ip", &["link", "del", &m.host_link]);
            let _ = run("ip", &["netns", "del", &m.namespace]);
            remove_containers_on(&m.pod_network);
            let _ = run("docker", &["network", "rm", &m.pod_network]);
        }
        let _ = local_rule_at(0);
    }
}

/// Makes machine `m`, number `n` of the address plan: its namespace and link, its pods'
/// network, and the route of its bridge's Service traffic to it.
fn add_machine(m: &Machine, n: u8) -> Result<()> {
    let (ns, link, bridge, table) = (&m.namespace, &m.host_link, &m.bridge, m.table);
    let host_end = format!("10.250.{n}.1");
    sh(&format!("ip netns add {ns}"))?;
    sh(&format!(
        "ip link add {link} type veth peer name eth0 netns {ns}"
    ))?;
    sh(&format!("ip addr add {host_end}/24 dev {link}"))?;
    sh(&format!("ip link set {link} up"))?;
    sh(&format!("ip -n {ns} addr add {}/24 dev eth0", m.address))?;
    sh(&format!("ip -n {ns} link set eth0 up"))?;
    sh(&format!("ip -n {ns} link set lo up"))?;
    sh(&format!("ip -n {ns} route add default via {host_end}"))?;
    sh(&format!(
        "docker network create --driver bridge --subnet 172.29.{n}.0/24 -o com.docker.network.bridge.name={bridge} {}",
        m.pod_network
    ))?;
    for range in SERVICE_RANGES {
        sh(&format!(
            "ip route replace {range} via {} dev {link} table {table}",
            m.address
        ))?;
    }
    sh(&format!(
        "ip rule add pref {BRIDGE_RULE_PREF} iif {bridge} lookup {table}"
    ))
}

/// Moves the rule that looks up the local table to priority `pref` (0 is the kernel's own).
fn local_rule_at(pref: u32) -> Result<()> {
    let rules = Command::new("ip")
        .args(["rule", "show", "lookup", "local"])
        .output()
        .map_err(|e| AgentHarnessError::Start(format!("ip rule: {e}")))?;
    let rules = String::from_utf8_lossy(&rules.stdout);
    let prefs: Vec<&str> = rules.lines().filter_map(|l| l.split(':').next()).collect();
    if !prefs.contains(&pref.to_string().as_str()) {
        sh(&format!("ip rule add pref {pref} lookup local"))?;
    }
    for other in prefs.iter().filter(|p| **p != pref.to_string()) {
        sh(&format!("ip rule del pref {other} lookup local"))?;
    }
    Ok(())
}

/// Runs a command line whose words hold no spaces.
fn sh(line: &str) -> Result<()> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.split_first() {
        Some((program, args)) => run(program, args),
        None => Ok(()),
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        self.tear_down();
    }
}

/// Whether a TCP connection from `machine` to `address` (`IP:port`) opens within two seconds
/// (bash's `/dev/tcp`, run in the machine's namespace).
pub fn machine_connects(machine: &Machine, address: &str) -> bool {
    let (ip, port) = address.rsplit_once(':').unwrap_or((address, "80"));
    Command::new("ip")
        .args([
            "netns",
            "exec",
            &machine.namespace,
            "timeout",
            "2",
            "bash",
            "-c",
        ])
        .arg(format!("</dev/tcp/{ip}/{port}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Removes what a failed run left on `network` (its pods' containers), so the network can go.
fn remove_containers_on(network: &str) {
    let filter = format!("network={network}");
    let Ok(out) = Command::new("docker")
        .args(["ps", "-aq", "--filter", &filter])
        .output()
    else {
        return;
    };
    let ids = String::from_utf8_lossy(&out.stdout);
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if !ids.is_empty() {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(ids);
        let _ = run("docker", &args);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs `program args`, an error with its stderr unless it succeeds.
fn run(program: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| AgentHarnessError::Start(format!("{program}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(AgentHarnessError::Start(format!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
