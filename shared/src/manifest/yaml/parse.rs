//! YAML text → JSON values with the position of every key and value, built from
//! saphyr's parser events so that positions survive (a DOM loader would drop them).
//!
//! Two passes per document: events become a small node tree (aliases kept as
//! references), then the tree becomes `serde_json::Value` the way Kubernetes'
//! YAML-to-JSON conversion does it (go-yaml v2 resolution, v2 merge keys).

use super::number::format_g;
use super::scalar::{resolve_plain, Resolved};
use crate::api::go_float::non_finite_word;
use crate::manifest::error::{ManifestError, ManifestErrorKind};
use crate::manifest::position::{Position, SpanChildren, SpanTree};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, HashMap};

/// One non-empty document of a stream.
#[derive(Debug, Clone)]
pub(crate) struct ParsedDocument {
    pub value: Value,
    pub spans: SpanTree,
}

/// Parses every document, skipping empty ones (only comments, or `null`) as
/// kubectl does.
pub(crate) fn parse_stream(source: &str) -> Result<Vec<ParsedDocument>, ManifestError> {
    let mut parser = Parser::new_from_str(source);
    let mut documents = Vec::new();
    let mut builder = TreeBuilder::default();
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| syntax_error(source, &e, documents.len()))?;
        match event {
            Event::DocumentStart(_) => builder = TreeBuilder::default(),
            Event::DocumentEnd => {
                let Some(root) = builder.root.take() else {
                    continue;
                };
                let mut converter = Converter::new(&builder.anchors, documents.len());
                let (value, spans) = converter.convert(&root)?;
                if !value.is_null() {
                    documents.push(ParsedDocument { value, spans });
                }
            }
            Event::StreamEnd => break,
            other => builder.push(other, span, source),
        }
    }
    Ok(documents)
}

/// A YAML node before conversion, with where it starts.
#[derive(Debug, Clone)]
enum Node {
    Scalar {
        text: String,
        style: ScalarStyle,
        tag: Option<Tag>,
        at: Position,
    },
    Seq {
        items: Vec<Node>,
        at: Position,
    },
    Map {
        entries: Vec<(Node, Node)>,
        at: Position,
    },
    Alias {
        id: usize,
        name: String,
        at: Position,
    },
}

impl Node {
    fn at(&self) -> Position {
        match self {
            Node::Scalar { at, .. }
            | Node::Seq { at, .. }
            | Node::Map { at, .. }
            | Node::Alias { at, .. } => *at,
        }
    }
}

/// A collection still being filled, with its anchor id (0 for none).
enum Open {
    Seq(Vec<Node>, Position, usize),
    Map(Vec<(Node, Node)>, Option<Node>, Position, usize),
}

#[derive(Default)]
struct TreeBuilder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
}

impl TreeBuilder {
    fn push(&mut self, event: Event<'_>, span: Span, source: &str) {
        let at = position(span.start.line(), span.start.col());
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node::Scalar {
                    text: text.into_owned(),
                    style,
                    tag: tag.map(|t| t.into_owned()),
                    at,
                };
                self.finish(node, anchor);
            }
            Event::Alias(id) => {
                let name = alias_name(source, span);
                self.finish(Node::Alias { id, name, at }, 0);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Open::Seq(Vec::new(), at, anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Open::Map(Vec::new(), None, at, anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Open::Seq(items, at, anchor)) => (Node::Seq { items, at }, anchor),
                    Some(Open::Map(entries, _, at, anchor)) => (Node::Map { entries, at }, anchor),
                    None => return,
                };
                self.finish(node.0, node.1);
            }
            _ => {}
        }
    }

    /// Attaches a complete node to its parent (or makes it the root) and
    /// remembers it under its anchor.
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(Open::Seq(items, ..)) => items.push(node),
            Some(Open::Map(entries, pending, ..)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
            None => self.root = Some(node),
        }
    }
}

fn position(line: usize, col: usize) -> Position {
    Position::new(line, col + 1)
}

