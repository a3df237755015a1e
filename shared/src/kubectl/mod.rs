//! The in-page kubectl: command lines parsed like a shell and like kubectl,
//! run against the cluster through REST only (the requests the real kubectl
//! makes), printed as kubectl prints them.
//!
//! The terminal UI keeps history and draws output; it calls [`Session::run`]
//! per line, polls a returned [`Follow`] after each tick, hands `exec -it`
//! sessions to its [`Shell`], and asks [`complete`] on Tab.

mod apply;
mod client;
mod command;
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
