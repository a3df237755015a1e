//! The terminal's screen: a rows×cols grid of styled cells with a cursor, driven by the
//! parser's actions the way an xterm-compatible terminal (`TERM=xterm`) is: wrapping at the
//! right margin, scrolling within the scroll region, erasing, cursor movement, save/restore,
//! the alternate screen, and the answers to a program's queries (cursor position, device
//! attributes), which go back on its stdin. Lines scrolled off the main screen's top are kept
//! as scrollback. Every character takes one cell.

use super::parser::{Action, Csi, Parser};
use super::style::Style;
use std::collections::VecDeque;

/// How many lines scrolled off the top are kept.
const SCROLLBACK: usize = 1_000;
const TAB_WIDTH: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub ch: char,
    pub style: Style,
}

impl Default for Cell {
    fn default() -> Self {
        Self {
            ch: ' ',
            style: Style::default(),
        }
    }
}

pub type Row = Vec<Cell>;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cursor {
    row: usize,
    col: usize,
}

/// What ESC 7 / CSI s keep.
#[derive(Clone, Copy, Debug, Default)]
struct Saved {
    cursor: Cursor,
    pen: Style,
}

#[derive(Clone, Debug)]
pub struct Screen {
    rows: usize,
    cols: usize,
    grid: Vec<Row>,
    /// The main screen's grid and cursor while the alternate screen shows.
    main: Option<(Vec<Row>, Cursor)>,
    cursor: Cursor,
    /// The last column was written: the next character wraps first.
    wrap_pending: bool,
    pen: Style,
    saved: Option<Saved>,
    /// The scroll region, both rows inclusive.
    top: usize,
    bottom: usize,
    autowrap: bool,
    cursor_visible: bool,
    app_cursor_keys: bool,
    bracketed_paste: bool,
    scrollback: VecDeque<Row>,
    replies: Vec<u8>,
    parser: Parser,
}

impl Screen {
    pub fn new(rows: u16, cols: u16) -> Self {
        let (rows, cols) = (usize::from(rows.max(1)), usize::from(cols.max(1)));
        Self {
            rows,
            cols,
            grid: vec![vec![Cell::default(); cols]; rows],
            main: None,
            cursor: Cursor::default(),
            wrap_pending: false,
            pen: Style::default(),
            saved: None,
            top: 0,
            bottom: rows - 1,
            autowrap: true,
            cursor_visible: true,
            app_cursor_keys: false,
            bracketed_paste: false,
            scrollback: VecDeque::new(),
            replies: Vec::new(),
            parser: Parser::default(),
        }
    }