/// The name after `*` at an alias, for messages.
fn alias_name(source: &str, span: Span) -> String {
    source
        .chars()
        .skip(span.start.index())
        .take(span.len())
        .collect::<String>()
        .trim_start_matches('*')
        .to_string()
}

/// go-yaml v2's guard against alias bombs: expansions may not outnumber
/// ordinary nodes beyond a ratio that shrinks as documents grow.
fn allowed_alias_ratio(decoded: usize) -> f64 {
    const LOW: f64 = 400_000.0;
    const HIGH: f64 = 4_000_000.0;
    let decoded = decoded as f64;
    if decoded <= LOW {
        0.99
    } else if decoded >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * (decoded - LOW) / (HIGH - LOW)
    }
}

struct Converter<'a> {
    anchors: &'a HashMap<usize, Node>,
    document: usize,
    expanding: Vec<usize>,
    decoded: usize,
    aliased: usize,
}

impl<'a> Converter<'a> {
    fn new(anchors: &'a HashMap<usize, Node>, document: usize) -> Self {
        Self {
            anchors,
            document,
            expanding: Vec::new(),
            decoded: 0,
            aliased: 0,
        }
    }

    fn error(&self, kind: ManifestErrorKind, at: Position) -> ManifestError {
        ManifestError::new(kind, at, self.document)
    }

    fn count(&mut self, at: Position) -> Result<(), ManifestError> {
        self.decoded += 1;
        if !self.expanding.is_empty() {
            self.aliased += 1;
        }
        let ratio = self.aliased as f64 / self.decoded as f64;
        if self.aliased > 100 && self.decoded > 1000 && ratio > allowed_alias_ratio(self.decoded) {
            return Err(self.error(ManifestErrorKind::ExcessiveAliasing, at));
        }
        Ok(())
    }

    fn convert(&mut self, node: &Node) -> Result<(Value, SpanTree), ManifestError> {
        self.count(node.at())?;
        match node {
            Node::Scalar {
                text,
                style,
                tag,
                at,
            } => Ok((
                self.scalar(text, *style, tag.as_ref(), *at)?,
                SpanTree::leaf(*at),
            )),
            Node::Seq { items, at } => {
                let mut values = Vec::with_capacity(items.len());
                let mut spans = Vec::with_capacity(items.len());
                for item in items {
                    let (v, s) = self.convert(item)?;
                    values.push(v);
                    spans.push(s);
                }
                Ok((
                    Value::Array(values),
                    SpanTree {
                        value: *at,
                        children: SpanChildren::Seq(spans),
                    },
                ))
            }
            Node::Map { entries, at } => self.mapping(entries, *at),
            Node::Alias { id, name, at } => {
                let target = self.target(*id, name, *at)?;
                self.expanding.push(*id);
                let result = self.convert(target);
                self.expanding.pop();
                let (value, mut spans) = result?;
                spans.value = *at;
                Ok((value, spans))
            }
        }
    }

