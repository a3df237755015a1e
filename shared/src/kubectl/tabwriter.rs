//! Go's `text/tabwriter` as kubectl configures it: tab-separated cells become
//! space-aligned columns, each block of consecutive lines aligned on its own.
//!
//! `kubectl get` uses minimum width 6 and padding 3; `kubectl describe` uses 0 and 2.
//! Getting this exactly right is what makes the output look like kubectl's.

/// Settings for `kubectl get` tables.
pub const GET: (usize, usize) = (6, 3);
/// Settings for `kubectl describe`.
pub const DESCRIBE: (usize, usize) = (0, 2);

/// Aligns `text` (lines of `\t`-terminated cells) with `(min_width, padding)`.
pub fn align(text: &str, (min_width, padding): (usize, usize)) -> String {
    let ends_with_newline = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() && ends_with_newline {
        return "\n".into();
    }
    let lines: Vec<Vec<&str>> = body.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::new();
    let mut widths = Vec::new();
    format(&lines, 0, lines.len(), &mut widths, min_width, padding, &mut out);
    if !ends_with_newline {
        out.pop();
    }
    out
}

fn width(cell: &str) -> usize {
    cell.chars().count()
}

/// Go's recursive column-block formatting: a column spans the consecutive lines
/// that have a tab-terminated cell in it.
fn format(lines: &[Vec<&str>], mut line0: usize, line1: usize, widths: &mut Vec<usize>, min_width: usize, padding: usize, out: &mut String) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column >= lines[this].len() - 1 {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut w = min_width;
        while this < line1 && column < lines[this].len() - 1 {
            w = w.max(width(lines[this][column]) + padding);
            this += 1;
        }
        widths.push(w);
        format(lines, line0, this, widths, min_width, padding, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for line in &lines[from..to] {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j < widths.len() && j + 1 < line.len() {
                out.extend(std::iter::repeat_n(' ', widths[j].saturating_sub(width(cell))));
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_tables_pad_columns_by_three_but_not_the_last() {
        let t = "NAME\tREADY\tAGE\nmy-api-abc\t1/1\t5s\n";
        assert_eq!(align(t, GET), "NAME         READY   AGE\nmy-api-abc   1/1     5s\n");
    }

    #[test]
    fn narrow_columns_get_the_minimum_width() {
        assert_eq!(align("A\tB\nx\ty\n", GET), "A     B\nx     y\n");
    }

    #[test]
    fn a_line_without_tabs_ends_a_block() {
        let t = "Name:\tweb\nNamespace:\tdefault\nContainers:\n  api:\n    Image:\tmyapp:1.0\n";
        assert_eq!(
            align(t, DESCRIBE),
            "Name:       web\nNamespace:  default\nContainers:\n  api:\n    Image:  myapp:1.0\n"
        );
    }
}
