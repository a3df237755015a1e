//! `kubeplay-agent`: turns a machine into a node of a Kubeplay cluster. `run` serves the node
//! link a control plane connects to and runs its pods on the local Docker engine.
//!
//! Everything with a side effect starts here; the modules below do one job each.

mod auth;
mod cli;
mod docker;
mod embedded;
mod exec;
mod gateway;
mod kubeconfig;
mod node_info;
mod server;
mod session;
mod tls;
mod tunnel;

use anyhow::Context as _;
use auth::{Gate, OriginPolicy, Token};
use clap::Parser as _;
use cli::{Cli, Command, KubeconfigArgs, ResetArgs, RunArgs};
use kubeplay_agent::network::node::NodeNetwork;
use kubeplay_agent::runtime::{PodRuntime, RuntimeConfig, SandboxNetwork};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

/// Exit status when the Docker engine cannot be reached.
const EXIT_NO_DOCKER: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Version = cli.command {
        println!(
            "kubeplay-agent {} (kubelet {})",
            env!("CARGO_PKG_VERSION"),
            node_info::kubelet_version()
        );
        return ExitCode::SUCCESS;
    }
    if let Command::Kubeconfig(args) = &cli.command {
        return match print_kubeconfig(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("kubeplay-agent: {e}");
                ExitCode::from(2)
            }
        };
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    // One thread: the agent waits on sockets and Docker and computes little (an embedded control
    // plane has a thread of its own). A second worker only added cross-thread wake-ups: a
    // port-forward took 15% more CPU per byte with two (`cargo xtask bench --network-only`).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kubeplay-agent: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run(args).await,
            Command::Reset(args) => reset(args).await,
            Command::Version | Command::Kubeconfig(_) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::NoDocker(e)) => {
            eprintln!("kubeplay-agent: {e}");
            ExitCode::from(EXIT_NO_DOCKER)
        }
        Err(Failure::Other(e)) => {
            eprintln!("kubeplay-agent: {e:#}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    NoDocker(docker::DockerUnavailable),
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Other(e.into())
    }
}

async fn run(args: RunArgs) -> Result<(), Failure> {
    let token = match &args.token {
        Some(given) => Token::given(given).context("--token")?,
        None => Token::generate()?,
    };
    let origins = OriginPolicy::new(&args.allow_origin)?;
    if args.embedded_control_plane {
        return run_embedded(args, token, origins).await;
    }
    let node = start_node(&args).await?;
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let tls = tls_config(&args, &hostname)?;
    let (listener, bound) = bind(args.listen).await?;

    print_banner(
        &node.facts,
        &node.docker_version,
        node.adopted,
        &url(bound, &node.facts),
        &token,
        args.token.is_none(),
        &origins,
    );
    let gate = Arc::new(Gate::new(token, origins));
    let gateway = gateway::Gateway::new(
        Arc::clone(&gate),
        Arc::new(gateway::Tunnel(node.sessions.tunnel())),
        Some(node.sessions.runtime()),
    );
    server::serve(
        listener,
        tls,
        gate,
        Some(node.sessions),
        gateway,
        shutdown_signal(),
    )
    .await;
    tracing::info!("stopped; pods keep running and are adopted by the next `kubeplay-agent run`");
    Ok(())
}

/// This machine's node, ready for a control plane to connect.
struct LocalNode {
    facts: node_info::NodeFacts,
    docker_version: String,
    adopted: usize,
    sessions: Arc<session::Sessions>,
}