    /// Reads what the program wrote.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut parser = std::mem::take(&mut self.parser);
        parser.feed(bytes, &mut |action| self.act(action));
        self.parser = parser;
    }

    /// What the terminal answered to the program's queries since the last call: bytes for
    /// its stdin.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.replies)
    }

    pub fn size(&self) -> (u16, u16) {
        (self.rows as u16, self.cols as u16)
    }

    /// The visible rows, top to bottom.
    pub fn rows(&self) -> &[Row] {
        &self.grid
    }

    /// Lines scrolled off the top, oldest first.
    pub fn scrollback(&self) -> impl Iterator<Item = &Row> {
        self.scrollback.iter()
    }

    /// The cursor's (row, col), or `None` while the program hides it.
    pub fn cursor(&self) -> Option<(usize, usize)> {
        self.cursor_visible
            .then_some((self.cursor.row, self.cursor.col))
    }

    /// Whether arrow keys are sent in application mode (`ESC O A`), as DECCKM asked.
    pub fn app_cursor_keys(&self) -> bool {
        self.app_cursor_keys
    }

    /// Whether a paste is wrapped in `ESC [200~ … ESC [201~`, as the program asked.
    pub fn bracketed_paste(&self) -> bool {
        self.bracketed_paste
    }

    /// The text of visible row `row` (trailing blanks trimmed), as tests and screen readers see it.
    pub fn row_text(&self, row: usize) -> String {
        self.grid.get(row).map(|r| text(r)).unwrap_or_default()
    }

    /// Everything shown, scrollback first, without the blank rows at the end: what stays in
    /// the page's scrollback once the session is over.
    pub fn transcript(&self) -> String {
        let mut lines: Vec<String> = self
            .scrollback
            .iter()
            .chain(&self.grid)
            .map(|r| text(r))
            .collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines.join("\n")
    }

    /// The new size in cells: rows cut at the bottom move into scrollback when the cursor would
    /// fall off, so what was just typed stays in view; the scroll region becomes the screen.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let (rows, cols) = (usize::from(rows.max(1)), usize::from(cols.max(1)));
        if self.main.is_none() && self.cursor.row >= rows {
            let off = self.cursor.row + 1 - rows;
            for line in self.grid.drain(..off) {
                push_scrollback(&mut self.scrollback, line);
            }
            self.cursor.row -= off;
        }
        fit(&mut self.grid, rows, cols);
        if let Some((grid, cursor)) = &mut self.main {
            fit(grid, rows, cols);
            cursor.row = cursor.row.min(rows - 1);
            cursor.col = cursor.col.min(cols - 1);
        }
        self.rows = rows;
        self.cols = cols;
        self.top = 0;
        self.bottom = rows - 1;
        self.cursor.row = self.cursor.row.min(rows - 1);
        self.cursor.col = self.cursor.col.min(cols - 1);
        self.wrap_pending = false;
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Print(ch) => self.print(ch),
            Action::Control(b) => self.control(b),
            Action::Csi(csi) => self.csi(&csi),
            Action::Esc {
                intermediate: None,
                final_byte,
            } => self.esc(final_byte),
            // Character set choices (`ESC ( B`) and the like: one set, UTF-8.
            Action::Esc { .. } => {}
        }
    }

    fn print(&mut self, ch: char) {
        if self.wrap_pending {
            self.wrap_pending = false;
            self.cursor.col = 0;
            self.linefeed();
        }
        let pen = self.pen;
        self.grid[self.cursor.row][self.cursor.col] = Cell { ch, style: pen };
        if self.cursor.col + 1 < self.cols {
            self.cursor.col += 1;
        } else if self.autowrap {
            self.wrap_pending = true;
        }
    }

    fn control(&mut self, b: u8) {
        match b {
            b'\r' => self.carriage_return(),
            b'\n' | 0x0b | 0x0c => {
                self.wrap_pending = false;
                self.linefeed();
            }
            0x08 => {
                self.wrap_pending = false;
                self.cursor.col = self.cursor.col.saturating_sub(1);
            }
            b'\t' => {
                self.wrap_pending = false;
                self.cursor.col =
                    ((self.cursor.col / TAB_WIDTH + 1) * TAB_WIDTH).min(self.cols - 1);
            }
            _ => {}
        }
    }

    fn carriage_return(&mut self) {
        self.wrap_pending = false;
        self.cursor.col = 0;
    }

    /// Down one row, scrolling the region when at its bottom.
    fn linefeed(&mut self) {
        if self.cursor.row == self.bottom {
            self.scroll_up(1);
        } else if self.cursor.row + 1 < self.rows {
            self.cursor.row += 1;
        }
    }

    fn reverse_index(&mut self) {
        if self.cursor.row == self.top {
            self.scroll_down(1);
        } else {
            self.cursor.row = self.cursor.row.saturating_sub(1);
        }
    }

    fn blank(&self) -> Cell {
        // Background colour erase: erased cells keep the pen's background.
        let style = Style {
            bg: self.pen.bg,
            ..Style::default()
        };
        Cell { ch: ' ', style }
    }

    fn blank_row(&self) -> Row {
        vec![self.blank(); self.cols]
    }

    /// The region's lines move up `n`; the main screen's top lines go to scrollback.
    fn scroll_up(&mut self, n: usize) {
        let n = n.min(self.bottom + 1 - self.top);
        for _ in 0..n {
            let line = self.grid.remove(self.top);
            if self.top == 0 && self.main.is_none() {
                push_scrollback(&mut self.scrollback, line);
            }
            let blank = self.blank_row();
            self.grid.insert(self.bottom, blank);
        }
    }

    fn scroll_down(&mut self, n: usize) {
        let n = n.min(self.bottom + 1 - self.top);
        for _ in 0..n {
            self.grid.remove(self.bottom);
            let blank = self.blank_row();
            self.grid.insert(self.top, blank);
        }
    }

    fn esc(&mut self, final_byte: u8) {
        match final_byte {
            b'7' => self.save_cursor(),
            b'8' => self.restore_cursor(),
            b'D' => self.linefeed(),
            b'E' => {
                self.carriage_return();
                self.linefeed();
            }
            b'M' => self.reverse_index(),
            b'c' => {
                let scrollback = std::mem::take(&mut self.scrollback);
                *self = Screen {
                    scrollback,
                    ..Screen::new(self.rows as u16, self.cols as u16)
                };
            }
            _ => {}
        }
    }

    fn save_cursor(&mut self) {
        self.saved = Some(Saved {
            cursor: self.cursor,
            pen: self.pen,
        });
    }

    fn restore_cursor(&mut self) {
        let saved = self.saved.unwrap_or_default();
        self.cursor = Cursor {
            row: saved.cursor.row.min(self.rows - 1),
            col: saved.cursor.col.min(self.cols - 1),
        };
        self.pen = saved.pen;
        self.wrap_pending = false;
    }

    fn csi(&mut self, csi: &Csi) {
        if csi.intermediate.is_some() {
            return;
        }
        match csi.private {
            Some(b'?') => return self.private_mode(csi),
            Some(_) => return,
            None => {}
        }
        let n = usize::from(csi.count(0, 1));
        let (row, col) = (self.cursor.row, self.cursor.col);
        match csi.final_byte {
            b'A' => self.move_to(row.saturating_sub(n).max(self.region_top(row)), col),
            b'B' | b'e' => self.move_to((row + n).min(self.region_bottom(row)), col),
            b'C' | b'a' => self.move_to(row, col + n),
            b'D' => self.move_to(row, col.saturating_sub(n)),
            b'E' => self.move_to((row + n).min(self.region_bottom(row)), 0),
            b'F' => self.move_to(row.saturating_sub(n).max(self.region_top(row)), 0),
            b'G' | b'`' => self.move_to(row, n - 1),
            b'd' => self.move_to(n - 1, col),
            b'H' | b'f' => self.move_to(n - 1, usize::from(csi.count(1, 1)) - 1),
            b'J' => self.erase_display(csi.raw(0)),
            b'K' => self.erase_line(csi.raw(0)),
            b'@' => self.insert_chars(n),
            b'P' => self.delete_chars(n),
            b'X' => {
                let blank = self.blank();
                let end = (col + n).min(self.cols);
                self.grid[row][col..end].fill(blank);
            }
            b'L' => self.insert_lines(n),
            b'M' => self.delete_lines(n),
            b'S' => self.scroll_up(n),
            b'T' => self.scroll_down(n),
            b'm' => self.pen.apply_sgr(&csi.params),
            b'r' => {
                let top = usize::from(csi.count(0, 1)) - 1;
                let bottom = (usize::from(csi.count(1, self.rows as u16)) - 1).min(self.rows - 1);
                if top < bottom {
                    (self.top, self.bottom) = (top, bottom);
                    self.move_to(0, 0);
                }
            }
            b's' => self.save_cursor(),
            b'u' => self.restore_cursor(),
            b'n' => match csi.raw(0) {
                5 => self.replies.extend_from_slice(b"\x1b[0n"),
                6 => {
                    let answer = format!("\x1b[{};{}R", row + 1, col + 1);
                    self.replies.extend_from_slice(answer.as_bytes());
                }
                _ => {}
            },
            // A VT100 with advanced video, as many terminals answer.
            b'c' if csi.raw(0) == 0 => self.replies.extend_from_slice(b"\x1b[?1;2c"),
            _ => {}
        }
    }

    fn private_mode(&mut self, csi: &Csi) {
        let on = match csi.final_byte {
            b'h' => true,
            b'l' => false,
            _ => return,
        };
        for &mode in &csi.params {
            match mode {
                1 => self.app_cursor_keys = on,
                7 => self.autowrap = on,
                25 => self.cursor_visible = on,
                47 | 1047 => self.alternate_screen(on),
                1049 => {
                    if on {
                        self.save_cursor();
                        self.alternate_screen(true);
                    } else {
                        self.alternate_screen(false);
                        self.restore_cursor();
                    }
                }
                2004 => self.bracketed_paste = on,
                _ => {}
            }
        }
    }

    fn alternate_screen(&mut self, on: bool) {
        match (on, self.main.is_some()) {
            (true, false) => {
                let blank = vec![vec![Cell::default(); self.cols]; self.rows];
                let grid = std::mem::replace(&mut self.grid, blank);
                self.main = Some((grid, self.cursor));
            }
            (false, true) => {
                if let Some((grid, cursor)) = self.main.take() {
                    self.grid = grid;
                    self.cursor = cursor;
                }
            }
            _ => {}
        }
        self.wrap_pending = false;
    }

    /// The upper limit of vertical moves: the region's top when the cursor is inside it.
    fn region_top(&self, row: usize) -> usize {
        if row >= self.top {
            self.top
        } else {
            0
        }
    }

    fn region_bottom(&self, row: usize) -> usize {
        if row <= self.bottom {
            self.bottom
        } else {
            self.rows - 1
        }
    }

    fn move_to(&mut self, row: usize, col: usize) {
        self.cursor = Cursor {
            row: row.min(self.rows - 1),
            col: col.min(self.cols - 1),
        };
        self.wrap_pending = false;
    }

    fn erase_display(&mut self, kind: u16) {
        let blank = self.blank();
        let Cursor { row, col } = self.cursor;
        match kind {
            0 => {
                self.grid[row][col..].fill(blank);
                for line in &mut self.grid[row + 1..] {
                    line.fill(blank);
                }
            }
            1 => {
                self.grid[row][..=col].fill(blank);
                for line in &mut self.grid[..row] {
                    line.fill(blank);
                }
            }
            2 | 3 => {
                for line in &mut self.grid {
                    line.fill(blank);
                }
                if kind == 3 {
                    self.scrollback.clear();
                }
            }
            _ => {}
        }
    }

    fn erase_line(&mut self, kind: u16) {
        let blank = self.blank();
        let Cursor { row, col } = self.cursor;
        let line = &mut self.grid[row];
        match kind {
            0 => line[col..].fill(blank),
            1 => line[..=col].fill(blank),
            2 => line.fill(blank),
            _ => {}
        }
    }

    fn insert_chars(&mut self, n: usize) {
        let blank = self.blank();
        let Cursor { row, col } = self.cursor;
        let line = &mut self.grid[row];
        let n = n.min(self.cols - col);
        line.truncate(self.cols - n);
        line.splice(col..col, std::iter::repeat_n(blank, n));
        self.wrap_pending = false;
    }

    fn delete_chars(&mut self, n: usize) {
        let blank = self.blank();
        let Cursor { row, col } = self.cursor;
        let line = &mut self.grid[row];
        let n = n.min(self.cols - col);
        line.drain(col..col + n);
        line.extend(std::iter::repeat_n(blank, n));
        self.wrap_pending = false;
    }

    fn insert_lines(&mut self, n: usize) {
        let row = self.cursor.row;
        if row < self.top || row > self.bottom {
            return;
        }
        let n = n.min(self.bottom + 1 - row);
        for _ in 0..n {
            self.grid.remove(self.bottom);
            let blank = self.blank_row();
            self.grid.insert(row, blank);
        }
        self.cursor.col = 0;
        self.wrap_pending = false;
    }

    fn delete_lines(&mut self, n: usize) {
        let row = self.cursor.row;
        if row < self.top || row > self.bottom {
            return;
        }
        let n = n.min(self.bottom + 1 - row);
        for _ in 0..n {
            self.grid.remove(row);
            let blank = self.blank_row();
            self.grid.insert(self.bottom, blank);
        }
        self.cursor.col = 0;
        self.wrap_pending = false;
    }
}

