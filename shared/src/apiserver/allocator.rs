//! Cluster IPs and node ports for Services, allocated from the host's seeded
//! randomness and refused when taken, as Kubernetes' allocators do.

use crate::rng::Rng;
use std::collections::HashSet;
use std::net::Ipv4Addr;

/// The Service CIDR kind and kubeadm default: 10.96.0.0/12.
pub const SERVICE_CIDR_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
pub const SERVICE_CIDR_SIZE: u32 = 1 << 20;
pub const NODE_PORT_RANGE: std::ops::RangeInclusive<u16> = 30000..=32767;

/// Why an allocation failed; worded as Kubernetes' messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("provided IP is already allocated")]
    IpTaken,
    #[error("provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12")]
    IpOutOfRange,
    #[error("provided port is already allocated")]
    PortTaken,
    #[error("provided port is not in the valid range. The range of valid ports is 30000-32767")]
    PortOutOfRange,
    #[error("range is full")]
    Full,
}

#[derive(Debug, Default)]
pub struct Allocator {
    ips: HashSet<u32>,
    ports: HashSet<u16>,
}

impl Allocator {
    /// Reserves a specific cluster IP (user-chosen, or restored from a saved cluster).
    pub fn claim_ip(&mut self, ip: &str) -> Result<(), AllocationError> {
        let addr: Ipv4Addr = ip.parse().map_err(|_| AllocationError::IpOutOfRange)?;
        let n = u32::from(addr);
        if !(SERVICE_CIDR_BASE..SERVICE_CIDR_BASE + SERVICE_CIDR_SIZE).contains(&n) {
            return Err(AllocationError::IpOutOfRange);
        }
        if !self.ips.insert(n) {
            return Err(AllocationError::IpTaken);
        }
        Ok(())
    }

    /// A free cluster IP, never the network address, broadcast, or `.1` (the `kubernetes` Service's).
    pub fn allocate_ip(&mut self, rng: &mut Rng) -> Result<String, AllocationError> {
        let usable = SERVICE_CIDR_SIZE - 3;
        if self.ips.len() as u32 >= usable {
            return Err(AllocationError::Full);
        }
        loop {
            let n = SERVICE_CIDR_BASE + 2 + rng.below(u64::from(usable)) as u32;
            if self.ips.insert(n) {
                return Ok(Ipv4Addr::from(n).to_string());
            }
        }
    }

    pub fn release_ip(&mut self, ip: &str) {
        if let Ok(addr) = ip.parse::<Ipv4Addr>() {
            self.ips.remove(&u32::from(addr));
        }
    }

    pub fn claim_port(&mut self, port: u16) -> Result<(), AllocationError> {
        if !NODE_PORT_RANGE.contains(&port) {
            return Err(AllocationError::PortOutOfRange);
        }
        if !self.ports.insert(port) {
            return Err(AllocationError::PortTaken);
        }
        Ok(())
    }

    pub fn allocate_port(&mut self, rng: &mut Rng) -> Result<u16, AllocationError> {
        let size = NODE_PORT_RANGE.len();
        if self.ports.len() >= size {
            return Err(AllocationError::Full);
        }
        loop {
            let p = NODE_PORT_RANGE.start() + rng.below(size as u64) as u16;
            if self.ports.insert(p) {
                return Ok(p);
            }
        }
    }

    pub fn release_port(&mut self, port: u16) {
        self.ports.remove(&port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocated_ips_are_in_range_and_unique() {
        let mut a = Allocator::default();
        let mut rng = Rng::new(1);
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let ip = a.allocate_ip(&mut rng).unwrap();
            assert!(ip.starts_with("10.9") || ip.starts_with("10.10") || ip.starts_with("10.11"), "{ip}");
            assert!(seen.insert(ip));
        }
    }

    #[test]
    fn taken_and_out_of_range_claims_are_refused() {
        let mut a = Allocator::default();
        a.claim_ip("10.96.0.10").unwrap();
        assert_eq!(a.claim_ip("10.96.0.10"), Err(AllocationError::IpTaken));
        assert_eq!(a.claim_ip("192.168.1.1"), Err(AllocationError::IpOutOfRange));
        a.claim_port(30080).unwrap();
        assert_eq!(a.claim_port(30080), Err(AllocationError::PortTaken));
        assert_eq!(a.claim_port(8080), Err(AllocationError::PortOutOfRange));
        a.release_port(30080);
        assert!(a.claim_port(30080).is_ok());
    }

    #[test]
    fn node_ports_fill_the_range_then_report_full() {
        let mut a = Allocator::default();
        let mut rng = Rng::new(3);
        for _ in 0..NODE_PORT_RANGE.len() {
            a.allocate_port(&mut rng).unwrap();
        }
        assert_eq!(a.allocate_port(&mut rng), Err(AllocationError::Full));
    }
}
