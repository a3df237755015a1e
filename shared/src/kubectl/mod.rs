//! The in-page kubectl: command lines parsed like a shell and like kubectl,
//! run against the cluster through REST only (the requests the real kubectl
//! makes), printed as kubectl prints them.
//!
//! How a host drives it: keep one [`Session`] per terminal (contexts, current
//! namespace, cached discovery). For each line, build a [`Transport`] (for the
//! in-page cluster, [`Local`] over the `ControlPlane` at the host's time) and call
//! [`Session::run`] with the page's file tree ([`Files`]), a [`Shell`] for `exec`
//! ([`SimShell`] for simulated pods) and the cluster time
//! ([`Local::cluster_now`]). Print `stdout`/`stderr`; if the [`Outcome`] has a
//! [`Follow`], call [`Follow::poll`] after every tick until it reports
//! `finished` or the user presses Ctrl-C ([`Follow::stop`]); if it has an
//! [`Interactive`], hand the terminal to a `sim::shell::ShellSession` on that
//! target ([`Interactive::open_simulated`]). Tab calls [`complete`]. A line may
//! pipe kubectl's output into `grep`, `head`, `tail`, `wc -l` or `sort`. History
//! and drawing are the terminal's.

mod apply;
mod client;
mod command;
mod config;
mod complete;
mod create;
mod delete;
mod describe;
mod discovery;
mod exec;
mod files;
mod flags;
mod get;
mod info;
mod jsonpath;
mod label;
mod logs;
mod outcome;
mod pipe;
mod port_forward;
mod printer;
mod rollout;
mod scale;
mod session;
mod tabwriter;
mod top;
mod transport;
mod words;

pub use complete::complete;
pub use exec::{ExecTarget, Interactive, NoShell, Shell, ShellOutput, SimShell};
pub use files::{Files, NoFiles};
pub use outcome::{Follow, Outcome, Polled};
pub use port_forward::ForwardRequest;
pub use session::{Context, Session};
pub use transport::{Direct, Local, Transport, ACCEPT_TABLE};

use jiff::Timestamp;

impl Session {
    /// Runs one terminal line (`kubectl get pods -o wide`) at (cluster) time
    /// `now`, which kubectl uses for the ages it computes itself.
    pub fn run(&mut self, transport: &mut dyn Transport, line: &str, files: &dyn Files, shell: &mut dyn Shell, now: Timestamp) -> Outcome {
        command::run_line(self, transport, line, files, shell, now)
    }
}
