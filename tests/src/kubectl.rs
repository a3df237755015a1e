//! Harness for the real kubectl (and helm) against `kubeplay-agent run --embedded-control-plane`:
//! finds the binaries `cargo xtask kubectl` cached, starts the agent on a free port with a state
//! directory of its own (its TLS CA), writes the kubeconfig `kubeplay-agent kubeconfig` prints
//! (HTTPS, the CA, the token as bearer token), and runs kubectl with a home of its own (so its discovery cache
//! and helm's state belong to the test).
//!
//! Tests call [`tools_or_skip`]: without a cached kubectl they skip loudly, under `CI=true` they
//! fail.

pub mod port_forward;

use crate::agent::binary::agent_binary;
use crate::agent::{AgentOptions, AgentProcess};
use crate::locate::output_dir;
use crate::policy::is_ci;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the agent may take to print its address.
const START_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum KubectlHarnessError {
    #[error("{0} not found: run `cargo xtask kubectl` (or set {1})")]
    Missing(&'static str, &'static str),
    #[error("starting kubeplay-agent failed: {0}")]
    Start(String),
    #[error("running {0} failed: {1}")]
    Run(String, String),
}

pub type Result<T> = std::result::Result<T, KubectlHarnessError>;

/// The tools cache `cargo xtask kubectl` fills: `$KUBEPLAY_TOOLS_DIR`, else
/// `$XDG_CACHE_HOME/kubeplay/tools`, else `~/.cache/kubeplay/tools`.
pub fn tools_dir() -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = env("KUBEPLAY_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    env("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("kubeplay")
        .join("tools")
}

fn tool(name: &'static str, env: &'static str) -> Result<PathBuf> {
    let path = std::env::var_os(env)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| tools_dir().join(name));
    if path.is_file() {
        Ok(path)
    } else {
        Err(KubectlHarnessError::Missing(name, env))
    }
}

/// The real kubectl and helm.
#[derive(Debug, Clone)]
pub struct Tools {
    pub kubectl: PathBuf,
    pub helm: PathBuf,
}

impl Tools {
    pub fn find() -> Result<Tools> {
        Ok(Tools {
            kubectl: tool("kubectl", "KUBEPLAY_KUBECTL")?,
            helm: tool("helm", "KUBEPLAY_HELM")?,
        })
    }
}

/// The tools, or `None` after a loud notice when this machine has none (a failure under CI).
pub fn tools_or_skip(test: &str) -> Option<Tools> {
    match Tools::find() {
        Ok(tools) => Some(tools),
        Err(e) if is_ci() => panic!("{test}: CI=true requires the kubectl tests to run, but: {e}"),
        Err(e) => {
            eprintln!("\n######## SKIPPED kubectl test {test}: {e} ########\n");
            None
        }
    }
}

/// What a finished command printed.
#[derive(Debug, Clone)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `kubeplay-agent run --embedded-control-plane` (without a local node unless asked), or an
/// agent the test runs itself ([`Cluster::attach`]), and kubectl pointed at it.
pub struct Cluster {
    /// The agent this harness started, stopped with it.
    child: Option<Child>,
    pub server: String,
    pub token: String,
    /// The kubectl/helm home: kubeconfig, discovery cache, helm's config.
    pub home: PathBuf,
    pub kubeconfig: PathBuf,
    /// The agent's `--state-dir`, where its CA lives.
    pub state_dir: PathBuf,
    pub tools: Tools,
    pub log: PathBuf,
}

impl Cluster {
    /// Starts an agent hosting a control plane with `nodes` simulated nodes; `name` keeps its
    /// files apart from other tests'.
    pub fn start(tools: Tools, name: &str, nodes: u32) -> Result<Cluster> {
        let binary = agent_binary().map_err(|e| KubectlHarnessError::Start(e.to_string()))?;
        Self::start_with(&binary, tools, name, nodes)
    }

    /// Like [`Cluster::start`] with a given agent binary (the benchmark's release build).
    pub fn start_with(binary: &Path, tools: Tools, name: &str, nodes: u32) -> Result<Cluster> {
        Self::start_agent(binary, tools, name, nodes, &["--no-local-node".to_string()])
    }