fn push_scrollback(scrollback: &mut VecDeque<Row>, line: Row) {
    if scrollback.len() == SCROLLBACK {
        scrollback.pop_front();
    }
    scrollback.push_back(line);
}

/// Cuts or pads every row and the number of rows to the new size (content stays top-left).
fn fit(grid: &mut Vec<Row>, rows: usize, cols: usize) {
    grid.truncate(rows);
    for line in grid.iter_mut() {
        line.resize(cols, Cell::default());
    }
    while grid.len() < rows {
        grid.push(vec![Cell::default(); cols]);
    }
}

/// A row's characters, trailing blanks trimmed.
pub fn text(row: &[Cell]) -> String {
    let s: String = row.iter().map(|c| c.ch).collect();
    s.trim_end().to_string()
}

/// A run of cells drawn alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub text: String,
    pub style: Style,
    /// The cursor's cell (a run of its own).
    pub cursor: bool,
}

/// A row as runs of equal style, the cursor's cell (at `cursor`) alone, and default-styled
/// blanks at the end left out.
pub fn runs(row: &[Cell], cursor: Option<usize>) -> Vec<Run> {
    let end = row
        .iter()
        .rposition(|c| c.ch != ' ' || c.style != Style::default())
        .map_or(0, |i| i + 1)
        .max(cursor.map_or(0, |c| c + 1))
        .min(row.len());
    let mut out: Vec<Run> = Vec::new();
    for (i, cell) in row[..end].iter().enumerate() {
        let at_cursor = cursor == Some(i);
        match out.last_mut() {
            Some(run) if !at_cursor && !run.cursor && run.style == cell.style => {
                run.text.push(cell.ch)
            }
            _ => out.push(Run {
                text: cell.ch.to_string(),
                style: cell.style,
                cursor: at_cursor,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::style::Color;
    use super::*;

    fn screen(rows: u16, cols: u16, bytes: &[u8]) -> Screen {
        let mut s = Screen::new(rows, cols);
        s.feed(bytes);
        s
    }

    fn texts(s: &Screen) -> Vec<String> {
        (0..s.rows).map(|r| s.row_text(r)).collect()
    }

    #[test]
    fn text_cr_lf_backspace_and_tab_move_the_cursor() {
        let s = screen(3, 20, b"abc\r\nde\x08X\tY");
        assert_eq!(texts(&s), ["abc", "dX      Y", ""]);
        assert_eq!(s.cursor(), Some((1, 9)));
        // LF alone keeps the column, as on a terminal (the tty adds the CR).
        let s = screen(3, 10, b"ab\ncd");
        assert_eq!(texts(&s), ["ab", "  cd", ""]);
    }

    #[test]
    fn long_lines_wrap_only_when_the_next_character_comes() {
        let s = screen(3, 4, b"abcd");
        assert_eq!(s.cursor(), Some((0, 3)));
        assert_eq!(texts(&s), ["abcd", "", ""]);
        let s = screen(3, 4, b"abcdef");
        assert_eq!(texts(&s), ["abcd", "ef", ""]);
        // CR right at the margin stays on the line.
        let s = screen(3, 4, b"abcd\r\nx");
        assert_eq!(texts(&s), ["abcd", "x", ""]);
    }

    #[test]
    fn the_bottom_line_scrolls_the_screen_into_scrollback() {
        let s = screen(2, 5, b"1\r\n2\r\n3\r\n4");
        assert_eq!(texts(&s), ["3", "4"]);
        let back: Vec<String> = s.scrollback().map(|r| text(r)).collect();
        assert_eq!(back, ["1", "2"]);
    }

    #[test]
    fn the_transcript_is_scrollback_and_screen_without_trailing_blank_rows() {
        let s = screen(3, 10, b"\x1b[31m/ # \x1b[0mls\r\nbin  etc\r\n/ # x\r\n");
        assert_eq!(s.transcript(), "/ # ls\nbin  etc\n/ # x");
    }

    #[test]
    fn utf8_characters_take_one_cell_each() {
        let s = screen(1, 10, "é€→".as_bytes());
        assert_eq!(s.row_text(0), "é€→");
        assert_eq!(s.cursor(), Some((0, 3)));
    }

    #[test]
    fn sgr_colours_the_cells_written_after_it() {
        let s = screen(1, 10, b"\x1b[31mred\x1b[0m ok");
        let runs = runs(&s.rows()[0], None);
        assert_eq!(runs[0].text, "red");
        assert_eq!(runs[0].style.fg, Color::Indexed(1));
        assert_eq!(runs[1].text, " ok");
        assert_eq!(runs[1].style, Style::default());
    }

    #[test]
    fn cursor_movement_sequences() {
        let mut s = screen(5, 10, b"\x1b[3;4H");
        assert_eq!(s.cursor(), Some((2, 3)));
        s.feed(b"\x1b[A\x1b[2C");
        assert_eq!(s.cursor(), Some((1, 5)));
        s.feed(b"\x1b[9B\x1b[20D");
        assert_eq!(s.cursor(), Some((4, 0)));
        s.feed(b"\x1b[2;2f\x1b[7G");
        assert_eq!(s.cursor(), Some((1, 6)));
        s.feed(b"\x1b[H");
        assert_eq!(s.cursor(), Some((0, 0)));
        s.feed(b"\x1b[99;99H");
        assert_eq!(s.cursor(), Some((4, 9)));
    }

    #[test]
    fn erase_in_line_and_display() {
        let mut s = screen(3, 6, b"aaaaaa\r\nbbbbbb\r\ncccccc\x1b[2;3H");
        s.feed(b"\x1b[K");
        assert_eq!(texts(&s), ["aaaaaa", "bb", "cccccc"]);
        s.feed(b"\x1b[1K");
        assert_eq!(texts(&s), ["aaaaaa", "", "cccccc"]);
        s.feed(b"\x1b[J");
        assert_eq!(texts(&s), ["aaaaaa", "", ""]);
        s.feed(b"\x1b[2J");
        assert_eq!(texts(&s), ["", "", ""]);
        assert_eq!(s.cursor(), Some((1, 2)), "ED leaves the cursor where it is");
    }

    #[test]
    fn save_and_restore_cursor_with_its_pen() {
        let mut s = screen(3, 10, b"\x1b[2;5H\x1b[1m\x1b7\x1b[H\x1b[0mx\x1b8y");
        assert_eq!(s.row_text(1), "    y");
        assert!(s.rows()[1][4].style.bold);
        s.feed(b"\x1b[3;1H\x1b[s\x1b[H\x1b[u");
        assert_eq!(s.cursor(), Some((2, 0)));
    }

    #[test]
    fn the_alternate_screen_hides_and_gives_back_the_main_one() {
        let mut s = screen(2, 10, b"shell$ ");
        s.feed(b"\x1b[?1049h\x1b[H\x1b[2Jtop");
        assert_eq!(texts(&s), ["top", ""]);
        s.feed(b"\x1b[?1049l");
        assert_eq!(texts(&s), ["shell$", ""]);
        assert_eq!(s.cursor(), Some((0, 7)));
    }

    #[test]
    fn busybox_ash_redraws_an_edited_line_in_place() {
        // Typing "lx", Backspace, "s", then history: ash moves back and clears to the end.
        let mut s = screen(2, 20, b"/ # lx\x08 \x08s");
        assert_eq!(s.row_text(0), "/ # ls");
        s.feed(b"\r\x1b[4C\x1b[Kecho hi\x1b[J");
        assert_eq!(s.row_text(0), "/ # echo hi");
        assert_eq!(s.cursor(), Some((0, 11)));
    }

    #[test]
    fn top_style_full_screen_redraw_with_a_reverse_header_and_scroll_region() {
        let mut s = screen(
            4,
            12,
            b"\x1b[H\x1b[J\x1b[7mPID USER\x1b[m\r\n1 root\r\n2 root\r\n3 root",
        );
        assert_eq!(texts(&s), ["PID USER", "1 root", "2 root", "3 root"]);
        assert!(s.rows()[0][0].style.reverse);
        s.feed(b"\x1b[2;4r\x1b[4;1H\n4 root");
        assert_eq!(texts(&s), ["PID USER", "2 root", "3 root", "4 root"]);
        assert_eq!(
            s.scrollback().count(),
            0,
            "a region below the top keeps no scrollback"
        );
        s.feed(b"\x1b[2;1H\x1bM");
        assert_eq!(texts(&s), ["PID USER", "", "2 root", "3 root"]);
    }

    #[test]
    fn insert_and_delete_characters_and_lines() {
        let mut s = screen(3, 6, b"abcdef\x1b[1;2H\x1b[2@");
        assert_eq!(s.row_text(0), "a  bcd");
        s.feed(b"\x1b[3P");
        assert_eq!(s.row_text(0), "acd");
        s.feed(b"\x1b[2;1Hxx\x1b[3;1Hyy\x1b[2;1H\x1b[L");
        assert_eq!(texts(&s), ["acd", "", "xx"]);
        s.feed(b"\x1b[M");
        assert_eq!(texts(&s), ["acd", "xx", ""]);
        s.feed(b"\x1b[1;1H\x1b[2X");
        assert_eq!(s.row_text(0), "  d");
    }

    #[test]
    fn queries_are_answered_for_the_program_stdin() {
        let mut s = screen(5, 10, b"\x1b[3;7H\x1b[6n\x1b[c");
        assert_eq!(s.take_replies(), b"\x1b[3;7R\x1b[?1;2c");
        assert!(s.take_replies().is_empty());
    }

    #[test]
    fn modes_for_keys_cursor_and_paste() {
        let mut s = screen(2, 5, b"\x1b[?1h\x1b[?25l\x1b[?2004h");
        assert!(s.app_cursor_keys() && s.bracketed_paste());
        assert_eq!(s.cursor(), None);
        s.feed(b"\x1b[?1l\x1b[?25h");
        assert!(!s.app_cursor_keys());
        assert!(s.cursor().is_some());
    }

    #[test]
    fn resizing_keeps_the_cursor_line_in_view() {
        let mut s = screen(4, 10, b"1\r\n2\r\n3\r\n4");
        s.resize(2, 5);
        assert_eq!(texts(&s), ["3", "4"]);
        assert_eq!(s.cursor(), Some((1, 1)));
        assert_eq!(s.scrollback().count(), 2);
        s.resize(3, 20);
        assert_eq!(s.size(), (3, 20));
        s.feed(b"\x1b[3;20Hz");
        assert_eq!(s.row_text(2), format!("{}z", " ".repeat(19)));
    }

    #[test]
    fn runs_split_at_style_changes_and_the_cursor() {
        let s = screen(1, 10, b"ab\x1b[1mcd\x1b[m");
        let r = runs(&s.rows()[0], Some(5));
        let parts: Vec<(&str, bool)> = r.iter().map(|r| (r.text.as_str(), r.cursor)).collect();
        assert_eq!(
            parts,
            [("ab", false), ("cd", false), (" ", false), (" ", true)]
        );
        assert!(r[1].style.bold);
    }
}