/// Connects to Docker, adopts the pods already running and starts the node's network and
/// runtime: everything a control plane's link drives.
async fn start_node(args: &RunArgs) -> Result<LocalNode, Failure> {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let node_name = node_info::node_name(args.node_name.as_deref(), &hostname)?;
    let engine = docker::connect().await.map_err(Failure::NoDocker)?;
    let facts = node_info::NodeFacts::gather(node_name, &engine.version);
    std::fs::create_dir_all(&args.state_dir).with_context(|| {
        format!(
            "cannot create the state directory {}",
            args.state_dir.display()
        )
    })?;
    let local_pods = Arc::new(std::sync::OnceLock::<Arc<PodRuntime>>::new());
    let is_local_pod = {
        let local_pods = Arc::clone(&local_pods);
        Arc::new(move |ip: &std::net::IpAddr| local_pods.get().is_some_and(|rt| rt.has_pod_ip(ip)))
    };
    let relay = SocketAddr::from(([0, 0, 0, 0], args.proxy_port));
    let ingress = args
        .ingress_port
        .map(|port| SocketAddr::from(([0, 0, 0, 0], port)));
    let network =
        Arc::new(NodeNetwork::start(&facts.name, Some(relay), ingress, is_local_pod).await);
    let config = RuntimeConfig {
        node_name: facts.name.clone(),
        host_ip: facts.internal_ip.to_string(),
        state_dir: args.state_dir.clone(),
        network: SandboxNetwork {
            docker_network: args.pod_network.clone(),
            cluster_dns: network.cluster_dns().map(str::to_string),
        },
    };
    let (pod_runtime, reports) = PodRuntime::connect(config)
        .await
        .context("cannot start the pod runtime")?;
    let adopted = pod_runtime.adopt().await.unwrap_or_else(|e| {
        tracing::warn!(
            "could not adopt the pods already running ({e}); the first SyncPods reconciles them"
        );
        Vec::new()
    });
    let sessions = session::Sessions::start(
        pod_runtime,
        reports,
        facts.clone(),
        network,
        args.allow_port_forward_address.clone(),
    );
    let _ = local_pods.set(sessions.runtime());
    Ok(LocalNode {
        facts,
        docker_version: engine.version,
        adopted: adopted.len(),
        sessions,
    })
}

/// `run --embedded-control-plane`: the control plane lives in the agent and kubectl talks to it.
async fn run_embedded(args: RunArgs, token: Token, origins: OriginPolicy) -> Result<(), Failure> {
    let node = if args.no_local_node {
        None
    } else {
        Some(start_node(&args).await?)
    };
    let mut seed = [0u8; 8];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no random seed: {e}"))?;
    let nodes = embedded::simulated_nodes(args.simulated_nodes);
    let control_plane = embedded::EmbeddedControlPlane::start(u64::from_le_bytes(seed), &nodes)
        .map_err(anyhow::Error::msg)?;
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let tls = tls_config(&args, &hostname)?;
    let (listener, bound) = bind(args.listen).await?;
    let server = api_url(bound);
    let this_machine = match &node {
        Some(n) => format!(
            "this machine is node \"{}\" ({} CPU(s), {} MiB memory, Docker {}, {} running pod(s) adopted)",
            n.facts.name,
            n.facts.cpu_cores,
            n.facts.memory_kib / 1024,
            n.docker_version,
            n.adopted
        ),
        None => "this machine is not a node".to_string(),
    };
    println!(
        "kubeplay-agent {}: embedded control plane (Kubernetes v{}.{}), {} simulated node(s), {this_machine}",
        env!("CARGO_PKG_VERSION"),
        kubeplay_shared::apiserver::KUBERNETES_VERSION.0,
        kubeplay_shared::apiserver::KUBERNETES_VERSION.1,
        nodes.len(),
    );
    println!("Kubernetes API for kubectl:");
    println!("  Server: {server}");
    if args.token.is_none() {
        println!("  Token: {}", token.as_str());
    } else {
        println!("  Token: the one given with --token");
    }
    let state_dir = if args.state_dir == cli::default_state_dir() {
        String::new()
    } else {
        format!(" --state-dir {}", args.state_dir.display())
    };
    println!(
        "Write a kubeconfig with: kubeplay-agent kubeconfig --server {server}{state_dir} --token <the token> > kubeplay.yaml"
    );
    let sessions = node.map(|n| {
        // The control plane joins this machine through the agent's own endpoint, as a page would.
        tokio::spawn(embedded::loopback::run(
            bound,
            token.as_str().to_string(),
            Arc::clone(&control_plane),
        ));
        n.sessions
    });
    let gate = Arc::new(Gate::new(token, origins));
    let gateway = gateway::Gateway::new(
        Arc::clone(&gate),
        Arc::new(gateway::Embedded(control_plane)),
        sessions.as_ref().map(|s| s.runtime()),
    );
    server::serve(listener, tls, gate, sessions, gateway, shutdown_signal()).await;
    tracing::info!("stopped; the embedded cluster is gone with it");
    Ok(())
}

/// The CA and serving certificate from the state directory (made on first run) as a rustls
/// configuration.
fn tls_config(args: &RunArgs, hostname: &str) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let names =
        tls::names::subject_alt_names(hostname, &tls::names::machine_addresses(), &args.tls_san)?;
    let identity = tls::identity::load_or_create(&args.state_dir, &names)
        .context("cannot set up HTTPS for the Kubernetes API")?;
    Ok(tls::server_config(identity)?)
}

