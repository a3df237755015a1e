//! Label selectors, in both forms Kubernetes uses: the `?labelSelector=` /
//! `kubectl -l` string (`app=web,tier in (fe,be),!canary`) and the structured
//! `matchLabels`/`matchExpressions` object of Deployments and ReplicaSets.
//!
//! Parsing follows Kubernetes' grammar token for token so that malformed
//! selectors fail with the same messages kubectl users see from a real cluster.

use super::syntax::{label_key_errors, label_value_errors};
use super::SelectorError;
use crate::api::decode::to_typed;
use crate::api::validation::FieldError;
use serde_json::{Map, Value};
use std::fmt;

/// How a requirement compares a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// One condition on one label key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Checks a requirement as Kubernetes' `NewRequirement` does; `field` is
    /// the path prefix its errors carry (none for the string form).
    fn new(
        key: &str,
        operator: Operator,
        values: Vec<String>,
        field: Option<&str>,
    ) -> Result<Self, SelectorError> {
        let path = |child: &str| match field {
            Some(p) => format!("{p}.{child}"),
            None => child.to_string(),
        };
        let mut errs = Vec::new();
        let key_errs = label_key_errors(key);
        if !key_errs.is_empty() {
            errs.push(FieldError::invalid(path("key"), key, key_errs.join("; ")));
        }
        let values_path = path("values");
        let list = || Value::from(values.clone());
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => errs.push(FieldError::invalid(
                &values_path,
                list(),
                "for 'in', 'notin' operators, values set can't be empty",
            )),
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals
                if values.len() != 1 =>
            {
                errs.push(FieldError::invalid(
                    &values_path,
                    list(),
                    "exact-match compatibility requires one single value",
                ))
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                errs.push(FieldError::invalid(
                    &values_path,
                    list(),
                    "values set must be empty for exists and does not exist",
                ))
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(FieldError::invalid(
                        &values_path,
                        list(),
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(FieldError::invalid(
                            format!("{values_path}[{i}]"),
                            v.as_str(),
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, v) in values.iter().enumerate() {
            let value_errs = label_value_errors(v);
            if !value_errs.is_empty() {
                errs.push(FieldError::invalid(
                    format!("{values_path}[{i}][{key}]"),
                    v.as_str(),
                    value_errs.join("; "),
                ));
            }
        }
        if errs.is_empty() {
            Ok(Self {
                key: key.to_string(),
                operator,
                values,
            })
        } else {
            Err(SelectorError::InvalidRequirement(aggregate(&errs)))
        }
    }

    fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let value = labels
            .and_then(|l| l.get(&self.key))
            .and_then(Value::as_str);
        let has = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => value.is_some_and(has),
            Operator::NotIn | Operator::NotEquals => !value.is_some_and(has),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(label), [bound]) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values.as_slice(),
                ) else {
                    return false;
                };
                match bound.parse::<i64>() {
                    Ok(b) if self.operator == Operator::GreaterThan => label > b,
                    Ok(b) => label < b,
                    Err(_) => false,
                }
            }
        }
    }
}

/// Kubernetes' aggregate error text: one message alone, several in brackets.
fn aggregate(errs: &[FieldError]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in errs {
        let s = e.to_string();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    if seen.len() == 1 {
        seen.remove(0)
    } else {
        format!("[{}]", seen.join(", "))
    }
}

impl fmt::Display for Requirement {
    /// Kubernetes' canonical form: `!key`, `key=v`, `key in (a,b)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        f.write_str(op)?;
        let mut values = self.values.clone();
        values.sort();
        let joined = values.join(",");
        match self.operator {
            Operator::In | Operator::NotIn => write!(f, "({joined})"),
            _ => f.write_str(&joined),
        }
    }
}

/// A set of requirements that must all hold; empty selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    /// A `null` structured selector: selects nothing at all.
    nothing: bool,
}

impl LabelSelector {
    /// Selects every object.
    pub fn everything() -> Self {
        Self::default()
    }

