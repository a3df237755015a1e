//! What an unquoted YAML scalar means, decided exactly as go-yaml v2 decides it,
//! because Kubernetes reads every manifest through go-yaml v2 (YAML 1.1 rules).
//!
//! The same table tells the emitter which strings must be quoted on the way out.

/// The value a plain scalar stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    /// Only for values above `i64::MAX`, which go-yaml keeps as `uint64`.
    Uint(u64),
    Float(f64),
    /// Stays the string it was written as (timestamps included: go-yaml hands
    /// them back as strings when decoding into an untyped value).
    Str,
}

/// Resolves an unquoted, untagged scalar.
pub fn resolve_plain(text: &str) -> Resolved {
    let Some(&first) = text.as_bytes().first() else {
        return Resolved::Null;
    };
    let hint = match first {
        b'+' | b'-' | b'0'..=b'9' => Hint::Number,
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => Hint::Word,
        b'.' => Hint::Dot,
        _ => return Resolved::Str,
    };
    if let Some(word) = resolve_word(text) {
        return word;
    }
    match hint {
        Hint::Word => Resolved::Str,
        Hint::Dot => match go_parse_float(text) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        Hint::Number => resolve_number(text),
    }
}

enum Hint {
    Number,
    Word,
    Dot,
}

/// go-yaml v2's fixed words: YAML 1.1 booleans in three casings, nulls,
/// infinities and NaN. (Its table also lists the merge key `<<`, but `<` never
/// reaches the lookup, so `<<` resolves as a string; merging is decided from
/// the key's text alone.)
fn resolve_word(text: &str) -> Option<Resolved> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Resolved::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Resolved::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// Starts with a sign or digit: timestamp, then int (Go base-0 syntax with `_`
/// dropped), then uint, then a YAML-style float; anything else is a string.
fn resolve_number(text: &str) -> Resolved {
    if is_timestamp(text) {
        return Resolved::Str;
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Resolved::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Resolved::Uint(u);
    }
    if is_yaml_style_float(&plain) {
        if let Some(f) = go_parse_float(&plain) {
            return Resolved::Float(f);
        }
    }
    Resolved::Str
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint(digits)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`: `0x`, `0o`, `0b` prefixes and a bare
/// leading `0` for octal.
fn go_parse_uint(s: &str) -> Option<u64> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let (radix, digits) = if bytes[0] == b'0' && bytes.len() >= 3 {
        match bytes[1].to_ascii_lowercase() {
            b'x' => (16, &s[2..]),
            b'o' => (8, &s[2..]),
            b'b' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else if bytes[0] == b'0' {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let mut value: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        value = value
            .checked_mul(u64::from(radix))?
            .checked_add(u64::from(d))?;
    }
    Some(value)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text: out-of-range values are
/// an error there (not infinity), and Go has no `inf`/`nan` words starting
/// with a digit or dot, which is all that reaches here.
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let decimal = b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !decimal || !b.iter().any(u8::is_ascii_digit) {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// Whether go-yaml v2 would read the text as a timestamp (and so quote a
/// string holding it): `YYYY-M-D`, optionally followed by a time with `T`,
/// `t` or a space, fractional seconds and (except after a space) a zone.
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year = u32::from(b[0] - b'0') * 1000
        + u32::from(b[1] - b'0') * 100
        + u32::from(b[2] - b'0') * 10
        + u32::from(b[3] - b'0');
    let mut p = Cursor { b, i: 5 };
    let Some(month) = p.short_num() else {
        return false;
    };
    if !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.short_num() else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(month, year) {
        return false;
    }
    if p.done() {
        return true;
    }
    let separator = b[p.i];
    if !matches!(separator, b'T' | b't' | b' ') {
        return false;
    }
    p.i += 1;
    let Some(hour) = p.short_num() else {
        return false;
    };
    if !p.eat(b':') {
        return false;
    }
    let Some(minute) = p.short_num() else {
        return false;
    };
    if !p.eat(b':') {
        return false;
    }
    let Some(second) = p.short_num() else {
        return false;
    };
    if hour >= 24 || minute >= 60 || second >= 60 {
        return false;
    }
    if p.i + 1 < b.len() && matches!(b[p.i], b'.' | b',') && b[p.i + 1].is_ascii_digit() {
        p.i += 1;
        while p.i < b.len() && b[p.i].is_ascii_digit() {
            p.i += 1;
        }
    }
    if separator == b' ' {
        return p.done();
    }
    if p.eat(b'Z') {
        return p.done();
    }
    // ±hh:mm
    let rest = &b[p.i..];
    rest.len() == 6
        && matches!(rest[0], b'+' | b'-')
        && rest[1].is_ascii_digit()
        && rest[2].is_ascii_digit()
        && rest[3] == b':'
        && rest[4].is_ascii_digit()
        && rest[5].is_ascii_digit()
        && (rest[1] - b'0') * 10 + (rest[2] - b'0') <= 24
        && (rest[4] - b'0') * 10 + (rest[5] - b'0') <= 60
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    /// One or two digits, as Go's layout elements `1`, `2`, `15`, `4`, `5` read.
    fn short_num(&mut self) -> Option<u32> {
        let first = *self.b.get(self.i).filter(|c| c.is_ascii_digit())?;
        self.i += 1;
        let mut n = u32::from(first - b'0');
        if let Some(&c) = self.b.get(self.i).filter(|c| c.is_ascii_digit()) {
            n = n * 10 + u32::from(c - b'0');
            self.i += 1;
        }
        Some(n)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn days_in_month(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// YAML 1.1 sexagesimal numbers (`1:20`): go-yaml no longer reads them as
/// numbers but still quotes them on output for older parsers.
pub fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    if !(matches!(first, b'+' | b'-') || first.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let mut i = usize::from(matches!(first, b'+' | b'-'));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        let group = &b[start..i];
        let valid = match group {
            [d] => d.is_ascii_digit(),
            [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
            _ => false,
        };
        if !valid {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans_in_three_casings() {
        for t in [
            "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
        ] {
            assert_eq!(resolve_plain(t), Resolved::Bool(true), "{t}");
        }
        for f in [
            "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
        ] {
            assert_eq!(resolve_plain(f), Resolved::Bool(false), "{f}");
        }
        for s in ["yEs", "tRUE", "oN", "nO", "ye", "of", "t", "f", "T"] {
            assert_eq!(resolve_plain(s), Resolved::Str, "{s}");
        }
    }

    #[test]
    fn nulls() {
        for n in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(n), Resolved::Null, "{n:?}");
        }
        assert_eq!(resolve_plain("nULL"), Resolved::Str);
        assert_eq!(resolve_plain("None"), Resolved::Str);
    }

    #[test]
    fn integers_follow_go_base_zero_syntax() {
        assert_eq!(resolve_plain("42"), Resolved::Int(42));
        assert_eq!(resolve_plain("-17"), Resolved::Int(-17));
        assert_eq!(resolve_plain("+5"), Resolved::Int(5));
        assert_eq!(resolve_plain("0"), Resolved::Int(0));
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("0o17"), Resolved::Int(15));
        assert_eq!(resolve_plain("017"), Resolved::Int(15));
        assert_eq!(resolve_plain("0b101"), Resolved::Int(5));
        assert_eq!(resolve_plain("1_000_000"), Resolved::Int(1_000_000));
        assert_eq!(
            resolve_plain("-9223372036854775808"),
            Resolved::Int(i64::MIN)
        );
        assert_eq!(
            resolve_plain("18446744073709551615"),
            Resolved::Uint(u64::MAX)
        );
        // A leading underscore decides the hint before underscores are dropped.
        assert_eq!(resolve_plain("_1"), Resolved::Str);
    }

    #[test]
    fn invalid_octal_falls_back_to_float() {
        assert_eq!(resolve_plain("08"), Resolved::Float(8.0));
        assert_eq!(resolve_plain("0x"), Resolved::Str);
    }

    #[test]
    fn floats_and_special_floats() {
        assert_eq!(resolve_plain("1.5"), Resolved::Float(1.5));
        assert_eq!(resolve_plain("1."), Resolved::Float(1.0));
        assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
        assert_eq!(resolve_plain("-2.5e3"), Resolved::Float(-2500.0));
        assert_eq!(resolve_plain("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve_plain("1e400"), Resolved::Str);
        assert_eq!(resolve_plain(".inf"), Resolved::Float(f64::INFINITY));
        assert_eq!(resolve_plain("-.Inf"), Resolved::Float(f64::NEG_INFINITY));
        assert!(matches!(resolve_plain(".NaN"), Resolved::Float(f) if f.is_nan()));
        assert_eq!(resolve_plain("1.2.3"), Resolved::Str);
        assert_eq!(resolve_plain("."), Resolved::Str);
    }

    #[test]
    fn kubernetes_looking_strings_stay_strings() {
        for s in [
            "100m",
            "128Mi",
            "1.0.0",
            "nginx:1.25",
            "v1",
            "3000/TCP",
            "0.5Gi",
            "1h30m",
            "--port",
            "-",
        ] {
            assert_eq!(resolve_plain(s), Resolved::Str, "{s}");
        }
    }

    #[test]
    fn timestamps_resolve_as_strings() {
        assert!(is_timestamp("2024-01-15T10:30:00Z"));
        assert!(is_timestamp("2024-1-5"));
        assert!(is_timestamp("2001-12-14t21:59:43.10-05:00"));
        assert!(is_timestamp("2001-12-14 21:59:43.10"));
        assert!(!is_timestamp("2024-02-30"));
        assert!(!is_timestamp("2024-01-15T10:30:00"));
        assert!(!is_timestamp("2024-13-01"));
        assert_eq!(resolve_plain("2024-01-15"), Resolved::Str);
    }

    #[test]
    fn merge_key_text_resolves_as_a_string() {
        assert_eq!(resolve_plain("<<"), Resolved::Str);
    }

    #[test]
    fn sexagesimal_is_detected_for_quoting() {
        assert!(is_base60_float("1:20"));
        assert!(is_base60_float("-190:20:30.15"));
        assert!(!is_base60_float("1:70"));
        assert!(!is_base60_float("a:20"));
        assert!(!is_base60_float("10"));
    }
}
