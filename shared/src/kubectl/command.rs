//! One command line from words to [`Outcome`]: global flags, the command and its
//! flags (per command, as kubectl's cobra tree has them), the namespace in
//! effect, and errors printed the way kubectl prints them.

use super::client::{Client, CmdError, CmdResult};
use super::discovery::{ApiResource, Discovery};
use super::exec::Shell;
use super::files::Files;
use super::flags::{self, bool_flag, value_flag, Arity, Flag, Parsed, GLOBAL};
use super::outcome::Outcome;
use super::session::Session;
use super::transport::Transport;
use super::words;
use super::{apply, config, create, delete, describe, exec, get, info, label, logs, port_forward, rollout, scale, top};
use jiff::Timestamp;

/// What a running command can reach.
pub struct Cmd<'a> {
    pub client: Client<'a>,
    pub session: &'a mut Session,
    pub p: Parsed,
    pub namespace: String,
    pub files: &'a dyn Files,
    pub shell: &'a mut dyn Shell,
    pub now: Timestamp,
}

impl Cmd<'_> {
    pub fn discovery(&mut self) -> CmdResult<&Discovery> {
        if self.session.discovery.is_none() {
            self.session.discovery = Some(Discovery::load(&mut self.client)?);
        }
        self.session.discovery.as_ref().ok_or_else(|| CmdError::usage("discovery failed"))
    }

    pub fn resolve(&mut self, word: &str) -> CmdResult<ApiResource> {
        self.discovery()?.resolve(word).cloned()
    }
}

/// One kubectl command: its name, flags, and what runs it.
pub struct Command {
    pub name: &'static str,
    pub flags: &'static [Flag],
    pub run: fn(&mut Cmd) -> CmdResult<Outcome>,
    /// Subcommands, for completion and help.
    pub subcommands: &'static [&'static str],
    pub short: &'static str,
}

const OUTPUT: Flag = value_flag("output", Some('o'));
const SELECTOR: Flag = value_flag("selector", Some('l'));
const ALL_NS: Flag = bool_flag("all-namespaces", Some('A'));
const FILENAME: Flag = value_flag("filename", Some('f'));
const RECURSIVE: Flag = bool_flag("recursive", Some('R'));
const DRY_RUN: Flag = Flag { long: "dry-run", short: None, arity: Arity::Optional("unchanged") };

