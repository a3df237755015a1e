//! JSON values → YAML text exactly as `kubectl get -o yaml` prints them.
//!
//! kubectl marshals through go-yaml v2, whose emitter is libyaml's: the rules
//! below (key order, when to quote and how, 80-column folding of long scalars,
//! indentless sequences under a key) follow that emitter step by step.

use super::number::number_text;
use super::scalar::{is_base60_float, is_timestamp, resolve_plain, Resolved};
use serde_json::Value;
use std::cmp::Ordering;

/// libyaml's preferred line width: longer plain and quoted scalars are folded
/// at a space once a line passes it.
const BEST_WIDTH: usize = 80;
const BEST_INDENT: i64 = 2;
/// Longest key libyaml writes as `key:` rather than `? key`.
const MAX_SIMPLE_KEY: usize = 128;

/// One object as kubectl prints it, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut emitter = Emitter::new();
    emitter.node(value, Context::default());
    emitter.end_document();
    emitter.out
}

/// Several objects as kubectl prints them one after another: `---` between them.
pub fn to_yaml_documents(values: &[Value]) -> String {
    values.iter().map(to_yaml).collect::<Vec<_>>().join("---\n")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// Where a node sits, which decides indentation and what quoting it needs.
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    out: String,
    column: usize,
    indent: i64,
    indents: Vec<i64>,
    /// The last character written was whitespace (so an indicator needs none).
    whitespace: bool,
    /// Only indentation has been written on the current line so far.
    indention: bool,
}

impl Emitter {
    fn new() -> Self {
        Self {
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
        }
    }

    fn node(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::Null => self.scalar("null", Style::Plain, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Value::Number(n) => self.scalar(&number_text(n), Style::Plain, ctx),
            Value::String(s) => self.scalar(s, requested_string_style(s), ctx),
            Value::Array(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Object(map) if map.is_empty() => self.empty_flow("{", "}"),
            Value::Array(items) => self.sequence(items, ctx),
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by(|a, b| go_key_order(a, b));
                let entries: Vec<(&String, &Value)> =
                    keys.into_iter().map(|k| (k, &map[k.as_str()])).collect();
                self.mapping(&entries);
            }
        }
    }