    /// Selects no object (what a `null` structured selector means).
    pub fn nothing() -> Self {
        Self {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// Parses the string form of `?labelSelector=` and `kubectl -l`.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut requirements = Parser::new(s).parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self {
            requirements,
            nothing: false,
        })
    }

    /// Reads a `metav1.LabelSelector` object (`matchLabels`,
    /// `matchExpressions`); `null` selects nothing, `{}` everything.
    pub fn from_label_selector_json(v: &Value) -> Result<Self, SelectorError> {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector as Typed;
        if v.is_null() {
            return Ok(Self::nothing());
        }
        let typed: Typed = to_typed(v).map_err(|e| SelectorError::Malformed(e.to_string()))?;
        let mut requirements = Vec::new();
        for (key, value) in typed.match_labels.unwrap_or_default() {
            requirements.push(Requirement::new(&key, Operator::Equals, vec![value], None)?);
        }
        for expr in typed.match_expressions.unwrap_or_default() {
            let operator = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => return Err(SelectorError::Operator(other.to_string())),
            };
            requirements.push(Requirement::new(
                &expr.key,
                operator,
                expr.values.unwrap_or_default(),
                None,
            )?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self {
            requirements,
            nothing: false,
        })
    }

    /// A selector of exact matches, as a Service's `spec.selector` map is read.
    pub fn from_set(labels: &Map<String, Value>) -> Self {
        let requirements = labels
            .iter()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                operator: Operator::Equals,
                values: vec![v.as_str().unwrap_or_default().to_string()],
            })
            .collect();
        Self {
            requirements,
            nothing: false,
        }
    }

    /// Whether an object with these `metadata.labels` is selected.
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// True when the selector selects everything.
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
}

impl fmt::Display for LabelSelector {
    /// Kubernetes' canonical string (`app=my-api,tier in (be,fe)`), as
    /// `kubectl describe` shows it; empty for "everything" and "nothing".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    End,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

/// Whether `in`/`notin` are keywords (after a key) or plain values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Splits a selector into tokens, each with the text it came from.
fn lex(s: &str) -> Vec<(Token, &str)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        if i >= bytes.len() {
            out.push((Token::End, ""));
            return out;
        }
        let start = i;
        if is_special(bytes[i]) {
            // The longest operator wins: `!=` over `!`, `==` over `=`.
            let two = &s[i..(i + 2).min(s.len())];
            let (tok, len) = match two {
                "!=" => (Token::NotEquals, 2),
                "==" => (Token::DoubleEquals, 2),
                _ => match bytes[i] {
                    b'!' => (Token::DoesNotExist, 1),
                    b'=' => (Token::Equals, 1),
                    b'(' => (Token::OpenPar, 1),
                    b')' => (Token::ClosedPar, 1),
                    b',' => (Token::Comma, 1),
                    b'>' => (Token::GreaterThan, 1),
                    _ => (Token::LessThan, 1),
                },
            };
            i += len;
            out.push((tok, &s[start..i]));
        } else {
            while i < bytes.len()
                && !is_special(bytes[i])
                && !matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n')
            {
                i += 1;
            }
            let word = &s[start..i];
            let tok = match word {
                "in" => Token::In,
                "notin" => Token::NotIn,
                _ => Token::Identifier,
            };
            out.push((tok, word));
        }
    }
}

struct Parser<'a> {
    tokens: Vec<(Token, &'a str)>,
    pos: usize,
}

