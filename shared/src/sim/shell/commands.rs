//! The programs a simulated container has: coreutils-like file and environment
//! commands, `nslookup`, `curl` and `wget`, run one line at a time.
//!
//! Messages follow the tools they imitate (GNU coreutils in Debian-based images,
//! busybox in `busybox`), since learners paste them into search engines.

use super::files::{self, FsError, Node, Tree};
use super::http::{self, Outcome, Url};
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
    "nslookup", "printenv", "pwd", "sh", "sleep", "sort", "tail", "true", "wc", "wget", "whoami",
];

/// What one command wrote and how it ended.
#[derive(Debug, Default)]
struct Out {
    stdout: String,
    stderr: String,
    code: i32,
}

impl Out {
    fn ok(stdout: impl Into<String>) -> Out {
        Out { stdout: stdout.into(), ..Out::default() }
    }

    fn fail(stderr: impl Into<String>, code: i32) -> Out {
        Out { stderr: stderr.into(), code, ..Out::default() }
    }
}

/// One line's run in a container: the session's state plus the container as the API shows it now.
pub(super) struct Run<'a> {
    api: &'a ApiServer,
    target: &'a Target,
    session: &'a mut ShellSession,
    now: Timestamp,
    tree: Tree,
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
        let env = environment::exec_environment(api, &target.pod, &target.container, home_of(target));
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
            "echo" => echo(args),
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
            "grep" => grep(args, stdin),
            "head" | "tail" => head_tail(name, args, stdin),
            "wc" => wc(args, stdin),
            "sort" => {
                let mut lines: Vec<&str> = stdin.lines().collect();
                lines.sort_unstable();
                Out::ok(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
            }
            "nslookup" => self.nslookup(args),
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
                self.session.dialect = if name == "bash" { Dialect::Bash } else { Dialect::Sh };
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

    fn nslookup(&self, args: &[String]) -> Out {
        let Some(name) = args.iter().find(|a| !a.starts_with('-')) else {
            return Out::fail("Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n", 1);
        };
        let server = format!("Server:\t\t{ip}\nAddress:\t{ip}#53\n\n", ip = dns::CLUSTER_DNS_IP);
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

    fn request(&mut self, url: &Url) -> Outcome {
        self.session.requests += 1;
        let seed = self.now.as_nanosecond() as u64 ^ self.session.requests.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        http::get(self.api, &self.target.pod, url, self.now, seed)
    }

    fn curl(&mut self, args: &[String]) -> Out {
        let (mut silent, mut show_error, mut include, mut head, mut fail, mut insecure) = (false, false, false, false, false, false);
        let mut output: Option<String> = None;
        let mut url_text: Option<&String> = None;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            match a.as_str() {
                "--silent" => silent = true,
                "--show-error" => show_error = true,
                "--include" => include = true,
                "--head" => head = true,
                "--fail" => fail = true,
                "--insecure" => insecure = true,
                "--location" | "--verbose" => {}
                "-o" | "--output" => {
                    output = args.get(i + 1).cloned();
                    i += 1;
                }
                "-m" | "--max-time" | "--connect-timeout" | "-H" | "--header" | "-w" | "--write-out" | "-X" | "--request" => i += 1,
                s if s.starts_with("--") => {}
                s if s.starts_with('-') && s.len() > 1 => {
                    for f in s[1..].chars() {
                        match f {
                            's' => silent = true,
                            'S' => show_error = true,
                            'i' => include = true,
                            'I' => head = true,
                            'f' => fail = true,
                            'k' => insecure = true,
                            _ => {}
                        }
                    }
                    if s.ends_with('o') {
                        output = args.get(i + 1).cloned();
                        i += 1;
                    }
                }
                _ => url_text = url_text.or(Some(a)),
            }
            i += 1;
        }
        let Some(url_text) = url_text else {
            return Out::fail("curl: try 'curl --help' or 'curl --manual' for more information\n", 2);
        };
        let error = |code: i32, text: String| {
            let stderr = if silent && !show_error { String::new() } else { format!("curl: ({code}) {text}\n") };
            Out::fail(stderr, code)
        };
        let Some(url) = Url::parse(url_text) else {
            let scheme = url_text.split("://").next().unwrap_or("");
            return error(1, format!("Protocol \"{scheme}\" not supported"));
        };
        if url.scheme == "https" && !insecure {
            return match self.request(&Url { scheme: "http".into(), ..url.clone() }) {
                Outcome::Response(_) => error(60, "SSL certificate problem: unable to get local issuer certificate".into()),
                other => self.curl_failure(&url, other, &error),
            };
        }
        match self.request(&url) {
            Outcome::Response(r) => {
                if fail && r.status >= 400 {
                    return error(22, format!("The requested URL returned error: {}", r.status));
                }
                let mut text = String::new();
                if include || head {
                    text.push_str(&format!("HTTP/1.1 {} {}\r\n", r.status, r.reason()));
                    for (k, v) in &r.headers {
                        text.push_str(&format!("{k}: {v}\r\n"));
                    }
                    text.push_str("\r\n");
                }
                if !head {
                    text.push_str(&r.body);
                }
                match output {
                    Some(path) if path == "/dev/null" => Out::default(),
                    Some(path) => {
                        let abs = files::normalize(&self.session.cwd, &path);
                        match self.tree.write(&abs, &text, false) {
                            Ok(()) => {
                                self.session.written.insert(abs, text);
                                Out::default()
                            }
                            Err(_) => error(23, format!("Failure writing output to destination, passed {} returned 0", text.len())),
                        }
                    }
                    None => Out::ok(text),
                }
            }
            other => self.curl_failure(&url, other, &error),
        }
    }

    fn curl_failure(&self, url: &Url, outcome: Outcome, error: &dyn Fn(i32, String) -> Out) -> Out {
        match outcome {
            Outcome::Response(_) => Out::default(),
            Outcome::CannotResolve => error(6, format!("Could not resolve host: {}", url.host)),
            Outcome::Refused { .. } => error(7, format!("Failed to connect to {} port {} after 0 ms: Connection refused", url.host, url.port)),
            Outcome::EmptyReply { .. } => error(52, "Empty reply from server".into()),
            Outcome::TimedOut { .. } => error(28, format!("Failed to connect to {} port {} after 130000 ms: Connection timed out", url.host, url.port)),
        }
    }

    fn wget(&mut self, args: &[String]) -> Out {
        let mut quiet = false;
        let mut output: Option<String> = None;
        let mut url_text: Option<&String> = None;
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            match a {
                "-O" => {
                    output = args.get(i + 1).cloned();
                    i += 1;
                }
                "-q" | "--quiet" => quiet = true,
                "-T" | "--timeout" => i += 1,
                s if s.starts_with("-O") => output = Some(s[2..].to_string()),
                s if s.starts_with("-q") => {
                    quiet = true;
                    if let Some(rest) = s.strip_prefix("-qO") {
                        if rest.is_empty() {
                            output = args.get(i + 1).cloned();
                            i += 1;
                        } else {
                            output = Some(rest.to_string());
                        }
                    }
                }
                s if s.starts_with('-') => {}
                _ => url_text = url_text.or(Some(&args[i])),
            }
            i += 1;
        }
        let Some(url_text) = url_text else {
            return Out::fail("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [-O FILE] URL...\n", 1);
        };
        let Some(url) = Url::parse(url_text) else {
            return Out::fail(format!("wget: not an http or ftp url: {url_text}\n"), 1);
        };
        let connecting = if quiet { String::new() } else { format!("Connecting to {} ", url.host) };
        match self.request(&url) {
            Outcome::Response(r) => {
                let mut stderr = if quiet { String::new() } else { format!("{connecting}({}:{})\n", r.ip, url.port) };
                if r.status >= 400 {
                    stderr.push_str(&format!("wget: server returned error: HTTP/1.1 {} {}\n", r.status, r.reason()));
                    return Out::fail(stderr, 1);
                }
                let file = output.unwrap_or_else(|| {
                    let last = url.path.rsplit('/').next().unwrap_or("");
                    if last.is_empty() { "index.html".into() } else { last.to_string() }
                });
                if file == "-" {
                    if !quiet {
                        stderr.push_str("writing to stdout\n");
                    }
                    return Out { stdout: r.body, stderr, code: 0 };
                }
                let abs = files::normalize(&self.session.cwd, &file);
                if self.tree.write(&abs, &r.body, false).is_err() {
                    return Out::fail(format!("{stderr}wget: can't open '{file}': No such file or directory\n"), 1);
                }
                self.session.written.insert(abs, r.body.clone());
                if !quiet {
                    stderr.push_str(&format!("saving to '{file}'\n{file:<18} 100% |********************************| {:>5}  0:00:00 ETA\n'{file}' saved\n", r.body.len()));
                }
                Out { stdout: String::new(), stderr, code: 0 }
            }
            Outcome::CannotResolve => Out::fail(format!("wget: bad address '{}'\n", url.host), 1),
            Outcome::Refused { ip } => Out::fail(format!("{connecting}({ip}:{})\nwget: can't connect to remote host ({ip}): Connection refused\n", url.port), 1),
            Outcome::EmptyReply { ip } => Out::fail(format!("{connecting}({ip}:{})\nwget: error getting response: Connection reset by peer\n", url.port), 1),
            Outcome::TimedOut { ip } => Out::fail(format!("{connecting}({ip}:{})\nwget: can't connect to remote host ({ip}): Connection timed out\n", url.port), 1),
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

fn echo(args: &[String]) -> Out {
    let (newline, args) = match args.first() {
        Some(f) if f == "-n" => (false, &args[1..]),
        _ => (true, args),
    };
    Out::ok(format!("{}{}", args.join(" "), if newline { "\n" } else { "" }))
}

fn grep(args: &[String], stdin: &str) -> Out {
    let flags: String = args.iter().filter(|a| a.starts_with('-')).map(|a| &a[1..]).collect();
    let Some(pattern) = args.iter().find(|a| !a.starts_with('-')) else {
        return Out::fail("Usage: grep [OPTION]... PATTERNS [FILE]...\n", 2);
    };
    let (ignore_case, invert) = (flags.contains('i'), flags.contains('v'));
    let needle = if ignore_case { pattern.to_lowercase() } else { pattern.clone() };
    let hits: String = stdin
        .lines()
        .filter(|l| {
            let hay = if ignore_case { l.to_lowercase() } else { l.to_string() };
            hay.contains(&needle) != invert
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let code = if hits.is_empty() { 1 } else { 0 };
    Out { stdout: hits, stderr: String::new(), code }
}

fn head_tail(tool: &str, args: &[String], stdin: &str) -> Out {
    let mut n = 10usize;
    let mut i = 0;
    while i < args.len() {
        if args[i] == "-n" {
            n = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(n);
            i += 1;
        } else if let Some(v) = args[i].strip_prefix('-').and_then(|v| v.parse().ok()) {
            n = v;
        }
        i += 1;
    }
    let lines: Vec<&str> = stdin.lines().collect();
    let picked = if tool == "head" { &lines[..n.min(lines.len())] } else { &lines[lines.len().saturating_sub(n)..] };
    Out::ok(picked.iter().map(|l| format!("{l}\n")).collect::<String>())
}

fn wc(args: &[String], stdin: &str) -> Out {
    let lines = stdin.lines().count();
    if args.iter().any(|a| a == "-l") {
        return Out::ok(format!("{lines}\n"));
    }
    Out::ok(format!("{lines:>7} {:>7} {:>7}\n", stdin.split_whitespace().count(), stdin.len()))
}
