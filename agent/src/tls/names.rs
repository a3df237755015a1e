//! The names the agent's serving certificate is valid for: every name kubectl may reach this
//! machine by without the user asking (loopback, the host name, each interface address), plus
//! what the user adds with `--tls-san` (a DNS name behind a tunnel, a NAT address).

use std::collections::BTreeSet;
use std::net::IpAddr;

/// Always in the certificate: kubectl on the machine itself.
const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    #[error("--tls-san {0:?} is neither an IP address nor a DNS name (letters, digits, '-' and '.', optionally starting with '*.')")]
    NotAName(String),
}

/// The subject alternative names, sorted and without repeats, so two runs on an unchanged
/// machine ask for the same set and the stored certificate is reused.
pub fn subject_alt_names(
    hostname: &str,
    addresses: &[IpAddr],
    extra: &[String],
) -> Result<Vec<String>, NameError> {
    let mut names: BTreeSet<String> = LOOPBACK_NAMES.iter().map(|n| n.to_string()).collect();
    let hostname = hostname.trim().to_ascii_lowercase();
    if is_dns_name(&hostname) {
        names.insert(hostname);
    }
    names.extend(
        addresses
            .iter()
            .filter(|ip| !ip.is_loopback())
            .map(IpAddr::to_string),
    );
    for name in extra {
        let name = name.trim();
        if let Ok(ip) = name.parse::<IpAddr>() {
            names.insert(ip.to_string());
        } else if is_dns_name(name) || name.strip_prefix("*.").is_some_and(is_dns_name) {
            names.insert(name.to_ascii_lowercase());
        } else {
            return Err(NameError::NotAName(name.to_string()));
        }
    }
    Ok(names.into_iter().collect())
}

/// This machine's interface addresses (loopback ones are dropped by [`subject_alt_names`]).
/// An empty list when the OS will not tell: the certificate then covers loopback only.
pub fn machine_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces.iter().map(if_addrs::Interface::ip).collect(),
        Err(e) => {
            tracing::warn!("cannot list this machine's addresses for the TLS certificate ({e}); it covers loopback and the host name only");
            Vec::new()
        }
    }
}

/// An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
fn is_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_host_name_and_interface_addresses_are_covered() {
        let addrs: Vec<IpAddr> = vec![
            "127.0.0.1".parse().unwrap(),
            "192.168.1.20".parse().unwrap(),
            "fd00::7".parse().unwrap(),
            "::1".parse().unwrap(),
        ];
        let names = subject_alt_names("Build-Box\n", &addrs, &[]).unwrap();
        assert_eq!(
            names,
            [
                "127.0.0.1",
                "192.168.1.20",
                "::1",
                "build-box",
                "fd00::7",
                "localhost"
            ]
        );
    }

    #[test]
    fn extra_names_are_added_and_nonsense_is_refused() {
        let extra = vec!["play.example.com".to_string(), "10.0.0.9".to_string()];
        let names = subject_alt_names("", &[], &extra).unwrap();
        assert!(names.contains(&"play.example.com".to_string()));
        assert!(names.contains(&"10.0.0.9".to_string()));
        assert!(!names.contains(&String::new()));
        assert_eq!(
            subject_alt_names("h", &[], &["not a name".to_string()]).unwrap_err(),
            NameError::NotAName("not a name".into())
        );
    }

    #[test]
    fn the_same_machine_asks_for_the_same_names_in_any_order() {
        let a: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let b: Vec<IpAddr> = a.iter().rev().copied().collect();
        assert_eq!(
            subject_alt_names("h", &a, &[]).unwrap(),
            subject_alt_names("h", &b, &[]).unwrap()
        );
    }
}