fn found(lit: &str, expected: &str) -> SelectorError {
    SelectorError::Syntax(format!("found '{lit}', expected: {expected}"))
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        Self {
            tokens: lex(s),
            pos: 0,
        }
    }

    fn token_at(&self, pos: usize, ctx: Context) -> (Token, &'a str) {
        let (tok, lit) = self.tokens.get(pos).copied().unwrap_or((Token::End, ""));
        match tok {
            Token::In | Token::NotIn if ctx == Context::Values => (Token::Identifier, lit),
            _ => (tok, lit),
        }
    }

    fn lookahead(&self, ctx: Context) -> (Token, &'a str) {
        self.token_at(self.pos, ctx)
    }

    fn consume(&mut self, ctx: Context) -> (Token, &'a str) {
        let t = self.token_at(self.pos, ctx);
        self.pos += 1;
        t
    }

    fn parse(mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            match self.lookahead(Context::Values) {
                (Token::Identifier | Token::DoesNotExist, _) => {
                    let r = self
                        .requirement()
                        .map_err(|e| SelectorError::Requirement(e.to_string()))?;
                    requirements.push(r);
                    match self.consume(Context::Values) {
                        (Token::End, _) => return Ok(requirements),
                        (Token::Comma, _) => match self.lookahead(Context::Values) {
                            (Token::Identifier | Token::DoesNotExist, _) => {}
                            (_, lit) => return Err(found(lit, "identifier after ','")),
                        },
                        (_, lit) => return Err(found(lit, "',' or 'end of string'")),
                    }
                }
                (Token::End, _) => return Ok(requirements),
                (_, lit) => return Err(found(lit, "!, identifier, or 'end of string'")),
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        let (key, inferred) = self.key_and_inferred_operator()?;
        if let Some(op) = inferred {
            return Requirement::new(key, op, Vec::new(), None);
        }
        let op = self.operator()?;
        let values = match op {
            Operator::In | Operator::NotIn => self.values()?,
            _ => self.exact_value()?,
        };
        Requirement::new(key, op, values, None)
    }

    /// The key, and `Exists`/`DoesNotExist` if no operator follows it.
    fn key_and_inferred_operator(&mut self) -> Result<(&'a str, Option<Operator>), SelectorError> {
        let mut inferred = None;
        let (mut tok, mut lit) = self.consume(Context::Values);
        if tok == Token::DoesNotExist {
            inferred = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Token::Identifier {
            return Err(found(lit, "identifier"));
        }
        let errs = label_key_errors(lit);
        if !errs.is_empty() {
            let e = FieldError::invalid("<nil>", lit, errs.join("; "));
            return Err(SelectorError::InvalidRequirement(e.to_string()));
        }
        if matches!(self.lookahead(Context::Values).0, Token::End | Token::Comma)
            && inferred.is_none()
        {
            inferred = Some(Operator::Exists);
        }
        Ok((lit, inferred))
    }

    fn operator(&mut self) -> Result<Operator, SelectorError> {
        Ok(match self.consume(Context::KeyAndOperator) {
            (Token::In, _) => Operator::In,
            (Token::Equals, _) => Operator::Equals,
            (Token::DoubleEquals, _) => Operator::DoubleEquals,
            (Token::GreaterThan, _) => Operator::GreaterThan,
            (Token::LessThan, _) => Operator::LessThan,
            (Token::NotIn, _) => Operator::NotIn,
            (Token::NotEquals, _) => Operator::NotEquals,
            (_, lit) => return Err(found(lit, "in, notin, =, ==, !=, gt, lt")),
        })
    }

    /// `(a,b)`: a set, so sorted and without repeats; `()` is `{""}`.
    fn values(&mut self) -> Result<Vec<String>, SelectorError> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Token::OpenPar {
            return Err(SelectorError::Syntax(format!(
                "found '{lit}' expected: '('"
            )));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        let mut set = match tok {
            Token::Identifier | Token::Comma => {
                let set = self.identifier_list()?;
                if self.consume(Context::Values).0 != Token::ClosedPar {
                    return Err(found(lit, "')'"));
                }
                set
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                vec![String::new()]
            }
            _ => return Err(found(lit, "',', ')' or identifier")),
        };
        set.sort();
        set.dedup();
        Ok(set)
    }

    fn identifier_list(&mut self) -> Result<Vec<String>, SelectorError> {
        let mut set: Vec<String> = Vec::new();
        loop {
            match self.consume(Context::Values) {
                (Token::Identifier, lit) => {
                    set.push(lit.to_string());
                    match self.lookahead(Context::Values) {
                        (Token::Comma, _) => continue,
                        (Token::ClosedPar, _) => return Ok(set),
                        (_, lit2) => return Err(found(lit2, "',' or ')'")),
                    }
                }
                // A leading, trailing or doubled comma stands for an empty value.
                (Token::Comma, _) => {
                    if set.is_empty() {
                        set.push(String::new());
                    }
                    match self.lookahead(Context::Values).0 {
                        Token::ClosedPar => {
                            set.push(String::new());
                            return Ok(set);
                        }
                        Token::Comma => set.push(String::new()),
                        _ => {}
                    }
                }
                (_, lit) => return Err(found(lit, "',', or identifier")),
            }
        }
    }

    fn exact_value(&mut self) -> Result<Vec<String>, SelectorError> {
        if matches!(self.lookahead(Context::Values).0, Token::End | Token::Comma) {
            return Ok(vec![String::new()]);
        }
        match self.consume(Context::Values) {
            (Token::Identifier, lit) => Ok(vec![lit.to_string()]),
            (_, lit) => Err(found(lit, "identifier")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn valid_selectors_parse_to_their_canonical_form() {
        let cases = [
            ("", ""),
            ("app=web", "app=web"),
            ("app==web", "app==web"),
            ("app!=web", "app!=web"),
            (" app = web , tier!=db ", "app=web,tier!=db"),
            ("tier in (fe, be)", "tier in (be,fe)"),
            ("tier notin (fe)", "tier notin (fe)"),
            ("tier in (fe,fe,be)", "tier in (be,fe)"),
            ("canary", "canary"),
            ("!canary", "!canary"),
            ("z=1,a=2", "a=2,z=1"),
            ("app.kubernetes.io/name=web", "app.kubernetes.io/name=web"),
            ("a=", "a="),
            ("a in ()", "a in ()"),
            ("a in (,b)", "a in (,b)"),
            ("x>5,y<3", "x>5,y<3"),
            ("in in (in)", "in in (in)"),
            ("a=in", "a=in"),
        ];
        for (input, canonical) in cases {
            let s = LabelSelector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(s.to_string(), canonical, "{input:?}");
        }
    }

    #[test]
    fn invalid_selectors_fail_with_kubernetes_messages() {
        let cases = [
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
            ("a=b c", "found 'c', expected: ',' or 'end of string'"),
            ("a=b,", "found '', expected: identifier after ','"),
            (",a", "found ',', expected: !, identifier, or 'end of string'"),
            ("a in b", "unable to parse requirement: found 'b' expected: '('"),
            ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
            ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
            ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
            ("a=(", "unable to parse requirement: found '(', expected: identifier"),
            ("!=a", "found '!=', expected: !, identifier, or 'end of string'"),
            ("!a=b", "found '=', expected: ',' or 'end of string'"),
            ("x>a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"),
        ];
        for (input, message) in cases {
            let err = LabelSelector::parse(input).unwrap_err();
            assert_eq!(err.to_string(), message, "{input:?}");
        }
    }

    #[test]
    fn bad_keys_and_values_name_the_rule() {
        let err = LabelSelector::parse("-app=web").unwrap_err().to_string();
        assert!(err.starts_with("unable to parse requirement: <nil>: Invalid value: \"-app\": name part must consist of"), "{err}");
        let err = LabelSelector::parse("app=-web").unwrap_err().to_string();
        assert!(
            err.starts_with("unable to parse requirement: values[0][app]: Invalid value: \"-web\": a valid label must be an empty string"),
            "{err}"
        );
        let err = LabelSelector::parse("app in (-a,-b)")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("unable to parse requirement: [values[0][app]: Invalid value: \"-a\""),
            "{err}"
        );
        assert!(
            err.contains(", values[1][app]: Invalid value: \"-b\""),
            "{err}"
        );
    }

    #[test]
    fn matching_follows_each_operator() {
        let l = labels(json!({"app": "web", "tier": "fe", "n": "7"}));
        let cases = [
            ("app=web", true),
            ("app=db", false),
            ("app!=db", true),
            ("missing!=x", true),
            ("tier in (fe,be)", true),
            ("tier notin (fe)", false),
            ("missing notin (fe)", true),
            ("missing in (fe)", false),
            ("app", true),
            ("!app", false),
            ("!missing", true),
            ("n>5", true),
            ("n<5", false),
            ("app>5", false),
            ("app=web,tier=be", false),
            ("", true),
        ];
        for (sel, expected) in cases {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(Some(&l)),
                expected,
                "{sel}"
            );
        }
        assert!(!LabelSelector::parse("app").unwrap().matches(None));
        assert!(LabelSelector::parse("!app").unwrap().matches(None));
    }

    #[test]
    fn structured_selectors_match_and_print_like_kubernetes() {
        let s = LabelSelector::from_label_selector_json(&json!({
            "matchLabels": {"app": "my-api"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]
        }))
        .unwrap();
        assert_eq!(s.to_string(), "app=my-api,!canary,tier in (be,fe)");
        assert!(s.matches(Some(&labels(json!({"app": "my-api", "tier": "be"})))));
        assert!(!s.matches(Some(&labels(
            json!({"app": "my-api", "tier": "be", "canary": "1"})
        ))));
        let simple =
            LabelSelector::from_label_selector_json(&json!({"matchLabels": {"app": "my-api"}}))
                .unwrap();
        assert_eq!(simple.to_string(), "app=my-api");
    }

    #[test]
    fn empty_structured_selector_selects_everything_and_null_nothing() {
        let all = LabelSelector::from_label_selector_json(&json!({})).unwrap();
        assert!(all.is_empty());
        assert!(all.matches(None));
        let none = LabelSelector::from_label_selector_json(&Value::Null).unwrap();
        assert!(!none.is_empty());
        assert!(!none.matches(Some(&labels(json!({"app": "x"})))));
    }

    #[test]
    fn structured_selector_errors_read_like_kubernetes() {
        let err = LabelSelector::from_label_selector_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "Equals"}]}),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""Equals" is not a valid label selector operator"#
        );
        let err = LabelSelector::from_label_selector_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"
        );
        let err = LabelSelector::from_label_selector_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"values: Invalid value: ["x"]: values set must be empty for exists and does not exist"#
        );
        let err = LabelSelector::from_label_selector_json(&json!({"matchLabels": {"-a": "x"}}))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"key: Invalid value: "-a": name part"#),
            "{err}"
        );
        let err =
            LabelSelector::from_label_selector_json(&json!({"matchLabels": "app"})).unwrap_err();
        assert!(
            err.to_string()
                .contains("cannot unmarshal string into Go struct field LabelSelector.matchLabels"),
            "{err}"
        );
    }

    #[test]
    fn a_service_selector_map_matches_exactly() {
        let s = LabelSelector::from_set(&labels(json!({"app": "my-api"})));
        assert_eq!(s.to_string(), "app=my-api");
        assert!(s.matches(Some(&labels(json!({"app": "my-api", "x": "y"})))));
        assert!(!s.matches(Some(&labels(json!({"app": "other"})))));
    }
}
