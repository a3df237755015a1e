//! A line diff (Myers' O((N+M)·D) greedy algorithm) for the object browser: what changed between
//! the YAML a student opened and the object now, shown as `diff -u` does, with a little context
//! around each change and the unchanged stretches folded.

/// One line of the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// In both texts.
    Same(String),
    /// Only in the new text.
    Added(String),
    /// Only in the old text.
    Removed(String),
    /// This many unchanged lines are not shown.
    Folded(usize),
}

impl DiffLine {
    /// `diff -u`'s marker: ` `, `+`, `-` (and `…` for a fold).
    pub fn marker(&self) -> &'static str {
        match self {
            Self::Same(_) => " ",
            Self::Added(_) => "+",
            Self::Removed(_) => "-",
            Self::Folded(_) => "…",
        }
    }
}

/// How the new text differs from the old one: every line, in order; removals of a changed
/// stretch come before its additions.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // The common head and tail cost nothing to find and shrink the search.
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out: Vec<DiffLine> = a[..head]
        .iter()
        .map(|l| DiffLine::Same(l.to_string()))
        .collect();
    for edit in myers(a_mid, b_mid) {
        out.push(match edit {
            Edit::Same(i) => DiffLine::Same(a_mid[i].to_string()),
            Edit::Remove(i) => DiffLine::Removed(a_mid[i].to_string()),
            Edit::Add(j) => DiffLine::Added(b_mid[j].to_string()),
        });
    }
    out.extend(
        a[a.len() - tail..]
            .iter()
            .map(|l| DiffLine::Same(l.to_string())),
    );
    group_changes(out)
}

/// Only the changes with `context` unchanged lines around each; longer unchanged stretches
/// become one [`DiffLine::Folded`].
pub fn with_context(lines: Vec<DiffLine>, context: usize) -> Vec<DiffLine> {
    let changed: Vec<bool> = lines
        .iter()
        .map(|l| matches!(l, DiffLine::Added(_) | DiffLine::Removed(_)))
        .collect();
    // Distance to the nearest change before and after each line.
    let n = lines.len();
    let mut near = vec![false; n];
    let mut last = None;
    for i in 0..n {
        if changed[i] {
            last = Some(i);
        }
        near[i] = last.is_some_and(|c| i - c <= context);
    }
    let mut next = None;
    for i in (0..n).rev() {
        if changed[i] {
            next = Some(i);
        }
        near[i] |= next.is_some_and(|c| c - i <= context);
    }
    let mut out = Vec::new();
    let mut folded = 0;
    for (line, keep) in lines.into_iter().zip(near) {
        if keep {
            if folded > 0 {
                out.push(DiffLine::Folded(folded));
                folded = 0;
            }
            out.push(line);
        } else {
            folded += 1;
        }
    }
    if folded > 0 {
        out.push(DiffLine::Folded(folded));
    }
    out
}

/// Whether anything was added or removed.
pub fn has_changes(lines: &[DiffLine]) -> bool {
    lines
        .iter()
        .any(|l| matches!(l, DiffLine::Added(_) | DiffLine::Removed(_)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Same(usize),
    Remove(usize),
    Add(usize),
}

/// The shortest edit script from `a` to `b`, in order.
fn myers(a: &[&str], b: &[&str]) -> Vec<Edit> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    if n == 0 || m == 0 {
        return (0..a.len())
            .map(Edit::Remove)
            .chain((0..b.len()).map(Edit::Add))
            .collect();
    }
    let max = n + m;
    let offset = max + 1;
    let mut v = vec![0isize; (2 * max + 3) as usize];
    // `trace[d]` is `v` before round `d`, kept for walking back.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let at = |k: isize| (k + offset) as usize;
    'search: for d in 0..=max {
        trace.push(v.clone());
        for k in (-d..=d).step_by(2) {
            let mut x = if k == -d || (k != d && v[at(k - 1)] < v[at(k + 1)]) {
                v[at(k + 1)]
            } else {
                v[at(k - 1)] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[at(k)] = x;
            if x >= n && y >= m {
                break 'search;
            }
        }
    }
    let mut edits = Vec::new();
    let (mut x, mut y) = (n, m);
    for (d, v) in trace.iter().enumerate().rev() {
        let d = d as isize;
        let k = x - y;
        let prev_k = if k == -d || (k != d && v[at(k - 1)] < v[at(k + 1)]) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = v[at(prev_k)];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            edits.push(Edit::Same(x as usize));
        }
        if d > 0 {
            if x == prev_x {
                edits.push(Edit::Add(prev_y as usize));
            } else {
                edits.push(Edit::Remove(prev_x as usize));
            }
        }
        x = prev_x;
        y = prev_y;
    }
    edits.reverse();
    edits
}

