//! The few text filters learners pipe kubectl into (`| grep my-api`, `| head -5`,
//! `| wc -l`, `| sort`), so cheat-sheet habits work in the page's terminal.

/// Runs one pipeline stage over `input`; `Err` is the shell's complaint.
pub fn filter(stage: &[String], input: &str) -> Result<String, String> {
    let Some((program, args)) = stage.split_first() else {
        return Err("bash: syntax error near unexpected token `|'".into());
    };
    let lines: Vec<&str> = input.lines().collect();
    let join = |ls: &[&str]| ls.iter().map(|l| format!("{l}\n")).collect::<String>();
    match program.as_str() {
        "grep" => {
            let mut invert = false;
            let mut ignore_case = false;
            let mut pattern = None;
            for a in args {
                match a.as_str() {
                    "-v" => invert = true,
                    "-i" => ignore_case = true,
                    "-vi" | "-iv" => {
                        invert = true;
                        ignore_case = true;
                    }
                    p if pattern.is_none() => pattern = Some(p.to_string()),
                    _ => {}
                }
            }
            let pattern = pattern.ok_or("Usage: grep [OPTION]... PATTERNS [FILE]...")?;
            let matches = |l: &str| if ignore_case { l.to_lowercase().contains(&pattern.to_lowercase()) } else { l.contains(&pattern) };
            Ok(join(&lines.iter().copied().filter(|l| matches(l) != invert).collect::<Vec<_>>()))
        }
        "head" | "tail" => {
            let n = count(args)?;
            let picked: Vec<&str> = if program == "head" {
                lines.iter().take(n).copied().collect()
            } else {
                lines[lines.len().saturating_sub(n)..].to_vec()
            };
            Ok(join(&picked))
        }
        "wc" if args.iter().any(|a| a == "-l") => Ok(format!("{}\n", lines.len())),
        "sort" => {
            let mut sorted = lines.clone();
            sorted.sort_unstable();
            if args.iter().any(|a| a == "-r") {
                sorted.reverse();
            }
            Ok(join(&sorted))
        }
        other => Err(format!("bash: {other}: command not found")),
    }
}

/// `-n 5`, `-n5`, `-5`; 10 by default, as head and tail count.
fn count(args: &[String]) -> Result<usize, String> {
    let text = match args {
        [] => return Ok(10),
        [flag, n, ..] if flag == "-n" => n.as_str(),
        [first, ..] => first.strip_prefix("-n").or_else(|| first.strip_prefix('-')).unwrap_or(first),
    };
    text.parse().map_err(|_| format!("invalid number of lines: '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    const TABLE: &str = "NAME   READY\nweb-1  1/1\ndb-1   0/1\nweb-2  1/1\n";

    #[test]
    fn grep_keeps_matching_lines() {
        assert_eq!(filter(&words("grep web"), TABLE).unwrap(), "web-1  1/1\nweb-2  1/1\n");
        assert_eq!(filter(&words("grep -v web"), TABLE).unwrap(), "NAME   READY\ndb-1   0/1\n");
        assert_eq!(filter(&words("grep -i name"), TABLE).unwrap(), "NAME   READY\n");
    }

    #[test]
    fn head_tail_wc_and_sort() {
        assert_eq!(filter(&words("head -2"), TABLE).unwrap(), "NAME   READY\nweb-1  1/1\n");
        assert_eq!(filter(&words("tail -n 1"), TABLE).unwrap(), "web-2  1/1\n");
        assert_eq!(filter(&words("wc -l"), TABLE).unwrap(), "4\n");
        assert_eq!(filter(&words("sort"), "b\na\n").unwrap(), "a\nb\n");
        assert_eq!(filter(&words("less"), TABLE).unwrap_err(), "bash: less: command not found");
    }
}
