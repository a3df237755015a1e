//! Runs a command line in a simulated container: lists, pipes and redirections,
//! then each program it names (files, environment, `nslookup`; HTTP clients in `clients`).
//!
//! Messages follow the tools they imitate (GNU coreutils in Debian-based images,
//! busybox in `busybox`), since learners paste them into search engines.

use super::files::{self, FsError, Node, Tree};
use super::filters;
use super::words::{self, Join, Redirect};
use super::{environment, Dialect, ShellOutput, ShellSession, Target};
use crate::api::meta;
use crate::apiserver::ApiServer;
use crate::sim::dns::{self, Resolution};
use jiff::Timestamp;
use serde_json::Value;

/// Commands the shell knows (besides `bash` and `curl`, which depend on the image).
pub const BUILTINS: &[&str] = &[
    "cat", "cd", "clear", "date", "echo", "env", "exit", "export", "false", "grep", "head", "hostname", "id", "ls",
    "nslookup", "printenv", "ps", "pwd", "sh", "sleep", "sort", "tail", "true", "wc", "wget", "whoami",
];

/// What one command wrote and how it ended.
#[derive(Debug, Default)]
pub(super) struct Out {
    pub(super) stdout: String,
    pub(super) stderr: String,
    pub(super) code: i32,
}

impl Out {
    pub(super) fn ok(stdout: impl Into<String>) -> Out {
        Out { stdout: stdout.into(), ..Out::default() }
    }

    pub(super) fn fail(stderr: impl Into<String>, code: i32) -> Out {
        Out { stderr: stderr.into(), code, ..Out::default() }
    }
}

/// One line's run in a container: the session's state plus the container as the API shows it now.
pub(super) struct Run<'a> {
    pub(super) api: &'a ApiServer,
    pub(super) target: &'a Target,
    pub(super) session: &'a mut ShellSession,
    pub(super) now: Timestamp,
    pub(super) tree: Tree,
    env: Vec<(String, String)>,
}

fn home_of(target: &Target) -> &'static str {
    if run_as_user(target).is_some_and(|u| u != 0) {
        "/"
    } else {
        "/root"
    }
}

/// The user the container runs as (`securityContext.runAsUser`, container over pod).
fn run_as_user(target: &Target) -> Option<i64> {
    target
        .container
        .pointer("/securityContext/runAsUser")
        .or_else(|| target.pod.pointer("/spec/securityContext/runAsUser"))
        .and_then(Value::as_i64)
}

impl<'a> Run<'a> {
    pub(super) fn new(api: &'a ApiServer, target: &'a Target, session: &'a mut ShellSession, now: Timestamp) -> Self {
        let mut tree = files::container_tree(api, &target.pod, &target.container, target.image);
        for (path, content) in &session.written {
            tree.file(path, content.clone());
        }
        let env = environment::exec_environment(api, &target.pod, &target.container, target.started_env.clone(), home_of(target));
        Run { api, target, session, now, tree, env }
    }