    /// The node an alias names, refusing one that contains itself.
    fn target(&self, id: usize, name: &str, at: Position) -> Result<&'a Node, ManifestError> {
        if self.expanding.contains(&id) {
            return Err(self.error(ManifestErrorKind::RecursiveAlias(name.to_string()), at));
        }
        self.anchors
            .get(&id)
            .ok_or_else(|| self.error(ManifestErrorKind::UnknownAnchor(name.to_string()), at))
    }

    fn mapping(
        &mut self,
        entries: &[(Node, Node)],
        at: Position,
    ) -> Result<(Value, SpanTree), ManifestError> {
        let mut map = Map::new();
        let mut spans = BTreeMap::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (key, value) in entries {
            if is_merge_key(key) {
                self.merge(value, &mut map, &mut spans)?;
                continue;
            }
            let name = self.key_string(key)?;
            let key_at = key.at();
            if let Some(first_line) = seen.get(&name) {
                let kind = ManifestErrorKind::DuplicateKey {
                    key: name,
                    line: key_at.line,
                    first_line: *first_line,
                };
                return Err(self.error(kind, key_at));
            }
            seen.insert(name.clone(), key_at.line);
            let (v, s) = self.convert(value)?;
            map.insert(name.clone(), v);
            spans.insert(name, (key_at, s));
        }
        Ok((
            Value::Object(map),
            SpanTree {
                value: at,
                children: SpanChildren::Map(spans),
            },
        ))
    }

    /// `<<: *base` or `<<: [*a, *b]`: copies the entries in, overwriting what
    /// is already there (go-yaml v2 order: later keys win, and of a list the
    /// first mapping wins).
    fn merge(
        &mut self,
        value: &Node,
        map: &mut Map<String, Value>,
        spans: &mut BTreeMap<String, (Position, SpanTree)>,
    ) -> Result<(), ManifestError> {
        let sources: Vec<&Node> = match self.resolve_alias(value)? {
            Node::Map { .. } => vec![value],
            Node::Seq { items, .. } => items.iter().rev().collect(),
            _ => return Err(self.error(ManifestErrorKind::MergeNotMap, value.at())),
        };
        for source in sources {
            if !matches!(self.resolve_alias(source)?, Node::Map { .. }) {
                return Err(self.error(ManifestErrorKind::MergeNotMap, source.at()));
            }
            let (merged, merged_spans) = self.convert(source)?;
            if let (Value::Object(entries), SpanChildren::Map(entry_spans)) =
                (merged, merged_spans.children)
            {
                map.extend(entries);
                spans.extend(entry_spans);
            }
        }
        Ok(())
    }

    /// Follows aliases to the node they name.
    fn resolve_alias<'n>(&self, node: &'n Node) -> Result<&'n Node, ManifestError>
    where
        'a: 'n,
    {
        let mut node = node;
        let mut hops = 0;
        while let Node::Alias { id, name, at } = node {
            hops += 1;
            if hops > 64 {
                return Err(self.error(ManifestErrorKind::RecursiveAlias(name.clone()), *at));
            }
            node = self.target(*id, name, *at)?;
        }
        Ok(node)
    }

    /// A mapping key as Kubernetes' YAML-to-JSON conversion spells it:
    /// `true:` becomes `"true"`, `1.5:` becomes `"1.5"`.
    fn key_string(&mut self, key: &Node) -> Result<String, ManifestError> {
        let at = key.at();
        let (text, style, tag) = match self.resolve_alias(key)? {
            Node::Scalar {
                text, style, tag, ..
            } => (text, *style, tag.as_ref()),
            Node::Map { .. } | Node::Seq { .. } | Node::Alias { .. } => {
                let (value, _) = self.convert(key)?;
                return Err(self.error(ManifestErrorKind::InvalidKey(value.to_string()), at));
            }
        };
        match self.typed_scalar(text, style, tag, at)? {
            Typed::Str => Ok(text.clone()),
            Typed::Value(Resolved::Bool(b)) => Ok(b.to_string()),
            Typed::Value(Resolved::Int(i)) => Ok(i.to_string()),
            Typed::Value(Resolved::Float(f)) => Ok(format_g(f, true)),
            Typed::Value(Resolved::Uint(u)) => {
                let kind = ManifestErrorKind::UnsupportedKey {
                    type_name: "uint64",
                    key: format!("{u:#x}"),
                };
                Err(self.error(kind, at))
            }
            Typed::Value(Resolved::Null) => {
                let kind = ManifestErrorKind::UnsupportedKey {
                    type_name: "<nil>",
                    key: "<nil>".into(),
                };
                Err(self.error(kind, at))
            }
            Typed::Value(Resolved::Str) => Ok(text.clone()),
        }
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        at: Position,
    ) -> Result<Value, ManifestError> {
        Ok(match self.typed_scalar(text, style, tag, at)? {
            Typed::Str | Typed::Value(Resolved::Str) => Value::String(text.to_string()),
            Typed::Value(Resolved::Null) => Value::Null,
            Typed::Value(Resolved::Bool(b)) => Value::Bool(b),
            Typed::Value(Resolved::Int(i)) => Value::from(i),
            // Through JSON, Kubernetes reads integers beyond int64 as float64.
            Typed::Value(Resolved::Uint(u)) => float_value(u as f64),
            Typed::Value(Resolved::Float(f)) => {
                if !f.is_finite() {
                    return Err(
                        self.error(ManifestErrorKind::UnsupportedValue(non_finite_word(f)), at)
                    );
                }
                float_value(f)
            }
        })
    }

    /// What a scalar means: quoted and block scalars are strings unless tagged,
    /// plain ones go through go-yaml v2's resolver, `!!str` forces a string and
    /// the other core tags must agree with the text.
    fn typed_scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        at: Position,
    ) -> Result<Typed, ManifestError> {
        let Some(tag) = tag.filter(|t| t.is_yaml_core_schema()) else {
            // Untagged, or an application tag go-yaml leaves alone.
            if tag.is_some() || style != ScalarStyle::Plain {
                return Ok(Typed::Str);
            }
            return Ok(Typed::Value(resolve_plain(text)));
        };
        let wanted = tag.suffix.as_str();
        if matches!(wanted, "str" | "binary" | "timestamp") {
            return Ok(Typed::Str);
        }
        let resolved = resolve_plain(text);
        let found = match resolved {
            Resolved::Null => "null",
            Resolved::Bool(_) => "bool",
            Resolved::Int(_) | Resolved::Uint(_) => "int",
            Resolved::Float(_) => "float",
            Resolved::Str => "str",
        };
        let fits = found == wanted || (wanted == "float" && found == "int");
        if !matches!(wanted, "null" | "bool" | "int" | "float") {
            return Ok(Typed::Value(resolved));
        }
        if !fits {
            let kind = ManifestErrorKind::TagMismatch {
                found: match found {
                    "null" => "!!null",
                    "bool" => "!!bool",
                    "int" => "!!int",
                    "float" => "!!float",
                    _ => "!!str",
                },
                text: text.to_string(),
                tag: format!("!!{wanted}"),
            };
            return Err(self.error(kind, at));
        }
        Ok(Typed::Value(match resolved {
            Resolved::Int(i) if wanted == "float" => Resolved::Float(i as f64),
            Resolved::Uint(u) if wanted == "float" => Resolved::Float(u as f64),
            other => other,
        }))
    }
}

