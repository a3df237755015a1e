//! `kubeplay-agent`: turns a machine into a node of a Kubeplay cluster.
//!
//! This is the command-line shell. The node runtime (pods on Docker, probes,
//! logs, exec) and the kube API gateway for the real kubectl are built on it
//! next; until then `run` says so and exits non-zero rather than pretending.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "kubeplay-agent", version, about = "A Kubeplay node: runs the playground's pods on this machine's Docker engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the node link (WebSocket) that a Kubeplay page or control plane connects to.
    Run(RunArgs),
    /// Print the Kubernetes version this agent's control plane speaks.
    Version,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7443")]
    listen: String,
    /// Join token every connection must present (generated when absent).
    #[arg(long)]
    token: Option<String>,
    /// Browser origins allowed to connect (repeatable).
    #[arg(long = "allow-origin")]
    allow_origin: Vec<String>,
    /// Node name to register (defaults to the host name).
    #[arg(long)]
    node_name: Option<String>,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Version => {
            let v = kubeplay_shared::apiserver::KUBERNETES_VERSION;
            println!("kubeplay-agent {} (Kubernetes API v{}.{})", env!("CARGO_PKG_VERSION"), v.0, v.1);
            ExitCode::SUCCESS
        }
        Command::Run(args) => {
            eprintln!(
                "kubeplay-agent: the node runtime is not built yet; nothing listens on {} (token {}, {} allowed origin(s), node name {}).",
                args.listen,
                if args.token.is_some() { "given" } else { "to be generated" },
                args.allow_origin.len(),
                args.node_name.as_deref().unwrap_or("from the host name"),
            );
            ExitCode::from(2)
        }
    }
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
    fn run_takes_repeated_origins() {
        let cli = Cli::try_parse_from(["kubeplay-agent", "run", "--allow-origin", "http://a", "--allow-origin", "http://b"]).unwrap();
        let Command::Run(args) = cli.command else { panic!("not run") };
        assert_eq!(args.allow_origin, ["http://a", "http://b"]);
        assert_eq!(args.listen, "127.0.0.1:7443");
    }
}
