//! A running `kubeplay-agent run`: started on a free port, its printed URL and token read from
//! stdout, its log kept in a file under `<target>/e2e/`, stopped (SIGTERM) or killed on drop.

use super::{AgentHarnessError, Result};
use crate::locate::output_dir;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the agent may take to connect to Docker and print its URL.
const START_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct AgentOptions {
    pub node_name: String,
    /// `None`: the agent generates one and prints it.
    pub token: Option<String>,
    pub allow_origins: Vec<String>,
    pub state_dir: PathBuf,
    /// More arguments for `run` (e.g. `--ingress-port 18080`).
    pub extra_args: Vec<String>,
    /// `--listen`: loopback on a free port unless the agent runs on a LAN machine.
    pub listen: String,
    /// The network namespace the agent runs in (`ip netns exec`), for a LAN machine.
    pub namespace: Option<String>,
}

impl AgentOptions {
    /// A node named `node_name` with a fixed token (so a restarted agent keeps it) and its own
    /// state directory.
    pub fn new(node_name: &str) -> Self {
        Self {
            node_name: node_name.to_string(),
            token: Some(format!("e2e-token-{node_name}-0123456789")),
            allow_origins: Vec::new(),
            state_dir: output_dir().join(format!("agent-state-{node_name}")),
            extra_args: Vec::new(),
            listen: "127.0.0.1:0".to_string(),
            namespace: None,
        }
    }
    /// A node as [`AgentOptions::new`] on one machine of a [`super::lan::Lan`]: the agent runs in
    /// its namespace, listens on its address and puts its pods on its network.
    pub fn on_machine(node_name: &str, machine: &super::lan::Machine) -> Self {
        Self {
            listen: format!("{}:0", machine.address),
            namespace: Some(machine.namespace.clone()),
            extra_args: vec!["--pod-network".into(), machine.pod_network.clone()],
            ..Self::new(node_name)
        }
    }
    /// A node as [`AgentOptions::new`] whose agent lets the test's page (at `origin`) connect.
    pub fn for_page(node_name: &str, origin: String) -> Self {
        Self {
            allow_origins: vec![origin],
            ..Self::new(node_name)
        }
    }
}

pub struct AgentProcess {
    child: Child,
    pub url: String,
    pub token: String,
    /// Everything the agent printed, stdout then log (stderr), for failure messages.
    pub log: PathBuf,
    pub banner: String,
}

impl AgentProcess {
    /// Starts an agent after `kubeplay-agent reset` of its node, so no container of an earlier
    /// run collides with this one.
    pub fn start_fresh(binary: &Path, options: &AgentOptions) -> Result<AgentProcess> {
        reset(binary, &options.node_name, &options.state_dir);
        Self::start(binary, options)
    }

    pub fn start(binary: &Path, options: &AgentOptions) -> Result<AgentProcess> {
        let dir = output_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| AgentHarnessError::Start(format!("{}: {e}", dir.display())))?;
        let log = dir.join(format!("agent-{}.log", options.node_name));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| AgentHarnessError::Start(format!("{}: {e}", log.display())))?;
        let mut command = match &options.namespace {
            Some(namespace) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", namespace]).arg(binary);
                c
            }
            None => Command::new(binary),
        };
        command
            .args([
                "run",
                "--listen",
                &options.listen,
                "--node-name",
                &options.node_name,
                "--proxy-port",
                "0",
                "--state-dir",
            ])
            .arg(&options.state_dir)
            .env_remove("KUBEPLAY_AGENT_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(token) = &options.token {
            command.args(["--token", token]);
        }
        for origin in &options.allow_origins {
            command.args(["--allow-origin", origin]);
        }
        command.args(&options.extra_args);
        let mut child = command
            .spawn()
            .map_err(|e| AgentHarnessError::Start(format!("{}: {e}", binary.display())))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| AgentHarnessError::Start("no stdout".into()))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(std::result::Result::ok)
            {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut banner = String::new();
        let (mut url, mut token) = (None, options.token.clone());
        let deadline = std::time::Instant::now() + START_LIMIT;
        while url.is_none() || token.is_none() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    banner.push_str(&line);
                    banner.push('\n');
                    if let Some(u) = line.trim().strip_prefix("URL:") {
                        url = Some(u.trim().to_string());
                    }
                    if let Some(t) = line
                        .trim()
                        .strip_prefix("Token:")
                        .filter(|_| options.token.is_none())
                    {
                        token = Some(t.trim().to_string());
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                    return Err(AgentHarnessError::Start(format!(
                        "no URL and token printed (exit {status:?}); stdout:\n{banner}\nlog:\n{log_text}"
                    )));
                }
            }
        }
        // Keep draining stdout so the agent never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Ok(AgentProcess {
            child,
            url: url.unwrap_or_default(),
            token: token.unwrap_or_default(),
            log,
            banner,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, from `/proc/<pid>/status`.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    }

    /// Stops the agent as a user would (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `kubeplay-agent reset` of `node`: removes every container and volume it made. Best effort:
/// a node that never ran has nothing to remove.
pub fn reset(binary: &Path, node: &str, state_dir: &Path) {
    let _ = Command::new(binary)
        .args(["reset", "--node-name", node, "--state-dir"])
        .arg(state_dir)
        .output();
}
