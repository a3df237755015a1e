//! `cargo xtask play [ADDR]`: the page on a local port, rebuilt on every save by `trunk serve`.

use crate::error::{Result, XtaskError};
use crate::setup;
use crate::tools;

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

pub fn run(addr: Option<&str>) -> Result<()> {
    let (host, port) = split_addr(addr.unwrap_or(DEFAULT_ADDR))?;
    setup::run()?;
    println!("xtask: serving Kubeplay on http://{host}:{port}/ (Ctrl-C stops)");
    tools::run(tools::trunk().args(["serve", "--address", host, "--port", port]))
}

/// `HOST:PORT`, or a bare port meaning loopback.
fn split_addr(addr: &str) -> Result<(&str, &str)> {
    let (host, port) = addr.rsplit_once(':').unwrap_or(("127.0.0.1", addr));
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(XtaskError::Invalid(format!(
            "expected HOST:PORT or PORT, got `{addr}`"
        )));
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_splits_into_host_and_port() {
        assert_eq!(split_addr("0.0.0.0:9000").ok(), Some(("0.0.0.0", "9000")));
        assert_eq!(split_addr("3000").ok(), Some(("127.0.0.1", "3000")));
    }

    #[test]
    fn address_without_a_valid_port_is_rejected() {
        assert!(split_addr("localhost:http").is_err());
        assert!(split_addr(":80").is_err());
    }
}
