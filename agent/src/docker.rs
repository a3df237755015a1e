//! Reaching the Docker engine, or saying clearly why not and how to fix it: without an engine
//! the agent cannot run a single pod, so it stops at start rather than registering a dead node.

use bollard::Docker;
use std::time::Duration;

/// How long the first ping may take before the engine counts as unreachable.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// The engine the agent reached (the pod runtime opens its own client to it).
#[derive(Debug, Clone)]
pub struct Engine {
    /// The engine's version, e.g. `27.3.1` (shown as `docker://27.3.1` on the node).
    pub version: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{}", explain(.host, .cause))]
pub struct DockerUnavailable {
    /// Where the agent looked (`DOCKER_HOST`, or the default socket).
    pub host: String,
    pub cause: String,
}

/// Connects through `DOCKER_HOST` or the default socket, pings, and agrees on an API version.
pub async fn connect() -> Result<Engine, DockerUnavailable> {
    let host = default_host();
    let unavailable = |cause: String| DockerUnavailable {
        host: host.clone(),
        cause,
    };
    let docker = Docker::connect_with_defaults().map_err(|e| unavailable(e.to_string()))?;
    let attempt = async {
        let docker = docker.negotiate_version().await?;
        let version = docker.version().await?;
        let _ = docker;
        Ok::<_, bollard::errors::Error>(Engine {
            version: version.version.unwrap_or_else(|| "unknown".to_string()),
        })
    };
    match tokio::time::timeout(PING_TIMEOUT, attempt).await {
        Ok(Ok(engine)) => Ok(engine),
        Ok(Err(e)) => Err(unavailable(error_chain(&e))),
        Err(_) => Err(unavailable(format!(
            "no answer within {} s",
            PING_TIMEOUT.as_secs()
        ))),
    }
}

fn default_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string())
}

/// The error and its sources, so "permission denied" deep in hyper reaches the user.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let message = s.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = s.source();
    }
    text
}

/// What the user reads when the engine cannot be reached: the cause first, then the fix that
/// matches it, then the others.
fn explain(host: &str, cause: &str) -> String {
    let lower = cause.to_ascii_lowercase();
    let likely = if lower.contains("permission denied") {
        "Your user may not use the Docker socket: run `sudo usermod -aG docker $USER`, then log out and in again (or run the agent with sudo)."
    } else if lower.contains("no such file")
        || lower.contains("not found")
        || lower.contains("connection refused")
    {
        "The Docker engine is not running: start it with `sudo systemctl start docker` (or `sudo service docker start`; on macOS/Windows, start Docker Desktop)."
    } else {
        "Check that the Docker engine is running and that DOCKER_HOST points at it."
    };
    format!(
        "cannot reach the Docker engine at {host}: {cause}\n\
         kubeplay-agent runs pods as Docker containers, so it needs a running Docker engine.\n\
         {likely}\n\
         Other fixes: start the daemon (`sudo systemctl start docker`); add your user to the docker group \
         (`sudo usermod -aG docker $USER`); or point DOCKER_HOST at the engine \
         (e.g. `export DOCKER_HOST=unix:///run/user/$UID/docker.sock` for rootless Docker)."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_socket_says_to_start_the_daemon() {
        let text = explain(
            "unix:///var/run/docker.sock",
            "Socket not found: /var/run/docker.sock",
        );
        assert!(text.starts_with("cannot reach the Docker engine at unix:///var/run/docker.sock"));
        assert!(text.contains("systemctl start docker"));
        assert!(text.contains("DOCKER_HOST"));
    }

    #[test]
    fn permission_denied_says_to_join_the_docker_group() {
        let text = explain(
            "unix:///var/run/docker.sock",
            "error trying to connect: Permission denied (os error 13)",
        );
        let first_fix = text.lines().nth(2).unwrap();
        assert!(first_fix.contains("usermod -aG docker"), "{text}");
    }
}