    fn sequence(&mut self, items: &[Value], ctx: Context) {
        // Under a key, items start at the key's own column: `containers:\n- name: x`.
        let indentless = ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Context::default());
        }
        self.pop_indent();
    }

    fn mapping(&mut self, entries: &[(&String, &Value)]) {
        self.increase_indent(false, false);
        for (key, value) in entries {
            self.write_indent();
            let analysis = Analysis::of(key);
            let simple = !analysis.multiline && key.len() <= MAX_SIMPLE_KEY;
            let value_ctx = Context {
                mapping: true,
                ..Context::default()
            };
            if simple {
                self.scalar(
                    key,
                    requested_string_style(key),
                    Context {
                        mapping: true,
                        simple_key: true,
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.scalar(key, requested_string_style(key), value_ctx);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(value, value_ctx);
        }
        self.pop_indent();
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, value: &str, requested: Style, ctx: Context) {
        let analysis = Analysis::of(value);
        let style = select_style(requested, &analysis, ctx);
        self.increase_indent(true, false);
        let chars: Vec<char> = value.chars().collect();
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(&chars, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(&chars, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(&chars, allow_breaks),
            Style::Literal => self.write_literal(&chars),
        }
        self.pop_indent();
    }

    fn end_document(&mut self) {
        self.write_indent();
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// Writes a line break taken from the value: `\n` as a newline, the
    /// Unicode breaks as themselves.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, value: &[char], allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        self.write_folded_text(value, allow_breaks, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        self.write_folded_text(value, allow_breaks, true);
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// The body of a plain or single-quoted scalar, which libyaml writes alike:
    /// long lines fold at a lone space, and a line break is doubled because a
    /// reader folds a single break into a space. A quoted body doubles its
    /// quotes and never folds at its first or last character.
    fn write_folded_text(&mut self, value: &[char], allow_breaks: bool, single_quoted: bool) {
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in value.iter().enumerate() {
            if c == ' ' {
                let next_is_space = value.get(i + 1) == Some(&' ');
                let interior = !single_quoted || (i > 0 && i + 1 < value.len());
                if allow_breaks && !spaces && self.column > BEST_WIDTH && interior && !next_is_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if single_quoted && c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
    }

    fn write_double_quoted(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // libyaml checks for a byte order mark at the start of the whole value
        // at every character, so such a value is escaped throughout.
        let starts_with_bom = value.first() == Some(&'\u{feff}');
        let mut spaces = false;
        for (i, &c) in value.iter().enumerate() {
            if !is_printable(c) || starts_with_bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                self.write_escape(c);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < value.len()
                {
                    self.write_indent();
                    if value.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_escape(&mut self, c: char) {
        let short = match c {
            '\0' => Some('0'),
            '\u{7}' => Some('a'),
            '\u{8}' => Some('b'),
            '\t' => Some('t'),
            '\n' => Some('n'),
            '\u{b}' => Some('v'),
            '\u{c}' => Some('f'),
            '\r' => Some('r'),
            '\u{1b}' => Some('e'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\u{85}' => Some('N'),
            '\u{a0}' => Some('_'),
            '\u{2028}' => Some('L'),
            '\u{2029}' => Some('P'),
            _ => None,
        };
        if let Some(s) = short {
            self.put(s);
            return;
        }
        let code = u32::from(c);
        let (prefix, width) = if code <= 0xFF {
            ('x', 2)
        } else if code <= 0xFFFF {
            ('u', 4)
        } else {
            ('U', 8)
        };
        self.put(prefix);
        for ch in format!("{code:0width$X}").chars() {
            self.put(ch);
        }
    }

    fn write_literal(&mut self, value: &[char]) {
        self.write_indicator("|", true, false, false);
        if value.first().is_some_and(|&c| c == ' ' || is_break(c)) {
            let hint = BEST_INDENT.to_string();
            self.write_indicator(&hint, false, false, false);
        }
        if let Some(chomp) = chomping_indicator(value) {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in value {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// `-` when the text has no final line break, `+` when it has more than one,
/// nothing when it has exactly one.
fn chomping_indicator(value: &[char]) -> Option<&'static str> {
    match value {
        [] => Some("-"),
        [.., last] if !is_break(*last) => Some("-"),
        [_] => Some("+"),
        [.., before, _] if is_break(*before) => Some("+"),
        _ => None,
    }
}

/// go-yaml's first choice for a string: literal block if it has a newline,
/// double quotes if unquoted it would read back as something else (`"true"`,
/// `"123"`, `""`, timestamps), plain otherwise.
fn requested_string_style(s: &str) -> Style {
    if s.contains('\n') {
        return Style::Literal;
    }
    let reads_back_as_string =
        resolve_plain(s) == Resolved::Str && !is_timestamp(s) && !is_base60_float(s);
    if reads_back_as_string {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// libyaml's fallbacks when the requested style cannot hold the text.
fn select_style(requested: Style, a: &Analysis, ctx: Context) -> Style {
    let mut style = requested;
    if ctx.simple_key && a.multiline {
        style = Style::DoubleQuoted;
    }
    if style == Style::Plain && (!a.block_plain_allowed || (a.empty && ctx.simple_key)) {
        style = Style::SingleQuoted;
    }
    if style == Style::SingleQuoted && !a.single_quoted_allowed {
        style = Style::DoubleQuoted;
    }
    if style == Style::Literal && (!a.block_allowed || ctx.simple_key) {
        style = Style::DoubleQuoted;
    }
    style
}

/// What libyaml learns about a scalar before choosing how to write it.
struct Analysis {
    empty: bool,
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

impl Analysis {
    fn of(value: &str) -> Self {
        if value.is_empty() {
            return Self {
                empty: true,
                multiline: false,
                block_plain_allowed: true,
                single_quoted_allowed: true,
                block_allowed: false,
            };
        }
        let chars: Vec<char> = value.chars().collect();
        let mut block_indicators = value.starts_with("---") || value.starts_with("...");
        let mut line_breaks = false;
        let mut special_characters = false;
        let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
            (false, false, false, false);
        let (mut break_space, mut space_break) = (false, false);
        let (mut previous_space, mut previous_break) = (false, false);
        let mut preceded_by_whitespace = true;
        let last = chars.len() - 1;
        for (i, &c) in chars.iter().enumerate() {
            let followed_by_whitespace = chars.get(i + 1).is_none_or(|&n| is_blank(n));
            if i == 0 {
                match c {
                    '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\''
                    | '"' | '%' | '@' | '`' => {
                        block_indicators = true;
                    }
                    '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                    _ => {}
                }
            } else {
                match c {
                    ':' if followed_by_whitespace => block_indicators = true,
                    '#' if preceded_by_whitespace => block_indicators = true,
                    _ => {}
                }
            }
            if !is_printable(c) {
                special_characters = true;
            }
            if c == ' ' {
                leading_space |= i == 0;
                trailing_space |= i == last;
                break_space |= previous_break;
                previous_space = true;
                previous_break = false;
            } else if is_break(c) {
                line_breaks = true;
                leading_break |= i == 0;
                trailing_break |= i == last;
                space_break |= previous_space;
                previous_space = false;
                previous_break = true;
            } else {
                previous_space = false;
                previous_break = false;
            }
            preceded_by_whitespace = is_blank(c) || is_break(c) || c == '\0';
        }
        let mut a = Self {
            empty: false,
            multiline: line_breaks,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
        if leading_space || leading_break || trailing_space || trailing_break {
            a.block_plain_allowed = false;
        }
        if trailing_space {
            a.block_allowed = false;
        }
        if break_space {
            a.block_plain_allowed = false;
            a.single_quoted_allowed = false;
        }
        if space_break || special_characters {
            a.block_plain_allowed = false;
            a.single_quoted_allowed = false;
            a.block_allowed = false;
        }
        if line_breaks || block_indicators {
            a.block_plain_allowed = false;
        }
        a
    }
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's printable set: no tabs or control characters, nothing beyond
/// the Basic Multilingual Plane (so emoji end up `\U` escaped).
fn is_printable(c: char) -> bool {
    let c = u32::from(c);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (0xA0..=0xD7FF).contains(&c)
        || ((0xE000..=0xFFFD).contains(&c) && c != 0xFEFF)
}

/// go-yaml's map key order: a "natural" sort where runs of digits compare as
/// numbers and non-letters sort before letters (`a2` < `a10`, `_x` < `ab`).
fn go_key_order(a: &str, b: &str) -> Ordering {
    if go_key_less(a, b) {
        Ordering::Less
    } else if go_key_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

fn go_key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(u32::from(ar[ai]) - u32::from('0')));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(u32::from(br[bi]) - u32::from('0')));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_document;
    use proptest::prelude::*;
    use serde_json::json;

    fn field(v: Value) -> String {
        to_yaml(&json!({ "v": v }))
    }

    #[test]
    fn pod_prints_as_kubectl_prints_it() {
        let last_applied = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"name\":\"nginx\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"nginx\"}]}}\n";
        let pod = json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied},
                "creationTimestamp": "2024-05-01T10:00:00Z",
                "labels": {"app": "nginx"},
                "name": "nginx",
                "namespace": "default",
                "resourceVersion": "1234",
                "uid": "0b7c5d7e-1f2a-4c3b-9d8e-123456789abc"
            },
            "spec": {
                "containers": [{
                    "image": "nginx:1.25",
                    "imagePullPolicy": "IfNotPresent",
                    "name": "nginx",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File"
                }],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "nodeName": "node-1",
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30,
                "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300}]
            },
            "status": {
                "conditions": [{"lastProbeTime": null, "lastTransitionTime": "2024-05-01T10:00:00Z", "status": "True", "type": "Ready"}],
                "containerStatuses": [{
                    "image": "nginx:1.25",
                    "ready": true,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": "2024-05-01T10:00:01Z"}}
                }],
                "phase": "Running",
                "podIP": "10.244.0.5",
                "qosClass": "BestEffort"
            }
        });
        let expected = r#"apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"name":"nginx","namespace":"default"},"spec":{"containers":[{"image":"nginx:1.25","name":"nginx"}]}}
  creationTimestamp: "2024-05-01T10:00:00Z"
  labels:
    app: nginx
  name: nginx
  namespace: default
  resourceVersion: "1234"
  uid: 0b7c5d7e-1f2a-4c3b-9d8e-123456789abc
spec:
  containers:
  - image: nginx:1.25
    imagePullPolicy: IfNotPresent
    name: nginx
    ports:
    - containerPort: 80
      protocol: TCP
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  nodeName: node-1
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  terminationGracePeriodSeconds: 30
  tolerations:
  - effect: NoExecute
    key: node.kubernetes.io/not-ready
    operator: Exists
    tolerationSeconds: 300
status:
  conditions:
  - lastProbeTime: null
    lastTransitionTime: "2024-05-01T10:00:00Z"
    status: "True"
    type: Ready
  containerStatuses:
  - image: nginx:1.25
    ready: true
    restartCount: 0
    state:
      running:
        startedAt: "2024-05-01T10:00:01Z"
  phase: Running
  podIP: 10.244.0.5
  qosClass: BestEffort
"#;
        assert_eq!(to_yaml(&pod), expected);
    }

    #[test]
    fn strings_that_would_read_back_as_other_types_are_double_quoted() {
        for s in [
            "true",
            "False",
            "yes",
            "y",
            "N",
            "on",
            "123",
            "-1",
            "0x1F",
            "017",
            "1.5",
            "1e3",
            ".inf",
            "null",
            "~",
            "",
            "2024-01-01",
            "1:20",
        ] {
            assert_eq!(field(json!(s)), format!("v: \"{s}\"\n"), "{s:?}");
        }
    }

    #[test]
    fn strings_libyaml_cannot_write_plain_are_single_quoted() {
        let cases = [
            (" leading", "' leading'"),
            ("trailing ", "'trailing '"),
            ("*", "'*'"),
            ("- x", "'- x'"),
            ("-", "'-'"),
            ("a: b", "'a: b'"),
            ("a:", "'a:'"),
            ("a #b", "'a #b'"),
            ("#x", "'#x'"),
            ("@at", "'@at'"),
            ("%x", "'%x'"),
            ("[x]", "'[x]'"),
            ("{x}", "'{x}'"),
            ("'quoted'", "'''quoted'''"),
            ("--- x", "'--- x'"),
            ("&anchor", "'&anchor'"),
            ("!tag", "'!tag'"),
        ];
        for (s, printed) in cases {
            assert_eq!(field(json!(s)), format!("v: {printed}\n"), "{s:?}");
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "nginx:1.25",
            "a:b",
            "-x",
            "a#b",
            "it's",
            "a,b",
            "?x",
            "http://example.com/a?b=c",
            "100m",
            "10.0.0.1",
            "<<",
            "é",
            "a b",
        ] {
            assert_eq!(field(json!(s)), format!("v: {s}\n"), "{s:?}");
        }
    }

    #[test]
    fn unprintable_characters_are_escaped_in_double_quotes() {
        assert_eq!(field(json!("a\tb")), "v: \"a\\tb\"\n");
        assert_eq!(field(json!("bell\u{7}")), "v: \"bell\\a\"\n");
        assert_eq!(field(json!("del\u{7f}")), "v: \"del\\x7F\"\n");
        assert_eq!(field(json!("smile 😀")), "v: \"smile \\U0001F600\"\n");
        assert_eq!(field(json!("cr\rlf")), "v: \"cr\\rlf\"\n");
    }

    #[test]
    fn multi_line_strings_are_literal_blocks_with_chomping() {
        assert_eq!(field(json!("a\nb")), "v: |-\n  a\n  b\n");
        assert_eq!(field(json!("a\nb\n")), "v: |\n  a\n  b\n");
        assert_eq!(field(json!("a\n\n")), "v: |+\n  a\n\n");
        assert_eq!(field(json!(" a\nb")), "v: |2-\n   a\n  b\n");
        assert_eq!(field(json!("a\n\nb\n")), "v: |\n  a\n\n  b\n");
        // A space before a line break cannot be kept by a block scalar.
        assert_eq!(field(json!("a \nb")), "v: \"a \\nb\"\n");
        assert_eq!(
            to_yaml(&json!({"list": ["x\ny"]})),
            "list:\n- |-\n  x\n  y\n"
        );
    }

    #[test]
    fn keys_are_quoted_like_values() {
        assert_eq!(
            to_yaml(&json!({"true": 1, "80": "http", "a b": "c"})),
            "\"80\": http\na b: c\n\"true\": 1\n"
        );
        // A multi-line key cannot be a simple key, so libyaml writes it explicitly.
        assert_eq!(to_yaml(&json!({"a\nb": 1})), "? |-\n  a\n  b\n: 1\n");
    }

    #[test]
    fn long_keys_use_the_explicit_key_form() {
        let key = "k".repeat(129);
        assert_eq!(
            to_yaml(&json!({ key.clone(): 1 })),
            format!("? {key}\n: 1\n")
        );
    }

    #[test]
    fn long_plain_strings_fold_after_column_80() {
        let words = vec!["word"; 30].join(" ");
        let out = field(json!(words));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        // The break replaces the first space written past column 80.
        assert_eq!(lines[0].len(), 82);
        assert!(lines[1].starts_with("  word"));
        assert_eq!(parse_document(&out).unwrap().value, json!({ "v": words }));
    }

    #[test]
    fn long_double_quoted_strings_fold_with_an_escape_that_keeps_the_next_space() {
        let value = format!("\t{}  b", "a".repeat(85));
        let out = field(json!(value.clone()));
        assert_eq!(out, format!("v: \"\\t{}\n  \\ b\"\n", "a".repeat(85)));
        assert_eq!(parse_document(&out).unwrap().value, json!({ "v": value }));
    }

    #[test]
    fn long_single_quoted_strings_fold_at_single_spaces() {
        let value = format!("'{}'", vec!["word"; 25].join(" "));
        let out = field(json!(value.clone()));
        assert!(out.starts_with("v: '''word"), "{out}");
        assert_eq!(out.lines().count(), 2, "{out}");
        assert_eq!(parse_document(&out).unwrap().value, json!({ "v": value }));
    }

    /// (Not U+2028/U+2029: libyaml writes them raw as YAML 1.1 line breaks
    /// followed by indentation, which a YAML 1.2 reader keeps as content.)
    #[test]
    fn awkward_strings_read_back_unchanged() {
        let long_key = vec!["key"; 50].join(" ");
        let cases = [
            "\n",
            "\n\n",
            "\na",
            "a\u{85}b",
            "\u{feff}bom",
            "x\u{0}y",
            "# not a comment\nsecond",
            "  indented\nlines  \n",
            "tab\tand\nnewline",
            "'\"both\"'",
            "...",
            "---",
            "a\r\nb",
        ];
        for s in cases {
            let v = json!({ "v": s, s: 1, long_key.clone(): s });
            let out = to_yaml(&v);
            assert_eq!(parse_document(&out).unwrap().value, v, "{out}");
        }
    }

    #[test]
    fn collections_nest_like_kubectl() {
        assert_eq!(
            to_yaml(&json!({"a": [[1, 2], []], "b": {}, "c": [{}]})),
            "a:\n- - 1\n  - 2\n- []\nb: {}\nc:\n- {}\n"
        );
        assert_eq!(
            to_yaml(&json!([{"a": 1, "b": {"c": 2}}])),
            "- a: 1\n  b:\n    c: 2\n"
        );
        assert_eq!(to_yaml(&json!("x")), "x\n");
        assert_eq!(to_yaml(&json!(null)), "null\n");
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!([])), "[]\n");
    }

    #[test]
    fn numbers_print_as_go_prints_them() {
        let v = json!({"a": 1.5, "b": 3.0, "c": 1e21, "d": -0.000001, "e": 12345678901234567890u64, "f": 1500000.5});
        assert_eq!(
            to_yaml(&v),
            "a: 1.5\nb: 3\nc: 1e+21\nd: -1e-06\ne: 12345678901234567890\nf: 1.5000005e+06\n"
        );
    }

    #[test]
    fn keys_sort_naturally_as_go_yaml_sorts_them() {
        let v = json!({"a10": 1, "a9": 2, "B": 3, "_x": 4, "a": 5});
        assert_eq!(to_yaml(&v), "_x: 4\nB: 3\na: 5\na9: 2\na10: 1\n");
    }

    #[test]
    fn documents_are_joined_with_separators() {
        let out = to_yaml_documents(&[json!({"a": 1}), json!({"b": [1]})]);
        assert_eq!(out, "a: 1\n---\nb:\n- 1\n");
        assert_eq!(to_yaml_documents(&[]), "");
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let tricky = prop_oneof![
            any::<String>(),
            "[ a-z:#'\"\\-\n\t{}\\[\\],&*!|>%@`?~]{0,12}",
            Just("true".to_string()),
            Just("0x1F".to_string()),
            Just("2024-01-01T00:00:00Z".to_string()),
            Just(" ".repeat(3)),
            "( ?[a-z]{1,12}){10,20}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e6..1e6f64)
                .prop_filter("non-integral", |f| f.fract() != 0.0)
                .prop_map(Value::from),
            any::<f64>()
                .prop_filter("large finite", |f| f.is_finite() && f.abs() >= 1e19)
                .prop_map(Value::from),
            tricky.clone().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(tricky.clone(), inner, 0..6).prop_map(|m| {
                    Value::Object(m.into_iter().filter(|(k, _)| k != "<<").collect())
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn printed_yaml_reads_back_as_the_same_value(value in json_value()) {
            let yaml = to_yaml(&value);
            let parsed = crate::manifest::parse_documents(&yaml);
            let parsed = parsed.map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            let back = parsed.into_iter().next().map(|d| d.value).unwrap_or(Value::Null);
            prop_assert_eq!(back, value, "{}", yaml);
        }
    }
}
