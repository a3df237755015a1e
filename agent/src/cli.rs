//! The command line: `run` serves the node link (and the Kubernetes API), `reset` removes
//! everything the agent created, `kubeconfig` prints kubectl's configuration for the agent,
//! `version` says what it is. Parsing only; `main` decides what each command does.

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "kubeplay-agent",
    version,
    about = "A Kubeplay node: runs the playground's pods on this machine's Docker engine"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the node link (WebSocket) that a Kubeplay page or control plane connects to.
    ///
    /// One control plane drives the node at a time: a new connection (say, a reloaded tab)
    /// replaces the current one, which is closed with the reason. Pods keep running while no
    /// control plane is connected and when the agent stops; the next `run` adopts them.
    /// Exits with status 3, saying how to fix it, when no Docker engine answers.
    Run(RunArgs),
    /// Remove every container, volume and file this agent created for its node on this machine.
    Reset(ResetArgs),
    /// Print a kubeconfig (context `kubeplay`) with which kubectl talks to this agent's
    /// Kubernetes API: `kubeplay-agent kubeconfig > kubeplay.yaml; KUBECONFIG=kubeplay.yaml kubectl get nodes`.
    Kubeconfig(KubeconfigArgs),
    /// Print the agent's version and the Kubernetes version its node reports.
    Version,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Address to listen on (port 0 picks a free port; the URL printed at start says which).
    #[arg(long, default_value = "127.0.0.1:7443")]
    pub listen: SocketAddr,
    /// Join token every connection must present (a random one is generated when absent).
    #[arg(long, env = "KUBEPLAY_AGENT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Browser origin allowed to connect, e.g. http://127.0.0.1:8080 (repeatable). Connections
    /// that send no Origin header (kubectl, scripts) only need the token.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Node name to register (defaults to the host name).
    #[arg(long)]
    pub node_name: Option<String>,
    /// Where the agent keeps volume data and its own state (its TLS CA and certificate too).
    #[arg(long, default_value_os_t = default_state_dir())]
    pub state_dir: PathBuf,
    /// Another name or IP address the HTTPS certificate must cover, besides localhost, the host
    /// name and this machine's addresses (repeatable), e.g. a DNS name kubectl reaches it by.
    #[arg(long = "tls-san", value_name = "NAME_OR_IP")]
    pub tls_san: Vec<String>,
    /// Port (all interfaces) where other agents reach this node's pods for Service traffic,
    /// with the relay key of the control plane driving this agent; 0 picks a free one.
    /// Announced to the cluster as the Node label kubeplay.dev/proxy-port.
    #[arg(long, default_value_t = 10260)]
    pub proxy_port: u16,
    /// The Docker network (a bridge) this node's pods join, instead of the engine's default
    /// bridge. Give each agent sharing one Docker engine a network of its own to keep their pods
    /// apart, as pods on different machines are.
    #[arg(long, value_name = "NETWORK")]
    pub pod_network: Option<String>,
    /// Serve as the ingress controller for IngressClass `kubeplay` on this port (all
    /// interfaces): HTTP routed by host and path to Services.
    #[arg(long)]
    pub ingress_port: Option<u16>,
    /// Host a Kubeplay control plane inside the agent (the page's core, on the wall clock), for
    /// kubectl-only use, headless demos and tests; kubectl reaches it on the listen address.
    #[arg(long)]
    pub embedded_control_plane: bool,
    /// Simulated nodes the embedded control plane starts with (node-1 … node-N).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        requires = "embedded_control_plane"
    )]
    pub simulated_nodes: u32,
    /// Let `kubectl port-forward --address ADDR` typed in a page listen on ADDR of this machine
    /// (repeatable). Without it a page's port-forward listens on loopback only: anything else
    /// would open this machine's ports to the network.
    #[arg(long = "allow-port-forward-address", value_name = "ADDR")]
    pub allow_port_forward_address: Vec<std::net::IpAddr>,
    /// Keep this machine out of the embedded control plane (no Docker engine needed).
    #[arg(long, requires = "embedded_control_plane")]
    pub no_local_node: bool,
}

#[derive(clap::Args, Debug)]
pub struct KubeconfigArgs {
    /// The agent's Kubernetes API, as `run` printed it.
    #[arg(long, default_value = "https://127.0.0.1:7443")]
    pub server: String,
    /// The agent's join token, which kubectl presents as its bearer token.
    #[arg(long, env = "KUBEPLAY_AGENT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The state directory `run` used: its CA goes into the kubeconfig.
    #[arg(long, default_value_os_t = default_state_dir())]
    pub state_dir: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct ResetArgs {
    /// The node whose pods to remove: the name `run` registered (defaults to the host name).
    #[arg(long)]
    pub node_name: Option<String>,
    /// The state directory `run` used; its pod data is removed too.
    #[arg(long, default_value_os_t = default_state_dir())]
    pub state_dir: PathBuf,
}

/// `$XDG_STATE_HOME/kubeplay-agent`, else `~/.local/state/kubeplay-agent`, else a directory
/// under the system temp dir: somewhere a non-root user can always write.
pub fn default_state_dir() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local").join("state"))
        })
        .unwrap_or_else(std::env::temp_dir);
    base.join("kubeplay-agent")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_takes_repeated_origins_and_defaults_to_loopback() {
        let cli = Cli::try_parse_from([
            "kubeplay-agent",
            "run",
            "--allow-origin",
            "http://a",
            "--allow-origin",
            "http://b",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.allow_origin, ["http://a", "http://b"]);
        assert!(args.tls_san.is_empty());
        assert_eq!(args.listen, "127.0.0.1:7443".parse().unwrap());
        assert!(args.state_dir.ends_with("kubeplay-agent"));
    }

    #[test]
    fn a_listen_address_that_is_not_one_is_refused() {
        let err =
            Cli::try_parse_from(["kubeplay-agent", "run", "--listen", "localhost"]).unwrap_err();
        assert!(err.to_string().contains("--listen"), "{err}");
    }

    #[test]
    fn simulated_nodes_need_the_embedded_control_plane() {
        let err =
            Cli::try_parse_from(["kubeplay-agent", "run", "--simulated-nodes", "3"]).unwrap_err();
        assert!(
            err.to_string().contains("--embedded-control-plane"),
            "{err}"
        );
        let cli = Cli::try_parse_from([
            "kubeplay-agent",
            "run",
            "--embedded-control-plane",
            "--simulated-nodes",
            "3",
            "--no-local-node",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert!(args.embedded_control_plane && args.no_local_node);
        assert_eq!(args.simulated_nodes, 3);
    }

    #[test]
    fn tls_sans_repeat_and_kubeconfig_defaults_to_https() {
        let cli = Cli::try_parse_from([
            "kubeplay-agent",
            "run",
            "--tls-san",
            "play.example",
            "--tls-san",
            "10.0.0.9",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(args.tls_san, ["play.example", "10.0.0.9"]);
        let cli = Cli::try_parse_from(["kubeplay-agent", "kubeconfig"]).unwrap();
        let Command::Kubeconfig(args) = cli.command else {
            panic!("not kubeconfig")
        };
        assert_eq!(args.server, "https://127.0.0.1:7443");
        assert!(args.state_dir.ends_with("kubeplay-agent"));
    }

    #[test]
    fn reset_takes_the_state_dir() {
        let cli =
            Cli::try_parse_from(["kubeplay-agent", "reset", "--state-dir", "/tmp/x"]).unwrap();
        let Command::Reset(args) = cli.command else {
            panic!("not reset")
        };
        assert_eq!(args.state_dir, PathBuf::from("/tmp/x"));
    }
}
