//! `kubectl config get-contexts|use-context|current-context|set-context|view`
//! over the terminal's [`super::Session`].

use super::client::{CmdError, CmdResult};
use super::command::Cmd;
use super::outcome::Outcome;

pub fn run(cmd: &mut Cmd) -> CmdResult<Outcome> {
    let args = cmd.p.args.clone();
    let sub = args.first().map(String::as_str).unwrap_or("");
    match sub {
        "get-contexts" => {
            let name_only = cmd.p.get("output") == Some("name");
            cmd.session.get_contexts(args.get(1).map(String::as_str), name_only).map(Outcome::ok)
        }
        "use-context" | "use" => match args.get(1) {
            Some(name) => cmd.session.use_context(name).map(Outcome::ok),
            None => Err(CmdError::usage("Unexpected args: []")),
        },
        "current-context" => match cmd.session.current_context() {
            Some(c) => Ok(Outcome::ok(format!("{}\n", c.name))),
            None => Err(CmdError::usage("current-context is not set")),
        },
        "set-context" => {
            let name = if cmd.p.is_set("current") { None } else { args.get(1).map(String::as_str) };
            if name.is_none() && !cmd.p.is_set("current") {
                return Err(CmdError::usage("you must specify a non-empty context name or --current"));
            }
            let ns = cmd.p.get("namespace").map(str::to_string);
            cmd.session.set_context_namespace(name, ns.as_deref()).map(Outcome::ok)
        }
        "view" => Ok(Outcome::ok(cmd.session.view(cmd.p.is_set("minify")))),
        "" => Err(CmdError::usage("Modify kubeconfig files using subcommands like \"kubectl config set current-context my-context\"\n\nAvailable Commands:\n  current-context   Display the current-context\n  get-contexts      Describe one or many contexts\n  set-context       Set a context entry in kubeconfig\n  use-context       Set the current-context in a kubeconfig file\n  view              Display merged kubeconfig settings or a specified kubeconfig file")),
        other => Err(CmdError::usage(format!("unknown command \"{other}\" for \"kubectl config\""))),
    }
}