    fn var(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.session.last_status.to_string()),
            "PWD" => Some(self.session.cwd.clone()),
            _ => self
                .session
                .vars
                .get(name)
                .cloned()
                .or_else(|| self.env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())),
        }
    }

    /// The environment a child process gets (the container's plus exported variables).
    fn environment(&self) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        for (k, v) in &self.session.vars {
            match env.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v.clone(),
                None => env.push((k.clone(), v.clone())),
            }
        }
        env.push(("PWD".into(), self.session.cwd.clone()));
        env
    }

    /// Runs a command line typed at the prompt.
    pub(super) fn line(&mut self, line: &str) -> ShellOutput {
        let pipelines = match words::parse(line) {
            Ok(p) => p,
            Err(e) => {
                let text = e.to_string().replacen("sh:", &format!("{}:", self.session.dialect.name()), 1);
                return ShellOutput { stdout: String::new(), stderr: format!("{text}\n"), exit_code: 2 };
            }
        };
        let mut out = ShellOutput { exit_code: self.session.last_status, ..ShellOutput::default() };
        for p in pipelines {
            let go = match p.join {
                Join::Always => true,
                Join::IfSucceeded => out.exit_code == 0,
                Join::IfFailed => out.exit_code != 0,
            };
            if !go {
                continue;
            }
            let r = self.pipeline(&p.commands);
            out.stdout.push_str(&r.stdout);
            out.stderr.push_str(&r.stderr);
            out.exit_code = r.code;
            self.session.last_status = r.code;
            if self.session.closed {
                break;
            }
        }
        out
    }

    /// Runs a command given as argv, without a shell (`kubectl exec pod -- cmd args`).
    pub(super) fn argv(&mut self, argv: &[String]) -> ShellOutput {
        let r = self.command(argv, "", false);
        ShellOutput { stdout: r.stdout, stderr: r.stderr, exit_code: r.code }
    }

    fn pipeline(&mut self, commands: &[words::Command]) -> Out {
        let mut stdin = String::new();
        let mut stderr = String::new();
        let mut last = Out::default();
        for (i, c) in commands.iter().enumerate() {
            let (argv, targets): (Vec<String>, Vec<String>) = {
                let lookup = |v: &str| self.var(v).unwrap_or_default();
                let targets = c
                    .redirects
                    .iter()
                    .map(|r| match r {
                        Redirect::Stdout { path, .. } => path.expand(&lookup),
                        _ => String::new(),
                    })
                    .collect();
                (c.words.iter().map(|w| w.expand(&lookup)).collect(), targets)
            };
            let piped = i + 1 < commands.len();
            let mut r = self.command(&argv, &stdin, piped);
            for (redirect, path) in c.redirects.iter().zip(targets) {
                match redirect {
                    Redirect::Stderr => r.stderr.clear(),
                    Redirect::StderrToStdout => {
                        let e = std::mem::take(&mut r.stderr);
                        r.stdout.push_str(&e);
                    }
                    Redirect::Stdout { append, .. } => {
                        if path == "/dev/null" {
                            r.stdout.clear();
                            continue;
                        }
                        let abs = files::normalize(&self.session.cwd, &path);
                        let content = std::mem::take(&mut r.stdout);
                        match self.tree.write(&abs, &content, *append) {
                            Ok(()) => {
                                if let Ok(Node::File(c)) = self.tree.resolve(&abs).map(|p| self.tree.node(&p).cloned().unwrap_or(Node::Dir)) {
                                    self.session.written.insert(abs, c);
                                }
                            }
                            Err(e) => {
                                r.stderr.push_str(&format!("{}: {path}: {}\n", self.shell_name(), e.text()));
                                r.code = 1;
                            }
                        }
                    }
                }
            }
            stderr.push_str(&r.stderr);
            stdin = std::mem::take(&mut r.stdout);
            last = r;
        }
        Out { stdout: stdin, stderr, code: last.code }
    }

    fn shell_name(&self) -> &'static str {
        self.session.dialect.name()
    }

    fn busybox(&self) -> bool {
        self.target.busybox()
    }

    fn command(&mut self, argv: &[String], stdin: &str, piped: bool) -> Out {
        let Some(first) = argv.first() else { return Out::default() };
        // `NAME=value` alone sets a shell variable.
        if argv.iter().all(|a| assignment(a).is_some()) {
            for a in argv {
                if let Some((k, v)) = assignment(a) {
                    self.session.vars.insert(k.to_string(), v.to_string());
                }
            }
            return Out::default();
        }
        let name = match first.rsplit_once('/') {
            Some(("/bin" | "/usr/bin" | "/sbin" | "/usr/sbin" | "/usr/local/bin", base)) => base,
            _ => first.as_str(),
        };
        let args = &argv[1..];
        if !self.target.has_program(name) || first.ends_with('/') {
            return self.not_found(first);
        }
        match name {
            "true" | "clear" | "sleep" => Out::default(),
            "false" => Out { code: 1, ..Out::default() },
            "exit" => {
                self.session.closed = true;
                let code = args.first().and_then(|c| c.parse::<i32>().ok()).unwrap_or(self.session.last_status);
                Out { code: code & 0xff, ..Out::default() }
            }
            "echo" => filters::echo(args),
            "pwd" => Out::ok(format!("{}\n", self.session.cwd)),
            "cd" => self.cd(args),
            "env" => Out::ok(self.environment().iter().map(|(k, v)| format!("{k}={v}\n")).collect::<String>()),
            "printenv" => self.printenv(args),
            "export" => {
                for a in args {
                    if let Some((k, v)) = assignment(a) {
                        self.session.vars.insert(k.to_string(), v.to_string());
                    }
                }
                Out::default()
            }
            "hostname" => Out::ok(format!("{}\n", self.tree.read("/etc/hostname").unwrap_or("").trim_end())),
            "whoami" => match run_as_user(self.target) {
                Some(uid) if uid != 0 => Out::fail(format!("whoami: cannot find name for user ID {uid}\n"), 1),
                _ => Out::ok("root\n"),
            },
            "id" => match run_as_user(self.target) {
                Some(uid) if uid != 0 => Out::ok(format!("uid={uid} gid=0(root) groups=0(root)\n")),
                _ => Out::ok("uid=0(root) gid=0(root) groups=0(root)\n"),
            },
            "date" => Out::ok(format!("{}\n", self.now.strftime("%a %b %e %H:%M:%S UTC %Y"))),
            "ls" => self.ls(args, piped),
            "cat" => self.cat(args, stdin),
            "grep" => filters::grep(args, stdin),
            "head" | "tail" => filters::head_tail(name, args, stdin),
            "wc" => filters::wc(args, stdin),
            "sort" => filters::sort(stdin),
            "nslookup" => self.nslookup(args),
            "ps" => self.ps(),
            "curl" => self.curl(args),
            "wget" => self.wget(args),
            "sh" | "bash" => self.subshell(name, args),
            _ => self.not_found(first),
        }
    }

    fn not_found(&self, program: &str) -> Out {
        let text = match self.session.dialect {
            Dialect::Bash => format!("bash: {program}: command not found\n"),
            Dialect::Sh => format!("sh: {program}: not found\n"),
        };
        Out::fail(text, 127)
    }

    fn subshell(&mut self, name: &str, args: &[String]) -> Out {
        match args {
            [flag, script, ..] if flag == "-c" => {
                let saved = (self.session.dialect, self.session.cwd.clone(), self.session.closed);
                self.session.dialect = self.target.dialect(name);
                let r = self.line(script);
                (self.session.dialect, self.session.cwd, self.session.closed) = saved;
                Out { stdout: r.stdout, stderr: r.stderr, code: r.exit_code }
            }
            // A nested interactive shell reads the same terminal: carry on in this one.
            _ => Out::default(),
        }
    }

    fn cd(&mut self, args: &[String]) -> Out {
        let home = self.var("HOME").unwrap_or_else(|| "/root".into());
        let arg = args.first().cloned().unwrap_or(home);
        let path = files::normalize(&self.session.cwd, &arg);
        if self.tree.is_dir(&path) {
            self.session.cwd = path;
            return Out::default();
        }
        let why = if self.tree.resolve(&path).is_ok() { FsError::NotDirectory } else { FsError::NotFound };
        let text = match self.session.dialect {
            Dialect::Bash => format!("bash: cd: {arg}: {}\n", why.text()),
            Dialect::Sh => format!("sh: cd: can't cd to {arg}: {}\n", why.text()),
        };
        Out::fail(text, if self.session.dialect == Dialect::Bash { 1 } else { 2 })
    }

    fn printenv(&self, args: &[String]) -> Out {
        let env = self.environment();
        if args.is_empty() {
            return Out::ok(env.iter().map(|(k, v)| format!("{k}={v}\n")).collect::<String>());
        }
        let mut out = Out::default();
        for a in args {
            match env.iter().find(|(k, _)| k == a) {
                Some((_, v)) => out.stdout.push_str(&format!("{v}\n")),
                None => out.code = 1,
            }
        }
        out
    }

    fn cannot_access(&self, tool: &str, path: &str, e: FsError) -> String {
        match (tool, self.busybox()) {
            ("ls", false) => format!("ls: cannot access '{path}': {}\n", e.text()),
            ("cat", true) if e == FsError::NotFound => format!("cat: can't open '{path}': {}\n", e.text()),
            (tool, _) => format!("{tool}: {path}: {}\n", e.text()),
        }
    }

    fn ls(&self, args: &[String], piped: bool) -> Out {
        let flags: String = args.iter().filter(|a| a.starts_with('-') && a.len() > 1).map(|a| &a[1..]).collect();
        let (long, all) = (flags.contains('l'), flags.contains('a') || flags.contains('A'));
        let one_per_line = long || piped || flags.contains('1');
        let mut paths: Vec<&String> = args.iter().filter(|a| !a.starts_with('-') || a.len() == 1).collect();
        let cwd = self.session.cwd.clone();
        if paths.is_empty() {
            paths.push(&cwd);
        }
        let mut out = Out::default();
        let many = paths.len() > 1;
        for (i, p) in paths.iter().enumerate() {
            let abs = files::normalize(&self.session.cwd, p);
            let listing = match self.tree.node(&abs) {
                None => {
                    out.stderr.push_str(&self.cannot_access("ls", p, FsError::NotFound));
                    out.code = 2;
                    continue;
                }
                // `ls -l link` shows the link itself; `ls dir-link` lists the directory.
                Some(Node::Link(_)) if long || !self.tree.is_dir(&abs) => vec![(p.to_string(), self.tree.node(&abs).cloned())],
                Some(Node::File(_)) => vec![(p.to_string(), self.tree.node(&abs).cloned())],
                _ => match self.tree.children(&abs) {
                    Ok(children) => children
                        .into_iter()
                        .filter(|(n, _)| all || !n.starts_with('.'))
                        .map(|(n, node)| (n, Some(node.clone())))
                        .collect(),
                    Err(e) => {
                        out.stderr.push_str(&self.cannot_access("ls", p, e));
                        out.code = 2;
                        continue;
                    }
                },
            };
            if many {
                out.stdout.push_str(&format!("{}{p}:\n", if i > 0 { "\n" } else { "" }));
            }
            let mut names: Vec<(String, Option<Node>)> = listing;
            if all && self.tree.is_dir(&abs) && self.tree.node(&abs) == Some(&Node::Dir) {
                names.insert(0, ("..".into(), Some(Node::Dir)));
                names.insert(0, (".".into(), Some(Node::Dir)));
            }
            if long {
                for (name, node) in &names {
                    out.stdout.push_str(&self.long_line(name, node.as_ref()));
                }
            } else if one_per_line {
                for (name, _) in &names {
                    out.stdout.push_str(&format!("{name}\n"));
                }
            } else if !names.is_empty() {
                let line: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
                out.stdout.push_str(&format!("{}\n", line.join("  ")));
            }
        }
        out
    }

    fn long_line(&self, name: &str, node: Option<&Node>) -> String {
        let started = self
            .target
            .pod
            .pointer("/status/startTime")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<Timestamp>().ok())
            .unwrap_or(self.now);
        let date = started.strftime("%b %e %H:%M");
        let (mode, size, suffix) = match node {
            Some(Node::Dir) | None => ("drwxr-xr-x", 4096, String::new()),
            Some(Node::File(c)) => ("-rw-r--r--", c.len(), String::new()),
            Some(Node::Link(t)) => ("lrwxrwxrwx", t.len(), format!(" -> {t}")),
        };
        if self.busybox() {
            format!("{mode}    1 root     root      {size:>8} {date} {name}{suffix}\n")
        } else {
            format!("{mode} 1 root root {size:>5} {date} {name}{suffix}\n")
        }
    }

    fn cat(&self, args: &[String], stdin: &str) -> Out {
        if args.is_empty() {
            return Out::ok(stdin);
        }
        let mut out = Out::default();
        for a in args {
            let abs = files::normalize(&self.session.cwd, a);
            match self.tree.read(&abs) {
                Ok(c) => out.stdout.push_str(c),
                Err(e) => {
                    out.stderr.push_str(&self.cannot_access("cat", a, e));
                    out.code = 1;
                }
            }
        }
        out
    }

    /// The container's processes: its main process as PID 1, this shell, and `ps`.
    fn ps(&self) -> Out {
        let spec_command: Vec<&str> = ["command", "args"]
            .iter()
            .flat_map(|f| self.target.container.get(*f).and_then(Value::as_array).into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        let main = if spec_command.is_empty() {
            match self.target.image.map(|i| i.repository) {
                Some("myapp") => "/usr/local/bin/myapp".to_string(),
                Some("nginx") => "nginx: master process nginx -g daemon off;".to_string(),
                Some("postgres") => "postgres".to_string(),
                Some("redis") => "redis-server *:6379".to_string(),
                _ => "sh".to_string(),
            }
        } else {
            spec_command.join(" ")
        };
        let shell = self.session.dialect.name();
        Out::ok(format!("PID   USER     TIME  COMMAND\n    1 root      0:00 {main}\n    7 root      0:00 {shell}\n   13 root      0:00 ps\n"))
    }

    fn nslookup(&self, args: &[String]) -> Out {
        let Some(name) = args.iter().find(|a| !a.starts_with('-')) else {
            return Out::fail("Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n", 1);
        };
        let server = format!("Server:\t\t{ip}\nAddress:\t{ip}:53\n\n", ip = dns::CLUSTER_DNS_IP);
        let ns = meta::namespace(&self.target.pod);
        match dns::resolve(self.api, ns, name) {
            Resolution::Addresses { name: fqdn, addresses } => {
                let answers: String = addresses.iter().map(|a| format!("Name:\t{fqdn}\nAddress: {a}\n")).collect();
                Out::ok(format!("{server}{answers}\n"))
            }
            Resolution::Cname { name: fqdn, target } => Out {
                stdout: format!("{server}{fqdn}\tcanonical name = {target}\n\n"),
                stderr: format!("** server can't find {target}: NXDOMAIN\n\n"),
                code: 1,
            },
            Resolution::NxDomain => Out { stdout: server, stderr: format!("** server can't find {name}: NXDOMAIN\n\n"), code: 1 },
        }
    }

}

/// `NAME=value` with a valid shell name.
fn assignment(word: &str) -> Option<(&str, &str)> {
    let (k, v) = word.split_once('=')?;
    let valid = !k.is_empty()
        && !k.starts_with(|c: char| c.is_ascii_digit())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some((k, v))
}