pub static COMMANDS: &[Command] = &[
    Command {
        name: "get",
        flags: &[OUTPUT, SELECTOR, ALL_NS, bool_flag("watch", Some('w')), bool_flag("watch-only", None), bool_flag("show-labels", None),
            value_flag("field-selector", None), bool_flag("no-headers", None), bool_flag("ignore-not-found", None), bool_flag("show-kind", None),
            value_flag("label-columns", Some('L')), value_flag("sort-by", None), value_flag("raw", None)],
        run: get::run,
        subcommands: &[],
        short: "Display one or many resources",
    },
    Command {
        name: "run",
        flags: &[value_flag("image", None), value_flag("port", None), value_flag("env", None), value_flag("labels", Some('l')), value_flag("restart", None),
            bool_flag("command", None), OUTPUT, DRY_RUN],
        run: create::run_pod,
        subcommands: &[],
        short: "Run a particular image on the cluster",
    },
    Command { name: "describe", flags: &[SELECTOR, ALL_NS, bool_flag("show-events", None)], run: describe::run, subcommands: &[], short: "Show details of a specific resource or group of resources" },
    Command {
        name: "logs",
        flags: &[bool_flag("follow", Some('f')), value_flag("container", Some('c')), value_flag("tail", None), bool_flag("previous", Some('p')),
            bool_flag("timestamps", None), bool_flag("all-containers", None), bool_flag("prefix", None), SELECTOR],
        run: logs::run,
        subcommands: &[],
        short: "Print the logs for a container in a pod",
    },
    Command {
        name: "exec",
        flags: &[bool_flag("stdin", Some('i')), bool_flag("tty", Some('t')), value_flag("container", Some('c')), bool_flag("quiet", Some('q'))],
        run: exec::run,
        subcommands: &[],
        short: "Execute a command in a container",
    },
    Command { name: "apply", flags: &[FILENAME, RECURSIVE, OUTPUT, DRY_RUN], run: apply::run_apply, subcommands: &[], short: "Apply a configuration to a resource by file name or stdin" },
    Command {
        name: "delete",
        flags: &[FILENAME, RECURSIVE, SELECTOR, ALL_NS, bool_flag("all", None), bool_flag("force", None), value_flag("grace-period", None),
            bool_flag("now", None), bool_flag("ignore-not-found", None), Flag { long: "wait", short: None, arity: Arity::Optional("true") },
            Flag { long: "cascade", short: None, arity: Arity::Optional("background") }, OUTPUT],
        run: delete::run,
        subcommands: &[],
        short: "Delete resources by file names, stdin, resources and names, or by resources and label selector",
    },
    Command {
        name: "create",
        flags: &[FILENAME, RECURSIVE, OUTPUT, DRY_RUN, value_flag("image", None), value_flag("replicas", Some('r')), value_flag("port", None),
            value_flag("from-literal", None), value_flag("type", None)],
        run: create::run,
        subcommands: &["namespace", "deployment", "configmap", "secret"],
        short: "Create a resource from a file or from stdin",
    },
    Command {
        name: "scale",
        flags: &[value_flag("replicas", None), value_flag("current-replicas", None), SELECTOR, bool_flag("all", None), FILENAME],
        run: scale::run,
        subcommands: &[],
        short: "Set a new size for a deployment or replica set",
    },
    Command {
        name: "rollout",
        flags: &[value_flag("revision", None), value_flag("to-revision", None), Flag { long: "watch", short: Some('w'), arity: Arity::Optional("true") }, value_flag("timeout", None)],
        run: rollout::run,
        subcommands: &["history", "pause", "restart", "resume", "status", "undo"],
        short: "Manage the rollout of a resource",
    },
    Command { name: "set", flags: &[SELECTOR, bool_flag("all", None)], run: label::run_set, subcommands: &["image"], short: "Set specific features on objects" },
    Command {
        name: "label",
        flags: &[bool_flag("overwrite", None), SELECTOR, bool_flag("all", None), bool_flag("list", None)],
        run: label::run_label,
        subcommands: &[],
        short: "Update the labels on a resource",
    },
    Command {
        name: "annotate",
        flags: &[bool_flag("overwrite", None), SELECTOR, bool_flag("all", None), bool_flag("list", None)],
        run: label::run_annotate,
        subcommands: &[],
        short: "Update the annotations on a resource",
    },
    Command {
        name: "patch",
        flags: &[value_flag("patch", Some('p')), value_flag("type", None), OUTPUT],
        run: label::run_patch,
        subcommands: &[],
        short: "Update fields of a resource",
    },
    Command {
        name: "expose",
        flags: &[value_flag("port", None), value_flag("target-port", None), value_flag("type", None), value_flag("name", None), value_flag("protocol", None), OUTPUT],
        run: create::run_expose,
        subcommands: &[],
        short: "Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service",
    },
    Command {
        name: "config",
        flags: &[bool_flag("current", None), OUTPUT, bool_flag("minify", None), bool_flag("raw", None), bool_flag("no-headers", None)],
        run: config::run,
        subcommands: &["current-context", "get-contexts", "set-context", "use-context", "view"],
        short: "Modify kubeconfig files",
    },
    Command {
        name: "top",
        flags: &[SELECTOR, ALL_NS, bool_flag("containers", None), value_flag("sort-by", None), bool_flag("no-headers", None)],
        run: top::run,
        subcommands: &["node", "pod"],
        short: "Display resource (CPU/memory) usage",
    },
    Command { name: "cluster-info", flags: &[], run: info::cluster_info, subcommands: &[], short: "Display cluster information" },
    Command { name: "version", flags: &[bool_flag("client", None), OUTPUT], run: info::version, subcommands: &[], short: "Print the client and server version information" },
    Command {
        name: "api-resources",
        flags: &[Flag { long: "namespaced", short: None, arity: Arity::Optional("true") }, value_flag("api-group", None), OUTPUT, bool_flag("no-headers", None)],
        run: info::api_resources,
        subcommands: &[],
        short: "Print the supported API resources on the server",
    },
    Command { name: "port-forward", flags: &[value_flag("address", None)], run: port_forward::run, subcommands: &[], short: "Forward one or more local ports to a pod" },
];

pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// The short help kubectl prints without arguments.
pub fn help() -> String {
    let mut t = String::from("kubectl controls the Kubernetes cluster manager.\n\nCommands:\n");
    for c in COMMANDS {
        t.push_str(&format!("  {}\t{}\n", c.name, c.short));
    }
    t.push_str("\nUsage:\n  kubectl [flags] [options]\n\nUse \"kubectl <command> --help\" for more information about a given command.\n");
    super::tabwriter::align(&t, super::tabwriter::DESCRIBE)
}

/// Runs one line. `line` may start with `kubectl`.
pub fn run_line(session: &mut Session, transport: &mut dyn Transport, line: &str, files: &dyn Files, shell: &mut dyn Shell, now: Timestamp) -> Outcome {
    let words = match words::split(line) {
        Ok(w) => w,
        Err(e) => return Outcome { stderr: format!("bash: {e}\n"), exit_code: 2, ..Outcome::default() },
    };
    // `kubectl get pods | grep web`: kubectl's output goes through the filters.
    let mut stages = words.split(|w| w == "|");
    let words = stages.next().unwrap_or_default().to_vec();
    let filters: Vec<&[String]> = stages.collect();
    if !filters.is_empty() {
        let mut out = run_words(session, transport, &words, files, shell, now);
        // A follow cannot stream through a filter: what it printed so far is filtered.
        if let Some(follow) = out.follow.take() {
            follow.stop(transport);
        }
        // The pipeline's status is the last stage's, as the shell reports it.
        out.exit_code = 0;
        for stage in filters {
            match super::pipe::filter(stage, &out.stdout) {
                Ok(text) => {
                    out.exit_code = i32::from(stage.first().is_some_and(|p| p == "grep") && text.is_empty());
                    out.stdout = text;
                }
                Err(e) => {
                    out.stdout.clear();
                    out.stderr.push_str(&format!("{e}\n"));
                    out.exit_code = 127;
                }
            }
        }
        return out;
    }
    run_words(session, transport, &words, files, shell, now)
}

fn run_words(session: &mut Session, transport: &mut dyn Transport, words: &[String], files: &dyn Files, shell: &mut dyn Shell, now: Timestamp) -> Outcome {
    let words: &[String] = match words.first().map(String::as_str) {
        None => return Outcome::default(),
        Some("kubectl" | "k") => &words[1..],
        Some(other) => return Outcome { stderr: format!("bash: {other}: command not found\n"), exit_code: 127, ..Outcome::default() },
    };
    let (globals, rest) = match flags::parse(words, &[GLOBAL], true) {
        Ok(x) => x,
        Err(e) => return Outcome::failed(format!("error: {e}\nSee 'kubectl --help' for usage.\n")),
    };
    let Some(name) = rest.first() else {
        return Outcome::ok(help());
    };
    let Some(command) = find(name) else {
        return Outcome::failed(format!("error: unknown command \"{name}\" for \"kubectl\"\n"));
    };
    let mut p = match flags::parse(&rest[1..], &[GLOBAL, command.flags], false) {
        Ok((p, _)) => p,
        Err(e) => return Outcome::failed(format!("error: {e}\nSee 'kubectl {} --help' for usage.\n", command.name)),
    };
    let mut all_flags = globals.flags;
    all_flags.append(&mut p.flags);
    p.flags = all_flags;
    if p.is_set("help") {
        return Outcome::ok(format!("{}.\n\nUsage:\n  kubectl {} [options]\n", command.short, command.name));
    }
    // --context=x runs this one command in another context.
    let saved = session.current.clone();
    if let Some(ctx) = p.get("context") {
        if !session.contexts.iter().any(|c| c.name == ctx) {
            return Outcome::failed(format!("error: context \"{ctx}\" does not exist\n"));
        }
        session.current = ctx.to_string();
    }
    let namespace = match p.get("namespace") {
        Some(ns) if command.name != "config" => ns.to_string(),
        _ => session.namespace(),
    };
    let mut cmd = Cmd { client: Client::new(transport), session, p, namespace, files, shell, now };
    let result = (command.run)(&mut cmd);
    if command.name != "config" {
        cmd.session.current = saved;
    }
    match result {
        Ok(o) => o,
        Err(e) => Outcome::failed(format!("{e}\n")),
    }
}