enum Typed {
    Str,
    Value(Resolved),
}

fn is_merge_key(node: &Node) -> bool {
    matches!(node, Node::Scalar { text, style: ScalarStyle::Plain, tag: None, .. } if text == "<<")
}

/// A float as Kubernetes ends up holding it after its JSON round trip:
/// integral values below 1e21 that fit become integers.
fn float_value(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 1e21 && f >= i64::MIN as f64 && f < i64::MAX as f64 {
        return Value::from(f as i64);
    }
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Rewords saphyr's scanner and parser errors as go-yaml (libyaml) words them,
/// including go-yaml's line numbering: scanner errors name the real line,
/// parser errors the line before it.
fn syntax_error(source: &str, error: &ScanError, document: usize) -> ManifestError {
    let mark = error.marker();
    let at = position(mark.line(), mark.col());
    let info = error.info();
    if info.contains("unknown anchor") {
        let name = source
            .chars()
            .skip(mark.index())
            .skip_while(|c| *c == '*')
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | ']' | '}'))
            .collect();
        return ManifestError::new(ManifestErrorKind::UnknownAnchor(name), at, document);
    }
    let (problem, parser_error) = libyaml_problem(info);
    let line = if problem == UNEXPECTED_END {
        // libyaml reads an unclosed quote to the end of the input and names
        // the line after the last line break (none on the first line).
        let breaks = source.matches('\n').count();
        if breaks > 0 {
            breaks + 1
        } else {
            0
        }
    } else if parser_error {
        mark.line().saturating_sub(1)
    } else {
        mark.line()
    };
    let kind = ManifestErrorKind::Syntax {
        problem: problem.to_string(),
        line: (line > 0).then_some(line),
    };
    ManifestError::new(kind, at, document)
}

const UNEXPECTED_END: &str = "found unexpected end of stream";

