//! `curl` and `wget` as a container's shell runs them: their options, and their
//! words for each way a request ends (curl's numbered errors, busybox wget's lines).

use super::commands::{Out, Run};
use super::files;
use super::http::{self, Outcome, Url};

impl Run<'_> {
    pub(super) fn request(&mut self, url: &Url) -> Outcome {
        self.session.requests += 1;
        let seed = self.now.as_nanosecond() as u64 ^ self.session.requests.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        http::get(self.api, &self.target.pod, url, self.now, seed)
    }

    pub(super) fn curl(&mut self, args: &[String]) -> Out {
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

    pub(super) fn wget(&mut self, args: &[String]) -> Out {
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