/// Within each run of changes, removals first, then additions, as `diff -u` prints them.
fn group_changes(lines: Vec<DiffLine>) -> Vec<DiffLine> {
    let mut out = Vec::with_capacity(lines.len());
    let mut added = Vec::new();
    for line in lines {
        match line {
            DiffLine::Added(_) => added.push(line),
            DiffLine::Removed(_) => out.push(line),
            other => {
                out.append(&mut added);
                out.push(other);
            }
        }
    }
    out.append(&mut added);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use DiffLine::{Added, Folded, Removed, Same};

    fn s(text: &str) -> String {
        text.to_string()
    }

    /// The new text, rebuilt from the diff: what it keeps and adds.
    fn new_side(lines: &[DiffLine]) -> Vec<String> {
        lines
            .iter()
            .filter_map(|l| match l {
                Same(t) | Added(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    fn old_side(lines: &[DiffLine]) -> Vec<String> {
        lines
            .iter()
            .filter_map(|l| match l {
                Same(t) | Removed(t) => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn equal_texts_have_no_changes() {
        let lines = diff_lines("a\nb\n", "a\nb\n");
        assert_eq!(lines, [Same(s("a")), Same(s("b"))]);
        assert!(!has_changes(&lines));
    }

    #[test]
    fn a_changed_value_is_one_removal_and_one_addition() {
        let old = "spec:\n  replicas: 3\n  paused: false\n";
        let new = "spec:\n  replicas: 5\n  paused: false\n";
        assert_eq!(
            diff_lines(old, new),
            [
                Same(s("spec:")),
                Removed(s("  replicas: 3")),
                Added(s("  replicas: 5")),
                Same(s("  paused: false"))
            ]
        );
    }

    #[test]
    fn insertions_and_deletions_anywhere_rebuild_both_sides() {
        let old = "a\nb\nc\nd\ne\nf\n";
        let new = "x\na\nc\nd\ny\nf\nz\n";
        let lines = diff_lines(old, new);
        assert_eq!(old_side(&lines), ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(new_side(&lines), ["x", "a", "c", "d", "y", "f", "z"]);
        let changes = lines.iter().filter(|l| !matches!(l, Same(_))).count();
        assert_eq!(changes, 5, "the shortest script: +x -b -e +y +z: {lines:?}");
    }

    #[test]
    fn an_empty_side_is_all_additions_or_all_removals() {
        assert_eq!(diff_lines("", "a\nb"), [Added(s("a")), Added(s("b"))]);
        assert_eq!(diff_lines("a", ""), [Removed(s("a"))]);
        assert_eq!(diff_lines("", ""), []);
    }

    #[test]
    fn the_classic_example_takes_five_edits() {
        // Myers' paper: ABCABBA → CBABAC has an edit distance of 5.
        let old = "A\nB\nC\nA\nB\nB\nA";
        let new = "C\nB\nA\nB\nA\nC";
        let lines = diff_lines(old, new);
        assert_eq!(
            lines.iter().filter(|l| !matches!(l, Same(_))).count(),
            5,
            "{lines:?}"
        );
        assert_eq!(old_side(&lines).join(""), "ABCABBA");
        assert_eq!(new_side(&lines).join(""), "CBABAC");
    }

    #[test]
    fn removals_of_a_change_come_before_its_additions() {
        let lines = diff_lines("a\nb\nc\nz", "a\nx\ny\nz");
        assert_eq!(
            lines,
            [
                Same(s("a")),
                Removed(s("b")),
                Removed(s("c")),
                Added(s("x")),
                Added(s("y")),
                Same(s("z"))
            ]
        );
    }

    #[test]
    fn context_folds_long_unchanged_stretches() {
        let old: Vec<String> = (0..20).map(|i| format!("line {i}")).collect();
        let mut new = old.clone();
        new[10] = "changed".into();
        let lines = with_context(diff_lines(&old.join("\n"), &new.join("\n")), 2);
        assert_eq!(
            lines,
            [
                Folded(8),
                Same(s("line 8")),
                Same(s("line 9")),
                Removed(s("line 10")),
                Added(s("changed")),
                Same(s("line 11")),
                Same(s("line 12")),
                Folded(7),
            ]
        );
        assert_eq!(lines[0].marker(), "…");
    }

    #[test]
    fn no_changes_fold_into_one_line() {
        let lines = with_context(diff_lines("a\nb\nc", "a\nb\nc"), 3);
        assert_eq!(lines, [Folded(3)]);
    }
}