/// libyaml's problem text for a saphyr error message, and whether libyaml
/// reports it from its parser (rather than its scanner).
fn libyaml_problem(info: &str) -> (&str, bool) {
    const TABLE: &[(&str, &str, bool)] = &[
        (
            "mapping values are not allowed",
            "mapping values are not allowed in this context",
            false,
        ),
        (
            "block sequence entries are not allowed",
            "block sequence entries are not allowed in this context",
            false,
        ),
        (
            "did not find expected key",
            "did not find expected key",
            true,
        ),
        (
            "invalid trailing content after double-quoted",
            "did not find expected key",
            true,
        ),
        (
            "did not find expected '-' indicator",
            "did not find expected '-' indicator",
            true,
        ),
        (
            "did not find expected node content",
            "did not find expected node content",
            true,
        ),
        (
            "expected ',' or ']'",
            "did not find expected ',' or ']'",
            true,
        ),
        (
            "expected ',' or '}'",
            "did not find expected ',' or '}'",
            true,
        ),
        (
            "quoted scalar, found unexpected end of stream",
            UNEXPECTED_END,
            false,
        ),
        // saphyr stops an unclosed quote at the first under-indented line;
        // libyaml carries on to the end of the input.
        (
            "invalid indentation in quoted scalar",
            UNEXPECTED_END,
            false,
        ),
        (
            "illegal placement of ':'",
            "did not find expected ',' or ']'",
            true,
        ),
        (
            "found unexpected document indicator",
            "found unexpected document indicator",
            false,
        ),
        (
            "found unknown escape character",
            "found unknown escape character",
            false,
        ),
        (
            "simple key expect ':'",
            "could not find expected ':'",
            false,
        ),
        ("tab", "found character that cannot start any token", false),
        (
            "unexpected character",
            "found character that cannot start any token",
            false,
        ),
        (
            "did not find expected next token",
            "found character that cannot start any token",
            false,
        ),
        ("invalid indentation", "did not find expected key", true),
        (
            "block scalar, did not find expected comment or line break",
            "did not find expected comment or line break",
            false,
        ),
        (
            "wrongly indented line in block scalar",
            "did not find expected key",
            true,
        ),
        (
            "did not find expected alphabetic or numeric character",
            "did not find expected alphabetic or numeric character",
            false,
        ),
        (
            "did not find expected <document start>",
            "did not find expected <document start>",
            true,
        ),
    ];
    for (needle, problem, parser_error) in TABLE {
        if info.contains(needle) {
            return (problem, *parser_error);
        }
    }
    let bare = info
        .split_once(", ")
        .filter(|(head, _)| head.starts_with("while "))
        .map_or(info, |(_, rest)| rest);
    (bare, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(source: &str) -> Value {
        let mut docs = parse_stream(source).unwrap();
        assert_eq!(docs.len(), 1, "{source}");
        docs.remove(0).value
    }

    fn error(source: &str) -> ManifestError {
        parse_stream(source).unwrap_err()
    }

    #[test]
    fn plain_scalars_resolve_like_go_yaml_v2() {
        let v = one("a: yes\nb: \"yes\"\nc: On\nd: n\ne: ~\nf:\ng: 0x10\nh: 010\ni: 1_000\nj: 2024-01-01\nk: 100m\nl: 'true'\n");
        assert_eq!(
            v,
            json!({"a": true, "b": "yes", "c": true, "d": false, "e": null, "f": null, "g": 16, "h": 8,
                   "i": 1000, "j": "2024-01-01", "k": "100m", "l": "true"})
        );
    }

    #[test]
    fn floats_take_the_shape_kubernetes_gives_them_after_json() {
        let v =
            one("a: 1.0\nb: 1.5\nc: 1e3\nd: 123456789012345678901234\ne: 18446744073709551615\n");
        assert_eq!(v["a"], json!(1));
        assert!(v["a"].is_i64());
        assert_eq!(v["b"], json!(1.5));
        assert_eq!(v["c"], json!(1000));
        assert_eq!(v["d"], json!(1.2345678901234568e23));
        assert!(v["e"].is_f64());
    }

    #[test]
    fn infinity_and_nan_cannot_become_json() {
        let e = error("a: 1\nb: .inf\n");
        assert_eq!(e.to_string(), "json: unsupported value: +Inf");
        assert_eq!(e.position, Position::new(2, 4));
        assert_eq!(
            error("b: -.Inf\n").to_string(),
            "json: unsupported value: -Inf"
        );
        assert_eq!(
            error("b: [.nan]\n").to_string(),
            "json: unsupported value: NaN"
        );
        // Quoted, it is just a string.
        assert_eq!(one("b: '.inf'\n"), json!({"b": ".inf"}));
    }

    #[test]
    fn keys_are_spelled_as_json_strings() {
        let v = one("yes: a\n3: b\n1.5: c\nfalse: d\n0x10: e\n");
        assert_eq!(
            v,
            json!({"true": "a", "3": "b", "1.5": "c", "false": "d", "16": "e"})
        );
        assert_eq!(
            error("~: a\n").to_string(),
            "unsupported map key of type: <nil>, key: <nil>"
        );
        assert_eq!(
            error("? [a]\n: b\n").to_string(),
            "yaml: invalid map key: [\"a\"]"
        );
    }

    #[test]
    fn block_scalars_keep_clip_and_strip_their_final_newlines() {
        let v = one("clip: |\n  line1\n  line2\nstrip: |-\n  text\nkeep: |+\n  text\n\nfolded: >\n  a\n  b\n\n  c\nindented: |2\n    four\n  two\nafter: x\n");
        assert_eq!(v["clip"], "line1\nline2\n");
        assert_eq!(v["strip"], "text");
        assert_eq!(v["keep"], "text\n\n");
        assert_eq!(v["folded"], "a b\nc\n");
        assert_eq!(v["indented"], "  four\ntwo\n");
        assert_eq!(v["after"], "x");
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = one(
            "base: &base\n  a: 1\n  b: 2\nderived:\n  <<: *base\n  b: 3\nlist:\n- &item x\n- *item\nmulti:\n  <<: [{a: 1}, {a: 2, c: 3}]\n",
        );
        assert_eq!(v["derived"], json!({"a": 1, "b": 3}));
        assert_eq!(v["list"], json!(["x", "x"]));
        assert_eq!(v["multi"], json!({"a": 1, "c": 3}));
    }

    #[test]
    fn merge_overwrites_keys_written_before_it_as_go_yaml_v2_does() {
        let v = one("base: &b {k: from-base}\no:\n  k: mine\n  <<: *b\n");
        assert_eq!(v["o"], json!({"k": "from-base"}));
    }

    #[test]
    fn merge_needs_mappings() {
        assert_eq!(
            error("a: &x 1\nb:\n  <<: *x\n").to_string(),
            "yaml: map merge requires map or sequence of maps as the value"
        );
    }

    #[test]
    fn a_quoted_merge_key_is_an_ordinary_key() {
        assert_eq!(one("'<<': a\n"), json!({"<<": "a"}));
    }

    #[test]
    fn aliases_that_contain_themselves_are_refused() {
        assert_eq!(
            error("a: &x [*x]\n").to_string(),
            "yaml: anchor 'x' value contains itself"
        );
    }

    #[test]
    fn unknown_anchor_is_named() {
        let e = error("a: *nope\n");
        assert_eq!(e.to_string(), "yaml: unknown anchor 'nope' referenced");
        assert_eq!(e.position, Position::new(1, 4));
    }

    #[test]
    fn alias_bombs_are_stopped() {
        let mut source = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            source.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert_eq!(error(&source).kind, ManifestErrorKind::ExcessiveAliasing);
    }

    #[test]
    fn explicit_core_tags_are_honoured() {
        let v = one("a: !!str 123\nb: !!int \"42\"\nc: !!float 1\nd: !custom foo\ne: !!str true\n");
        assert_eq!(
            v,
            json!({"a": "123", "b": 42, "c": 1, "d": "foo", "e": "true"})
        );
        assert_eq!(
            error("a: !!int abc\n").to_string(),
            "yaml: cannot decode !!str `abc` as a !!int"
        );
    }

    #[test]
    fn json_is_yaml() {
        let v = one(
            r#"{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]}, "x": null, "y": true, "z": 1.5}"#,
        );
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]},
                   "x": null, "y": true, "z": 1.5})
        );
    }

    #[test]
    fn empty_and_comment_only_documents_are_skipped() {
        let docs =
            parse_stream("---\n# just a comment\n---\n\n---\nnull\n---\na: 1\n...\n---\n~\n")
                .unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].value, json!({"a": 1}));
        assert!(parse_stream("").unwrap().is_empty());
        assert!(parse_stream("# nothing\n").unwrap().is_empty());
    }

    #[test]
    fn bad_indentation_under_a_mapping() {
        // libyaml's parser errors name the line before the offending one.
        let e = error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: foo\n labels: x\n");
        assert_eq!(e.to_string(), "yaml: line 4: did not find expected key");
        assert_eq!(e.position, Position::new(5, 2));
    }

    #[test]
    fn over_indented_key_is_a_mapping_value_in_the_wrong_place() {
        let e = error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: foo\n    labels: x\n");
        assert_eq!(
            e.to_string(),
            "yaml: line 5: mapping values are not allowed in this context"
        );
        assert_eq!(e.position.line, 5);
    }

    #[test]
    fn misaligned_list_item_field() {
        let e = error("spec:\n  containers:\n  - name: a\n   image: b\n");
        assert_eq!(e.to_string(), "yaml: line 3: did not find expected key");
        assert_eq!(e.position, Position::new(4, 4));
    }

    #[test]
    fn tabs_cannot_indent() {
        let e = error("apiVersion: v1\nmetadata:\n\tname: foo\n");
        assert_eq!(
            e.to_string(),
            "yaml: line 3: found character that cannot start any token"
        );
        assert_eq!(e.position.line, 3);
    }

    #[test]
    fn unclosed_quotes_run_to_the_end_of_the_input() {
        let e = error("apiVersion: v1\nmetadata:\n  name: 'foo\n");
        assert_eq!(
            e.to_string(),
            "yaml: line 4: found unexpected end of stream"
        );
        assert_eq!(e.position, Position::new(3, 9));
        let e = error("apiVersion: v1\nmetadata:\n  name: \"foo\n  x: y\n");
        assert_eq!(
            e.to_string(),
            "yaml: line 5: found unexpected end of stream"
        );
        assert_eq!(e.position.line, 3);
    }

    #[test]
    fn key_without_colon() {
        let e = error("metadata:\n  name: foo\n  labels\n    app: x\n");
        assert_eq!(e.to_string(), "yaml: line 4: could not find expected ':'");
    }

    #[test]
    fn list_item_after_a_mapping() {
        assert_eq!(
            error("key: value\n- item\n").to_string(),
            "yaml: line 1: did not find expected key"
        );
        assert_eq!(
            error("- a\nb: c\n").to_string(),
            "yaml: line 1: did not find expected '-' indicator"
        );
    }

    #[test]
    fn reserved_indicator() {
        assert_eq!(
            error("a: @foo\n").to_string(),
            "yaml: line 1: found character that cannot start any token"
        );
    }

    #[test]
    fn unclosed_flow_mapping() {
        assert_eq!(
            error("a: {x: 1\n").to_string(),
            "yaml: line 1: did not find expected ',' or '}'"
        );
    }

    #[test]
    fn duplicate_keys_name_both_lines() {
        let e = error("metadata:\n  name: a\n  labels: {}\n  name: b\n");
        assert_eq!(
            e.to_string(),
            "yaml: unmarshal errors:\n  line 4: mapping key \"name\" already defined at line 2"
        );
        assert_eq!(e.position, Position::new(4, 3));
    }

    #[test]
    fn errors_carry_the_index_of_the_document_being_read() {
        let e = error("a: 1\n---\n# empty\n---\nb: 2\n---\nc: [\n");
        assert_eq!(e.document, 2);
        let e = error("a: 1\n---\nb: 2\nb: 3\n");
        assert_eq!(e.document, 1);
    }
}