    /// Like [`Cluster::start`], with this machine as a real node on Docker besides the
    /// simulated ones: `node_args` name it (`--node-name`, …); its state dir is
    /// [`Cluster::state_dir_for`] `name`.
    pub fn start_with_local_node(
        tools: Tools,
        name: &str,
        nodes: u32,
        node_args: &[String],
    ) -> Result<Cluster> {
        let binary = agent_binary().map_err(|e| KubectlHarnessError::Start(e.to_string()))?;
        Self::start_agent(&binary, tools, name, nodes, node_args)
    }

    /// The agent's `--state-dir` for the cluster called `name`: known before it starts, so a
    /// test can `kubeplay-agent reset` what an earlier run left.
    pub fn state_dir_for(name: &str) -> PathBuf {
        Self::home_for(name).join("agent-state")
    }

    fn home_for(name: &str) -> PathBuf {
        output_dir().join(format!("kubectl-{name}"))
    }

    fn start_agent(
        binary: &Path,
        tools: Tools,
        name: &str,
        nodes: u32,
        node_args: &[String],
    ) -> Result<Cluster> {
        let home = Self::home_for(name);
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home)
            .map_err(|e| KubectlHarnessError::Start(format!("{}: {e}", home.display())))?;
        let token = format!("kubectl-e2e-{name}-0123456789");
        let state_dir = Self::state_dir_for(name);
        let log = home.join("agent.log");
        let stderr = std::fs::File::create(&log)
            .map_err(|e| KubectlHarnessError::Start(format!("{}: {e}", log.display())))?;
        let mut child = Command::new(binary)
            .args(["run", "--listen", "127.0.0.1:0", "--embedded-control-plane"])
            .args(node_args)
            .args(["--simulated-nodes", &nodes.to_string(), "--token", &token])
            .arg("--state-dir")
            .arg(&state_dir)
            .env_remove("KUBEPLAY_AGENT_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| KubectlHarnessError::Start(format!("{}: {e}", binary.display())))?;
        let server = match read_server(&mut child) {
            Ok(server) => server,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(KubectlHarnessError::Start(format!("{e}\nlog:\n{log_text}")));
            }
        };
        let mut cluster = Self::configure(binary, tools, home, &server, &token, state_dir, log)?;
        cluster.child = Some(child);
        Ok(cluster)
    }

    /// kubectl pointed at an agent the test started itself with `options` (its CA is in their
    /// `--state-dir`): its API is served on the same address as its `ws://…/v1/connect` link.
    pub fn attach(
        tools: Tools,
        name: &str,
        agent: &AgentProcess,
        options: &AgentOptions,
    ) -> Result<Cluster> {
        let server = agent
            .url
            .replacen("ws://", "https://", 1)
            .trim_end_matches("/v1/connect")
            .to_string();
        let binary = agent_binary().map_err(|e| KubectlHarnessError::Start(e.to_string()))?;
        let home = Self::home_for(name);
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home)
            .map_err(|e| KubectlHarnessError::Start(format!("{}: {e}", home.display())))?;
        Self::configure(
            &binary,
            tools,
            home,
            &server,
            &agent.token,
            options.state_dir.clone(),
            agent.log.clone(),
        )
    }

    /// Writes the kubeconfig `kubeplay-agent kubeconfig` prints into `home`.
    fn configure(
        binary: &Path,
        tools: Tools,
        home: PathBuf,
        server: &str,
        token: &str,
        state_dir: PathBuf,
        log: PathBuf,
    ) -> Result<Cluster> {
        let config = Command::new(binary)
            .args(["kubeconfig", "--server", server, "--token", token])
            .arg("--state-dir")
            .arg(&state_dir)
            .env_remove("KUBEPLAY_AGENT_TOKEN")
            .output()
            .map_err(|e| KubectlHarnessError::Start(e.to_string()))?;
        if !config.status.success() {
            return Err(KubectlHarnessError::Start(format!(
                "kubeplay-agent kubeconfig: {}",
                String::from_utf8_lossy(&config.stderr)
            )));
        }
        let kubeconfig = home.join("kubeconfig");
        std::fs::write(&kubeconfig, &config.stdout)
            .map_err(|e| KubectlHarnessError::Start(format!("{}: {e}", kubeconfig.display())))?;
        Ok(Cluster {
            child: None,
            server: server.to_string(),
            token: token.to_string(),
            home,
            kubeconfig,
            state_dir,
            tools,
            log,
        })
    }

    /// A command for `program` with this cluster's kubeconfig and home.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(&self.home)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &self.home)
            .env_remove("XDG_CACHE_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .stdin(Stdio::null());
        command
    }

    /// Runs kubectl with `args` to completion.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        run(self.command(&self.tools.kubectl).args(args), None)
    }

    /// Runs kubectl with `stdin` piped in (`apply -f -`).
    pub fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> Output {
        run(self.command(&self.tools.kubectl).args(args), Some(stdin))
    }

    pub fn helm(&self, args: &[&str]) -> Output {
        run(self.command(&self.tools.helm).args(args), None)
    }

    /// Starts kubectl and collects its stdout lines as they come (`get -w`, `logs -f`).
    pub fn kubectl_streaming(&self, args: &[&str]) -> Result<Streaming> {
        let mut child = self
            .command(&self.tools.kubectl)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| KubectlHarnessError::Run("kubectl".into(), e.to_string()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| KubectlHarnessError::Run("kubectl".into(), "no stdout".into()))?;
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
        Ok(Streaming {
            child,
            lines: rx,
            seen: Vec::new(),
        })
    }

    /// Polls `kubectl args` until `done` accepts its output; the last output on timeout.
    pub fn kubectl_until(
        &self,
        args: &[&str],
        limit: Duration,
        done: impl Fn(&Output) -> bool,
    ) -> std::result::Result<Output, Output> {
        let deadline = Instant::now() + limit;
        loop {
            let out = self.kubectl(args);
            if done(&out) {
                return Ok(out);
            }
            if Instant::now() > deadline {
                return Err(out);
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A running kubectl whose stdout lines arrive on a channel.
pub struct Streaming {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line received so far.
    pub seen: Vec<String>,
}

impl Streaming {
    /// Waits until a line satisfies `wanted`; every line seen so far on timeout.
    pub fn wait_for_line(
        &mut self,
        limit: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> std::result::Result<String, Vec<String>> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return Ok(line);
                    }
                }
                Err(_) => return Err(self.seen.clone()),
            }
        }
    }

    /// Stops kubectl (as Ctrl+C would end it) and returns its exit status.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for kubectl to end by itself: its exit status and every line it printed, or
    /// `None` when it is still running after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<(ExitStatus, Vec<String>)> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                // The reader thread ends with kubectl's stdout: take all it read.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
                    self.seen.push(line);
                }
                return Some((status, self.seen.clone()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Whether kubectl is still running (a follow must not end by itself).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(command: &mut Command, stdin: Option<&str>) -> Output {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let described = format!("{command:?}");
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Output {
                code: None,
                stdout: String::new(),
                stderr: format!("cannot run {described}: {e}"),
            }
        }
    };
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    match child.wait_with_output() {
        Ok(out) => Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        },
        Err(e) => Output {
            code: None,
            stdout: String::new(),
            stderr: format!("{described}: {e}"),
        },
    }
}

/// Reads the agent's banner until it names its server.
fn read_server(child: &mut Child) -> std::result::Result<String, String> {
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            if tx.send(line).is_err() {
                // Keep reading so the agent never blocks on a full pipe.
                continue;
            }
        }
    });
    let deadline = Instant::now() + START_LIMIT;
    let mut banner = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .map_err(|_| format!("no server address printed; stdout:\n{banner}"))?;
        banner.push_str(&line);
        banner.push('\n');
        if let Some(server) = line.trim().strip_prefix("Server:") {
            return Ok(server.trim().to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_dir_ends_in_the_kubeplay_cache() {
        assert!(tools_dir().ends_with("tools"));
    }

    #[test]
    fn output_shows_both_streams() {
        let out = Output {
            code: Some(1),
            stdout: "a\n".into(),
            stderr: "b\n".into(),
        };
        assert!(!out.ok());
        assert_eq!(
            out.to_string(),
            "exit Some(1)\n--- stdout\na\n--- stderr\nb\n"
        );
    }
}
