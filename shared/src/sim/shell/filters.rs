//! The text tools a pipeline ends in (`echo`, `grep`, `head`, `tail`, `wc`, `sort`):
//! plain functions of their arguments and standard input.

use super::commands::Out;

pub(super) fn echo(args: &[String]) -> Out {
    let (newline, args) = match args.first() {
        Some(f) if f == "-n" => (false, &args[1..]),
        _ => (true, args),
    };
    Out::ok(format!("{}{}", args.join(" "), if newline { "\n" } else { "" }))
}

pub(super) fn grep(args: &[String], stdin: &str) -> Out {
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

pub(super) fn head_tail(tool: &str, args: &[String], stdin: &str) -> Out {
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

pub(super) fn wc(args: &[String], stdin: &str) -> Out {
    let lines = stdin.lines().count();
    if args.iter().any(|a| a == "-l") {
        return Out::ok(format!("{lines}\n"));
    }
    Out::ok(format!("{lines:>7} {:>7} {:>7}\n", stdin.split_whitespace().count(), stdin.len()))
}

/// `sort`: lines in byte order.
pub(super) fn sort(stdin: &str) -> Out {
    let mut lines: Vec<&str> = stdin.lines().collect();
    lines.sort_unstable();
    Out::ok(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn grep_filters_lines_and_fails_without_a_match() {
        let input = "APP_ENV=prod\nHOME=/root\napp_mode=x\n";
        assert_eq!(grep(&args(&["APP"]), input).stdout, "APP_ENV=prod\n");
        assert_eq!(grep(&args(&["-i", "app"]), input).stdout, "APP_ENV=prod\napp_mode=x\n");
        assert_eq!(grep(&args(&["-v", "APP"]), input).stdout, "HOME=/root\napp_mode=x\n");
        assert_eq!(grep(&args(&["nope"]), input).code, 1);
    }

    #[test]
    fn head_tail_wc_sort_and_echo_behave_like_coreutils() {
        let input = "c\na\nb\n";
        assert_eq!(head_tail("head", &args(&["-n", "2"]), input).stdout, "c\na\n");
        assert_eq!(head_tail("tail", &args(&["-1"]), input).stdout, "b\n");
        assert_eq!(wc(&args(&["-l"]), input).stdout, "3\n");
        assert_eq!(sort(input).stdout, "a\nb\nc\n");
        assert_eq!(echo(&args(&["-n", "a", "b"])).stdout, "a b");
    }
}