/// The HTTPS URL kubectl uses: loopback when listening on every address, as loopback is always
/// among the certificate's names.
fn api_url(bound: SocketAddr) -> String {
    let host = match bound.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("https://{}", SocketAddr::new(host, bound.port()))
}

async fn bind(addr: SocketAddr) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener
        .local_addr()
        .context("cannot read the listening address")?;
    Ok((listener, bound))
}

fn print_kubeconfig(args: &KubeconfigArgs) -> anyhow::Result<()> {
    kubeconfig::check_server(&args.server)?;
    let given = args.token.as_deref().ok_or_else(|| {
        anyhow::anyhow!("no token: pass --token (or set KUBEPLAY_AGENT_TOKEN) with the token `kubeplay-agent run` printed")
    })?;
    let token = Token::given(given).context("--token")?;
    let ca = tls::identity::read_ca(&args.state_dir)?;
    print!("{}", kubeconfig::render(&args.server, token.as_str(), &ca));
    Ok(())
}

async fn reset(args: ResetArgs) -> Result<(), Failure> {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let node_name = node_info::node_name(args.node_name.as_deref(), &hostname)?;
    let engine = docker::connect().await.map_err(Failure::NoDocker)?;
    let facts = node_info::NodeFacts::gather(node_name, &engine.version);
    let config = RuntimeConfig {
        node_name: facts.name.clone(),
        host_ip: facts.internal_ip.to_string(),
        state_dir: args.state_dir.clone(),
        network: SandboxNetwork::default(),
    };
    let (pod_runtime, _reports) = PodRuntime::connect(config)
        .await
        .context("cannot start the pod runtime")?;
    pod_runtime.reset().await.context("reset failed")?;
    println!(
        "Removed every container, volume and file kubeplay-agent created for node \"{}\" on this machine.",
        facts.name
    );
    Ok(())
}

/// The URL to paste: the listening address, or the node's address when listening on all.
fn url(bound: SocketAddr, facts: &node_info::NodeFacts) -> String {
    let host = if bound.ip().is_unspecified() {
        facts.internal_ip
    } else {
        bound.ip()
    };
    format!(
        "ws://{}{}",
        SocketAddr::new(host, bound.port()),
        server::CONNECT_PATH
    )
}

fn print_banner(
    facts: &node_info::NodeFacts,
    docker_version: &str,
    adopted: usize,
    url: &str,
    token: &Token,
    generated: bool,
    origins: &OriginPolicy,
) {
    println!(
        "kubeplay-agent {}: node \"{}\", {} CPU(s), {} MiB memory, Docker {docker_version}, {adopted} running pod(s) adopted",
        env!("CARGO_PKG_VERSION"),
        facts.name,
        facts.cpu_cores,
        facts.memory_kib / 1024,
    );
    println!("Add this node in the Kubeplay playground with:");
    println!("  URL:   {url}");
    if generated {
        println!("  Token: {}", token.as_str());
    } else {
        println!("  Token: the one given with --token");
    }
    if !url.starts_with("ws://127.") && !url.starts_with("ws://[::1]") {
        println!("The link is not encrypted: use it on a network you trust (or tunnel it, e.g. over SSH).");
    }
    if origins.allowed().is_empty() {
        println!("No browser page may connect yet: restart with --allow-origin <the playground's origin>, e.g. --allow-origin http://127.0.0.1:8080");
    } else {
        println!(
            "Browser pages allowed from: {}",
            origins.allowed().join(", ")
        );
    }
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_node_address_when_listening_everywhere() {
        let facts = node_info::NodeFacts::gather("n".into(), "1");
        let any: SocketAddr = "0.0.0.0:7443".parse().unwrap();
        assert_eq!(
            url(any, &facts),
            format!("ws://{}:7443/v1/connect", facts.internal_ip)
        );
        let local: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(url(local, &facts), "ws://127.0.0.1:9000/v1/connect");
    }

    #[test]
    fn the_api_url_is_https_on_a_name_the_certificate_covers() {
        assert_eq!(
            api_url("0.0.0.0:7443".parse().unwrap()),
            "https://127.0.0.1:7443"
        );
        assert_eq!(api_url("[::]:7443".parse().unwrap()), "https://[::1]:7443");
        assert_eq!(
            api_url("192.168.1.20:7443".parse().unwrap()),
            "https://192.168.1.20:7443"
        );
    }
}
